"""What `ratmas jobs` prints, and how the bot's `/ratmas-admin jobs` checks the live scheduler.

Both read the schedule through `ratmas.services.schedule` and `jobs.specs`: the very
derivation the scheduler adapter uses, so what is printed is what would be scheduled.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TextIO

from jobs.ids import job_id
from jobs.specs import job_specs
from ratmas.domain.dates import format_local, format_utc, iso_local, relative
from ratmas.services.ports import Clock, EventRepository, LiveJob
from ratmas.services.schedule import (
    EventSchedule,
    PendingPhase,
    PendingReminder,
    schedules,
    within,
)

DifferenceKind = Literal["missing", "extra", "wrong_time"]


# --- the database's view: `ratmas jobs` ---------------------------------------------------


# Lines are written in batches of this many events: the output streams, never one
# string of the whole listing (10,000 events are 3 MB of text and 8 MB of JSON).
_BATCH = 256


def write_text(event_schedules: Sequence[EventSchedule], now: datetime, out: TextIO) -> None:
    """Per live event: guild, event id, status, hold, and each pending phase and
    reminder, soonest first, with its due time in the event's timezone and in UTC and
    how long until it. Ends without a newline, as `render_text` does."""
    if not event_schedules:
        out.write(f"No live events (as of {format_utc(now)}).")
        return
    lines = [f"Live events as of {format_utc(now)}:"]
    for count, s in enumerate(event_schedules, 1):
        e = s.event
        lines.append("")
        lines.append(f"guild {e.guild_id}  event {e.id}  {e.status}  ({e.timezone})")
        if e.held_reason is not None:
            lines.append(f"  HELD: {e.held_reason}")
            lines.append("  nothing scheduled until an admin reschedules, advances or cancels")
        elif not s.pending:
            lines.append("  no dated phase left (archive it to start a new Ratmas)")
        else:
            due: list[PendingPhase | PendingReminder] = [*s.pending, *s.reminders]
            width = max(len(p.kind.value) for p in due)
            for p in sorted(due, key=lambda p: p.due):
                when = relative(p.due, now)
                if p.overdue:
                    when += _OVERDUE if isinstance(p, PendingPhase) or p.useful else _TOO_LATE
                lines.append(
                    f"  {p.kind.value:<{width}}  {format_local(p.due, e.timezone)}  "
                    f"{format_utc(p.due)}  {when}"
                )
        if count % _BATCH == 0:
            out.write("\n".join(lines) + "\n")
            lines.clear()
    out.write("\n".join(lines))


_OVERDUE = " (overdue: performed at the next reconcile)"
_TOO_LATE = " (overdue: its phase is due, so it is skipped)"


def render_text(event_schedules: Sequence[EventSchedule], now: datetime) -> str:
    out = io.StringIO()
    write_text(event_schedules, now, out)
    return out.getvalue()


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
                "reminders": [
                    {
                        "reminder": r.reminder.value,
                        "job_id": job_id(r.event_id, r.reminder),
                        "due_local": iso_local(r.due, s.event.timezone),
                        "due_utc": r.due.isoformat(),
                        "seconds_until": int(r.until(now).total_seconds()),
                        "overdue": r.overdue,
                        "useful": r.useful,
                    }
                    for r in s.reminders
                ],
            }
            for s in event_schedules
        ],
    }


def _json_event(s: EventSchedule, now: datetime) -> str:
    """One element of "events", exactly as `json.dumps(json_data(...), indent=2)`
    writes it, without building the dict or running the (pure Python) indenting
    encoder; strings that are not ours go through `json.dumps`."""
    e = s.event
    head = (
        "    {\n"
        f'      "guild_id": "{e.guild_id}",\n'
        f'      "event_id": {e.id},\n'
        f'      "status": {json.dumps(e.status.value)},\n'
        f'      "timezone": {json.dumps(e.timezone)},\n'
        f'      "held_reason": {json.dumps(e.held_reason)},\n'
    )
    if not s.pending:
        return head + '      "pending": [],\n' + _json_reminders(s, now) + "\n    }"
    phases = ",\n".join(
        "        {\n"
        f'          "phase": {json.dumps(p.phase.value)},\n'
        f'          "job_id": {json.dumps(job_id(p.event_id, p.phase))},\n'
        f'          "due_local": "{iso_local(p.due, e.timezone)}",\n'
        f'          "due_utc": "{p.due.isoformat()}",\n'
        f'          "seconds_until": {int(p.until(now).total_seconds())},\n'
        f'          "overdue": {"true" if p.overdue else "false"}\n'
        "        }"
        for p in s.pending
    )
    return f'{head}      "pending": [\n{phases}\n      ],\n{_json_reminders(s, now)}\n    }}'


def _json_reminders(s: EventSchedule, now: datetime) -> str:
    """The "reminders" member of `_json_event`, as `json.dumps(..., indent=2)` writes it."""
    if not s.reminders:
        return '      "reminders": []'
    zone = s.event.timezone
    items = ",\n".join(
        "        {\n"
        f'          "reminder": "{r.reminder.value}",\n'
        f'          "job_id": "{job_id(r.event_id, r.reminder)}",\n'
        f'          "due_local": "{iso_local(r.due, zone)}",\n'
        f'          "due_utc": "{r.due.isoformat()}",\n'
        f'          "seconds_until": {int(r.until(now).total_seconds())},\n'
        f'          "overdue": {"true" if r.overdue else "false"},\n'
        f'          "useful": {"true" if r.useful else "false"}\n'
        "        }"
        for r in s.reminders
    )
    return f'      "reminders": [\n{items}\n      ]'


def write_json(
    event_schedules: Sequence[EventSchedule],
    now: datetime,
    out: TextIO,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """`json.dumps(json_data(...) | extra, indent=2)`, written event by event (no
    trailing newline)."""
    out.write(f'{{\n  "generated_at": "{now.isoformat()}",\n  "events": [')
    if event_schedules:
        chunk: list[str] = []
        for count, s in enumerate(event_schedules, 1):
            chunk.append(_json_event(s, now))
            if count % _BATCH == 0:
                out.write(("\n" if count == _BATCH else ",\n") + ",\n".join(chunk))
                chunk.clear()
        if chunk:
            lead = "\n" if len(event_schedules) <= _BATCH else ",\n"
            out.write(lead + ",\n".join(chunk))
        out.write("\n  ]")
    else:
        out.write("]")
    for key, value in (extra or {}).items():
        text = json.dumps(value, indent=2).replace("\n", "\n  ")
        out.write(f",\n  {json.dumps(key)}: {text}")
    out.write("\n}")


def render_json(event_schedules: Sequence[EventSchedule], now: datetime) -> str:
    out = io.StringIO()
    write_json(event_schedules, now, out)
    return out.getvalue()


async def load_schedules(
    repo: EventRepository, now: datetime, guild_filter: Callable[[int], bool] | None = None
) -> list[EventSchedule]:
    """The schedule of every live event (of the given guilds), soonest first."""
    events = await repo.list_live_events()
    if guild_filter is not None:
        events = [e for e in events if guild_filter(e.guild_id)]
    return schedules(events, now)


async def write_jobs(
    repo: EventRepository,
    clock: Clock,
    out: TextIO,
    *,
    as_json: bool,
    guild_filter: Callable[[int], bool] | None = None,
    extra_json: Mapping[str, Any] | None = None,
) -> None:
    """Write the output of `ratmas jobs [--json]`, read from the database."""
    now = clock.now()
    found = await load_schedules(repo, now, guild_filter)
    if as_json:
        write_json(found, now, out, extra_json)
    else:
        write_text(found, now, out)


async def jobs_command(
    repo: EventRepository,
    clock: Clock,
    *,
    as_json: bool,
    guild_filter: Callable[[int], bool] | None = None,
) -> str:
    """The output of `ratmas jobs [--json]`, read from the database."""
    out = io.StringIO()
    await write_jobs(repo, clock, out, as_json=as_json, guild_filter=guild_filter)
    return out.getvalue()


# --- the live scheduler against the database: `/ratmas-admin jobs` ------------------------------


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

    Empty when they agree. Overdue phases and reminders have no job by design (reconcile performs
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
    """The bot's `/ratmas-admin jobs`: the live jobs, then any difference from the database
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
