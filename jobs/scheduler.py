"""`JobScheduler` on APScheduler 3.11's `AsyncIOScheduler`, with an in-memory job store.

The jobs are wake-up calls, nothing more: each date job (`ratmas:<event_id>:<phase>`)
and the periodic safety tick (`ratmas:tick`) call the phase engine's `reconcile`,
which reads the database and performs whatever is due, exactly once. The jobs are
derived from the database on every reconcile (`sync`), so losing them with the process
loses nothing: the next start rebuilds them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from jobs.ids import PREFIX, parse_job_id
from jobs.specs import DateJobSpec, job_specs
from ratmas.config import SchedulerConfig
from ratmas.services.ports import LiveJob
from ratmas.services.schedule import EventSchedule

TICK_JOB_ID: Final = f"{PREFIX}:tick"
BACKUP_JOB_ID: Final = f"{PREFIX}:backup"


class Reconcile(Protocol):
    """The phase engine's `reconcile`, as the jobs call it."""

    def __call__(self, *, event_id: int | None = None) -> Awaitable[object]: ...


def _run_time(job: Any) -> datetime:
    # A job added before the scheduler starts has no next_run_time yet.
    next_run: datetime | None = getattr(job, "next_run_time", None)
    if next_run is not None:
        return next_run
    run_date: datetime = job.trigger.run_date
    return run_date


class PhaseScheduler:
    """The APScheduler adapter: one date job per upcoming phase, plus the safety tick.

    `misfire_grace_seconds` (None: run however late) and `coalesce` are passed to every
    job explicitly: APScheduler's default grace of one second would silently skip a job
    whose time passed while the event loop was busy."""

    def __init__(
        self,
        *,
        tick_seconds: int,
        misfire_grace_seconds: int | None,
        coalesce: bool,
        log: logging.Logger | None = None,
    ) -> None:
        if tick_seconds < 1:
            raise ValueError(f"tick_seconds must be positive, got {tick_seconds}")
        self.tick_seconds = tick_seconds
        self.misfire_grace_seconds = misfire_grace_seconds
        self.coalesce = coalesce
        self._log = log or logging.getLogger(__name__)
        self._reconcile: Reconcile | None = None
        # Reconciles started by jobs and still running: shutdown lets them finish.
        self._in_flight: set[asyncio.Task[Any]] = set()
        self.scheduler = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()},
            timezone=UTC,
            job_defaults={"misfire_grace_time": misfire_grace_seconds, "coalesce": coalesce},
        )

    @classmethod
    def from_settings(
        cls, settings: SchedulerConfig, log: logging.Logger | None = None
    ) -> PhaseScheduler:
        return cls(
            tick_seconds=settings.tick_seconds,
            misfire_grace_seconds=settings.misfire_grace_seconds,
            coalesce=settings.coalesce,
            log=log,
        )

    # --- lifecycle of the scheduler itself ----------------------------------------------
    def start(self, reconcile: Reconcile, *, paused: bool = False) -> None:
        """Start firing (inside the running event loop); jobs call `reconcile`."""
        self._reconcile = reconcile
        self.scheduler.add_job(
            self._tick,
            trigger=IntervalTrigger(seconds=self.tick_seconds, timezone=UTC),
            id=TICK_JOB_ID,
            name="safety tick: reconcile every live event",
            replace_existing=True,
            # A tick missed by more than one interval is covered by the next one.
            misfire_grace_time=self.tick_seconds,
            coalesce=True,
            max_instances=1,
        )
        self.scheduler.start(paused=paused)

    def add_backup_job(self, run: Callable[[], Awaitable[object]], every_hours: int) -> None:
        """The scheduled backup (`ratmas:backup`), every `every_hours` from now."""
        self.scheduler.add_job(
            run,
            trigger=IntervalTrigger(hours=every_hours, timezone=UTC),
            id=BACKUP_JOB_ID,
            name="scheduled backup",
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    def backup_job_due(self) -> datetime | None:
        """When the backup job runs next; None when there is none."""
        job = self.scheduler.get_job(BACKUP_JOB_ID)
        if job is None:
            return None
        # Before the scheduler starts an interval job has no next run time yet.
        due: datetime | None = getattr(job, "next_run_time", None)
        if due is None:
            due = job.trigger.get_next_fire_time(None, datetime.now(UTC))
        return due

    def shutdown(self) -> None:
        """Stop firing jobs (reconciles already running go on; see `aclose`)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def aclose(self, grace_seconds: float = 10.0) -> None:
        """Stop firing, then give the reconciles already running `grace_seconds` to
        finish (a phase cut short is resumed later, but an announcement claimed and not
        yet posted would be lost); cancel what is still running after that."""
        self.shutdown()
        running = {task for task in self._in_flight if not task.done()}
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace_seconds)
        for task in late:
            self._log.warning("a reconcile still running at shutdown was cancelled")
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    # --- JobScheduler -------------------------------------------------------------------
    def sync(
        self, schedules: Sequence[EventSchedule], *, event_ids: Collection[int] | None = None
    ) -> None:
        """Make the phase jobs exactly the upcoming phases of `schedules` (only those of
        `event_ids` when given). Unchanged jobs are left as they are."""
        wanted = {
            spec.id: spec
            for spec in job_specs(schedules)
            if event_ids is None or spec.event_id in event_ids
        }
        current: dict[str, Any] = {}
        for job in self.scheduler.get_jobs():
            key = parse_job_id(job.id)
            if key is None or (event_ids is not None and key.event_id not in event_ids):
                continue
            current[job.id] = job
        for job_id in current.keys() - wanted.keys():
            with contextlib.suppress(JobLookupError):  # it has just run
                self.scheduler.remove_job(job_id)
        for spec in wanted.values():
            existing = current.get(spec.id)
            if existing is not None and _run_time(existing) == spec.run_date:
                continue
            self.scheduler.add_job(self._fire, **self._job_kwargs(spec))

    def jobs(self) -> list[LiveJob]:
        live = []
        for job in self.scheduler.get_jobs():
            key = parse_job_id(job.id)
            if key is not None:
                live.append(LiveJob(job.id, key.event_id, key.phase, _run_time(job)))
        return sorted(live, key=lambda j: (j.run_time, j.id))

    def _job_kwargs(self, spec: DateJobSpec) -> dict[str, Any]:
        kwargs = spec.add_job_kwargs()
        kwargs["misfire_grace_time"] = self.misfire_grace_seconds
        kwargs["coalesce"] = self.coalesce
        return kwargs

    # --- what the jobs run ----------------------------------------------------------------
    async def _fire(self, event_id: int, phase: str) -> None:
        if self._reconcile is None:  # pragma: no cover - jobs only run once started
            self._log.warning("job %s:%s:%s fired before start()", PREFIX, event_id, phase)
            return
        self._log.info("job %s:%s:%s fired", PREFIX, event_id, phase)
        await self._tracked(self._reconcile(event_id=event_id))

    async def _tick(self) -> None:
        if self._reconcile is not None:
            await self._tracked(self._reconcile())

    async def _tracked(self, work: Awaitable[object]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await work
        finally:
            if task is not None:
                self._in_flight.discard(task)
