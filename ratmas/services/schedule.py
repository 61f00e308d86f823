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
  before `now` are overdue and are performed at once, in that order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ratmas.domain.lifecycle import waiting_for
from ratmas.domain.model import Event
from ratmas.domain.status import PHASE_ORDER, Phase


@dataclass(frozen=True, slots=True)
class PendingPhase:
    """One phase of one event still to be performed."""

    event_id: int
    phase: Phase
    due: datetime  # aware UTC
    overdue: bool

    def until(self, now: datetime) -> timedelta:
        """How long until the phase is due (negative once it is overdue)."""
        return self.due - now


@dataclass(frozen=True, slots=True)
class EventSchedule:
    """A live event with its pending phases, as the scheduler and `ratmas jobs` see it."""

    event: Event
    pending: tuple[PendingPhase, ...]

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


def event_schedule(event: Event, now: datetime) -> EventSchedule:
    return EventSchedule(event=event, pending=pending_phases(event, now))


def schedules(events: Iterable[Event], now: datetime) -> list[EventSchedule]:
    """The schedule of every live event among `events`, soonest next phase first
    (held events, which have none, last), ties by event id."""
    live = [event_schedule(e, now) for e in events if e.status.is_live]

    def order(s: EventSchedule) -> tuple[bool, datetime, int]:
        nxt = s.next_phase
        return (nxt is None, nxt.due if nxt else s.event.dates.starts_at, s.event.id)

    return sorted(live, key=order)


def within(event_schedules: Iterable[EventSchedule], until: datetime | None) -> list[EventSchedule]:
    """The schedules with only the phases due before `until` (all when None): what the
    scheduler holds when it keeps only the jobs of a horizon."""
    if until is None:
        return list(event_schedules)
    return [
        replace(s, pending=tuple(p for p in s.pending if p.due < until)) for s in event_schedules
    ]
