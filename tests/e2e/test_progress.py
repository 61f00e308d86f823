"""A blast longer than `progress_after_seconds` shows itself: one message in the event
channel, edited as the DMs go out, pinging nobody, replaced by the summary; and
`/ratmas status` shows the same figures meanwhile. The pace is made slow (and the
thresholds short) so that six santas make a long blast."""

from __future__ import annotations

import re

from ratmas.config import DeliveryConfig
from ratmas.sandbox import Message
from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    running,
    settings_for,
)

pytestmark = E2E

PROGRESS = re.compile(r"📬 Sending santa DMs: .*\.")
SLOW = DeliveryConfig(dms_per_second=8, progress_after_seconds=0.2, progress_every_seconds=0.1)


def never_pings(body: object) -> bool:
    """A message body's allowed_mentions that let nobody be pinged."""
    assert isinstance(body, dict)
    allowed = body.get("allowed_mentions")
    return isinstance(allowed, dict) and allowed.get("parse") == [] and not allowed.get("users")


async def test_a_long_blast_shows_one_edited_progress_message(
    world: World, sqlite_url: str
) -> None:
    sb, manager = world.sb, world.manager
    async with running(settings_for(sb, sqlite_url, delivery=SLOW), sb):
        await world.admin(
            manager,
            "setup",
            options={"channel": world.channel.id, "participant_role": world.participant_role.id},
        )
        dates = dates_from_now(world.clock, start=4, purchase_deadline=3600, reveal=7200)
        await world.admin(manager, "create", options=dates.options())
        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)
        for member in world.members:
            await world.click(member, announcement, "ratmas:join")

        world.clock.fast_forward(dates.start)
        progress = await world.wait_post(lambda m: m.content.startswith("📬 Sending"))
        status = await world.run(world.member("ann"), "status")
        for member in world.members:
            await sb.wait_for_message(member.id, assignment_dm, timeout=8)
        await world.wait_post(lambda m: "Names are drawn!" in m.content)

    channel = f"/channels/{world.channel.id}/messages"
    posted = [r for r in sb.state.requests if r.method == "POST" and r.path == channel and r.json]
    edits = [
        r for r in sb.state.requests if r.method == "PATCH" and r.path.startswith(f"{channel}/")
    ]
    shown = [r.json["content"] for r in posted if str(r.json.get("content", "")).startswith("📬")]
    shown += [r.json["content"] for r in edits if isinstance(r.json, dict)]

    # One message, edited at least once, never pinging anyone, ending as the summary.
    assert [m.id for m in world.channel_posts() if m.content.startswith("📬")] == [progress.id]
    assert len(edits) >= 2  # an update, then the summary
    assert {r.path for r in edits} == {f"{channel}/{progress.id}"}
    assert all(never_pings(r.json) for r in edits)
    assert all(never_pings(r.json) for r in posted if str(r.json.get("content")).startswith("📬"))
    final: Message = sb.state.messages[progress.id]
    assert final.content == shown[-1] == "📬 Santa DMs done: 6 sent, 0 with closed DMs, 0 failed."
    assert final.mentioned_user_ids() == []
    # /ratmas status during the blast said what the message said at that moment.
    [line] = PROGRESS.findall(status.content)
    assert line in shown[:-1]
