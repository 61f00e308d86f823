"""`ratmas jobs` (text and JSON) and the live-scheduler comparison of `/ratmas-admin jobs`."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from jobs.inspect import (
    compare,
    jobs_command,
    json_data,
    render_comparison,
    render_json,
    render_text,
    write_json,
)
from jobs.specs import job_specs
from ratmas.domain.model import EventDates, NewEvent, ReminderDays
from ratmas.domain.status import EventStatus, Phase
from ratmas.services.ports import LiveJob
from ratmas.services.schedule import schedules
from tests.fakes import FixedClock, InMemoryEventRepository

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
GUILD = 900_000_000_000_000_001


async def seeded() -> tuple[InMemoryEventRepository, FixedClock]:
    repo = InMemoryEventRepository()
    dates = EventDates(START, START + timedelta(days=19), START + timedelta(days=23))
    await repo.create_event(NewEvent(GUILD, dates, "Pacific/Auckland"), now=NOW)
    held = await repo.create_event(NewEvent(GUILD + 1, dates, "Europe/London"), now=NOW)
    await repo.set_hold(held.id, "needs at least 3 participants, has 2", now=NOW)
    gone = await repo.create_event(NewEvent(GUILD + 2, dates, "UTC"), now=NOW)
    await repo.set_status(gone.id, EventStatus.SCHEDULED, EventStatus.CANCELLED, now=NOW)
    return repo, FixedClock(NOW)


async def test_text_shows_each_pending_phase_in_both_zones_with_time_left() -> None:
    repo, clock = await seeded()
    text = await jobs_command(repo, clock, as_json=False)
    assert text.splitlines() == [
        "Live events as of 2026-11-30 12:00 UTC:",
        "",
        "guild 900000000000000001  event 1  scheduled  (Pacific/Auckland)",
        "  start              2026-12-02 07:00 NZDT (UTC+13:00)  2026-12-01 18:00 UTC  in 1 d 6 h",
        "  purchase_deadline  2026-12-21 07:00 NZDT (UTC+13:00)  2026-12-20 18:00 UTC  in 20 d 6 h",
        "  reveal             2026-12-25 07:00 NZDT (UTC+13:00)  2026-12-24 18:00 UTC  in 24 d 6 h",
        "",
        "guild 900000000000000002  event 2  scheduled  (Europe/London)",
        "  HELD: needs at least 3 participants, has 2",
        "  nothing scheduled until an admin reschedules, advances or cancels",
    ]


async def test_text_flags_overdue_phases_and_an_empty_database() -> None:
    repo, clock = await seeded()
    clock.set(START + timedelta(minutes=5))
    text = await jobs_command(repo, clock, as_json=False)
    assert "5 min ago (overdue: performed at the next reconcile)" in text
    empty = await jobs_command(InMemoryEventRepository(), clock, as_json=False)
    assert empty == "No live events (as of 2026-12-01 18:05 UTC)."


async def test_json_uses_iso_times_with_offsets() -> None:
    repo, clock = await seeded()
    data = json.loads(await jobs_command(repo, clock, as_json=True))
    assert data["generated_at"] == "2026-11-30T12:00:00+00:00"
    first, held = data["events"]
    assert first["guild_id"] == "900000000000000001"
    assert first["status"] == "scheduled"
    assert first["pending"][0] == {
        "phase": "start",
        "job_id": "ratmas:1:start",
        "due_local": "2026-12-02T07:00:00+13:00",
        "due_utc": "2026-12-01T18:00:00+00:00",
        "seconds_until": 108000,
        "overdue": False,
    }
    assert held["held_reason"] == "needs at least 3 participants, has 2"
    assert held["pending"] == []


async def test_guild_filter_limits_the_listing() -> None:
    repo, clock = await seeded()
    text = await jobs_command(repo, clock, as_json=False, guild_filter=lambda g: g == GUILD + 1)
    assert "event 1 " not in text
    assert "event 2 " in text


async def test_text_and_json_come_from_the_scheduler_derivation() -> None:
    repo, _ = await seeded()
    found = schedules(await repo.list_live_events(), NOW)
    ids = {spec.id for spec in job_specs(found)}
    data = json.loads(render_json(found, NOW))
    assert {p["job_id"] for e in data["events"] for p in e["pending"]} == ids
    assert all(i.split(":")[2] in render_text(found, NOW) for i in ids)


async def test_streamed_json_is_the_indented_dump_byte_for_byte() -> None:
    """`write_json` builds no dict and runs no indenting encoder, event by event in
    batches: its text must be exactly what `json.dumps(..., indent=2)` writes."""
    repo, _ = await seeded()
    held = (await repo.list_live_events())[1]
    await repo.set_hold(held.id, 'Zoë said "no" \\ \n again', now=NOW)
    dates = EventDates(START, START + timedelta(days=19), START + timedelta(days=23))
    for guild in range(600):  # more than two batches, and not a multiple of one
        days = ReminderDays(guild % 3, guild % 4)  # some with reminders, some without
        await repo.create_event(
            NewEvent(GUILD + 10 + guild, dates, "America/New_York", reminder_days=days), now=NOW
        )
    extra = {"backup": {"job_id": "ratmas:backup", "next_due": None, "taken_here": True}}
    for found in (
        schedules(await repo.list_live_events(), NOW + timedelta(days=20)),
        schedules((await repo.list_live_events())[:2], NOW),
        [],
    ):
        out = io.StringIO()
        write_json(found, NOW, out, extra)
        assert out.getvalue() == json.dumps(json_data(found, NOW) | extra, indent=2)
        assert render_json(found, NOW) == json.dumps(json_data(found, NOW), indent=2)


async def test_compare_reports_missing_extra_and_wrong_times() -> None:
    repo, _ = await seeded()
    found = schedules(await repo.list_live_events(), NOW)
    live = [
        LiveJob(s.id, s.event_id, s.kind, s.run_date)
        for s in job_specs(found)
        if s.kind is not Phase.REVEAL
    ]
    assert [(d.kind, d.job_id) for d in compare(live, found)] == [("missing", "ratmas:1:reveal")]
    moved = replace(live[0], run_time=live[0].run_time + timedelta(hours=1))
    stray = LiveJob("ratmas:9:start", 9, Phase.START, START)
    differences = compare([moved, live[1], stray], found)
    assert [(d.kind, d.job_id) for d in differences] == [
        ("missing", "ratmas:1:reveal"),
        ("wrong_time", "ratmas:1:start"),
        ("extra", "ratmas:9:start"),
    ]
    text = render_comparison([moved, live[1], stray], found, NOW)
    assert "ratmas:1:start: scheduled 2026-12-01 19:00 UTC, due 2026-12-01 18:00 UTC" in text
    assert "ratmas:9:start: not in the database" in text
    assert "ratmas:1:reveal: missing (due 2026-12-24 18:00 UTC)" in text
    everything = [LiveJob(s.id, s.event_id, s.kind, s.run_date) for s in job_specs(found)]
    assert render_comparison(everything, found, NOW).endswith("matches the database.")


async def test_reminders_are_listed_with_the_phases_soonest_first() -> None:
    repo = InMemoryEventRepository()
    created = NOW - timedelta(days=10)
    dates = EventDates(START, START + timedelta(days=19), START + timedelta(days=23))
    event = await repo.create_event(
        NewEvent(GUILD, dates, "Europe/London", reminder_days=ReminderDays(2, 3)), now=created
    )
    text = render_text(schedules(await repo.list_live_events(), NOW), NOW)
    assert text.splitlines()[3:] == [
        "  remind_wishlist    2026-11-29 18:00 GMT (UTC+00:00)  2026-11-29 18:00 UTC  "
        "18 h ago (overdue: performed at the next reconcile)",
        "  start              2026-12-01 18:00 GMT (UTC+00:00)  2026-12-01 18:00 UTC  in 1 d 6 h",
        "  remind_gift        2026-12-17 18:00 GMT (UTC+00:00)  2026-12-17 18:00 UTC  in 17 d 6 h",
        "  purchase_deadline  2026-12-20 18:00 GMT (UTC+00:00)  2026-12-20 18:00 UTC  in 20 d 6 h",
        "  reveal             2026-12-24 18:00 GMT (UTC+00:00)  2026-12-24 18:00 UTC  in 24 d 6 h",
    ]
    late = render_text(schedules([event], START + timedelta(hours=1)), START + timedelta(hours=1))
    assert "remind_wishlist" in late
    assert "(overdue: its phase is due, so it is skipped)" in late
    (entry,) = json_data(schedules([event], NOW), NOW)["events"]
    assert [
        (r["reminder"], r["job_id"], r["overdue"], r["useful"]) for r in entry["reminders"]
    ] == [
        ("remind_wishlist", f"ratmas:{event.id}:remind_wishlist", True, True),
        ("remind_gift", f"ratmas:{event.id}:remind_gift", False, True),
    ]
    assert [p["phase"] for p in entry["pending"]] == ["start", "purchase_deadline", "reveal"]
