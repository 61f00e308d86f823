"""Gift tracking over the real services: marks, the other side's DMs, idempotence,
where it is refused, and what managers see (counts, never pairs)."""

from __future__ import annotations

import asyncio

import pytest

from ratmas.bot import render
from ratmas.domain.errors import InvalidTransition, NotFound
from ratmas.domain.model import GiftCounts, GiftMark, OutboxKind
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from ratmas.services.ports import Message
from tests.services.world import ADMIN, DEADLINE, GUILD, REVEAL, START, World

SENT, RECEIVED = GiftMark.SENT, GiftMark.RECEIVED


async def drawn(world: World, *ids: int) -> tuple[int, dict[int, int]]:
    """An event whose names are drawn and santas told; its id and santa -> recipient."""
    world.members(*ids)
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    pairs = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    return event.id, pairs


def on_its_way(world: World, user_id: int) -> list[Message]:
    """The "your gift is on its way" DMs a member received."""
    return [m for m in world.discord.dms_to(user_id) if m == messages.gift_on_its_way_dm()]


def thanks(world: World, user_id: int) -> list[Message]:
    """The "your giftee received your gift" DMs a member received."""
    return [m for m in world.discord.dms_to(user_id) if m.content.startswith("🎉 **Ratmas**")]


async def notice_id(world: World, event_id: int, user_id: int) -> int:
    """The outbox row of the "on its way" DM to `user_id` (what its button names)."""
    (entry,) = [
        e
        for e in await world.repo.list_outbox(event_id, user_id=user_id)
        if e.kind is OutboxKind.NOTICE and e.gift_button is RECEIVED
    ]
    return entry.id


async def test_each_side_is_told_once_and_the_giftee_never_learns_the_santa() -> None:
    world = World()
    event_id, pairs = await drawn(world, 1, 2, 3, 4)
    gifts = world.services.gifts
    # Every assignment DM carries the Gift sent button.
    assert {m.gift_button for ms in world.received().values() for m in ms} == {SENT}

    giftee = pairs[1]
    sent = await gifts.mark(GUILD, 1, SENT)
    assert (sent.event_id, sent.already, sent.other_told) == (event_id, False, True)
    (told,) = on_its_way(world, giftee)
    assert told.gift_button is RECEIVED
    assert told.mention_user_ids == ()
    assert "<@1>" not in told.content
    assert "user1" not in told.content

    # A second mark, by command or by two presses at once, tells nobody again.
    again = await asyncio.gather(gifts.mark(GUILD, 1, SENT), gifts.mark(GUILD, 1, SENT))
    assert [r.already for r in again] == [True, True]
    assert len(on_its_way(world, giftee)) == 1

    # The giftee presses Gift received under that DM: their santa is told.
    received = await gifts.mark_from_dm(giftee, await notice_id(world, event_id, giftee), RECEIVED)
    assert (received.already, received.other_told) == (False, True)
    name = f"user{giftee}"
    assert thanks(world, 1) == [messages.gift_received_dm(giftee, name)]
    assert (await gifts.mark(GUILD, giftee, RECEIVED)).already
    assert len(thanks(world, 1)) == 1

    # Received without sent: santa 2 never marked theirs, and is told all the same.
    both = await asyncio.gather(
        gifts.mark(GUILD, pairs[2], RECEIVED), gifts.mark(GUILD, pairs[2], RECEIVED)
    )
    assert sorted(r.already for r in both) == [False, True]
    assert thanks(world, 2) == [messages.gift_received_dm(pairs[2], f"user{pairs[2]}")]

    # Managers see counts; the roster names who has not marked sent, not whom they give to.
    report = await world.status.status(event_id)
    assert report.gifts == GiftCounts(pairings=4, sent=1, received=2, neither=2)
    shown = {
        manager: render.status(
            report,
            me_in=True,
            my_recipient=None,
            settings=None,
            now=world.clock.now(),
            manager=manager,
        )
        for manager in (True, False)
    }
    assert "Gifts: 1 marked sent, 2 marked received, 2 with neither (of 4)" in shown[True]
    assert "Gifts:" not in shown[False]
    roster = await world.services.roster.participants(event_id)
    assert [p.user_id for p in roster.gift_not_sent] == [2, 3, 4]
    listing = render.participants(roster)
    assert "Gift not marked sent yet (3 of 4): user2 (<@2>), user3 (<@3>), user4 (<@4>)" in listing
    assert "→" not in listing


async def test_marks_are_refused_before_the_draw_after_archiving_and_without_a_pairing() -> None:
    world = World()
    world.members(1, 2, 3, 4)
    event = await world.event()
    with pytest.raises(InvalidTransition, match="open for sign-ups"):
        await world.services.gifts.mark(GUILD, 1, SENT)
    with pytest.raises(NotFound, match="no Ratmas yet"):
        await world.services.gifts.mark(GUILD + 1, 1, SENT)

    world.at(START)
    await world.engine.reconcile()
    gifts = world.services.gifts
    with pytest.raises(NotFound, match="not a santa"):
        await gifts.mark(GUILD, 9, SENT)
    with pytest.raises(NotFound, match="no santa"):
        await gifts.mark(GUILD, 9, RECEIVED)
    # A button names its DM: it must be the presser's own, and one that shows that button.
    assignment = (await world.repo.list_outbox(event.id, user_id=1))[0]
    for user, dm_id, mark in (
        (2, assignment.id, SENT),
        (1, assignment.id, RECEIVED),
        (1, None, SENT),
    ):
        with pytest.raises(NotFound, match="which Ratmas"):
            await gifts.mark_from_dm(user, dm_id, mark)
    assert (await gifts.mark_from_dm(1, assignment.id, SENT)).other_told

    # Closed DMs on the other side: the mark stands, the DM waits for a retry.
    pairs = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    world.discord.closed_dms = {2}
    result = await gifts.mark(GUILD, pairs[2], RECEIVED)
    assert (result.already, result.other_told) == (False, False)
    assert (await world.repo.gift_counts(event.id)).received == 1

    # Still allowed once revealed; refused once archived.
    world.at(DEADLINE)
    await world.engine.reconcile()
    world.at(REVEAL)
    await world.engine.reconcile()
    assert (await world.get(event.id)).status is EventStatus.REVEALED
    assert not (await gifts.mark(GUILD, 3, SENT)).already
    await world.admin.archive(event.id, ADMIN)
    with pytest.raises(InvalidTransition, match="archived"):
        await gifts.mark(GUILD, 4, SENT)
    with pytest.raises(InvalidTransition, match="archived"):
        await gifts.mark_from_dm(1, assignment.id, SENT)


async def test_a_redraw_drops_the_marks_and_an_old_assignments_button_no_longer_counts() -> None:
    world = World()
    event_id, before = await drawn(world, 1, 2, 3, 4, 5)
    gifts = world.services.gifts
    for santa in before:
        await gifts.mark(GUILD, santa, SENT)
    assert (await world.repo.gift_counts(event_id)).sent == 5
    old = {
        e.user_id: e for e in await world.repo.list_outbox(event_id) if e.kind.value == "assignment"
    }

    await world.admin.redraw(event_id, ADMIN, force=True)
    after = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event_id)}
    assert await world.repo.gift_counts(event_id) == GiftCounts(5, 0, 0, 5)
    moved = next(s for s in after if after[s] != before[s])
    with pytest.raises(InvalidTransition, match="replaced"):
        await gifts.mark_from_dm(moved, old[moved].id, SENT)
    assert (await world.repo.gift_counts(event_id)).sent == 0
    # The new assignment DM's button counts.
    latest = [
        e
        for e in await world.repo.list_outbox(event_id, user_id=moved)
        if e.kind.value == "assignment"
    ]
    assert not (await gifts.mark_from_dm(moved, latest[-1].id, SENT)).already
