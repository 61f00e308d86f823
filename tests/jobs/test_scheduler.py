"""The APScheduler adapter: jobs follow the database, and a real due job performs its phase."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jobs.inspect import compare
from jobs.scheduler import TICK_JOB_ID, PhaseScheduler
from ratmas.config import SchedulerConfig
from ratmas.domain.model import Event, EventDates, Member, NewEvent, ReminderDays
from ratmas.domain.status import EventStatus, Reminder
from ratmas.sandbox import FastForwardClock
from ratmas.services import messages
from ratmas.services.container import Services, build_services
from ratmas.services.ports import Clock, Message, SentMessage, SystemClock
from ratmas.services.schedule import schedules
from tests.fakes import FixedClock, InMemoryEventRepository
from tests.services.fake_discord import RecordingDiscord

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
CHANNEL = 800_000_000_000_000_001
ROLE = 700_000_000_000_000_001


class SignallingDiscord(RecordingDiscord):
    """A recording Discord that also says when something was posted in a channel."""

    def __init__(self) -> None:
        super().__init__(roles={ROLE: [Member(i, f"user{i}") for i in (1, 2, 3)]})
        self.posted_something = asyncio.Event()

    async def post(self, channel_id: int, message: Message) -> SentMessage:
        sent = await super().post(channel_id, message)
        self.posted_something.set()
        return sent


def season(
    repo: InMemoryEventRepository, clock: Clock, adapter: PhaseScheduler
) -> tuple[Services, SignallingDiscord]:
    """The real services over a recording Discord whose participant role has three members."""
    discord = SignallingDiscord()
    return build_services(repo, discord, clock, adapter), discord


def announced(discord: RecordingDiscord) -> list[EventStatus]:
    """The statuses announced in the event channel, in order."""
    openings = {
        "🎁 **Names are drawn!**": EventStatus.ACTIVE,
        "🛍️ **The purchase deadline has passed**": EventStatus.PURCHASE_CLOSED,
        "🎉 **The Ratmas reveal!**": EventStatus.REVEALED,
    }
    return [
        status
        for message in discord.posted(CHANNEL)
        for opening, status in openings.items()
        if message.content.startswith(opening)
    ]


def event(event_id: int, start: datetime = START, timezone: str = "Pacific/Auckland") -> Event:
    return Event(
        id=event_id,
        guild_id=1000 + event_id,
        status=EventStatus.SCHEDULED,
        dates=EventDates(start, start + timedelta(days=10), start + timedelta(days=20)),
        timezone=timezone,
        announcement_channel_id=None,
        participant_role_id=None,
        manager_role_id=None,
        created_by=None,
        held_reason=None,
        announced_status=None,
        cancel_reason=None,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
async def adapter() -> AsyncIterator[PhaseScheduler]:
    jobs = PhaseScheduler(tick_seconds=60, misfire_grace_seconds=900, coalesce=True)
    yield jobs
    jobs.shutdown()


async def _never(*, event_id: int | None = None) -> None:  # pragma: no cover - paused
    raise AssertionError("a paused scheduler ran a job")


async def test_sync_holds_one_date_job_per_upcoming_phase(adapter: PhaseScheduler) -> None:
    adapter.start(_never, paused=True)
    adapter.sync(schedules([event(1), event(2)], NOW))
    ids = [j.id for j in adapter.jobs()]
    assert sorted(ids) == sorted(
        f"ratmas:{e}:{p}" for e in (1, 2) for p in ("start", "purchase_deadline", "reveal")
    )
    job = adapter.scheduler.get_job("ratmas:1:start")
    assert job.misfire_grace_time == 900
    assert job.coalesce is True
    assert job.next_run_time == START
    assert job.next_run_time.tzinfo == ZoneInfo("Pacific/Auckland")
    assert job.trigger.run_date.isoformat() == "2026-12-02T07:00:00+13:00"
    tick = adapter.scheduler.get_job(TICK_JOB_ID)
    assert tick.trigger.interval == timedelta(seconds=60)
    assert TICK_JOB_ID not in ids  # jobs() lists phase jobs only


async def test_sync_moves_removes_and_scopes(adapter: PhaseScheduler) -> None:
    adapter.start(_never, paused=True)
    adapter.sync(schedules([event(1), event(2)], NOW))
    moved = event(1, start=START + timedelta(hours=5))
    # Only event 1 is touched; event 2's jobs stay.
    adapter.sync(schedules([moved], NOW), event_ids={1})
    assert adapter.scheduler.get_job("ratmas:1:start").next_run_time == moved.dates.starts_at
    assert len(adapter.jobs()) == 6
    # A cancelled event 2 loses its jobs; the phase already overdue gets none.
    cancelled = replace(event(2), status=EventStatus.CANCELLED)
    adapter.sync(schedules([moved, cancelled], START + timedelta(hours=6)))
    assert [j.id for j in adapter.jobs()] == ["ratmas:1:purchase_deadline", "ratmas:1:reveal"]
    assert compare(adapter.jobs(), schedules([moved], START + timedelta(hours=6))) == []
    # A full sync leaves foreign jobs (and the tick) alone.
    assert adapter.scheduler.get_job(TICK_JOB_ID) is not None


async def test_jobs_can_be_listed_before_the_scheduler_starts(adapter: PhaseScheduler) -> None:
    adapter.sync(schedules([event(1)], NOW))
    assert adapter.jobs()[0].run_time == START
    adapter.sync(schedules([event(1)], NOW))
    assert len(adapter.jobs()) == 3


def test_from_settings_takes_the_values_explicitly() -> None:
    adapter = PhaseScheduler.from_settings(
        SchedulerConfig(tick_seconds=5, misfire_grace_seconds=30, coalesce=False)
    )
    assert (adapter.tick_seconds, adapter.misfire_grace_seconds, adapter.coalesce) == (
        5,
        30,
        False,
    )
    with pytest.raises(ValueError, match="tick_seconds"):
        PhaseScheduler(tick_seconds=0, misfire_grace_seconds=None, coalesce=True)


async def test_a_real_job_due_in_a_second_performs_its_phase(adapter: PhaseScheduler) -> None:
    repo = InMemoryEventRepository()
    clock = SystemClock()
    services, discord = season(repo, clock, adapter)
    engine = services.engine
    now = clock.now()
    start = now + timedelta(seconds=1)
    created = await repo.create_event(
        NewEvent(
            guild_id=1001,
            dates=EventDates(start, start + timedelta(days=1), start + timedelta(days=2)),
            timezone="America/New_York",
            announcement_channel_id=CHANNEL,
            participant_role_id=ROLE,
        ),
        now=now,
    )
    adapter.start(engine.reconcile)
    await engine.reconcile()
    assert f"ratmas:{created.id}:start" in [j.id for j in adapter.jobs()]
    assert (discord.dms, discord.posts) == ([], [])

    await asyncio.wait_for(discord.posted_something.wait(), timeout=15)

    active = await repo.get_event(created.id)
    assert active is not None
    assert active.status is EventStatus.ACTIVE
    assert announced(discord) == [EventStatus.ACTIVE]
    assert discord.posted(CHANNEL)[0] == messages.drawn_announcement(active, 3)
    assert sorted(discord.dm_targets()) == [1, 2, 3]
    # The finished date job is gone; the rest are there, exactly as the database says.
    ids = [j.id for j in adapter.jobs()]
    assert ids == [f"ratmas:{created.id}:purchase_deadline", f"ratmas:{created.id}:reveal"]
    assert compare(adapter.jobs(), schedules([active], clock.now())) == []


async def test_the_tick_reconciles_everything() -> None:
    calls: list[int | None] = []
    ticked = asyncio.Event()

    async def reconcile(*, event_id: int | None = None) -> None:
        calls.append(event_id)
        ticked.set()

    adapter = PhaseScheduler(tick_seconds=1, misfire_grace_seconds=None, coalesce=True)
    adapter.start(reconcile)
    try:
        await asyncio.wait_for(ticked.wait(), timeout=10)
    finally:
        adapter.shutdown()
    assert calls[0] is None


async def test_a_clock_moved_past_the_dates_needs_no_job(adapter: PhaseScheduler) -> None:
    repo = InMemoryEventRepository()
    clock = FixedClock(NOW)
    services, discord = season(repo, clock, adapter)
    created = await repo.create_event(
        NewEvent(
            guild_id=1001,
            dates=event(1).dates,
            timezone="UTC",
            announcement_channel_id=CHANNEL,
            participant_role_id=ROLE,
        ),
        now=NOW,
    )
    adapter.start(_never, paused=True)
    await services.engine.reconcile()
    assert len(adapter.jobs()) == 3
    clock.set(START + timedelta(days=30))
    await services.engine.reconcile()
    assert adapter.jobs() == []
    assert announced(discord) == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    assert (await repo.get_event(created.id)) is not None


async def test_aclose_lets_a_running_reconcile_finish_and_cancels_a_hung_one() -> None:
    finished = asyncio.Event()
    hung = asyncio.Event()

    async def quick(*, event_id: int | None = None) -> None:
        await asyncio.sleep(0.2)
        finished.set()

    scheduler = PhaseScheduler(tick_seconds=60, misfire_grace_seconds=60, coalesce=True)
    scheduler.start(quick, paused=True)
    tick = asyncio.create_task(scheduler._tick())
    await asyncio.sleep(0)  # the tick is now running
    await scheduler.aclose()
    assert finished.is_set()
    assert tick.done()
    assert not scheduler.running

    async def stuck(*, event_id: int | None = None) -> None:
        await hung.wait()

    scheduler = PhaseScheduler(tick_seconds=60, misfire_grace_seconds=60, coalesce=True)
    scheduler.start(stuck, paused=True)
    tick = asyncio.create_task(scheduler._tick())
    await asyncio.sleep(0)
    await scheduler.aclose(grace_seconds=0.1)
    assert tick.cancelled()


async def test_a_job_fires_when_its_timeline_skips_ahead_to_its_date() -> None:
    """On a clock that can skip ahead (the demo's and the e2e tests'), the date jobs fire
    when that clock reaches their dates, and report those dates, not real ones."""
    repo = InMemoryEventRepository()
    clock = FastForwardClock()
    adapter = PhaseScheduler(
        tick_seconds=60, misfire_grace_seconds=900, coalesce=True, timeline=clock
    )
    services, discord = season(repo, clock, adapter)
    engine = services.engine
    now = clock.now()
    start = now + timedelta(hours=1)
    created = await repo.create_event(
        NewEvent(
            guild_id=1001,
            dates=EventDates(start, start + timedelta(days=1), start + timedelta(days=2)),
            timezone="Europe/London",
            announcement_channel_id=CHANNEL,
            participant_role_id=ROLE,
        ),
        now=now,
    )
    adapter.start(engine.reconcile)
    try:
        await engine.reconcile()
        assert [j.run_time for j in adapter.jobs()] == [
            start,
            start + timedelta(days=1),
            start + timedelta(days=2),
        ]
        assert (discord.dms, discord.posts) == ([], [])

        clock.fast_forward(start)
        await asyncio.wait_for(discord.posted_something.wait(), timeout=15)

        active = await repo.get_event(created.id)
        assert active is not None
        assert active.status is EventStatus.ACTIVE
        ids = [j.id for j in adapter.jobs()]
        assert ids == [f"ratmas:{created.id}:purchase_deadline", f"ratmas:{created.id}:reveal"]
        assert compare(adapter.jobs(), schedules([active], clock.now())) == []
    finally:
        adapter.shutdown()


async def test_a_date_the_timeline_skipped_far_past_still_fires() -> None:
    """Skipping a day past a date (far beyond the misfire grace) runs its job at once:
    on that clock the date came, it was not missed."""
    repo = InMemoryEventRepository()
    clock = FastForwardClock()
    adapter = PhaseScheduler.from_settings(
        SchedulerConfig(tick_seconds=60, misfire_grace_seconds=1), timeline=clock
    )
    services, discord = season(repo, clock, adapter)
    engine = services.engine
    now = clock.now()
    start = now + timedelta(hours=1)
    created = await repo.create_event(
        NewEvent(
            guild_id=1001,
            dates=EventDates(start, start + timedelta(days=10), start + timedelta(days=20)),
            timezone="UTC",
            announcement_channel_id=CHANNEL,
            participant_role_id=ROLE,
        ),
        now=now,
    )
    adapter.start(engine.reconcile)
    try:
        await engine.reconcile()
        clock.fast_forward(start + timedelta(days=1))
        await asyncio.wait_for(discord.posted_something.wait(), timeout=15)
        active = await repo.get_event(created.id)
        assert active is not None
        assert active.status is EventStatus.ACTIVE
        deadline_job = f"ratmas:{created.id}:purchase_deadline"
        real_run_time = adapter.scheduler.get_job(deadline_job).next_run_time
    finally:
        adapter.shutdown()
    # A stopped adapter no longer follows the clock.
    clock.fast_forward(start + timedelta(days=15))
    assert adapter.scheduler.get_job(deadline_job).next_run_time == real_run_time
    assert [j.run_time for j in adapter.jobs()] == [
        start + timedelta(days=10),
        start + timedelta(days=20),
    ]


WHERE: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="elsewhere")


async def test_a_job_moved_up_by_a_skip_runs_in_the_schedulers_context() -> None:
    """Tortoise keeps its connection per context: a job the clock's skip moved up must run
    in the context the scheduler was started in, not in the one that skipped the clock."""
    clock = FastForwardClock()
    seen: list[str] = []
    fired = asyncio.Event()

    async def reconcile(*, event_id: int | None = None) -> None:
        seen.append(WHERE.get())
        fired.set()

    adapter = PhaseScheduler(
        tick_seconds=60, misfire_grace_seconds=None, coalesce=True, timeline=clock
    )
    start = clock.now() + timedelta(hours=1)

    async def serve() -> None:  # a task of its own, like the app's
        WHERE.set("scheduler")
        adapter.start(reconcile)
        adapter.sync(schedules([event(1, start=start, timezone="UTC")], clock.now()))

    await asyncio.create_task(serve())
    try:
        clock.fast_forward(start)
        await asyncio.wait_for(fired.wait(), timeout=15)
    finally:
        adapter.shutdown()
    assert seen == ["scheduler"]


async def test_shutting_down_does_not_cancel_a_reconcile_in_the_middle() -> None:
    """APScheduler's shutdown cancels the jobs it runs; a reconcile cut there, halfway
    through a database transaction, could leave the connection locked for good. The
    reconcile runs on, and `aclose` gives it its grace."""
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def reconcile(*, event_id: int | None = None) -> None:
        started.set()
        await release.wait()
        finished.set()

    scheduler = PhaseScheduler(tick_seconds=1, misfire_grace_seconds=None, coalesce=True)
    scheduler.start(reconcile)
    await asyncio.wait_for(started.wait(), timeout=15)  # the tick's reconcile is running
    scheduler.shutdown()
    await asyncio.sleep(0.05)  # APScheduler has cancelled its job by now
    assert not finished.is_set()
    release.set()
    await scheduler.aclose(grace_seconds=5)
    assert finished.is_set()


class TwoDmsDiscord(SignallingDiscord):
    """A signalling Discord that also says when two DMs were delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.two_dms = asyncio.Event()

    async def send_dm(
        self,
        user_id: int,
        message: Message,
        *,
        nonce: str | None = None,
        channel_id: int | None = None,
    ) -> SentMessage:
        sent = await super().send_dm(user_id, message, nonce=nonce, channel_id=channel_id)
        if len(self.dms) >= 2:
            self.two_dms.set()
        return sent


async def test_a_reminder_job_fires_when_its_timeline_reaches_it() -> None:
    repo = InMemoryEventRepository()
    clock = FastForwardClock()
    adapter = PhaseScheduler(
        tick_seconds=60, misfire_grace_seconds=900, coalesce=True, timeline=clock
    )
    discord = TwoDmsDiscord()
    engine = build_services(repo, discord, clock, adapter).engine
    now = clock.now()
    start = now + timedelta(days=3)
    created = await repo.create_event(
        NewEvent(
            guild_id=1001,
            dates=EventDates(start, start + timedelta(days=1), start + timedelta(days=2)),
            timezone="Europe/London",
            announcement_channel_id=CHANNEL,
            participant_role_id=ROLE,
            reminder_days=ReminderDays(wishlist=2, gift=0),
        ),
        now=now,
    )
    await repo.sync_participants(created.id, [Member(1, "user1"), Member(2, "user2")], now=now)
    adapter.start(engine.reconcile)
    try:
        await engine.reconcile()
        first = adapter.jobs()[0]
        assert (first.id, first.kind, first.run_time) == (
            f"ratmas:{created.id}:remind_wishlist",
            Reminder.WISHLIST,
            start - timedelta(days=2),
        )
        assert compare(adapter.jobs(), schedules([created], clock.now())) == []

        clock.fast_forward(start - timedelta(days=2))

        await asyncio.wait_for(discord.two_dms.wait(), timeout=15)
        text = messages.wishlist_reminder_dm(created)
        assert sorted((user, m.content) for user, m in discord.dms) == [(1, text), (2, text)]
        assert [j.id.split(":")[2] for j in adapter.jobs()] == [
            "start",
            "purchase_deadline",
            "reveal",
        ]
    finally:
        await adapter.aclose()


class HeldDeadlineDiscord(SignallingDiscord):
    """A signalling Discord whose purchase deadline post waits until released, and that
    says when the reveal was posted."""

    def __init__(self) -> None:
        super().__init__()
        self.posting_deadline = asyncio.Event()
        self.release_deadline = asyncio.Event()
        self.revealed = asyncio.Event()

    async def post(self, channel_id: int, message: Message) -> SentMessage:
        if message.content.startswith("🛍️ **The purchase deadline has passed**"):
            self.posting_deadline.set()
            await self.release_deadline.wait()
        sent = await super().post(channel_id, message)
        if message.content.startswith("🎉 **The Ratmas reveal!**"):
            self.revealed.set()
        return sent


async def test_a_reveal_whose_job_fires_while_the_deadline_is_announced_is_not_lost() -> None:
    """The e2e season's order of things: the clock skips to the reveal while the
    purchase deadline's job is still announcing. The reveal's job finds the event busy;
    while it is still finishing (a slow last query), any reveal job added meanwhile is
    skipped by APScheduler (same id, one instance at a time). The reveal must still
    come without waiting for the safety tick."""
    repo = InMemoryEventRepository()
    clock = FastForwardClock()
    adapter = PhaseScheduler(
        tick_seconds=60, misfire_grace_seconds=None, coalesce=True, timeline=clock
    )
    discord = HeldDeadlineDiscord()
    engine = build_services(repo, discord, clock, adapter).engine
    now = clock.now()
    start = now + timedelta(hours=1)
    created = await repo.create_event(
        NewEvent(
            guild_id=1001,
            dates=EventDates(start, start + timedelta(days=1), start + timedelta(days=2)),
            timezone="UTC",
            announcement_channel_id=CHANNEL,
            participant_role_id=ROLE,
        ),
        now=now,
    )
    holding = False
    reveal_job_returned, let_it_finish = asyncio.Event(), asyncio.Event()

    async def reconcile(*, event_id: int | None = None) -> None:
        hold = holding and event_id is not None
        await engine.reconcile(event_id=event_id)
        if hold:  # the job's run is still going after the engine returned
            reveal_job_returned.set()
            await let_it_finish.wait()

    adapter.start(reconcile)
    try:
        await engine.reconcile()
        clock.fast_forward(start)
        await asyncio.wait_for(discord.posted_something.wait(), timeout=15)
        clock.fast_forward(start + timedelta(days=1))
        await asyncio.wait_for(discord.posting_deadline.wait(), timeout=15)

        holding = True
        clock.fast_forward(start + timedelta(days=2))
        await asyncio.wait_for(reveal_job_returned.wait(), timeout=15)
        discord.release_deadline.set()
        await asyncio.wait_for(discord.revealed.wait(), timeout=15)

        revealed = await repo.get_event(created.id)
        assert revealed is not None
        assert revealed.status is EventStatus.REVEALED
        assert announced(discord) == [
            EventStatus.ACTIVE,
            EventStatus.PURCHASE_CLOSED,
            EventStatus.REVEALED,
        ]
    finally:
        let_it_finish.set()
        discord.release_deadline.set()
        await adapter.aclose()
