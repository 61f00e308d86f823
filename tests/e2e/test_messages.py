"""Anonymous messages against the real app: a santa and their giftee write, reply through
the Reply button's form, and run into closed DMs. Anonymity is checked on the raw
payloads the sandbox received (content, embeds, components and their custom ids,
allowed mentions), and the database keeps no text once a message is delivered."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from ratmas.sandbox import Message, User
from ratmas.services import messages
from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    pairings,
    rows,
    running,
    settings_for,
)

pytestmark = E2E

QUESTION = "What is your size? ask <@{other}> or @everyone, **bold** @here"
ANSWER = "Medium, thanks! <@&{role}>"
CLOSED_TEXT = "Are you there?"


def anonymous_dms(sb: Any, user: User) -> list[Message]:
    return [
        m for m in sb.messages(user.id) if any(c.startswith("ratmas:reply:") for c in m.custom_ids)
    ]


def body_of(world: World, message: Message) -> dict[str, Any]:
    """The JSON the bot POSTed to create this message (what Discord would store)."""
    path = f"/channels/{message.channel_id}/messages"
    sent = [r.json for r in world.sb.requests_to("POST", path) if isinstance(r.json, dict)]
    marker = message.content.rsplit("\n", 1)[-1]
    (body,) = [b for b in sent if str(b.get("content", "")).endswith(marker)]
    return body


def assert_anonymous(world: World, message: Message, sender: User) -> None:
    """Nothing in the DM, as received and as sent, names, mentions or pings the sender."""
    body = body_of(world, message)
    raw = json.dumps(body)
    assert str(sender.id) not in raw
    shown = message.content + json.dumps(message.embeds)
    assert sender.name not in shown.lower()
    assert body.get("embeds") in (None, [])
    assert message.embeds == []
    # Components: one Reply button, whose custom id carries an opaque row id only.
    (reply_id,) = message.custom_ids
    assert re.fullmatch(r"ratmas:reply:\d+", reply_id)
    # Mentions: nothing may ping, and nothing in the text still reads as a mention.
    allowed = body["allowed_mentions"]
    assert allowed["parse"] == []
    assert not allowed.get("users")
    assert not allowed.get("roles")
    assert message.mentioned_user_ids() == []
    assert message.mentioned_role_ids() == []
    assert not message.mentions_everyone
    assert not re.search(r"<@[!&]?\d+>|@everyone|@here", message.content)


async def test_santa_and_giftee_talk_anonymously_both_ways(
    world: World, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ratmas")
    sb, manager = world.sb, world.manager
    async with running(settings_for(sb, sqlite_url), sb):
        await world.admin(
            manager,
            "setup",
            options={"channel": world.channel.id, "participant_role": world.participant_role.id},
        )
        dates = dates_from_now(world.clock, start=3, purchase_deadline=3600, reveal=7200)
        await world.admin(manager, "create", options=dates.options())
        for member in world.members:
            assert "You're in" in (await world.run(member, "join")).content

        # Before the draw: refused, clearly.
        early = await world.run(world.members[0], "message", options={"to": "giftee", "text": "hi"})
        assert early.ephemeral
        assert "not drawn yet" in early.content

        world.clock.fast_forward(dates.start)
        for member in world.members:
            await sb.wait_for_message(member.id, assignment_dm, timeout=30)
        drawn = await pairings(sqlite_url)
        santa = world.members[0]
        giftee = next(m for m in world.members if m.id == drawn[santa.id])
        bystander = next(m for m in world.members if m not in (santa, giftee))

        # The santa asks; the giftee gets it "from your Secret Santa".
        question = QUESTION.format(other=bystander.id)
        sent = await world.run(santa, "message", options={"to": "giftee", "text": question})
        assert sent.ephemeral
        assert "Delivered to your giftee" in sent.content
        [asked] = anonymous_dms(sb, giftee)
        assert asked.content.startswith(messages.FROM_SANTA + "\n>>> What is your size?")
        assert_anonymous(world, asked, santa)

        # The giftee presses Reply; the form opens; their answer reaches the santa.
        pressed = await sb.click(None, giftee.id, asked.id, asked.custom_ids[0])
        form = await pressed.modal()
        assert form["title"] == "Reply to your Secret Santa"
        assert str(santa.id) not in json.dumps(form)
        [text_input] = [c for row in form["components"] for c in row["components"]]
        assert (text_input["max_length"], text_input["min_length"]) == (1500, 1)
        answer = ANSWER.format(role=world.participant_role.id)
        submitted = await sb.submit_modal(giftee.id, pressed, {text_input["custom_id"]: answer})
        confirmation = await submitted.response()
        assert confirmation.ephemeral
        assert "Delivered to your Secret Santa" in confirmation.content
        [answered] = anonymous_dms(sb, santa)
        assert answered.content.startswith(messages.FROM_GIFTEE + "\n>>> Medium, thanks!")
        assert_anonymous(world, answered, giftee)

        # Someone else pressing the giftee's Reply (had they seen it) learns nothing.
        stranger = await sb.click(None, bystander.id, asked.id, asked.custom_ids[0])
        refused = await stranger.response()
        assert refused.ephemeral
        assert "not available to you" in refused.content
        assert stranger.record.modal is None

        # The santa replies to the reply: it reaches the giftee the same way.
        pressed_back = await sb.click(None, santa.id, answered.id, answered.custom_ids[0])
        form_back = await pressed_back.modal()
        assert form_back["title"] == "Reply to your giftee"
        again = await sb.submit_modal(santa.id, pressed_back, {"text": "Noted 🎁"})
        assert "Delivered to your giftee" in (await again.response()).content
        latest = anonymous_dms(sb, giftee)[-1]
        assert latest.content.startswith(messages.FROM_SANTA + "\n>>> Noted 🎁")
        assert_anonymous(world, latest, santa)

        # Closed DMs: the santa learns only that it was not delivered.
        sb.close_dms(giftee.id)
        closed = await world.run(santa, "message", options={"to": "giftee", "text": CLOSED_TEXT})
        assert "Not delivered" in closed.content
        assert "doesn't accept direct messages" in closed.content
        assert giftee.name not in closed.content
        notice = await sb.wait_for_message(
            santa.id, lambda m: "could not be delivered" in m.content
        )
        assert str(giftee.id) not in notice.content
        assert giftee.name not in notice.content.lower()
        assert len(anonymous_dms(sb, giftee)) == 2

        # The database keeps who wrote to whom and when, never a text.
        outbox = [r for r in await rows(sqlite_url, "ratmas_outbox") if r["kind"] == "message"]
        assert [(r["state"], r["content"]) for r in outbox] == [
            ("delivered", ""),
            ("delivered", ""),
            ("delivered", ""),
            ("closed", ""),
        ]
        records = await rows(sqlite_url, "ratmas_message")
        assert [(r["sender_id"], r["direction"]) for r in records] == [
            (santa.id, "giftee"),
            (giftee.id, "santa"),
            (santa.id, "giftee"),
            (santa.id, "giftee"),
        ]
        assert all(
            set(r)
            == {"id", "event_id", "sender_id", "addressee_id", "direction", "outbox_id", "sent_at"}
            for r in records
        )

    # Nor does any log line of ours, at DEBUG.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("ratmas"))
    for text in ("What is your size", "Medium, thanks", "Noted", CLOSED_TEXT):
        assert text not in logged
