"""Gift tracking against the real app: the buttons on the DMs and `/ratmas gift`, the
other side's DMs as Discord receives them (never naming the santa), and what managers
see."""

from __future__ import annotations

import re

from ratmas.sandbox import Message
from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    never_pings_everyone_or_roles,
    recipient_of,
    running,
    settings_for,
)

pytestmark = E2E

SENT_ID = "ratmas:gift_sent"
RECEIVED_ID = "ratmas:gift_received"
ON_ITS_WAY = re.compile(
    r"🎁 \*\*Ratmas\*\*: your Secret Santa says your gift is on its way!\n"
    r"When it arrives, press \*\*Gift received\*\* below\.\n-# ref ratmas-\d+"
)


def on_its_way(message: Message) -> bool:
    return "your gift is on its way" in message.content


def thanked(message: Message) -> bool:
    return "received your gift" in message.content


async def press_in_dm(world: World, user_id: int, message: Message, custom_id: str) -> Message:
    """A member presses a button under a DM (no guild in the interaction)."""
    handle = await world.sb.click(None, user_id, message.id, custom_id)
    return await handle.response(10.0)


async def test_gifts_are_marked_by_button_and_command_and_the_santa_stays_secret(
    world: World, sqlite_url: str
) -> None:
    sb, manager = world.sb, world.manager
    async with running(settings_for(sb, sqlite_url), sb):
        await world.admin(
            manager, "setup", options={"channel": world.channel.id, "timezone": "UTC"}
        )
        dates = dates_from_now(world.clock, start=4, purchase_deadline=3600, reveal=7200)
        await world.admin(manager, "create", options=dates.options())
        for member in world.members:
            await world.run(member, "join")
        early = await world.run(world.members[0], "gift", "sent")
        assert early.ephemeral
        assert "open for sign-ups" in early.content

        world.clock.fast_forward(dates.start)
        assignments = {
            m.id: await sb.wait_for_message(m.id, assignment_dm, timeout=30) for m in world.members
        }
        drawn = {s: recipient_of(dm, world.members).id for s, dm in assignments.items()}
        santa_of = {r: s for s, r in drawn.items()}
        ann = world.members[0]

        # ann presses Gift sent under her assignment DM; her giftee is told, not by whom.
        assert assignments[ann.id].custom_ids == [SENT_ID]
        marked = await press_in_dm(world, ann.id, assignments[ann.id], SENT_ID)
        assert marked.ephemeral
        assert "Marked sent" in marked.content
        giftee = drawn[ann.id]
        told = await sb.wait_for_message(giftee, on_its_way)
        again = await press_in_dm(world, ann.id, assignments[ann.id], SENT_ID)
        assert "already marked" in again.content
        assert len([m for m in sb.messages(giftee) if on_its_way(m)]) == 1

        # The giftee presses Gift received under that DM: ann learns it arrived.
        assert told.custom_ids == [RECEIVED_ID]
        got = await press_in_dm(world, giftee, told, RECEIVED_ID)
        assert "Marked received" in got.content
        thanks = await sb.wait_for_message(ann.id, thanked)
        assert f"<@{giftee}>" in thanks.content
        # A button under someone else's DM marks nothing.
        stranger = next(m.id for m in world.members if m.id not in (ann.id, giftee))
        foreign = await press_in_dm(world, stranger, told, RECEIVED_ID)
        assert "cannot tell which Ratmas" in foreign.content

        # By command: bob (not ann's giftee) says his gift arrived although his santa
        # never marked it sent, and cat (neither ann nor bob) marks hers sent.
        bob = next(m for m in world.members if m.id not in (ann.id, giftee))
        cat = next(m for m in world.members if m.id not in (ann.id, bob.id))
        reply = await world.run(bob, "gift", "received")
        assert "Marked received" in reply.content
        await sb.wait_for_message(santa_of[bob.id], thanked)
        reply = await world.run(cat, "gift", "sent")
        assert "Marked sent" in reply.content
        await sb.wait_for_message(drawn[cat.id], on_its_way)
        lurking = await world.run(world.outsider, "gift", "sent")
        assert "not a santa" in lurking.content

        # Managers see counts and who has not marked sent; members see neither.
        sent = {ann.id, cat.id}
        received = {giftee, bob.id}
        neither = {s for s in drawn if s not in sent and drawn[s] not in received}
        status = await world.run(manager, "status")
        assert (
            f"Gifts: 2 marked sent, 2 marked received, {len(neither)} with neither (of 6)"
            in status.content
        )
        assert "Gifts:" not in (await world.run(bob, "status")).content
        roster = await world.admin(manager, "participants")
        line = next(x for x in roster.content.splitlines() if "not marked sent" in x)
        assert line.startswith("Gift not marked sent yet (4 of 6): ")
        assert {int(i) for i in re.findall(r"<@(\d+)>", line)} == set(drawn) - sent
        assert "→" not in roster.content

    # Every DM that tells a giftee about their gift is the fixed text: no santa in it,
    # no embed, no ping, and its button's custom id names nobody.
    for member in world.members:
        for message in sb.messages(member.id):
            assert set(message.custom_ids) <= {SENT_ID, RECEIVED_ID}
            if on_its_way(message):
                assert ON_ITS_WAY.fullmatch(message.content)
                assert message.embeds == []
                assert message.mentioned_user_ids() == []
                assert never_pings_everyone_or_roles(message)
                santa = santa_of[member.id]
                assert str(santa) not in message.text
                assert world.name_of(santa) not in message.text
