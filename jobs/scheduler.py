"""`JobScheduler` on APScheduler 3.11's `AsyncIOScheduler`, with an in-memory job store.

The jobs are wake-up calls, nothing more: each date job (`ratmas:<event_id>:<phase>`,
or `ratmas:<event_id>:remind_wishlist` / `remind_gift` for a reminder)
and the periodic safety tick (`ratmas:tick`) call the phase engine's `reconcile`,
which reads the database and performs whatever is due, exactly once. The jobs are
derived from the database on every reconcile (`sync`), so losing them with the process
loses nothing: the next start rebuilds them.

APScheduler waits in real time. Given a `Timeline` (a clock that can run ahead of real
time: the demo's and the end-to-end tests'), the adapter runs each date job at the real
moment that clock reaches the phase's date, and moves the jobs up when it skips ahead;
without one (production) the dates are real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol, runtime_checkable

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
# From this many phase jobs on, a sync says what it is doing (a startup with many events
# spends a noticeable moment here).
MANY_JOBS: Final = 1000


@runtime_checkable
class Timeline(Protocol):
    """A clock whose time is not (only) real time, e.g. one skipped ahead past a wait.

    `real_time(instant)`: the real moment the clock shows `instant` (real now or later).
    `watch(changed)`: call `changed()` whenever that mapping moves; returns the function
    that stops the calls."""

    def real_time(self, instant: datetime) -> datetime: ...

    def watch(self, changed: Callable[[], None]) -> Callable[[], None]: ...


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


class _OneWakeupScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """An `AsyncIOScheduler` whose wake-ups can be held back and sent as one.

    Every `add_job`/`remove_job` on a running APScheduler wakes the event loop through
    `call_soon_threadsafe`, which writes a byte into the loop's self-pipe. That pipe is
    also the signal wake-up fd: tens of thousands of jobs added in one go (a startup
    reconcile with many events) fill it, and a SIGTERM arriving then is lost ("Exception
    ignored when trying to write to the signal wakeup fd: BlockingIOError"). Inside
    `one_wakeup()` the wake-ups are only noted, and one is sent at the end."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._held = 0
        self._wanted = False

    def wakeup(self) -> None:
        if self._held:
            self._wanted = True
            return
        super().wakeup()

    @contextlib.contextmanager
    def one_wakeup(self) -> Iterator[None]:
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._wanted:
                self._wanted = False
                if self.running:
                    super().wakeup()


class PhaseScheduler:
    """The APScheduler adapter: one date job per upcoming phase, plus the safety tick.

    `misfire_grace_seconds` (None: run however late) and `coalesce` are passed to every
    job explicitly: APScheduler's default grace of one second would silently skip a job
    whose time passed while the event loop was busy.

    `timeline`: the clock the services run on, when it is not real time (see the module
    docstring); the jobs then fire when *it* reaches their dates, and `jobs()` reports
    dates on it. The safety tick stays in real seconds."""

    def __init__(
        self,
        *,
        tick_seconds: int,
        misfire_grace_seconds: int | None,
        coalesce: bool,
        log: logging.Logger | None = None,
        timeline: Timeline | None = None,
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
        self._timeline = timeline
        # With a timeline: each date job's spec, whose run_date is on the timeline.
        self._specs: dict[str, DateJobSpec] = {}
        self._stop_watching: Callable[[], None] | None = None
        self.scheduler = _OneWakeupScheduler(
            jobstores={"default": MemoryJobStore()},
            timezone=UTC,
            job_defaults={"misfire_grace_time": misfire_grace_seconds, "coalesce": coalesce},
        )

    @classmethod
    def from_settings(
        cls,
        settings: SchedulerConfig,
        log: logging.Logger | None = None,
        *,
        timeline: Timeline | None = None,
    ) -> PhaseScheduler:
        return cls(
            tick_seconds=settings.tick_seconds,
            misfire_grace_seconds=settings.misfire_grace_seconds,
            coalesce=settings.coalesce,
            log=log,
            timeline=timeline,
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
        if self._timeline is not None and self._stop_watching is None:
            loop = asyncio.get_running_loop()
            # APScheduler starts a job's task in the context of whoever woke it up, and
            # the database connection lives in this one (Tortoise keeps it per context):
            # re-time from here, not from the code that skipped the clock.
            context = contextvars.copy_context()

            def skipped() -> None:
                loop.call_soon_threadsafe(self._retime, context=context.copy())

            self._stop_watching = self._timeline.watch(skipped)

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
        # Before the scheduler starts an interval job has no next run time yet: it
        # first fires at its trigger's start date (one period after it was added).
        due: datetime | None = getattr(job, "next_run_time", None)
        if due is None:
            due = job.trigger.start_date
        return due

    def shutdown(self) -> None:
        """Stop firing jobs (reconciles already running go on; see `aclose`)."""
        if self._stop_watching is not None:
            self._stop_watching()
            self._stop_watching = None
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
        """Make the event jobs exactly the upcoming phases and reminders of `schedules`
        (only those of `event_ids` when given). Unchanged jobs are left as they are."""
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
        if len(wanted) >= MANY_JOBS:
            self._log.info("scheduling %d phase jobs", len(wanted))
        # One wake-up of the event loop for the whole change, however many jobs.
        with self.scheduler.one_wakeup():
            for job_id in current.keys() - wanted.keys():
                self._specs.pop(job_id, None)
                with contextlib.suppress(JobLookupError):  # it has just run
                    self.scheduler.remove_job(job_id)
            for spec in wanted.values():
                existing = current.get(spec.id)
                if existing is not None and self._run_date(existing) == spec.run_date:
                    continue
                self.scheduler.add_job(self._fire, **self._job_kwargs(spec))

    def jobs(self) -> list[LiveJob]:
        live = []
        for job in self.scheduler.get_jobs():
            key = parse_job_id(job.id)
            if key is not None:
                live.append(LiveJob(job.id, key.event_id, key.kind, self._run_date(job)))
        return sorted(live, key=lambda j: (j.run_time, j.id))

    def _run_date(self, job: Any) -> datetime:
        """When the job runs, on the services' clock."""
        spec = self._specs.get(job.id) if self._timeline is not None else None
        return spec.run_date if spec is not None else _run_time(job)

    def _retime(self) -> None:
        """The timeline skipped ahead: move every date job to its new real moment."""
        for job in self.scheduler.get_jobs():
            spec = self._specs.get(job.id)
            if spec is not None:
                self.scheduler.add_job(self._fire, **self._job_kwargs(spec))

    def _job_kwargs(self, spec: DateJobSpec) -> dict[str, Any]:
        if self._timeline is not None:
            self._specs[spec.id] = spec
            real = self._timeline.real_time(spec.run_date)
            spec = dataclasses.replace(spec, run_date=real.astimezone(spec.run_date.tzinfo))
        kwargs = spec.add_job_kwargs()
        kwargs["misfire_grace_time"] = self.misfire_grace_seconds
        kwargs["coalesce"] = self.coalesce
        return kwargs

    # --- what the jobs run ----------------------------------------------------------------
    async def _fire(self, event_id: int, kind: str) -> None:
        if self._reconcile is None:  # pragma: no cover - jobs only run once started
            self._log.warning("job %s:%s:%s fired before start()", PREFIX, event_id, kind)
            return
        self._log.info("job %s:%s:%s fired", PREFIX, event_id, kind)
        await self._tracked(self._reconcile(event_id=event_id))

    async def _tick(self) -> None:
        if self._reconcile is not None:
            await self._tracked(self._reconcile())

    async def _tracked(self, work: Awaitable[object]) -> None:
        """Run a reconcile as a task of its own, which `aclose` waits for.

        APScheduler's shutdown cancels the jobs it is running: a reconcile cancelled
        halfway through a database transaction can leave the connection's lock taken
        (Tortoise's SQLite client does), and every later query waits for ever. So the
        job only waits for the reconcile, shielded; at shutdown the job's wait is what
        is cancelled, and `aclose` decides how long the reconcile itself may go on."""
        task = asyncio.ensure_future(work)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if self.scheduler.running or task.cancelled():
                raise  # cancelled for real (or by `aclose`, after its grace)
            # The scheduler is shutting down: `aclose` looks after the reconcile.
