"""Date-job specifications for APScheduler 3.11, derived from the pending phases and
reminders.

One `DateJobSpec` per upcoming phase or reminder of each live, unheld event; overdue
ones get no job (reconcile performs them at once). The trigger runs in the event's own timezone so
`get_jobs()` shows the admin's wall-clock time; the instant is the stored UTC one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from apscheduler.triggers.date import DateTrigger

from jobs.ids import job_id
from ratmas.domain.status import JobKind
from ratmas.services.schedule import EventSchedule

# A late job still runs, however late: performing a phase is a compare-and-set, so a
# late or second run is harmless, and skipping it would leave the phase to the tick.
MISFIRE_GRACE_TIME: Final[int | None] = None
# Several missed runs of one job collapse into one (a date job has only one anyway).
COALESCE: Final = True


@dataclass(frozen=True, slots=True)
class DateJobSpec:
    """What the scheduler should hold for one pending phase or reminder."""

    id: str
    event_id: int
    guild_id: int
    kind: JobKind
    run_date: datetime  # aware, in the event's timezone
    timezone: str

    @property
    def name(self) -> str:
        return f"{self.kind.value} of event {self.event_id} (guild {self.guild_id})"

    def trigger(self) -> DateTrigger:
        return DateTrigger(run_date=self.run_date, timezone=ZoneInfo(self.timezone))

    def add_job_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `scheduler.add_job(func, **kwargs)`."""
        return {
            "trigger": self.trigger(),
            "id": self.id,
            "name": self.name,
            "args": (self.event_id, self.kind.value),
            "replace_existing": True,
            "misfire_grace_time": MISFIRE_GRACE_TIME,
            "coalesce": COALESCE,
        }


def job_specs(schedules: Iterable[EventSchedule]) -> list[DateJobSpec]:
    """The date jobs the scheduler should hold, soonest first."""
    specs = [
        DateJobSpec(
            id=job_id(s.event.id, pending.kind),
            event_id=s.event.id,
            guild_id=s.event.guild_id,
            kind=pending.kind,
            run_date=pending.due.astimezone(ZoneInfo(s.event.timezone)),
            timezone=s.event.timezone,
        )
        for s in schedules
        for pending in s.upcoming_jobs
    ]
    return sorted(specs, key=lambda spec: (spec.run_date, spec.id))
