"""`RecordingJobScheduler`: the `JobScheduler` port in a dictionary, with the same job
specs as the APScheduler adapter."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from jobs.ids import parse_job_id
from jobs.specs import job_specs
from ratmas.services.ports import LiveJob
from ratmas.services.schedule import EventSchedule


class RecordingJobScheduler:
    """`JobScheduler` in a dictionary, with the same specs as the APScheduler adapter."""

    def __init__(self) -> None:
        self.live: dict[str, LiveJob] = {}
        self.syncs = 0

    def sync(
        self, schedules: Sequence[EventSchedule], *, event_ids: Collection[int] | None = None
    ) -> None:
        self.syncs += 1
        wanted = {
            spec.id: LiveJob(spec.id, spec.event_id, spec.kind, spec.run_date)
            for spec in job_specs(schedules)
            if event_ids is None or spec.event_id in event_ids
        }
        for job_id in list(self.live):
            key = parse_job_id(job_id)
            if key is not None and (event_ids is None or key.event_id in event_ids):
                del self.live[job_id]
        self.live.update(wanted)

    def jobs(self) -> list[LiveJob]:
        return sorted(self.live.values(), key=lambda j: (j.run_time, j.id))

    def ids(self) -> list[str]:
        return sorted(self.live)
