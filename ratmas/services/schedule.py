"""Which dated phases of an event are still to be performed, and when.

This is the one derivation of the schedule from stored events: the scheduler adapter
(`jobs`) turns its output into date jobs, reconcile performs the overdue ones, and
`ratmas jobs` prints it. Pure: it reads `Event` values and the `now` it is given.

Rules:

- a final event (archived, cancelled) has nothing pending;
- a held event (`held_reason` set, e.g. too few participants at the start) has nothing
  pending either: it waits, visibly, for an admin to reschedule, advance or cancel it,
  so no job fires again and again at the guild;
- otherwise the phases from the one the status is waiting for onwards are pending, in
  order (start, purchase deadline, reveal), each with its due time; those due at or
  before `now` are overdue and are performed at once, in that order;
- a reminder is pending while the event waits for the phase it prepares and it was
  never claimed (`ratmas.domain.reminders`); an overdue one is sent at once while its
  phase is still ahead, else skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ratmas.domain.lifecycle import waiting_for
from ratmas.domain.model import Event
from ratmas.domain.reminders import reminder_due, reminder_pending, reminder_useful
from ratmas.domain.status import PHASE_ORDER, REMINDER_ORDER, JobKind, Phase, Reminder


@dataclass(frozen=True, slots=True)
class PendingPhase:
    """One phase of one event still to be performed."""

    event_id: int
    phase: Phase
    due: datetime  # aware UTC
    overdue: bool

    @property
    def kind(self) -> JobKind:
        return self.phase

    def until(self, now: datetime) -> timedelta:
        """How long until the phase is due (negative once it is overdue)."""
        return self.due - now


@dataclass(frozen=True, slots=True)
class PendingReminder:
    """One reminder of one event still to be sent (or skipped, when it comes too late)."""

    event_id: int
    reminder: Reminder
    due: datetime  # aware UTC
    overdue: bool
    useful: bool  # the phase it prepares is still ahead

    @property
    def kind(self) -> JobKind:
        return self.reminder

    def until(self, now: datetime) -> timedelta:
        return self.due - now


@dataclass(frozen=True, slots=True)
class EventSchedule:
    """A live event with its pending phases and reminders, as the scheduler and
    `ratmas jobs` see it."""

    event: Event
    pending: tuple[PendingPhase, ...]
    reminders: tuple[PendingReminder, ...] = ()

    @property
    def held(self) -> bool:
        return self.event.held_reason is not None

    @property
    def overdue(self) -> tuple[PendingPhase, ...]:
        """Phases to perform now, in order."""
        return tuple(p for p in self.pending if p.overdue)

    @property
    def upcoming(self) -> tuple[PendingPhase, ...]:
        """Phases to leave to the scheduler."""
        return tuple(p for p in self.pending if not p.overdue)

    @property
    def next_phase(self) -> PendingPhase | None:
        return self.pending[0] if self.pending else None

    @property
    def upcoming_jobs(self) -> tuple[PendingPhase | PendingReminder, ...]:
        """Phases and reminders to leave to the scheduler, soonest first."""
        upcoming: list[PendingPhase | PendingReminder] = [*self.upcoming]
        upcoming.extend(r for r in self.reminders if not r.overdue)
        return tuple(sorted(upcoming, key=lambda p: p.due))


def pending_phases(event: Event, now: datetime) -> tuple[PendingPhase, ...]:
    """The phases of `event` still to be performed, in order, flagged when overdue."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if event.status.is_final or event.held_reason is not None:
        return ()
    first = waiting_for(event.status)
    if first is None:
        return ()
    phases = PHASE_ORDER[PHASE_ORDER.index(first) :]
    return tuple(
        PendingPhase(
            event_id=event.id,
            phase=phase,
            due=event.dates.due(phase),
            overdue=event.dates.due(phase) <= now,
        )
        for phase in phases
    )


def pending_reminders(event: Event, now: datetime) -> tuple[PendingReminder, ...]:
    """The reminders of `event` still to come or overdue (at most one: the one that
    prepares the phase the event waits for)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    found = []
    for reminder in REMINDER_ORDER:
        due = reminder_due(event, reminder)
        if due is None or not reminder_pending(event, reminder):
            continue
        found.append(
            PendingReminder(
                event_id=event.id,
                reminder=reminder,
                due=due,
                overdue=due <= now,
                useful=reminder_useful(event, reminder, now),
            )
        )
    return tuple(found)


def event_schedule(event: Event, now: datetime) -> EventSchedule:
    return EventSchedule(
        event=event,
        pending=pending_phases(event, now),
        reminders=pending_reminders(event, now),
    )


def schedules(events: Iterable[Event], now: datetime) -> list[EventSchedule]:
    """The schedule of every live event among `events`, soonest next phase first
    (held events, which have none, last), ties by event id."""
    live = [event_schedule(e, now) for e in events if e.status.is_live]

    def order(s: EventSchedule) -> tuple[bool, datetime, int]:
        nxt = s.next_phase
        return (nxt is None, nxt.due if nxt else s.event.dates.starts_at, s.event.id)

    return sorted(live, key=order)


def within(event_schedules: Iterable[EventSchedule], until: datetime | None) -> list[EventSchedule]:
    """The schedules with only the phases and reminders due before `until` (all when
    None): what the scheduler holds when it keeps only the jobs of a horizon."""
    if until is None:
        return list(event_schedules)
    return [
        replace(
            s,
            pending=tuple(p for p in s.pending if p.due < until),
            reminders=tuple(r for r in s.reminders if r.due < until),
        )
        for s in event_schedules
    ]
