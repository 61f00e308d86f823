"""The lifecycle service: reconcile with a moved clock, resume, holds and overrides."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from ratmas.domain.errors import EventAlreadyLive, InvalidInput, InvalidTransition, NotFound
from ratmas.domain.lifecycle import TRANSITIONS, Trigger
from ratmas.domain.model import Event, EventDates, Member, NewEvent
from ratmas.domain.status import EventStatus, Phase
from ratmas.services import lifecycle as lifecycle_module
from ratmas.services.lifecycle import (
    LifecycleService,
    NothingToRetry,
    PhaseInProgress,
    RedrawRefused,
    shard_filter,
)
from tests.fakes import FixedClock, InMemoryEventRepository
from tests.services.fake_season import Crash, RecordingJobScheduler, RecordingSeason

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START = NOW + timedelta(days=1)
DEADLINE = NOW + timedelta(days=10)
REVEAL = NOW + timedelta(days=20)
GUILD = 900_000_000_000_000_001
OTHER_GUILD = 900_000_000_000_000_002
ADMIN = 600_000_000_000_000_001
TICK = timedelta(minutes=1)


def people(*ids: int) -> list[Member]:
    return [Member(i, f"user{i}") for i in ids]


class World:
    """One process: repository, clock, season, scheduler and the service over them."""

    def __init__(self, repo: InMemoryEventRepository | None = None, **kwargs: object) -> None:
        self.repo = repo or InMemoryEventRepository()
        self.clock = FixedClock(NOW)
        self.season = RecordingSeason(self.repo, self.clock, members=people(1, 2, 3, 4))
        self.scheduler = RecordingJobScheduler()
        self.service = LifecycleService(
            self.repo,
            self.season,
            self.clock,
            self.scheduler,
            min_participants=3,
            **kwargs,  # type: ignore[arg-type]
        )

    async def event(self, guild: int = GUILD, timezone: str = "Europe/London") -> Event:
        return await self.repo.create_event(
            NewEvent(
                guild_id=guild,
                dates=EventDates(START, DEADLINE, REVEAL),
                timezone=timezone,
                announcement_channel_id=800_000_000_000_000_001,
                participant_role_id=700_000_000_000_000_001,
                created_by=ADMIN,
            ),
            now=NOW,
        )

    async def get(self, event_id: int) -> Event:
        event = await self.repo.get_event(event_id)
        assert event is not None
        return event

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)


@pytest.fixture
def world() -> World:
    return World()


# --- reconcile with a moved clock -------------------------------------------------------


async def test_before_the_start_nothing_happens_and_all_three_jobs_are_scheduled(
    world: World,
) -> None:
    event = await world.event()
    report = await world.service.reconcile()
    assert report.performed == []
    assert world.season.calls == []
    assert world.scheduler.ids() == [
        f"ratmas:{event.id}:purchase_deadline",
        f"ratmas:{event.id}:reveal",
        f"ratmas:{event.id}:start",
    ]
    job = world.scheduler.live[f"ratmas:{event.id}:start"]
    assert job.run_time == START
    assert str(job.run_time.tzinfo) == "Europe/London"


async def test_each_phase_is_performed_when_the_clock_reaches_it(world: World) -> None:
    event = await world.event()
    world.at(START)
    report = await world.service.reconcile()
    assert report.performed == [(event.id, Phase.START)]
    active = await world.get(event.id)
    assert active.status is EventStatus.ACTIVE
    assert active.announced_status is EventStatus.ACTIVE
    assert len(await world.repo.list_pairings(event.id)) == 4
    assert sorted(s for _, s in world.season.dms) == [1, 2, 3, 4]
    assert world.season.announcements == [(event.id, EventStatus.ACTIVE)]
    assert world.scheduler.ids() == [
        f"ratmas:{event.id}:purchase_deadline",
        f"ratmas:{event.id}:reveal",
    ]

    world.at(DEADLINE + timedelta(seconds=1))
    assert (await world.service.reconcile()).performed == [(event.id, Phase.PURCHASE_DEADLINE)]
    assert world.season.reminders == [event.id]
    assert world.scheduler.ids() == [f"ratmas:{event.id}:reveal"]

    world.at(REVEAL)
    assert (await world.service.reconcile()).performed == [(event.id, Phase.REVEAL)]
    assert (await world.get(event.id)).status is EventStatus.REVEALED
    assert world.scheduler.ids() == []
    assert [s for _, s in world.season.announcements] == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    phases = [a.detail.split(" performed")[0] for a in await world.repo.list_audit(event.id)]
    assert phases == ["start", "purchase deadline", "reveal"]


async def test_down_across_all_three_dates_performs_all_three_once_each_in_order(
    world: World,
) -> None:
    event = await world.event()
    world.at(REVEAL + timedelta(days=2))
    report = await world.service.reconcile()
    assert report.performed == [
        (event.id, Phase.START),
        (event.id, Phase.PURCHASE_DEADLINE),
        (event.id, Phase.REVEAL),
    ]
    assert [m for m, _ in world.season.calls] == [
        "sync_participants",
        "plan_draw",
        "store_draw",
        "deliver_pending",
        "announce",
        "announce",
        "remind_undelivered",
        "announce",
    ]
    assert [s for _, s in world.season.announcements] == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    before = list(world.season.calls)
    for _ in range(3):
        world.clock.advance(TICK)
        assert (await world.service.reconcile()).performed == []
    assert world.season.calls == before
    assert world.scheduler.ids() == []


async def test_a_double_fire_in_one_process_performs_the_phase_once(world: World) -> None:
    event = await world.event()
    world.at(START)
    await asyncio.gather(
        world.service.reconcile(event_id=event.id),
        world.service.reconcile(),
        world.service.reconcile(event_id=event.id),
    )
    assert world.season.count("store_draw") == 1
    assert world.season.count("announce") == 1
    assert sorted(s for _, s in world.season.dms) == [1, 2, 3, 4]


async def test_two_reconcilers_sharing_a_database_perform_each_phase_once() -> None:
    first = World()
    second = World(first.repo)
    second.clock = first.clock
    second.season = first.season
    second.service = LifecycleService(
        first.repo, first.season, first.clock, second.scheduler, min_participants=3
    )
    event = await first.event()
    for moment in (START, DEADLINE, REVEAL + timedelta(hours=1)):
        first.at(moment)
        await asyncio.gather(first.service.reconcile(), second.service.reconcile())
    # A phase claimed by one reconciler is finished by it; the other leaves it alone.
    assert first.season.count("store_draw") == 1
    assert sorted(s for _, s in first.season.dms) == [1, 2, 3, 4]
    assert [s for _, s in first.season.announcements] == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    assert first.season.reminders == [event.id]
    assert len(await first.repo.list_audit(event.id)) == 3


async def test_only_the_guilds_of_this_process_are_reconciled() -> None:
    ours = World(guild_filter=lambda guild_id: guild_id == GUILD)
    mine = await ours.event(GUILD)
    other = await ours.event(OTHER_GUILD)
    ours.at(START)
    report = await ours.service.reconcile()
    assert report.performed == [(mine.id, Phase.START)]
    assert (await ours.get(other.id)).status is EventStatus.SCHEDULED
    assert all(job.event_id == mine.id for job in ours.scheduler.jobs())
    await ours.service.reconcile(event_id=other.id)
    assert (await ours.get(other.id)).status is EventStatus.SCHEDULED


def test_shard_filter_uses_discords_formula() -> None:
    guild = (12345 << 22) | 99  # shard of (guild >> 22) % 4 == 1
    assert shard_filter(4, (1,))(guild)
    assert not shard_filter(4, (0, 2, 3))(guild)


async def test_a_failing_event_does_not_stop_the_others(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await world.event(GUILD)
    fine = await world.event(OTHER_GUILD)
    world.season.crash = Crash("store_draw")
    world.at(START)
    report = await world.service.reconcile()
    assert report.failed == [broken.id]
    assert report.performed == [(broken.id, Phase.START), (fine.id, Phase.START)]
    assert (await world.get(broken.id)).announced_status is None  # claimed, unfinished
    assert (await world.get(fine.id)).announced_status is EventStatus.ACTIVE
    assert f"event {broken.id} (guild {GUILD}, status scheduled)" in caplog.text
    assert "scripted crash in store_draw" in caplog.text


# --- the guard: held, told once, lifted by an admin ------------------------------------


async def test_too_few_participants_holds_the_event_and_tells_admins_once(world: World) -> None:
    world.season.members = people(1, 2)
    event = await world.event()
    world.at(START)
    report = await world.service.reconcile()
    assert report.held == [event.id]
    held = await world.get(event.id)
    assert held.status is EventStatus.SCHEDULED
    assert held.held_reason is not None
    assert "needs at least 3 participants, has 2" in held.held_reason
    assert world.scheduler.ids() == []
    for _ in range(30):
        world.clock.advance(TICK)
        await world.service.reconcile()
    assert len(world.season.admin_messages) == 1
    assert "needs at least 3 participants, has 2" in world.season.admin_messages[0][1]
    assert world.season.count("sync_participants") == 1  # no retry loop
    status = await world.service.status(guild_id=GUILD)
    assert status.held_reason == held.held_reason
    assert status.pending == ()
    audit = await world.repo.list_audit(event.id)
    assert [(a.actor_id, a.action) for a in audit] == [(None, "hold")]

    # An admin reschedules: the hold is lifted, the jobs are back, the start happens.
    world.season.members = people(1, 2, 3)
    result = await world.service.reschedule(event.id, ADMIN, starts_at="2026-11-22 09:00")
    assert result.event.held_reason is None
    assert "hold lifted" in result.detail
    assert f"ratmas:{event.id}:start" in world.scheduler.ids()
    world.at(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    assert (await world.service.reconcile()).performed == [(event.id, Phase.START)]


async def test_a_reschedule_that_keeps_a_passed_start_retries_it_at_once(world: World) -> None:
    world.season.members = people(1, 2)
    event = await world.event()
    world.at(START + timedelta(hours=1))
    await world.service.reconcile()
    world.season.members = people(1, 2, 3)
    await world.service.reschedule(event.id, ADMIN, reveal_at="2026-12-11 18:00")
    assert (await world.get(event.id)).status is EventStatus.ACTIVE


async def test_a_missing_members_intent_holds_with_that_reason(world: World) -> None:
    world.season.intent_missing = True
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    held = await world.get(event.id)
    assert held.held_reason is not None
    assert "Server Members intent" in held.held_reason
    assert len(world.season.admin_messages) == 1


async def test_a_deleted_participant_role_holds_and_tells_the_admins_once(
    world: World,
) -> None:
    world.season.role_missing = True
    event = await world.event()
    world.at(START)
    for _ in range(3):
        await world.service.reconcile()
        world.clock.advance(TICK)
    held = await world.get(event.id)
    assert held.status is EventStatus.SCHEDULED
    assert held.held_reason is not None
    assert "participant role" in held.held_reason
    assert "/ratmas setup participant_role:" in held.held_reason
    assert len(world.season.admin_messages) == 1


async def test_an_impossible_draw_holds_with_its_message_before_any_claim(world: World) -> None:
    world.season.impossible = "user1 has excluded everyone else"
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    held = await world.get(event.id)
    assert held.status is EventStatus.SCHEDULED
    assert held.held_reason == "user1 has excluded everyone else"
    assert await world.repo.list_pairings(event.id) == []


async def test_advance_lifts_a_hold_once_the_guard_passes(world: World) -> None:
    world.season.members = people(1, 2)
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    with pytest.raises(InvalidTransition, match=r"needs at least 3 participants, has 2"):
        await world.service.advance(event.id, ADMIN)
    assert (await world.get(event.id)).held_reason is not None
    world.season.members = people(1, 2, 3)
    result = await world.service.advance(event.id, ADMIN)
    assert result.event.status is EventStatus.ACTIVE
    assert result.event.held_reason is None
    assert world.scheduler.ids() == [
        f"ratmas:{event.id}:purchase_deadline",
        f"ratmas:{event.id}:reveal",
    ]


# --- resume after an interruption --------------------------------------------------------


async def test_a_crash_mid_dms_sends_the_rest_on_the_next_reconcile(world: World) -> None:
    event = await world.event()
    world.season.crash = Crash("deliver_pending", after=2)
    world.at(START)
    report = await world.service.reconcile()
    assert report.failed == [event.id]
    assert [s for _, s in world.season.dms] == [1, 2]
    assert (await world.get(event.id)).announced_status is None
    # Still active with untried DMs: the purchase deadline job waits its turn.
    assert f"ratmas:{event.id}:purchase_deadline" in world.scheduler.ids()

    world.clock.advance(TICK)
    report = await world.service.reconcile()
    assert report.resumed == [event.id]
    assert [s for _, s in world.season.dms] == [1, 2, 3, 4]
    assert world.season.announcements == [(event.id, EventStatus.ACTIVE)]
    assert world.season.count("store_draw") == 1

    world.clock.advance(TICK)
    before = list(world.season.calls)
    await world.service.reconcile()
    assert world.season.calls == before


async def test_another_process_takes_over_a_blast_only_once_it_shows_no_progress() -> None:
    """A process that died mid-blast: its DMs were the heartbeat; a restarted process
    leaves the work alone while they are recent and finishes it once they stop."""
    world = World()
    event = await world.event()
    world.season.crash = Crash("deliver_pending", after=2)
    world.at(START)
    await world.service.reconcile()  # dies after two DMs, at START
    assert [s for _, s in world.season.dms] == [1, 2]
    restarted = World(world.repo)
    restarted.season = world.season
    restarted.clock = world.clock
    restarted.service = LifecycleService(
        world.repo, world.season, world.clock, restarted.scheduler, min_participants=3
    )
    # The dying process still got one more DM out, a minute and a half after the start.
    last_dm = START + timedelta(seconds=90)
    assert await world.repo.mark_notified(event.id, 3, last_dm)
    world.at(START + lifecycle_module.DEFAULT_RESUME_AFTER)
    assert (await restarted.service.reconcile()).resumed == []
    world.at(last_dm + lifecycle_module.DEFAULT_RESUME_AFTER)
    assert (await restarted.service.reconcile()).resumed == [event.id]
    assert [s for _, s in world.season.dms] == [1, 2, 4]  # 3 was told before it died


async def test_a_crash_before_the_draw_was_stored_draws_again(world: World) -> None:
    event = await world.event()
    world.season.crash = Crash("store_draw")
    world.at(START)
    await world.service.reconcile()
    assert await world.repo.list_pairings(event.id) == []
    await world.service.reconcile()
    assert len(await world.repo.list_pairings(event.id)) == 4
    assert len(world.season.dms) == 4
    assert world.season.announcements == [(event.id, EventStatus.ACTIVE)]


async def test_a_failed_announcement_is_posted_on_the_next_reconcile(world: World) -> None:
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    world.season.crash = Crash("announce")
    world.at(REVEAL + timedelta(minutes=5))
    report = await world.service.reconcile()
    # The post failed: the claim is given back, and the reveal waits for the deadline's
    # announcement.
    assert report.performed == [(event.id, Phase.PURCHASE_DEADLINE)]
    closed = await world.get(event.id)
    assert closed.status is EventStatus.PURCHASE_CLOSED
    assert closed.announced_status is EventStatus.ACTIVE
    report = await world.service.reconcile()
    assert report.resumed == [event.id]
    assert report.performed == [(event.id, Phase.REVEAL)]
    assert [s for _, s in world.season.announcements] == [
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
    await world.service.reconcile()
    assert (await world.get(event.id)).status is EventStatus.PURCHASE_CLOSED
    before = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    # The loop turned round: every santa whose recipient changed is new and untried.
    reversed_loop = {recipient: santa for santa, recipient in before.items()}
    await world.repo.replace_pairings(event.id, reversed_loop, keep_notified=True)
    untried = [p.santa_id for p in await world.repo.pending_pairings(event.id)]
    assert untried
    world.at(DEADLINE + timedelta(minutes=1) + timedelta(minutes=10))
    report = await world.service.reconcile()
    assert report.resumed == [event.id]
    assert await world.repo.pending_pairings(event.id) == []
    assert sorted(santa for _, santa in world.season.dms[-len(untried) :]) == sorted(untried)


async def test_a_refused_announcement_tells_the_admins_and_the_season_goes_on(
    world: World,
) -> None:
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    world.season.refused_channel = True  # the channel was deleted
    world.at(REVEAL + timedelta(minutes=5))
    report = await world.service.reconcile()
    assert report.performed == [
        (event.id, Phase.PURCHASE_DEADLINE),
        (event.id, Phase.REVEAL),
    ]
    told = [text for _, text in world.season.admin_messages]
    assert len(told) == 2
    assert all("could not be posted" in text and "Unknown Channel" in text for text in told)
    # Not retried on every tick.
    world.clock.advance(TICK)
    before = list(world.season.calls)
    await world.service.reconcile()
    assert world.season.calls == before


async def test_a_phase_interrupted_before_its_announcement_is_claimed_resumes() -> None:
    world = World()
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    # As if a process died right after its compare-and-set won the deadline.
    world.at(DEADLINE)
    assert await world.repo.set_status(
        event.id, EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED, now=DEADLINE
    )
    restarted = World(world.repo)
    restarted.clock = world.clock
    restarted.season = world.season
    restarted.service = LifecycleService(
        world.repo, world.season, world.clock, restarted.scheduler, min_participants=3
    )
    # The winner may still be at work: not resumed at once...
    assert (await restarted.service.reconcile()).resumed == []
    # ...but once the event has not moved for a while, it is.
    world.clock.advance(lifecycle_module.DEFAULT_RESUME_AFTER)
    assert (await restarted.service.reconcile()).resumed == [event.id]
    assert world.season.announcements[-1] == (event.id, EventStatus.PURCHASE_CLOSED)
    assert world.season.reminders == [event.id]


async def test_closed_dms_are_not_hammered_on_every_tick(world: World) -> None:
    world.season.closed_dms = {3}
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    for _ in range(10):
        world.clock.advance(TICK)
        await world.service.reconcile()
    assert world.season.count("deliver_pending") == 1
    status = await world.service.status(event.id)
    assert (status.delivery.notified, status.delivery.failed, status.delivery.untried) == (3, 1, 0)


# --- overrides ---------------------------------------------------------------------------


async def test_a_creation_post_that_cannot_be_made_is_reported_to_the_admin(
    world: World,
) -> None:
    world.season.refused_channel = True
    result = await world.service.create_event(
        GUILD, ADMIN, "2026-12-01 18:00", "2026-12-20 18:00", "2026-12-24 18:00", "UTC"
    )
    assert result.event.status is EventStatus.SCHEDULED
    assert result.warning is not None
    assert "Unknown Channel" in result.warning
    assert "/ratmas join" in result.warning


async def test_create_event_parses_local_times_and_schedules_jobs(world: World) -> None:
    result = await world.service.create_event(
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
    assert len(world.scheduler.ids()) == 3
    audit = await world.repo.list_audit(event.id)
    assert [(a.actor_id, a.action) for a in audit] == [(ADMIN, "create")]
    # The creation is announced once (the post with the Join button).
    assert world.season.announcements == [(event.id, EventStatus.SCHEDULED)]
    assert event.announced_status is EventStatus.SCHEDULED
    with pytest.raises(EventAlreadyLive):
        await world.service.create_event(
            GUILD, ADMIN, "2026-12-01 18:00", "2026-12-20 18:00", "2026-12-24 18:00", "UTC"
        )


async def test_create_event_refuses_bad_dates(world: World) -> None:
    with pytest.raises(InvalidInput, match="purchase_deadline: must be after the start"):
        await world.service.create_event(
            GUILD, ADMIN, "2026-12-01 18:00", "2026-11-30 18:00", "2026-12-24 18:00", "UTC"
        )
    with pytest.raises(InvalidInput, match="Europe/London"):
        await world.service.create_event(
            GUILD, ADMIN, "2026-12-01 18:00", "2026-12-20 18:00", "2026-12-24 18:00", "london"
        )


async def test_create_event_archives_a_revealed_event_first(world: World) -> None:
    old = await world.event()
    world.at(REVEAL)
    await world.service.reconcile()
    result = await world.service.create_event(
        GUILD, ADMIN, "2026-12-20 18:00", "2026-12-22 18:00", "2026-12-24 18:00", "UTC"
    )
    assert (await world.get(old.id)).status is EventStatus.ARCHIVED
    assert result.event.status is EventStatus.SCHEDULED
    assert (await world.repo.list_audit(old.id))[-1].action == "archive"


async def test_reschedule_keeps_performed_dates_and_replaces_jobs(world: World) -> None:
    event = await world.event()
    world.at(START + timedelta(hours=1))
    await world.service.reconcile()
    with pytest.raises(InvalidInput, match="starts_at: the start has already happened"):
        await world.service.reschedule(event.id, ADMIN, starts_at="2026-12-01 10:00")
    with pytest.raises(InvalidInput, match=r"purchase_deadline: .* is in the past"):
        await world.service.reschedule(event.id, ADMIN, purchase_deadline="2026-11-21 10:00")
    with pytest.raises(InvalidInput, match="reveal_at: must be after the purchase deadline"):
        await world.service.reschedule(event.id, ADMIN, reveal_at="2026-11-29 10:00")
    with pytest.raises(InvalidInput, match="at least one new date"):
        await world.service.reschedule(event.id, ADMIN)
    result = await world.service.reschedule(
        event.id, ADMIN, purchase_deadline="2026-12-05 18:00", reveal_at="2026-12-06 18:00"
    )
    assert result.event.dates.starts_at == START
    deadline = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)
    assert world.scheduler.live[f"ratmas:{event.id}:purchase_deadline"].run_time == deadline
    assert "from start 2026-11-21 12:00 GMT" in result.detail
    assert (await world.repo.list_audit(event.id))[-1].actor_id == ADMIN


async def test_reschedule_refuses_a_final_event(world: World) -> None:
    event = await world.event()
    await world.service.cancel(event.id, ADMIN, "not this year")
    with pytest.raises(InvalidTransition, match="cancelled, which is final"):
        await world.service.reschedule(event.id, ADMIN, reveal_at="2026-12-24 18:00")


async def test_advance_walks_every_phase_then_archives(world: World) -> None:
    event = await world.event()
    statuses = []
    for _ in range(4):
        statuses.append((await world.service.advance(event.id, ADMIN)).event.status)
    assert statuses == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
        EventStatus.ARCHIVED,
    ]
    with pytest.raises(InvalidTransition, match="archived, which is final"):
        await world.service.advance(event.id, ADMIN)
    audit = await world.repo.list_audit(event.id)
    assert [(a.actor_id, a.action) for a in audit] == [(ADMIN, "advance")] * 4
    assert "performed the start now (it was due 2026-11-21 12:00 GMT" in audit[0].detail
    assert world.scheduler.ids() == []
    # The dated jobs do nothing once the phases were performed early.
    world.at(REVEAL)
    assert (await world.service.reconcile(event_id=event.id)).performed == []


async def test_advance_waits_for_an_unfinished_phase(world: World) -> None:
    event = await world.event()
    await world.repo.sync_participants(event.id, people(1, 2, 3), now=NOW)
    assert await world.repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    with pytest.raises(PhaseInProgress, match="the draw is not stored"):
        await world.service.advance(event.id, ADMIN)


async def test_cancel_needs_a_reason_announces_and_removes_jobs(world: World) -> None:
    event = await world.event()
    await world.service.reconcile()
    assert world.scheduler.ids() != []
    with pytest.raises(InvalidInput, match="reason"):
        await world.service.cancel(event.id, ADMIN, "   ")
    result = await world.service.cancel(event.id, ADMIN, "  the server is moving  ")
    assert result.event.status is EventStatus.CANCELLED
    assert result.event.cancel_reason == "the server is moving"
    assert world.season.announcements == [(event.id, EventStatus.CANCELLED)]
    assert world.scheduler.ids() == []
    audit = (await world.repo.list_audit(event.id))[-1]
    assert (audit.actor_id, audit.action) == (ADMIN, "cancel")
    assert "cancelled while scheduled: the server is moving" in audit.detail
    with pytest.raises(InvalidTransition, match="cancelled, which is final"):
        await world.service.cancel(event.id, ADMIN, "again")
    world.at(REVEAL)
    assert (await world.service.reconcile()).performed == []


async def test_redraw_rules(world: World) -> None:
    event = await world.event()
    with pytest.raises(InvalidTransition, match="only be redrawn while the Ratmas is active"):
        await world.service.redraw(event.id, ADMIN)
    world.at(START)
    await world.service.reconcile()
    with pytest.raises(RedrawRefused, match="4 santa"):
        await world.service.redraw(event.id, ADMIN)
    world.season.plan = {1: 3, 3: 1, 2: 4, 4: 2}
    result = await world.service.redraw(event.id, ADMIN, force=True)
    pairs = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    assert pairs == world.season.plan
    assert result.report is not None
    assert sorted(result.report.sent) == [1, 2, 3, 4]
    assert len(world.season.dms) == 8  # everyone was DMed again
    assert result.detail.startswith("forced redraw of 4 participants (4 had been told)")
    assert (await world.repo.list_audit(event.id))[-1].action == "redraw"


async def test_redraw_before_anyone_was_told_needs_no_force(world: World) -> None:
    world.season.closed_dms = {1, 2, 3, 4}
    event = await world.event()
    world.at(START)
    await world.service.reconcile()
    world.season.closed_dms = set()
    result = await world.service.redraw(event.id, ADMIN)
    assert result.detail.startswith("redraw of 4 participants;")


async def test_retry_dms_sends_pending_ones_only_and_retries_failures(world: World) -> None:
    world.season.closed_dms = {2}
    event = await world.event()
    with pytest.raises(InvalidTransition, match="between the start and the reveal"):
        await world.service.retry_dms(event.id, ADMIN)
    world.at(START)
    await world.service.reconcile()
    world.season.closed_dms = set()
    result = await world.service.retry_dms(event.id, ADMIN)
    assert result.report is not None
    assert result.report.sent == (2,)
    assert sorted(s for _, s in world.season.dms) == [1, 2, 3, 4]
    assert "retried 1 pending DM(s): sent 1" in result.detail
    with pytest.raises(NothingToRetry):
        await world.service.retry_dms(event.id, ADMIN)


async def test_archive_only_after_the_reveal(world: World) -> None:
    event = await world.event()
    with pytest.raises(InvalidTransition, match="Cannot archive now: the event is scheduled"):
        await world.service.archive(event.id, ADMIN)
    world.at(REVEAL)
    await world.service.reconcile()
    result = await world.service.archive(event.id, ADMIN)
    assert result.event.status is EventStatus.ARCHIVED


async def test_status_shows_pending_phases_and_the_last_overrides(world: World) -> None:
    event = await world.event()
    await world.service.reschedule(event.id, ADMIN, reveal_at="2026-12-11 18:00")
    world.at(START)
    await world.service.reconcile()
    status = await world.service.status(event.id)
    assert [p.phase for p in status.pending] == [Phase.PURCHASE_DEADLINE, Phase.REVEAL]
    assert [(o.actor_id, o.action) for o in status.overrides] == [(ADMIN, "reschedule")]
    assert status.participants == 4
    assert status.delivery.notified == 4
    assert status.delivery.pending == 0
    with pytest.raises(NotFound):
        await world.service.status(guild_id=OTHER_GUILD)
    with pytest.raises(NotFound):
        await world.service.status(999)


# --- the transition table in the module docstring ----------------------------------------


def test_the_documented_transition_table_is_the_built_one() -> None:
    doc = lifecycle_module.__doc__ or ""
    lines = [line for line in doc.splitlines() if "|" in line and "---" not in line]
    header, *body_lines = [line.split("|", 1) for line in lines]
    body = [(status.strip(), cells) for status, cells in body_lines]
    triggers = [t.strip() for t in header[1].split("|")]
    assert triggers == [t.value for t in Trigger]
    documented = {
        (status, trigger): cell.strip().split(" ")[0]
        for status, cells in body
        for trigger, cell in zip(triggers, cells.split("|"), strict=True)
    }
    built = {(status.value, trigger.value): "-" for status in EventStatus for trigger in Trigger}
    for row in TRANSITIONS:
        for source in row["source"]:
            built[(str(source), str(row["trigger"]))] = str(row["dest"])
    assert documented == built


# --- two reconcilers on PostgreSQL ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("downtime", [False, True], ids=["on-time", "after-downtime"])
async def test_concurrent_reconcilers_on_postgres_perform_each_phase_once(
    database: str, downtime: bool, caplog: pytest.LogCaptureFixture
) -> None:
    from ratmas.persistence.repository import TortoiseEventRepository

    clock = FixedClock(NOW)
    season = RecordingSeason(TortoiseEventRepository(), clock, members=people(1, 2, 3, 4, 5))
    services = [
        LifecycleService(
            TortoiseEventRepository(),
            season,
            clock,
            RecordingJobScheduler(),
            min_participants=3,
        )
        for _ in range(3)
    ]
    repo = TortoiseEventRepository()
    event = await repo.create_event(
        NewEvent(GUILD, EventDates(START, DEADLINE, REVEAL), "Europe/London"), now=NOW
    )
    # Participants joined before the start (concurrent first inserts of the same
    # members would make all but one sync fail, which only delays that reconciler).
    await repo.sync_participants(event.id, season.members, now=NOW)
    moments = [REVEAL + timedelta(hours=1)] if downtime else [START, DEADLINE, REVEAL]
    for moment in moments:
        clock.set(moment)
        for _ in range(3):
            await asyncio.gather(*(s.reconcile() for s in services))
            clock.advance(TICK)

    final = await repo.get_event(event.id)
    assert final is not None
    assert final.status is EventStatus.REVEALED
    assert final.announced_status is EventStatus.REVEALED
    assert season.count("store_draw") == 1
    assert sorted(s for _, s in season.dms) == [1, 2, 3, 4, 5]
    assert [s for _, s in season.announcements] == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    assert season.reminders == [event.id]
    audit = await repo.list_audit(event.id)
    assert [a.detail.split(" performed")[0] for a in audit] == [
        "start",
        "purchase deadline",
        "reveal",
    ]
    assert all(p.notified_at is not None for p in await repo.list_pairings(event.id))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_find_event_stays_inside_the_guild(world: World) -> None:
    with pytest.raises(NotFound, match="no Ratmas yet"):
        await world.service.find_event(GUILD, latest=True)
    event = await world.event()
    assert (await world.service.find_event(GUILD)).id == event.id
    assert (await world.service.find_event(GUILD, event.id)).id == event.id
    with pytest.raises(NotFound, match=f"no event {event.id}"):
        await world.service.find_event(GUILD + 1, event.id)
    await world.service.cancel(event.id, ADMIN, "testing")
    with pytest.raises(NotFound, match="no Ratmas in progress"):
        await world.service.find_event(GUILD)
    assert (await world.service.find_event(GUILD, latest=True)).id == event.id
    assert [e.id for e in await world.service.events(GUILD)] == [event.id]
    with pytest.raises(NotFound):
        await world.service.status(event.id, guild_id=GUILD + 1)
