"""The one derivation of pending phases, shared by the scheduler and `ratmas jobs`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs.ids import JobKey, job_id, parse_job_id
from jobs.specs import COALESCE, MISFIRE_GRACE_TIME, job_specs
from ratmas.domain.lifecycle import waiting_for
from ratmas.domain.model import Event, EventDates
from ratmas.domain.status import EventStatus, Phase
from ratmas.services.schedule import event_schedule, pending_phases, schedules

START = datetime(2026, 12, 1, 18, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 20, 18, tzinfo=UTC)
REVEAL = datetime(2026, 12, 24, 18, tzinfo=UTC)
BEFORE = START - timedelta(days=1)


def event(
    status: EventStatus = EventStatus.SCHEDULED,
    *,
    event_id: int = 7,
    held_reason: str | None = None,
    timezone: str = "America/New_York",
) -> Event:
    return Event(
        id=event_id,
        guild_id=1000 + event_id,
        status=status,
        dates=EventDates(START, DEADLINE, REVEAL),
        timezone=timezone,
        announcement_channel_id=None,
        participant_role_id=None,
        manager_role_id=None,
        created_by=None,
        held_reason=held_reason,
        announced_status=None,
        cancel_reason=None,
        created_at=BEFORE,
        updated_at=BEFORE,
    )


def phases(e: Event, now: datetime) -> list[tuple[Phase, bool]]:
    return [(p.phase, p.overdue) for p in pending_phases(e, now)]


# --- pending phases -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (EventStatus.SCHEDULED, [Phase.START, Phase.PURCHASE_DEADLINE, Phase.REVEAL]),
        (EventStatus.ACTIVE, [Phase.PURCHASE_DEADLINE, Phase.REVEAL]),
        (EventStatus.PURCHASE_CLOSED, [Phase.REVEAL]),
        (EventStatus.REVEALED, []),
        (EventStatus.ARCHIVED, []),
        (EventStatus.CANCELLED, []),
    ],
)
def test_pending_phases_follow_the_status(status: EventStatus, expected: list[Phase]) -> None:
    pending = pending_phases(event(status), BEFORE)
    assert [p.phase for p in pending] == expected
    assert all(not p.overdue for p in pending)
    assert [p.due for p in pending] == [event(status).dates.due(p) for p in expected]


def test_waiting_for() -> None:
    assert waiting_for(EventStatus.SCHEDULED) is Phase.START
    assert waiting_for(EventStatus.PURCHASE_CLOSED) is Phase.REVEAL
    assert waiting_for(EventStatus.REVEALED) is None
    assert waiting_for(EventStatus.CANCELLED) is None


def test_overdue_is_due_at_or_before_now() -> None:
    e = event()
    assert phases(e, START - timedelta(seconds=1)) == [
        (Phase.START, False),
        (Phase.PURCHASE_DEADLINE, False),
        (Phase.REVEAL, False),
    ]
    assert phases(e, START) == [
        (Phase.START, True),
        (Phase.PURCHASE_DEADLINE, False),
        (Phase.REVEAL, False),
    ]


def test_down_across_all_three_dates_makes_all_three_overdue_in_order() -> None:
    s = event_schedule(event(), REVEAL + timedelta(days=3))
    assert [p.phase for p in s.overdue] == [Phase.START, Phase.PURCHASE_DEADLINE, Phase.REVEAL]
    assert s.upcoming == ()


def test_a_held_event_has_nothing_pending() -> None:
    held = event(held_reason="needs at least 3 participants, has 2")
    s = event_schedule(held, START + timedelta(hours=1))
    assert s.held
    assert s.pending == ()
    assert s.next_phase is None


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        pending_phases(event(), datetime(2026, 12, 1))  # noqa: DTZ001 - the point of the test


def test_until() -> None:
    (first, *_) = pending_phases(event(), START - timedelta(hours=2))
    assert first.until(START - timedelta(hours=2)) == timedelta(hours=2)


def test_schedules_lists_live_events_soonest_first() -> None:
    a = event(EventStatus.ACTIVE, event_id=1)  # next: deadline
    b = event(EventStatus.SCHEDULED, event_id=2)  # next: start
    c = event(EventStatus.CANCELLED, event_id=3)
    d = event(EventStatus.SCHEDULED, event_id=4, held_reason="too few")
    e = event(EventStatus.PURCHASE_CLOSED, event_id=5)  # next: reveal
    got = schedules([a, b, c, d, e], BEFORE)
    assert [s.event.id for s in got] == [2, 1, 5, 4]


# --- job ids --------------------------------------------------------------------------


@pytest.mark.parametrize("phase", list(Phase))
def test_job_id_round_trip(phase: Phase) -> None:
    value = job_id(42, phase)
    assert value == f"ratmas:42:{phase.value}"
    assert parse_job_id(value) == JobKey(42, phase)
    assert JobKey(42, phase).job_id == value


@pytest.mark.parametrize(
    "value",
    [
        "safety-tick",
        "ratmas",
        "ratmas:",
        "ratmas:42",
        "ratmas:42:",
        "ratmas:x:start",
        "ratmas:-1:start",
        "ratmas:0:start",
        "ratmas:007:start",
        "ratmas:42:archive",
        "ratmas:42:start:extra",
        "other:42:start",
        "ratmas:٤٢:start",
    ],
)
def test_foreign_or_malformed_ids_are_not_ours(value: str) -> None:
    assert parse_job_id(value) is None


@pytest.mark.parametrize("bad", [0, -3, True])
def test_job_id_needs_a_positive_event_id(bad: int) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        job_id(bad, Phase.START)


def test_job_id_refuses_unknown_phases() -> None:
    with pytest.raises(ValueError, match="archive"):
        job_id(1, "archive")


# --- job specs ------------------------------------------------------------------------


def test_job_specs_cover_upcoming_phases_only() -> None:
    now = START + timedelta(minutes=5)  # start overdue: reconcile performs it, no job
    specs = job_specs(schedules([event(), event(EventStatus.CANCELLED, event_id=8)], now))
    assert [s.id for s in specs] == ["ratmas:7:purchase_deadline", "ratmas:7:reveal"]
    deadline = specs[0]
    assert deadline.run_date == DEADLINE
    assert deadline.run_date.tzinfo == ZoneInfo("America/New_York")
    assert deadline.run_date.isoformat() == "2026-12-20T13:00:00-05:00"


def test_add_job_kwargs_are_explicit() -> None:
    (spec, *_) = job_specs(schedules([event(timezone="Australia/Lord_Howe")], BEFORE))
    kwargs = spec.add_job_kwargs()
    assert kwargs["id"] == "ratmas:7:start"
    assert kwargs["replace_existing"] is True
    assert kwargs["misfire_grace_time"] is MISFIRE_GRACE_TIME
    assert kwargs["coalesce"] is COALESCE
    assert kwargs["args"] == (7, "start")
    trigger = kwargs["trigger"]
    assert trigger.run_date == START
    assert trigger.run_date.utcoffset() == timedelta(hours=11)
    assert trigger.get_next_fire_time(None, BEFORE) == START
    assert trigger.get_next_fire_time(START, START) is None


def test_rescheduling_keeps_the_ids() -> None:
    e = event()
    moved = replace(e, dates=EventDates(START + timedelta(days=1), DEADLINE, REVEAL))
    ids = [s.id for s in job_specs(schedules([e], BEFORE))]
    assert [s.id for s in job_specs(schedules([moved], BEFORE))] == ids


async def test_specs_load_into_a_real_scheduler() -> None:
    async def perform(event_id: int, phase: str) -> None:  # pragma: no cover - never due
        raise AssertionError("paused scheduler ran a job")

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        for spec in job_specs(schedules([event()], BEFORE)):
            scheduler.add_job(perform, **spec.add_job_kwargs())
        # Adding the same specs again replaces, never duplicates.
        moved = replace(event(), dates=EventDates(START, DEADLINE + timedelta(hours=1), REVEAL))
        for spec in job_specs(schedules([moved], BEFORE)):
            scheduler.add_job(perform, **spec.add_job_kwargs())
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert sorted(jobs) == ["ratmas:7:purchase_deadline", "ratmas:7:reveal", "ratmas:7:start"]
        deadline = jobs["ratmas:7:purchase_deadline"]
        assert deadline.next_run_time == DEADLINE + timedelta(hours=1)
        assert deadline.next_run_time.tzinfo == ZoneInfo("America/New_York")
        assert deadline.misfire_grace_time is None
        assert deadline.coalesce is True
    finally:
        scheduler.shutdown(wait=False)
