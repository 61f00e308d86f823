"""An event's budget and a participant's notes for their santa, over the real services:
where each is shown, who is told of a change, and that neither can ping anyone or
reach the log."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from ratmas.domain.errors import InvalidInput, InvalidTransition, NotFound
from ratmas.domain.model import Event, OutboxKind, OutboxState
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from tests.services.world import (
    ADMIN,
    CHANNEL,
    GUILD,
    REVEAL,
    ROLE,
    START,
    World,
    is_santa_dm,
)

NOTES = "size M, no nuts — leave it with the neighbour @everyone"
SHOWN_NOTES = messages.safe_text(NOTES, 500)


@pytest.fixture
def world() -> World:
    return World()


async def create(world: World, budget: str | None = "  €20–30  ") -> Event:
    result = await world.admin.create_event(
        GUILD,
        ADMIN,
        "2026-11-21 12:00",
        "2026-11-30 12:00",
        "2026-12-10 12:00",
        "UTC",
        announcement_channel_id=CHANNEL,
        participant_role_id=ROLE,
        budget=budget,
    )
    return result.event


async def drawn(world: World) -> tuple[Event, dict[int, int]]:
    """An event of members 1-4, drawn and every santa told; santa -> recipient."""
    event = await create(world)
    world.at(START)
    await world.engine.reconcile()
    draw = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    assert sorted(world.told()) == [1, 2, 3, 4]
    return await world.get(event.id), draw


def santa_of(draw: dict[int, int], giftee: int) -> int:
    return next(s for s, r in draw.items() if r == giftee)


def dms_of_kind(world: World, kind: str) -> list[tuple[int, str]]:
    return [(t, m.content) for t, m in world.discord.dms if kind in m.content]


# --- budget ------------------------------------------------------------------------------


async def test_the_budget_is_in_the_creation_post_the_audit_and_every_assignment_dm(
    world: World,
) -> None:
    event = await create(world)
    assert event.budget == "€20–30"
    (post,) = world.discord.posted(CHANNEL)
    assert "💶 Budget: €20–30" in post.content
    assert post == messages.creation_announcement(event)
    (entry,) = await world.repo.list_audit(event.id)
    assert entry.detail.endswith("; budget €20–30")
    world.at(START)
    await world.engine.reconcile()
    dms = world.received()
    assert sorted(dms) == [1, 2, 3, 4]
    assert all("💶 Budget: €20–30" in m[0].content for m in dms.values())


async def test_no_budget_means_no_budget_line(world: World) -> None:
    event = await create(world, budget="   ")
    assert event.budget is None
    assert "Budget" not in world.discord.posted(CHANNEL)[0].content


@pytest.mark.parametrize("budget", ["€20\n30", "x" * 101, "\u202e03–02€"])
async def test_a_bad_budget_creates_nothing(world: World, budget: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        await create(world, budget=budget)
    assert raised.value.field == "budget"
    assert "at most 100 characters" in raised.value.problem
    assert await world.repo.list_events(GUILD) == []
    assert world.discord.posts == []


async def test_a_budget_cannot_ping_or_reshape_the_post(world: World) -> None:
    event = await create(world, budget="@everyone <@&5> **€50**")
    post = world.discord.posted(CHANNEL)[0]
    assert post.mention_user_ids == ()
    assert "@everyone" not in post.content
    assert "<@&5>" not in post.content
    assert "\\*\\*€50\\*\\*" in post.content
    assert event.budget == "@everyone <@&5> **€50**"


async def test_managers_change_the_budget_and_the_channel_is_told(world: World) -> None:
    event = await create(world)
    result = await world.admin.set_budget(event.id, ADMIN, "up to £15")
    assert result.event.budget == "up to £15"
    assert result.detail == "budget from €20–30 to up to £15"
    assert world.discord.posted(CHANNEL)[-1] == messages.budget_changed_announcement(result.event)
    assert (await world.repo.list_audit(event.id))[-1].action == "budget"
    # The same budget again changes nothing and posts nothing.
    posts = len(world.discord.posts)
    again = await world.admin.set_budget(event.id, ADMIN, " up to £15 ")
    assert "already" in again.detail
    assert len(world.discord.posts) == posts
    cleared = await world.admin.set_budget(event.id, ADMIN, None)
    assert cleared.event.budget is None
    assert "no longer has a set budget" in world.discord.posted(CHANNEL)[-1].content
    with pytest.raises(InvalidInput, match="budget: at most 100"):
        await world.admin.set_budget(event.id, ADMIN, "€" * 101)
    assert (await world.get(event.id)).budget is None
    # Santas told after a change get the new budget in their assignment DM.
    await world.admin.set_budget(event.id, ADMIN, "€5")
    world.at(START)
    await world.engine.reconcile()
    assert all("💶 Budget: €5" in m[0].content for m in world.received().values())


async def test_the_budget_is_frozen_once_revealed(world: World) -> None:
    event, _ = await drawn(world)
    world.at(REVEAL)
    await world.engine.reconcile()
    with pytest.raises(InvalidTransition, match="revealed"):
        await world.admin.set_budget(event.id, ADMIN, "€5")
    assert (await world.get(event.id)).budget == "€20–30"


# --- notes -------------------------------------------------------------------------------


async def test_notes_before_the_draw_reach_only_the_santa_in_the_assignment_dm(
    world: World,
) -> None:
    event = await create(world)
    await world.services.participants.join(GUILD, 2, "Bea")
    result = await world.services.participants.set_notes(GUILD, 2, f"  {NOTES}  ")
    assert result.participant.notes == NOTES
    assert not result.santa_told
    assert world.discord.dms == []
    world.at(START)
    await world.engine.reconcile()
    draw = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    santa = santa_of(draw, 2)
    for target, received in world.received().items():
        (dm,) = received
        assert ("📝 Their notes for you: " + SHOWN_NOTES in dm.content) is (target == santa)
        assert dm.mention_user_ids == ()
        assert "💶 Budget: €20–30" in dm.content
    # Only the santa's view of the event carries them, as the giftee's own.
    santa_view = await world.services.participants.member_view(event.id, santa)
    assert santa_view.recipient is not None
    assert santa_view.recipient.notes == NOTES
    giftee_view = await world.services.participants.member_view(event.id, 2)
    assert giftee_view.participant is not None
    assert giftee_view.participant.notes == NOTES
    assert giftee_view.recipient is not None
    assert giftee_view.recipient.user_id == draw[2]


async def test_a_change_after_the_draw_is_dmed_to_the_santa_alone(world: World) -> None:
    event, draw = await drawn(world)
    santa = santa_of(draw, 3)
    before = len(world.discord.dms)
    result = await world.services.participants.set_notes(GUILD, 3, "ring size 7")
    assert result.santa_told
    (told,) = world.discord.dms[before:]
    assert told[0] == santa
    assert told[1] == messages.notes_changed_dm(replace(result.participant, notes="ring size 7"))
    assert "updated their notes for you" in told[1].content
    assert "ring size 7" in told[1].content
    assert told[1].mention_user_ids == ()
    assert not is_santa_dm(told[1])
    # Clearing them tells the santa too, without the old text.
    cleared = await world.services.participants.set_notes(GUILD, 3, None)
    assert cleared.participant.notes is None
    assert cleared.santa_told
    last = world.discord.dms[-1]
    assert last[0] == santa
    assert "removed their notes" in last[1].content
    assert "ring size 7" not in last[1].content
    notes_dms = await world.repo.list_outbox(event.id, user_id=santa)
    assert [e.kind for e in notes_dms].count(OutboxKind.NOTES) == 2


async def test_only_the_newest_change_is_sent_when_several_wait(world: World) -> None:
    event, draw = await drawn(world)
    santa = santa_of(draw, 4)
    world.discord.slow_down_after = len(world.discord.dms)  # Discord: slow down
    first = await world.services.participants.set_notes(GUILD, 4, "first")
    second = await world.services.participants.set_notes(GUILD, 4, "second")
    wish = await world.services.participants.set_wishlist(GUILD, 4, "https://example.com/4")
    assert [first.santa_told, second.santa_told, wish.santa_told] == [False] * 3
    waiting = await world.repo.list_outbox(event.id, user_id=santa)
    kinds = [(e.kind, e.state) for e in waiting if e.kind is not OutboxKind.ASSIGNMENT]
    assert kinds == [
        (OutboxKind.NOTES, OutboxState.SUPERSEDED),
        (OutboxKind.NOTES, OutboxState.PENDING),
        (OutboxKind.WISHLIST, OutboxState.PENDING),
    ]
    world.discord.slow_down_after = None
    before = len(world.discord.dms)
    await world.engine.reconcile()  # the next tick sends what waits
    sent = world.discord.dms[before:]
    assert [t for t, _ in sent] == [santa, santa]
    assert "second" in sent[0][1].content
    assert "first" not in sent[0][1].content
    assert "https://example.com/4" in sent[1][1].content


async def test_a_santa_still_waiting_gets_the_notes_in_their_assignment(world: World) -> None:
    event = await create(world)
    world.discord.closed_dms = {1, 2, 3, 4}
    world.at(START)
    await world.engine.reconcile()
    draw = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    santa = santa_of(draw, 1)
    result = await world.services.participants.set_notes(GUILD, 1, "no wool")
    assert not result.santa_told
    assert not [e for e in await world.repo.list_outbox(event.id) if e.kind is OutboxKind.NOTES]
    world.discord.closed_dms = set()
    await world.services.participants.retry_own(GUILD, santa)
    (dm,) = world.received()[santa]
    assert "📝 Their notes for you: no wool" in dm.content


async def test_notes_are_refused_when_too_long_multiline_unjoined_or_revealed(
    world: World,
) -> None:
    event = await create(world)
    await world.services.participants.join(GUILD, 1, "Ann")
    for bad in ("x" * 501, "size M\nno nuts"):
        with pytest.raises(InvalidInput) as raised:
            await world.services.participants.set_notes(GUILD, 1, bad)
        assert raised.value.field == "notes"
        assert "at most 500 characters" in raised.value.problem
    assert (await world.repo.get_participant(event.id, 1)).notes is None  # type: ignore[union-attr]
    with pytest.raises(NotFound, match="not joined"):
        await world.services.participants.set_notes(GUILD, 9, "size M")
    world.at(START)
    await world.engine.reconcile()
    world.at(REVEAL)
    await world.engine.reconcile()
    with pytest.raises(InvalidTransition, match="notes are closed"):
        await world.services.participants.set_notes(GUILD, 1, "size M")


async def test_notes_never_reach_the_log(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    event = await create(world)
    await world.services.participants.join(GUILD, 1, "Ann")
    await world.services.participants.set_notes(GUILD, 1, "secret-before-draw")
    world.discord.closed_dms = {santa for santa in (1, 2, 3, 4)}
    world.at(START)
    await world.engine.reconcile()
    world.discord.closed_dms = set()
    await world.admin.retry_dms(event.id, ADMIN)
    await world.services.participants.set_notes(GUILD, 1, "secret-after-draw")
    world.discord.slow_down_after = 0
    await world.services.participants.set_notes(GUILD, 1, "secret-slowed")
    world.discord.slow_down_after = None
    await world.engine.reconcile()
    with pytest.raises(InvalidInput):
        await world.services.participants.set_notes(GUILD, 1, "secret\nrefused")
    assert any("secret\\-slowed" in m.content for _, m in world.discord.dms)
    assert caplog.records
    assert "secret" not in caplog.text
    assert all("secret" not in str(r.args) for r in caplog.records)
    assert (await world.get(event.id)).status is EventStatus.ACTIVE
