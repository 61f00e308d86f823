"""Resuming after an interruption: a crash mid-DMs or before the draw was stored, a
failed or refused announcement, a process that died after its claim; and what is
never retried on every tick (closed DMs, refused posts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ratmas.domain.status import EventStatus, Phase
from ratmas.services.resumption import DEFAULT_RESUME_AFTER
from tests.services.world import (
    CHANNEL,
    DEADLINE,
    REVEAL,
    START,
    TICK,
    CrashingRepository,
    World,
)


@pytest.fixture
def world() -> World:
    return World()


# --- resume after an interruption --------------------------------------------------------


async def test_a_crash_mid_dms_sends_the_rest_on_the_next_reconcile() -> None:
    world = World(max_concurrent_dms=1)  # one DM at a time: the crash stops after two
    event = await world.event()
    world.discord.crash_at = 3
    world.at(START)
    report = await world.engine.reconcile()
    assert report.failed == [event.id]
    assert world.told() == [1, 2]
    assert (await world.get(event.id)).announced_status is None
    # Still active with untried DMs: the purchase deadline job waits its turn.
    assert f"ratmas:{event.id}:purchase_deadline" in world.scheduler.ids()

    world.clock.advance(TICK)
    report = await world.engine.reconcile()
    assert report.resumed == [event.id]
    assert world.told() == [1, 2, 3, 4]
    assert await world.announcements(event.id) == [EventStatus.ACTIVE]
    assert world.received() == await world.told_once_each(event.id)  # stored once

    world.clock.advance(TICK)
    before = world.activity()
    await world.engine.reconcile()
    assert world.activity() == before


async def test_a_resume_sends_untried_dms_but_does_not_retry_closed_ones() -> None:
    world = World(max_concurrent_dms=1)
    world.discord.closed_dms = {1}
    event = await world.event()
    world.discord.crash_at = 3  # santa 1 refused, santa 2 told, a crash at santa 3
    world.at(START)
    assert (await world.engine.reconcile()).failed == [event.id]
    world.clock.advance(TICK)
    assert (await world.engine.reconcile()).resumed == [event.id]
    assert world.told() == [2, 3, 4]
    assert world.discord.attempted.count(1) == 1


async def test_another_process_takes_over_a_blast_only_once_it_shows_no_progress() -> None:
    """A process that died mid-blast: its DMs were the heartbeat; a restarted process
    leaves the work alone while they are recent and finishes it once they stop."""
    world = World(max_concurrent_dms=1)
    event = await world.event()
    world.discord.crash_at = 3
    world.at(START)
    await world.engine.reconcile()  # dies after two DMs, at START
    assert world.told() == [1, 2]
    restarted = world.sharing()
    # The dying process still got one more DM out, a minute and a half after the start.
    last_dm = START + timedelta(seconds=90)
    assert await world.repo.mark_notified(event.id, 3, last_dm)
    world.at(START + DEFAULT_RESUME_AFTER)
    assert (await restarted.engine.reconcile()).resumed == []
    world.at(last_dm + DEFAULT_RESUME_AFTER)
    assert (await restarted.engine.reconcile()).resumed == [event.id]
    assert world.told() == [1, 2, 4]  # 3 was told before it died


async def test_a_crash_before_the_draw_was_stored_draws_again() -> None:
    repo = CrashingRepository()
    world = World(repo)
    event = await world.event()
    repo.crash_next_store = True
    world.at(START)
    await world.engine.reconcile()
    assert await world.repo.list_pairings(event.id) == []
    await world.engine.reconcile()
    assert len(await world.repo.list_pairings(event.id)) == 4
    assert len(world.told()) == 4
    assert world.received() == await world.told_once_each(event.id)
    assert await world.announcements(event.id) == [EventStatus.ACTIVE]


async def test_a_failed_announcement_is_posted_on_the_next_reconcile(world: World) -> None:
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    world.discord.crash_post_at = world.discord.post_attempts + 1  # the next post
    world.at(REVEAL + timedelta(minutes=5))
    report = await world.engine.reconcile()
    # The post failed: the claim is given back, and the reveal waits for the deadline's
    # announcement.
    assert report.performed == [(event.id, Phase.PURCHASE_DEADLINE)]
    closed = await world.get(event.id)
    assert closed.status is EventStatus.PURCHASE_CLOSED
    assert closed.announced_status is EventStatus.ACTIVE
    report = await world.engine.reconcile()
    assert report.resumed == [event.id]
    assert report.performed == [(event.id, Phase.REVEAL)]
    assert await world.announcements(event.id) == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]


async def test_untried_dms_after_the_deadline_are_sent_by_a_later_reconcile(
    world: World,
) -> None:
    """A splice after the purchase deadline whose DM was stopped by a slow-down."""
    event = await world.event()
    world.at(DEADLINE + timedelta(minutes=1))
    await world.engine.reconcile()
    assert (await world.get(event.id)).status is EventStatus.PURCHASE_CLOSED
    before = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    # The loop turned round: every santa whose recipient changed is new and untried.
    reversed_loop = {recipient: santa for santa, recipient in before.items()}
    await world.repo.replace_pairings(event.id, reversed_loop, keep_notified=True)
    untried = [p.santa_id for p in await world.repo.pending_pairings(event.id)]
    assert untried
    world.at(DEADLINE + timedelta(minutes=1) + timedelta(minutes=10))
    report = await world.engine.reconcile()
    assert report.resumed == [event.id]
    assert await world.repo.pending_pairings(event.id) == []
    assert sorted(world.told()[-len(untried) :]) == sorted(untried)


async def test_a_refused_announcement_tells_the_admins_and_the_season_goes_on(
    world: World,
) -> None:
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    world.discord.unknown_channels = {CHANNEL}  # the channel was deleted
    world.at(REVEAL + timedelta(minutes=5))
    report = await world.engine.reconcile()
    assert report.performed == [
        (event.id, Phase.PURCHASE_DEADLINE),
        (event.id, Phase.REVEAL),
    ]
    told = world.admin_dms()
    assert len(told) == 2
    assert all("could not be posted" in text and "Unknown Channel" in text for text in told)
    # Not retried on every tick.
    world.clock.advance(TICK)
    before = world.activity()
    await world.engine.reconcile()
    assert world.activity() == before


async def test_a_phase_interrupted_before_its_announcement_is_claimed_resumes() -> None:
    world = World()
    world.members(1, 2, 3, 4, 5)
    world.discord.closed_dms = {5}  # someone to remind at the deadline
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    # As if a process died right after its compare-and-set won the deadline.
    world.at(DEADLINE)
    assert await world.repo.set_status(
        event.id, EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED, now=DEADLINE
    )
    restarted = world.sharing()
    # The winner may still be at work: not resumed at once...
    assert (await restarted.engine.reconcile()).resumed == []
    assert world.reminded() == []
    # ...but once the event has not moved for a while, it is.
    world.clock.advance(DEFAULT_RESUME_AFTER)
    assert (await restarted.engine.reconcile()).resumed == [event.id]
    assert (await world.announcements(event.id))[-1] is EventStatus.PURCHASE_CLOSED
    assert world.reminded() == [(5,)]


async def test_closed_dms_are_not_hammered_on_every_tick(world: World) -> None:
    world.discord.closed_dms = {3}
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    before = world.activity()
    for _ in range(10):
        world.clock.advance(TICK)
        await world.engine.reconcile()
    assert world.discord.attempted.count(3) == 1  # the santas were DMed once
    assert world.activity() == before
    status = await world.status.status(event.id)
    assert (status.delivery.notified, status.delivery.failed, status.delivery.untried) == (3, 1, 0)
