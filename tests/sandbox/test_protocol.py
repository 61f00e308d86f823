"""The sandbox's wire protocol as a plain HTTP/websocket client sees it (no nextcord involved)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from ratmas.sandbox import Limit, Sandbox
from tests.sandbox.support import World

GUILD_MEMBERS = 1 << 1


@pytest.fixture
async def http(world: World) -> AsyncIterator[aiohttp.ClientSession]:
    """A session that authenticates as the sandbox's bot."""
    headers = {"Authorization": f"Bot {world.sb.token}"}
    async with aiohttp.ClientSession(base_url=world.sb.api_base + "/", headers=headers) as session:
        yield session


async def frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next gateway frame, checked to carry op, d, s and t."""
    data: dict[str, Any] = json.loads(await ws.receive_str(timeout=3))
    assert set(data) == {"op", "d", "s", "t"}
    return data


async def test_json_answers_have_the_exact_content_type(
    world: World, http: aiohttp.ClientSession
) -> None:
    async with http.get("users/@me") as response:
        assert response.headers["Content-Type"] == "application/json"
        assert (await response.json())["bot"] is True
        assert response.headers["X-RateLimit-Limit"] == "50"
        assert "X-RateLimit-Bucket" in response.headers
    async with http.get("gateway/bot") as response:
        body = await response.json()
        assert (body["shards"], body["url"]) == (1, world.sb.gateway.url)


async def test_missing_token_is_401(world: World) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(world.sb.api_base + "/users/@me") as response,
    ):
        assert response.status == 401
        assert (await response.json())["code"] == 0


async def test_429_carries_what_nextcord_needs(world: World, http: aiohttp.ClientSession) -> None:
    world.sb.rate_limit_next(1, retry_after=0.25)
    async with http.get("users/@me") as response:
        assert response.status == 429
        assert response.headers["Via"]
        assert response.headers["X-RateLimit-Scope"] == "user"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["X-RateLimit-Reset-After"] == "0.250"
        body = await response.json()
        assert body["retry_after"] == 0.25
        assert body["global"] is False
    async with http.get("users/@me") as response:
        assert response.status == 200


async def test_dm_errors_and_multipart(world: World, http: aiohttp.ClientSession) -> None:
    sb = world.sb
    async with http.post("users/@me/channels", json={"recipient_id": str(world.alice.id)}) as r:
        dm = await r.json()
    assert dm["type"] == 1
    assert dm["recipients"][0]["id"] == str(world.alice.id)

    form = aiohttp.FormData()
    form.add_field("files[0]", b"hello", filename="note.txt")
    payload = {"content": "see file", "attachments": [{"id": 0, "filename": "note.txt"}]}
    form.add_field("payload_json", json.dumps(payload))
    async with http.post(f"channels/{dm['id']}/messages", data=form) as r:
        sent = await r.json()
    assert sent["attachments"][0]["filename"] == "note.txt"
    message = sb.messages(world.alice.id)[0]
    assert (message.content, message.attachments[0].content) == ("see file", b"hello")

    sb.dm_spam_block()
    async with http.post(f"channels/{dm['id']}/messages", json={"content": "again"}) as r:
        assert (r.status, (await r.json())["code"]) == (403, 40003)
    sb.close_dms(world.alice.id)
    async with http.post(f"channels/{dm['id']}/messages", json={"content": "again"}) as r:
        body = await r.json()
        assert (r.status, body["code"]) == (403, 50007)
        assert body["message"] == "Cannot send messages to this user"
    assert len(sb.messages(world.alice.id)) == 1


async def test_allowed_mentions_decide_who_is_pinged(
    world: World, http: aiohttp.ClientSession
) -> None:
    body = {
        "content": f"@everyone <@{world.alice.id}> <@{world.bob.id}>",
        "allowed_mentions": {"parse": [], "users": [str(world.bob.id)]},
    }
    async with http.post(f"channels/{world.general}/messages", json=body) as r:
        assert r.status == 200
    message = world.sb.messages(world.general)[-1]
    assert message.mentioned_user_ids() == [world.bob.id]
    assert not message.mentions_everyone
    assert message.allowed_mentions == body["allowed_mentions"]


async def test_member_listing_pages_by_user_id(world: World, http: aiohttp.ClientSession) -> None:
    guild = world.guild.id
    async with http.get(f"guilds/{guild}/members", params={"limit": "2"}) as r:
        first = await r.json()
    async with http.get(
        f"guilds/{guild}/members", params={"limit": "1000", "after": first[-1]["user"]["id"]}
    ) as r:
        rest = await r.json()
    ids = [int(m["user"]["id"]) for m in first + rest]
    assert ids == sorted(world.guild.members)
    async with http.get(f"guilds/{guild}/members/{world.bob.id}") as r:
        assert (await r.json())["nick"] == "Bobby"
    async with http.get(f"guilds/{guild}/members/1") as r:
        assert (r.status, (await r.json())["code"]) == (404, 10007)


async def test_gateway_identify_chunk_and_resume(world: World) -> None:
    sb: Sandbox = world.sb
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(sb.gateway.url) as ws:
            hello = await frame(ws)
            assert hello["op"] == 10
            assert hello["d"]["heartbeat_interval"] > 0
            await ws.send_json({"op": 1, "d": None})
            assert (await frame(ws))["op"] == 11
            identify = {"token": sb.token, "intents": GUILD_MEMBERS, "properties": {}}
            await ws.send_json({"op": 2, "d": identify})
            ready = await frame(ws)
            assert (ready["t"], ready["s"]) == ("READY", 1)
            session_id = ready["d"]["session_id"]
            created = await frame(ws)
            assert created["t"] == "GUILD_CREATE"
            assert created["d"]["member_count"] == len(created["d"]["members"])
            everyone = [r for r in created["d"]["roles"] if r["id"] == str(world.guild.id)]
            assert everyone[0]["name"] == "@everyone"

            request = {"guild_id": str(world.guild.id), "query": "", "limit": 0, "nonce": "n1"}
            await ws.send_json({"op": 8, "d": request})
            chunk = await frame(ws)
            assert chunk["t"] == "GUILD_MEMBERS_CHUNK"
            assert chunk["d"]["nonce"] == "n1"
            assert len(chunk["d"]["members"]) == len(world.guild.members)
            await ws.close(code=4000)

        await sb.remove_member(world.guild.id, world.bob.id)
        async with session.ws_connect(sb.gateway.url) as ws:
            await frame(ws)
            resume = {"token": sb.token, "session_id": session_id, "seq": 3}
            await ws.send_json({"op": 6, "d": resume})
            missed = await frame(ws)
            assert (missed["t"], missed["d"]["user"]["id"]) == (
                "GUILD_MEMBER_REMOVE",
                str(world.bob.id),
            )
            assert (await frame(ws))["t"] == "RESUMED"

        async with session.ws_connect(sb.gateway.url) as ws:
            await frame(ws)
            await ws.send_json({"op": 6, "d": {"token": sb.token, "session_id": "x", "seq": 1}})
            assert (await frame(ws))["op"] == 9


async def test_wait_for_message_sees_past_and_future(
    world: World, http: aiohttp.ClientSession
) -> None:
    sb = world.sb
    async with http.post(f"channels/{world.general}/messages", json={"content": "one"}) as r:
        first = int((await r.json())["id"])
    assert (await sb.wait_for_message(world.general)).id == first
    with pytest.raises(TimeoutError, match="a message in"):
        await sb.wait_for_message(world.general, timeout=0.05, after=first)


async def test_an_interaction_not_acknowledged_within_3_seconds_is_unknown(
    world: World, http: aiohttp.ClientSession
) -> None:
    """Like Discord: a callback later than 3 s answers 404 / 10062 and nothing is shown."""
    from ratmas.sandbox.state import InteractionRecord

    state = world.sb.state

    def record(age: float) -> InteractionRecord:
        made = InteractionRecord(
            id=state.snowflake(),
            token=f"token-{age}",
            type=2,
            user_id=world.alice.id,
            channel_id=world.general,
            guild_id=world.guild.id,
            payload={},
        )
        made.dispatched_at -= age
        state.interactions[made.id] = made
        return made

    late, on_time = record(3.5), record(2.5)
    for made, status in ((late, 404), (on_time, 204)):
        async with http.post(
            f"interactions/{made.id}/{made.token}/callback", json={"type": 5}
        ) as response:
            assert response.status == status
            if status == 404:
                assert (await response.json())["code"] == 10062
    assert late.callback_type is None
    assert on_time.ack_seconds is not None
    assert 2.5 <= on_time.ack_seconds < 3.0


async def _dm_channel(http: aiohttp.ClientSession, user_id: int) -> int:
    async with http.post("users/@me/channels", json={"recipient_id": str(user_id)}) as response:
        return int((await response.json())["id"])


async def test_enforce_nonce_returns_the_earlier_message(
    world: World, http: aiohttp.ClientSession
) -> None:
    channel = await _dm_channel(http, world.alice.id)
    body = {"content": "hi", "nonce": "ratmas-1", "enforce_nonce": True}
    async with http.post(f"channels/{channel}/messages", json=body) as response:
        first = await response.json()
    async with http.post(f"channels/{channel}/messages", json=body) as response:
        again = await response.json()
    assert again["id"] == first["id"]
    # Without enforce_nonce a nonce is only echoed: a second message is made.
    async with http.post(f"channels/{channel}/messages", json={**body, "enforce_nonce": False}):
        pass
    assert len(world.sb.messages(channel)) == 2
    too_long = {**body, "nonce": "x" * 26}
    async with http.post(f"channels/{channel}/messages", json=too_long) as response:
        assert response.status == 400


async def test_an_enforced_nonce_expires_on_the_sandboxs_clock(
    world: World, http: aiohttp.ClientSession
) -> None:
    """The nonce window follows the clock the bot shares: skipping it ahead past the
    window (as the e2e tests do instead of waiting) makes a repeated nonce a new message."""
    channel = await _dm_channel(http, world.alice.id)
    body = {"content": "hi", "nonce": "ratmas-2", "enforce_nonce": True}
    async with http.post(f"channels/{channel}/messages", json=body) as response:
        first = await response.json()
    world.sb.clock.fast_forward(world.sb.clock.now() + timedelta(seconds=299))
    async with http.post(f"channels/{channel}/messages", json=body) as response:
        assert (await response.json())["id"] == first["id"]
    world.sb.clock.fast_forward(world.sb.clock.now() + timedelta(seconds=2))
    async with http.post(f"channels/{channel}/messages", json=body) as response:
        assert (await response.json())["id"] != first["id"]
    assert len(world.sb.messages(channel)) == 2


async def test_dm_history_lists_the_newest_first(world: World, http: aiohttp.ClientSession) -> None:
    channel = await _dm_channel(http, world.alice.id)
    for text in ("one", "two", "three"):
        async with http.post(f"channels/{channel}/messages", json={"content": text}):
            pass
    async with http.get(f"channels/{channel}/messages", params={"limit": "2"}) as response:
        newest = [m["content"] for m in await response.json()]
    assert newest == ["three", "two"]


async def test_discord_like_limits_answer_429_and_count_them(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.sb.discord_like_limits()
    channel = await _dm_channel(http, world.alice.id)
    statuses = []
    for n in range(6):
        async with http.post(f"channels/{channel}/messages", json={"content": str(n)}) as r:
            statuses.append(r.status)
            if r.status == 200:
                assert r.headers["X-RateLimit-Limit"] == "5"
                assert r.headers["X-RateLimit-Remaining"] == str(4 - n)
            else:
                assert r.headers["Via"]
                assert (await r.json())["retry_after"] > 0
    assert statuses == [200] * 5 + [429]
    assert world.sb.limits.served_429 == 1
    assert world.sb.limits.served_429_global == 0


async def test_the_global_limit_spares_interactions(
    world: World, http: aiohttp.ClientSession
) -> None:
    world.sb.limits.global_limit = Limit(2, 60)
    codes = []
    for _ in range(3):
        async with http.get("users/@me") as response:
            codes.append(response.status)
            if response.status == 429:
                assert response.headers["X-RateLimit-Global"] == "true"
    assert codes == [200, 200, 429]
    assert world.sb.limits.served_429_global == 1


async def test_after_store_sees_the_message_before_the_answer(
    world: World, http: aiohttp.ClientSession
) -> None:
    seen: list[str] = []
    world.sb.faults.after_store = lambda message: seen.append(message.content)
    channel = await _dm_channel(http, world.alice.id)
    async with http.post(f"channels/{channel}/messages", json={"content": "stored"}):
        pass
    assert seen == ["stored"]


async def test_default_member_permissions_hide_a_command_unless_overridden(
    world: World, http: aiohttp.ClientSession
) -> None:
    """Like Discord: a command needing Manage Server is neither shown nor delivered to a
    member without it, until a server admin allows their role (Integrations)."""
    from ratmas.sandbox import SandboxError

    app = world.sb.state.application_id
    body = {
        "name": "admin",
        "description": "managers",
        "default_member_permissions": str(1 << 5),
        "options": [{"type": 1, "name": "jobs", "description": "jobs"}],
    }
    async with http.put(f"applications/{app}/commands", json=[body]) as response:
        assert response.status == 200
    # No bot is connected here: a command that is shown gets as far as dispatching.
    shown, hidden = "no bot is connected", "hidden"
    with pytest.raises(SandboxError, match=shown):
        await world.sb.slash(world.guild.id, world.manager.id, "admin", "jobs")
    with pytest.raises(SandboxError, match=hidden):
        await world.sb.slash(world.guild.id, world.alice.id, "admin", "jobs")
    world.sb.allow_command(world.guild.id, "admin", world.participant.id)
    with pytest.raises(SandboxError, match=hidden):
        await world.sb.slash(world.guild.id, world.alice.id, "admin", "jobs")
    await world.sb.add_role(world.guild.id, world.alice.id, world.participant.id)
    with pytest.raises(SandboxError, match=shown):
        await world.sb.slash(world.guild.id, world.alice.id, "admin", "jobs")
