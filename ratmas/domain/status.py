"""Event statuses and the phases that move an event between them."""

from __future__ import annotations

from enum import StrEnum


class EventStatus(StrEnum):
    """Where an event is in its season; stored as these strings."""

    SCHEDULED = "scheduled"
    ACTIVE = "active"
    PURCHASE_CLOSED = "purchase_closed"
    REVEALED = "revealed"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_live(self) -> bool:
        return self not in FINAL_STATUSES


FINAL_STATUSES = frozenset({EventStatus.ARCHIVED, EventStatus.CANCELLED})
LIVE_STATUSES = frozenset(s for s in EventStatus if s not in FINAL_STATUSES)


class Phase(StrEnum):
    """A dated step of the season; each one has a scheduler job `ratmas:<event_id>:<phase>`."""

    START = "start"
    PURCHASE_DEADLINE = "purchase_deadline"
    REVEAL = "reveal"

    @property
    def from_status(self) -> EventStatus:
        """The status an event must be in for this phase to be performed."""
        return _PHASE_FROM[self]

    @property
    def to_status(self) -> EventStatus:
        """The status an event is in once this phase has been claimed."""
        return _PHASE_TO[self]


_PHASE_FROM = {
    Phase.START: EventStatus.SCHEDULED,
    Phase.PURCHASE_DEADLINE: EventStatus.ACTIVE,
    Phase.REVEAL: EventStatus.PURCHASE_CLOSED,
}
_PHASE_TO = {
    Phase.START: EventStatus.ACTIVE,
    Phase.PURCHASE_DEADLINE: EventStatus.PURCHASE_CLOSED,
    Phase.REVEAL: EventStatus.REVEALED,
}
PHASE_ORDER: tuple[Phase, ...] = (Phase.START, Phase.PURCHASE_DEADLINE, Phase.REVEAL)
