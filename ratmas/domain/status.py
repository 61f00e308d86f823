"""Event statuses and the phases that move an event between them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


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


FINAL_STATUSES: Final = frozenset({EventStatus.ARCHIVED, EventStatus.CANCELLED})
LIVE_STATUSES: Final = frozenset(s for s in EventStatus if s not in FINAL_STATUSES)


class Phase(StrEnum):
    """A dated step of the season; each one has a scheduler job `ratmas:<event_id>:<phase>`.

    Which status a phase moves from and to is the lifecycle table's business:
    `ratmas.domain.lifecycle.phase_source` / `phase_target`."""

    START = "start"
    PURCHASE_DEADLINE = "purchase_deadline"
    REVEAL = "reveal"


PHASE_ORDER: Final[tuple[Phase, ...]] = (Phase.START, Phase.PURCHASE_DEADLINE, Phase.REVEAL)


class Reminder(StrEnum):
    """A DM to the members who still have something to do, some days before the phase
    it prepares (`REMINDER_PHASES`); its job is `ratmas:<event_id>:<reminder>`."""

    WISHLIST = "remind_wishlist"  # participants without a wishlist, before the start
    GIFT = "remind_gift"  # santas who have not marked their gift sent, before the deadline


REMINDER_ORDER: Final[tuple[Reminder, ...]] = (Reminder.WISHLIST, Reminder.GIFT)
REMINDER_PHASES: Final[Mapping[Reminder, Phase]] = {
    Reminder.WISHLIST: Phase.START,
    Reminder.GIFT: Phase.PURCHASE_DEADLINE,
}
"""The phase each reminder prepares: it is pending while the event waits for that
phase, and useless once that phase is due."""

type JobKind = Phase | Reminder
"""What a scheduler job of an event wakes up for: a phase or a reminder."""


def job_kind(value: str) -> JobKind:
    """The phase or reminder named `value`; `ValueError` for anything else."""
    for kind in (Phase, Reminder):
        try:
            return kind(value)
        except ValueError:
            continue
    raise ValueError(f"{value!r} is neither a phase nor a reminder")


# Statuses in which a draw exists (or is being made): changes to the participants
# must splice it, and santas may still be waiting for their DM.
DRAWN_STATUSES: Final = frozenset({EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED})
# Statuses in which members mark their gifts sent and received: from the draw until
# the event is archived.
GIFT_STATUSES: Final = DRAWN_STATUSES | {EventStatus.REVEALED}
# Statuses in which santas and giftees may write to each other anonymously: from the
# draw until the event is archived (or cancelled).
MESSAGE_STATUSES: Final = frozenset(
    {EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED, EventStatus.REVEALED}
)
# Statuses whose arrival is announced in the event channel by the phase that led there.
ANNOUNCED_STATUSES: Final = frozenset(
    {EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED, EventStatus.REVEALED}
)

# --- words for people (one place for every label) ----------------------------------------

STATUS_LABELS: Final[Mapping[EventStatus, str]] = {
    EventStatus.SCHEDULED: "sign-ups open",
    EventStatus.ACTIVE: "names drawn, shopping time",
    EventStatus.PURCHASE_CLOSED: "purchase deadline passed, waiting for the reveal",
    EventStatus.REVEALED: "revealed",
    EventStatus.ARCHIVED: "archived",
    EventStatus.CANCELLED: "cancelled",
}
"""What a status is called where it is shown on its own ("Ratmas 7: sign-ups open")."""

STATUS_PHRASES: Final[Mapping[EventStatus, str]] = {
    EventStatus.SCHEDULED: "open for sign-ups",
    EventStatus.ACTIVE: "under way (names are drawn)",
    EventStatus.PURCHASE_CLOSED: "past its purchase deadline",
    EventStatus.REVEALED: "already revealed",
    EventStatus.ARCHIVED: "archived",
    EventStatus.CANCELLED: "cancelled",
}
"""The status inside a sentence: "this Ratmas is {phrase}"."""

PHASE_LABELS: Final[Mapping[Phase, str]] = {
    Phase.START: "start",
    Phase.PURCHASE_DEADLINE: "purchase deadline",
    Phase.REVEAL: "reveal",
}
"""A phase inside a sentence ("the purchase deadline has already happened")."""

PHASE_TITLES: Final[Mapping[Phase, str]] = {
    Phase.START: "Names drawn",
    Phase.PURCHASE_DEADLINE: "Purchase deadline",
    Phase.REVEAL: "Reveal",
}
"""A phase as the heading of its date ("Names drawn: <date>")."""

REMINDER_LABELS: Final[Mapping[Reminder, str]] = {
    Reminder.WISHLIST: "wishlist reminder",
    Reminder.GIFT: "gift reminder",
}
"""A reminder inside a sentence ("the wishlist reminder was skipped")."""
