"""Scheduler job ids: `ratmas:<event_id>:<phase>`, one per pending phase of a live event.

The id is the key that makes rescheduling idempotent (`replace_existing=True`) and lets
reconcile tell our jobs apart from anything else in the scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ratmas.domain.status import Phase

PREFIX: Final = "ratmas"


@dataclass(frozen=True, slots=True, order=True)
class JobKey:
    event_id: int
    phase: Phase

    @property
    def job_id(self) -> str:
        return job_id(self.event_id, self.phase)


def job_id(event_id: int, phase: Phase | str) -> str:
    """`ratmas:<event_id>:<phase>`."""
    if isinstance(event_id, bool) or not isinstance(event_id, int) or event_id < 1:
        raise ValueError(f"event id must be a positive integer, got {event_id!r}")
    return f"{PREFIX}:{event_id}:{Phase(phase).value}"


def parse_job_id(value: str) -> JobKey | None:
    """The event and phase of one of our job ids; None for any other id."""
    prefix, sep, rest = value.partition(":")
    if prefix != PREFIX or not sep:
        return None
    event_text, sep, phase_text = rest.partition(":")
    if not sep or not event_text.isascii() or not event_text.isdigit():
        return None
    if event_text != str(int(event_text)) or int(event_text) < 1:
        return None  # "007" would not round-trip
    try:
        phase = Phase(phase_text)
    except ValueError:
        return None
    return JobKey(int(event_text), phase)
