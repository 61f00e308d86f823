"""Scheduler job ids: `ratmas:<event_id>:<kind>`, one per pending phase or reminder of a
live event (`ratmas:7:start`, `ratmas:7:remind_wishlist`).

The id is the key that makes rescheduling idempotent (`replace_existing=True`) and lets
reconcile tell our jobs apart from anything else in the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ratmas.domain.status import JobKind, Phase, Reminder, job_kind

PREFIX: Final = "ratmas"


@dataclass(frozen=True, slots=True, order=True)
class JobKey:
    """An event and what its job wakes up for: a phase or a reminder."""

    event_id: int
    kind: JobKind

    @property
    def job_id(self) -> str:
        return job_id(self.event_id, self.kind)

    @property
    def phase(self) -> Phase | None:
        return self.kind if isinstance(self.kind, Phase) else None

    @property
    def reminder(self) -> Reminder | None:
        return self.kind if isinstance(self.kind, Reminder) else None


def job_id(event_id: int, kind: JobKind | str) -> str:
    """`ratmas:<event_id>:<phase or reminder>`."""
    if isinstance(event_id, bool) or not isinstance(event_id, int) or event_id < 1:
        raise ValueError(f"event id must be a positive integer, got {event_id!r}")
    return f"{PREFIX}:{event_id}:{job_kind(kind).value}"


def parse_job_id(value: str) -> JobKey | None:
    """The event and phase or reminder of one of our job ids; None for any other id."""
    prefix, sep, rest = value.partition(":")
    if prefix != PREFIX or not sep:
        return None
    event_text, sep, kind_text = rest.partition(":")
    if not sep or not event_text.isascii() or not event_text.isdigit():
        return None
    if event_text != str(int(event_text)) or int(event_text) < 1:
        return None  # "007" would not round-trip
    try:
        kind = job_kind(kind_text)
    except ValueError:
        return None
    return JobKey(int(event_text), kind)
