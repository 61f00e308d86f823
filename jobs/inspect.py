"""What `ratmas jobs` prints, and how the bot's `/ratmas jobs` checks the live scheduler.

Both read the schedule through `ratmas.services.schedule` and `jobs.specs`: the very
derivation the scheduler adapter uses, so what is printed is what would be scheduled.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from jobs.ids import job_id
from jobs.specs import job_specs
from ratmas.domain.dates import format_local, format_utc, iso_local, relative
from ratmas.services.ports import Clock, EventRepository, LiveJob
from ratmas.services.schedule import EventSchedule, schedules, within

DifferenceKind = Literal["missing", "extra", "wrong_time"]


# --- the database's view: `ratmas jobs` ---------------------------------------------------


def render_text(event_schedules: Sequence[EventSchedule], now: datetime) -> str:
    """Per live event: guild, event id, status, hold, and each pending phase with its
    due time in the event's timezone and in UTC and how long until it."""
    if not event_schedules:
        return f"No live events (as of {format_utc(now)})."
    lines = [f"Live events as of {format_utc(now)}:"]
    for s in event_schedules:
        e = s.event
        lines.append("")
        lines.append(f"guild {e.guild_id}  event {e.id}  {e.status}  ({e.timezone})")
        if e.held_reason is not None:
            lines.append(f"  HELD: {e.held_reason}")
            lines.append("  nothing scheduled until an admin reschedules, advances or cancels")
            continue
        if not s.pending:
            lines.append("  no dated phase left (archive it to start a new Ratmas)")
            continue
        width = max(len(p.phase.value) for p in s.pending)
        for p in s.pending:
            when = relative(p.due, now)
            if p.overdue:
                when += " (overdue: performed at the next reconcile)"
            lines.append(
                f"  {p.phase.value:<{width}}  {format_local(p.due, e.timezone)}  "
                f"{format_utc(p.due)}  {when}"
            )
    return "\n".join(lines)


def json_data(event_schedules: Sequence[EventSchedule], now: datetime) -> dict[str, Any]:
    """The same content for machines: ISO-8601 times with their UTC offsets. Discord
    ids are strings (they do not fit a JavaScript number)."""
    return {
        "generated_at": now.isoformat(),
        "events": [
            {
                "guild_id": str(s.event.guild_id),
                "event_id": s.event.id,
                "status": s.event.status.value,
                "timezone": s.event.timezone,
                "held_reason": s.event.held_reason,
                "pending": [
                    {
                        "phase": p.phase.value,
                        "job_id": job_id(p.event_id, p.phase),
                        "due_local": iso_local(p.due, s.event.timezone),
                        "due_utc": p.due.isoformat(),
                        "seconds_until": int(p.until(now).total_seconds()),
                        "overdue": p.overdue,
                    }
                    for p in s.pending
                ],
            }
            for s in event_schedules
        ],
    }


def render_json(event_schedules: Sequence[EventSchedule], now: datetime) -> str:
    return json.dumps(json_data(event_schedules, now), indent=2)


async def load_schedules(
    repo: EventRepository, now: datetime, guild_filter: Callable[[int], bool] | None = None
) -> list[EventSchedule]:
    """The schedule of every live event (of the given guilds), soonest first."""
    events = await repo.list_live_events()
    if guild_filter is not None:
        events = [e for e in events if guild_filter(e.guild_id)]
    return schedules(events, now)


async def jobs_command(
    repo: EventRepository,
    clock: Clock,
    *,
    as_json: bool,
    guild_filter: Callable[[int], bool] | None = None,
) -> str:
    """The output of `ratmas jobs [--json]`, read from the database."""
    now = clock.now()
    found = await load_schedules(repo, now, guild_filter)
    return render_json(found, now) if as_json else render_text(found, now)


# --- the live scheduler against the database: `/ratmas jobs` ------------------------------


@dataclass(frozen=True, slots=True)
class JobDifference:
    """One way the live scheduler differs from what the database says it should hold."""

    kind: DifferenceKind
    job_id: str
    expected: datetime | None  # from the database
    actual: datetime | None  # in the scheduler

    def describe(self) -> str:
        if self.kind == "missing":
            assert self.expected is not None
            return f"{self.job_id}: missing (due {format_utc(self.expected)})"
        if self.kind == "extra":
            assert self.actual is not None
            return f"{self.job_id}: not in the database (scheduled {format_utc(self.actual)})"
        assert self.expected is not None
        assert self.actual is not None
        return (
            f"{self.job_id}: scheduled {format_utc(self.actual)}, due {format_utc(self.expected)}"
        )


def compare(
    live_jobs: Sequence[LiveJob],
    event_schedules: Sequence[EventSchedule],
    until: datetime | None = None,
) -> list[JobDifference]:
    """Differences between the scheduler's phase jobs and the upcoming phases, by id.

    Empty when they agree. Overdue phases have no job by design (reconcile performs
    them at once), so they are not reported missing; nor are phases due at or after
    `until`, when the scheduler only holds the jobs of a horizon."""
    expected = {spec.id: spec.run_date for spec in job_specs(within(event_schedules, until))}
    actual = {job.id: job.run_time for job in live_jobs}
    differences: list[JobDifference] = []
    for jid in sorted(expected.keys() | actual.keys()):
        want, have = expected.get(jid), actual.get(jid)
        if have is None:
            differences.append(JobDifference("missing", jid, want, None))
        elif want is None:
            differences.append(JobDifference("extra", jid, None, have))
        elif want != have:
            differences.append(JobDifference("wrong_time", jid, want, have))
    return differences


def render_comparison(
    live_jobs: Sequence[LiveJob],
    event_schedules: Sequence[EventSchedule],
    now: datetime,
    *,
    horizon: timedelta | None = None,
) -> str:
    """The bot's `/ratmas jobs`: the live jobs, then any difference from the database
    (which expects jobs only for phases within `horizon` when one is given)."""
    lines = [f"Scheduler jobs as of {format_utc(now)}:"]
    if not live_jobs:
        lines.append("  (none)")
    zones = {s.event.id: s.event.timezone for s in event_schedules}
    for job in live_jobs:
        zone = zones.get(job.event_id)
        local = format_local(job.run_time, zone) if zone else format_utc(job.run_time)
        lines.append(f"  {job.id}  {local}  {relative(job.run_time, now)}")
    differences = compare(live_jobs, event_schedules, None if horizon is None else now + horizon)
    if differences:
        lines.append("Differences from the database (the next reconcile repairs them):")
        lines.extend(f"  {d.describe()}" for d in differences)
    else:
        lines.append("The scheduler matches the database.")
    return "\n".join(lines)
