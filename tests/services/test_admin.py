"""The admins' overrides (create, reschedule, advance, cancel, redraw, retry the DMs,
archive) and the status queries, over the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ratmas.domain.errors import EventAlreadyLive, InvalidInput, InvalidTransition, NotFound
from ratmas.domain.pairing import check_draw
from ratmas.domain.status import EventStatus, Phase
from ratmas.services.errors import NothingToRetry, PhaseInProgress, RedrawRefused
from tests.services.world import (
    ADMIN,
    CHANNEL,
    GUILD,
    NOW,
    OTHER_GUILD,
    REVEAL,
    START,
    World,
    people,
)


@pytest.fixture
def world() -> World:
    return World()


# --- create ------------------------------------------------------------------------------


async def test_a_creation_post_that_cannot_be_made_is_reported_to_the_admin(
    world: World,
) -> None:
    world.discord.unknown_channels = {CHANNEL}
    result = await world.admin.create_event(
        GUILD,
        ADMIN,
        "2026-12-01 18:00",
        "2026-12-20 18:00",
        "2026-12-24 18:00",
        "UTC",
        announcement_channel_id=CHANNEL,
    )
    assert result.event.status is EventStatus.SCHEDULED
    assert result.warning is not None
    assert "Unknown Channel" in result.warning
    assert "/ratmas join" in result.warning


async def test_create_event_parses_local_times_and_schedules_jobs(world: World) -> None:
    result = await world.admin.create_event(
        GUILD,
        ADMIN,
        "2026-12-01 18:00",
        "2026-12-20 18:00",
        "2026-12-24 18:00",
        "America/New_York",
        announcement_channel_id=5,
    )
    event = result.event
    assert event.dates.starts_at == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert event.created_by == ADMIN
    # The three phases, and the reminders of the defaults (2 and 3 days before).
    assert [j.split(":")[2] for j in world.scheduler.ids()] == [
        "purchase_deadline",
        "remind_gift",
        "remind_wishlist",
        "reveal",
        "start",
    ]
    audit = await world.repo.list_audit(event.id)
    assert [(a.actor_id, a.action) for a in audit] == [(ADMIN, "create")]
    # The creation is announced once (the post with the Join button).
    assert await world.announcements(event.id) == [EventStatus.SCHEDULED]
    assert [m.join_buttons_event_id for m in world.discord.posted(5)] == [event.id]
    assert event.announced_status is EventStatus.SCHEDULED
    with pytest.raises(EventAlreadyLive):
        await world.admin.create_event(
            GUILD, ADMIN, "2026-12-01 18:00", "2026-12-20 18:00", "2026-12-24 18:00", "UTC"
        )


async def test_create_event_refuses_bad_dates(world: World) -> None:
    with pytest.raises(InvalidInput, match="purchase_deadline: must be after the start"):
        await world.admin.create_event(
            GUILD, ADMIN, "2026-12-01 18:00", "2026-11-30 18:00", "2026-12-24 18:00", "UTC"
        )
    with pytest.raises(InvalidInput, match="Europe/London"):
        await world.admin.create_event(
            GUILD, ADMIN, "2026-12-01 18:00", "2026-12-20 18:00", "2026-12-24 18:00", "london"
        )


async def test_create_event_archives_a_revealed_event_first(world: World) -> None:
    old = await world.event()
    world.at(REVEAL)
    await world.engine.reconcile()
    result = await world.admin.create_event(
        GUILD, ADMIN, "2026-12-20 18:00", "2026-12-22 18:00", "2026-12-24 18:00", "UTC"
    )
    assert (await world.get(old.id)).status is EventStatus.ARCHIVED
    assert result.event.status is EventStatus.SCHEDULED
    assert (await world.repo.list_audit(old.id))[-1].action == "archive"


# --- reschedule and advance ----------------------------------------------------------------


async def test_reschedule_keeps_performed_dates_and_replaces_jobs(world: World) -> None:
    event = await world.event()
    world.at(START + timedelta(hours=1))
    await world.engine.reconcile()
    with pytest.raises(InvalidInput, match="starts_at: the start has already happened"):
        await world.admin.reschedule(event.id, ADMIN, starts_at="2026-12-01 10:00")
    with pytest.raises(InvalidInput, match=r"purchase_deadline: .* is in the past"):
        await world.admin.reschedule(event.id, ADMIN, purchase_deadline="2026-11-21 10:00")
    with pytest.raises(InvalidInput, match="reveal_at: must be after the purchase deadline"):
        await world.admin.reschedule(event.id, ADMIN, reveal_at="2026-11-29 10:00")
    with pytest.raises(InvalidInput, match="at least one new date"):
        await world.admin.reschedule(event.id, ADMIN)
    result = await world.admin.reschedule(
        event.id, ADMIN, purchase_deadline="2026-12-05 18:00", reveal_at="2026-12-06 18:00"
    )
    assert result.event.dates.starts_at == START
    deadline = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert world.scheduler.live[f"ratmas:{event.id}:purchase_deadline"].run_time == deadline
    assert "from start 2026-11-21 12:00 GMT" in result.detail
    assert (await world.repo.list_audit(event.id))[-1].actor_id == ADMIN


async def test_reschedule_refuses_a_final_event(world: World) -> None:
    event = await world.event()
    await world.admin.cancel(event.id, ADMIN, "not this year")
    with pytest.raises(InvalidTransition, match="cancelled, which is final"):
        await world.admin.reschedule(event.id, ADMIN, reveal_at="2026-12-24 18:00")


async def test_advance_walks_every_phase_then_archives(world: World) -> None:
    event = await world.event()
    statuses = []
    for _ in range(4):
        statuses.append((await world.admin.advance(event.id, ADMIN)).event.status)
    assert statuses == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
        EventStatus.ARCHIVED,
    ]
    with pytest.raises(InvalidTransition, match="archived, which is final"):
        await world.admin.advance(event.id, ADMIN)
    audit = await world.repo.list_audit(event.id)
    assert [(a.actor_id, a.action) for a in audit] == [(ADMIN, "advance")] * 4
    assert "performed the start now (it was due 2026-11-21 12:00 GMT" in audit[0].detail
    assert world.scheduler.ids() == []
    # The dated jobs do nothing once the phases were performed early.
    world.at(REVEAL)
    assert (await world.engine.reconcile(event_id=event.id)).performed == []


async def test_advance_waits_for_an_unfinished_phase(world: World) -> None:
    event = await world.event()
    await world.repo.sync_participants(event.id, people(1, 2, 3), now=NOW)
    assert await world.repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    with pytest.raises(PhaseInProgress, match="the draw is not stored"):
        await world.admin.advance(event.id, ADMIN)


# --- cancel, redraw, retry, archive ----------------------------------------------------------


async def test_cancel_needs_a_reason_announces_and_removes_jobs(world: World) -> None:
    event = await world.event()
    await world.engine.reconcile()
    assert world.scheduler.ids() != []
    with pytest.raises(InvalidInput, match="reason"):
        await world.admin.cancel(event.id, ADMIN, "   ")
    result = await world.admin.cancel(event.id, ADMIN, "  the server is moving  ")
    assert result.event.status is EventStatus.CANCELLED
    assert result.event.cancel_reason == "the server is moving"
    assert await world.announcements(event.id) == [EventStatus.CANCELLED]
    assert world.scheduler.ids() == []
    audit = (await world.repo.list_audit(event.id))[-1]
    assert (audit.actor_id, audit.action) == (ADMIN, "cancel")
    assert "cancelled while scheduled: the server is moving" in audit.detail
    with pytest.raises(InvalidTransition, match="cancelled, which is final"):
        await world.admin.cancel(event.id, ADMIN, "again")
    world.at(REVEAL)
    assert (await world.engine.reconcile()).performed == []


async def test_redraw_rules(world: World) -> None:
    event = await world.event()
    with pytest.raises(InvalidTransition, match="only be redrawn while the Ratmas is active"):
        await world.admin.redraw(event.id, ADMIN)
    world.at(START)
    await world.engine.reconcile()
    with pytest.raises(RedrawRefused, match="4 santa"):
        await world.admin.redraw(event.id, ADMIN)
    result = await world.admin.redraw(event.id, ADMIN, force=True)
    pairs = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    check_draw(pairs, {1, 2, 3, 4})
    # The new draw is the one stored: each santa's latest DM names their new recipient.
    latest = {santa: dms[-1] for santa, dms in world.received().items()}
    assert latest == await world.stored_assignments(event.id)
    assert result.report is not None
    assert sorted(result.report.sent) == [1, 2, 3, 4]
    assert len(world.told()) == 8  # everyone was DMed again
    assert result.detail.startswith("forced redraw of 4 participants (4 had been told)")
    assert (await world.repo.list_audit(event.id))[-1].action == "redraw"


async def test_redraw_before_anyone_was_told_needs_no_force(world: World) -> None:
    world.discord.closed_dms = {1, 2, 3, 4}
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    world.discord.closed_dms = set()
    result = await world.admin.redraw(event.id, ADMIN)
    assert result.detail.startswith("redraw of 4 participants;")


async def test_retry_dms_sends_pending_ones_only_and_retries_failures(world: World) -> None:
    world.discord.closed_dms = {2}
    event = await world.event()
    with pytest.raises(InvalidTransition, match="between the start and the reveal"):
        await world.admin.retry_dms(event.id, ADMIN)
    world.at(START)
    await world.engine.reconcile()
    world.discord.closed_dms = set()
    result = await world.admin.retry_dms(event.id, ADMIN)
    assert result.report is not None
    assert result.report.sent == (2,)
    assert sorted(world.told()) == [1, 2, 3, 4]
    assert "retried 1 pending DM(s): sent 1" in result.detail
    with pytest.raises(NothingToRetry):
        await world.admin.retry_dms(event.id, ADMIN)


async def test_archive_only_after_the_reveal(world: World) -> None:
    event = await world.event()
    with pytest.raises(InvalidTransition, match="Cannot archive now: the event is scheduled"):
        await world.admin.archive(event.id, ADMIN)
    world.at(REVEAL)
    await world.engine.reconcile()
    result = await world.admin.archive(event.id, ADMIN)
    assert result.event.status is EventStatus.ARCHIVED


# --- status queries --------------------------------------------------------------------------


async def test_status_shows_pending_phases_and_the_last_overrides(world: World) -> None:
    event = await world.event()
    await world.admin.reschedule(event.id, ADMIN, reveal_at="2026-12-11 18:00")
    world.at(START)
    await world.engine.reconcile()
    status = await world.status.status(event.id)
    assert [p.phase for p in status.pending] == [Phase.PURCHASE_DEADLINE, Phase.REVEAL]
    assert [(o.actor_id, o.action) for o in status.overrides] == [(ADMIN, "reschedule")]
    assert status.participants == 4
    assert status.delivery.notified == 4
    assert status.delivery.pending == 0
    with pytest.raises(NotFound):
        await world.status.status(guild_id=OTHER_GUILD)
    with pytest.raises(NotFound):
        await world.status.status(999)


async def test_find_event_stays_inside_the_guild(world: World) -> None:
    with pytest.raises(NotFound, match="no Ratmas yet"):
        await world.status.find_event(GUILD, latest=True)
    event = await world.event()
    assert (await world.status.find_event(GUILD)).id == event.id
    assert (await world.status.find_event(GUILD, event.id)).id == event.id
    with pytest.raises(NotFound, match=f"no event {event.id}"):
        await world.status.find_event(GUILD + 1, event.id)
    await world.admin.cancel(event.id, ADMIN, "testing")
    with pytest.raises(NotFound, match="no Ratmas in progress"):
        await world.status.find_event(GUILD)
    assert (await world.status.find_event(GUILD, latest=True)).id == event.id
    assert [e.id for e in await world.status.events(GUILD)] == [event.id]
    with pytest.raises(NotFound):
        await world.status.status(event.id, guild_id=GUILD + 1)
