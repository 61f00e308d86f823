"""Reminder jobs: their ids next to the phases', and the pure rules that say when an
event's reminders are due and whether one still helps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs.ids import JobKey, job_id, parse_job_id
from jobs.specs import job_specs
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import Event, EventDates, ReminderDays
from ratmas.domain.reminders import (
    DEFAULT_REMINDER_DAYS,
    MAX_REMINDER_DAYS,
    check_reminder_days,
    reminder_due,
    reminder_ready,
)
from ratmas.domain.status import EventStatus, Phase, Reminder
from ratmas.services.schedule import event_schedule, pending_reminders, within

CREATED = datetime(2026, 11, 20, 12, tzinfo=UTC)
START = datetime(2026, 12, 1, 18, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 20, 18, tzinfo=UTC)
REVEAL = datetime(2026, 12, 24, 18, tzinfo=UTC)
DAY = timedelta(days=1)


def event(
    status: EventStatus = EventStatus.SCHEDULED,
    days: ReminderDays = DEFAULT_REMINDER_DAYS,
    **changes: object,
) -> Event:
    base = Event(
        id=7,
        guild_id=1007,
        status=status,
        dates=EventDates(START, DEADLINE, REVEAL),
        timezone="Europe/London",
        announcement_channel_id=None,
        participant_role_id=None,
        manager_role_id=None,
        created_by=None,
        held_reason=None,
        announced_status=None,
        cancel_reason=None,
        created_at=CREATED,
        updated_at=CREATED,
        reminder_days=days,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def due(e: Event, now: datetime) -> list[tuple[Reminder, datetime, bool, bool]]:
    return [(r.reminder, r.due, r.overdue, r.useful) for r in pending_reminders(e, now)]


# --- ids --------------------------------------------------------------------------------


@given(
    event_id=st.integers(min_value=1, max_value=2**63 - 1),
    kind=st.sampled_from([*Phase, *Reminder]),
)
def test_job_ids_of_phases_and_reminders_round_trip(event_id: int, kind: Phase | Reminder) -> None:
    value = job_id(event_id, kind)
    assert value == f"ratmas:{event_id}:{kind.value}"
    key = parse_job_id(value)
    assert key == JobKey(event_id, kind)
    assert key.job_id == value
    assert (key.phase, key.reminder) == ((kind, None) if isinstance(kind, Phase) else (None, kind))


@given(st.text(max_size=40))
def test_any_other_text_is_not_one_of_our_ids_or_round_trips(value: str) -> None:
    key = parse_job_id(value)
    assert key is None or key.job_id == value


@pytest.mark.parametrize(
    "value", ["ratmas:7:remind", "ratmas:7:remind_wishlist:x", "ratmas:7:REMIND_GIFT"]
)
def test_near_miss_reminder_ids_are_not_ours(value: str) -> None:
    assert parse_job_id(value) is None


# --- days -------------------------------------------------------------------------------


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_reminder_days_are_whole_days_from_0_to_30(value: int) -> None:
    if 0 <= value <= MAX_REMINDER_DAYS:
        assert check_reminder_days(value, "gift_reminder_days") == value
    else:
        with pytest.raises(InvalidInput, match="gift_reminder_days: from 0 \\(off\\) to 30"):
            check_reminder_days(value, "gift_reminder_days")


@pytest.mark.parametrize("value", [True, 1.5, "2", None])
def test_reminder_days_that_are_not_integers_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput, match="wishlist_reminder_days: a whole number of days"):
        check_reminder_days(value, "wishlist_reminder_days")


# --- when they are due -----------------------------------------------------------------


def test_both_reminders_are_pending_from_creation_each_before_its_phase() -> None:
    assert due(event(), CREATED) == [
        (Reminder.WISHLIST, START - 2 * DAY, False, True),
        (Reminder.GIFT, DEADLINE - 3 * DAY, False, True),
    ]
    specs = job_specs([event_schedule(event(), CREATED)])
    assert [(s.id, s.run_date) for s in specs][:2] == [
        ("ratmas:7:remind_wishlist", START - 2 * DAY),
        ("ratmas:7:start", START),
    ]
    assert "ratmas:7:remind_gift" in {s.id for s in specs}


def test_zero_days_means_no_reminder() -> None:
    assert due(event(days=ReminderDays(0, 0)), CREATED) == []
    assert [r for r, *_ in due(event(days=ReminderDays(0, 1)), CREATED)] == [Reminder.GIFT]


def test_no_wishlist_reminder_before_the_event_existed_nor_a_gift_one_before_the_start() -> None:
    late = event(created_at=START - DAY)  # created one day before the start
    assert reminder_due(late, Reminder.WISHLIST) is None
    short = event(dates=EventDates(START, START + 2 * DAY, REVEAL))  # deadline 2 days on
    assert reminder_due(short, Reminder.GIFT) is None
    assert reminder_due(short, Reminder.WISHLIST) == START - 2 * DAY


def test_a_reminder_leaves_once_its_phase_is_performed_claimed_held_or_final() -> None:
    now = START - 3 * DAY
    active = event(EventStatus.ACTIVE)
    assert [r for r, *_ in due(active, now)] == [Reminder.GIFT]
    assert due(event(EventStatus.PURCHASE_CLOSED), now) == []
    assert due(event(reminded_wishlist_at=now), now)[0][0] is Reminder.GIFT
    assert due(event(held_reason="too few"), now) == []
    assert due(event(EventStatus.CANCELLED), now) == []


def test_an_overdue_reminder_is_useful_only_before_its_phase() -> None:
    assert due(event(), START - DAY)[0] == (Reminder.WISHLIST, START - 2 * DAY, True, True)
    assert due(event(), START)[0] == (Reminder.WISHLIST, START - 2 * DAY, True, False)


def test_the_gift_reminder_waits_for_the_draw() -> None:
    after_gift = DEADLINE - DAY
    scheduled = event(reminded_wishlist_at=CREATED)
    assert reminder_ready(scheduled, Reminder.GIFT) is False  # the start comes first
    assert reminder_ready(event(EventStatus.ACTIVE), Reminder.GIFT) is True
    assert due(event(EventStatus.ACTIVE), after_gift) == [
        (Reminder.GIFT, DEADLINE - 3 * DAY, True, True)
    ]


def test_the_horizon_keeps_only_the_reminders_due_before_it() -> None:
    schedule = event_schedule(event(), CREATED)
    (kept,) = within([schedule], START - DAY)
    assert [r.reminder for r in kept.reminders] == [Reminder.WISHLIST]
    assert [p.phase for p in kept.pending] == []
