"""When an event's reminders are due, and whether one is still worth sending.

A reminder prepares a phase (`REMINDER_PHASES`): the wishlist reminder the start (the
draw shows each santa their giftee's wishlist), the gift reminder the purchase
deadline. Its moment is that phase's date minus the event's whole days (24 hours
each, so across a DST change it comes an hour earlier or later on the wall clock).

Rules, pure over the event and the `now` given:

- 0 days: no reminder;
- no reminder whose moment is not after what comes before the phase it prepares:
  the event's creation for the wishlist reminder (members who join are asked for a
  wishlist then), the start for the gift reminder (the assignment DM already names
  the deadline);
- it is pending while its phase is still to be performed (the event is live and not
  held) and it was never claimed; due at its moment, and sent only while the event
  waits for that very phase (`reminder_ready`);
- it is *useful* while its phase is still ahead: an overdue reminder (the bot was
  down) is sent only then, and otherwise claimed without sending (skipped).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from ratmas.domain.errors import InvalidInput
from ratmas.domain.lifecycle import performed_phases, waiting_for
from ratmas.domain.model import Event, ReminderDays
from ratmas.domain.status import PHASE_ORDER, REMINDER_PHASES, Reminder

MAX_REMINDER_DAYS: Final = 30
# The documented defaults (config.toml's [reminders]).
DEFAULT_REMINDER_DAYS: Final = ReminderDays(wishlist=2, gift=3)


def check_reminder_days(value: object, field: str) -> int:
    """`value` as a whole number of days from 0 (off) to `MAX_REMINDER_DAYS`, else
    `InvalidInput(field, ...)`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"a whole number of days from 0 (off) to {MAX_REMINDER_DAYS}")
    if not 0 <= value <= MAX_REMINDER_DAYS:
        raise InvalidInput(field, f"from 0 (off) to {MAX_REMINDER_DAYS} days, got {value}")
    return value


def reminder_due(event: Event, reminder: Reminder) -> datetime | None:
    """When `reminder` is due for `event`; None when it has none (see the rules)."""
    days = event.reminder_days.of(reminder)
    if days <= 0:
        return None
    phase = REMINDER_PHASES[reminder]
    due = event.dates.due(phase) - timedelta(days=days)
    index = PHASE_ORDER.index(phase)
    after = event.created_at if index == 0 else event.dates.due(PHASE_ORDER[index - 1])
    return due if due > after else None


def reminder_pending(event: Event, reminder: Reminder) -> bool:
    """Whether `reminder` may still go out: its phase is still to come, the event is
    live and not held, and the reminder has a moment and was never claimed."""
    return (
        event.status.is_live
        and event.held_reason is None
        and REMINDER_PHASES[reminder] not in performed_phases(event.status)
        and event.reminded_at(reminder) is None
        and reminder_due(event, reminder) is not None
    )


def reminder_ready(event: Event, reminder: Reminder) -> bool:
    """Whether `reminder` can be claimed now that it is due: the event waits for the
    very phase it prepares (the gift reminder needs the draw done)."""
    return (
        reminder_pending(event, reminder)
        and waiting_for(event.status) is (REMINDER_PHASES[reminder])
    )


def reminder_useful(event: Event, reminder: Reminder, now: datetime) -> bool:
    """Whether sending `reminder` at `now` still helps: its phase is still ahead."""
    return now < event.dates.due(REMINDER_PHASES[reminder])
