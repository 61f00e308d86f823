"""Many jobs at once must not flood the event loop's wake-up pipe.

The self-pipe that `call_soon_threadsafe` writes to is also where the C signal handler
writes SIGTERM/SIGINT; once it is full a signal is lost. A sync of thousands of events on
a running scheduler must therefore wake the loop once, not once per job.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from jobs.scheduler import PhaseScheduler
from ratmas.domain.model import Event, EventDates
from ratmas.domain.status import EventStatus
from ratmas.services.schedule import schedules

NOW = datetime.now(UTC)  # the scheduler runs on the real clock: keep every job ahead
EVENTS = 2_000  # 6,000 date jobs: one wake-up each would be 6,000 writes


def event(event_id: int) -> Event:
    start = NOW + timedelta(days=1, minutes=event_id)
    return Event(
        id=event_id,
        guild_id=1000 + event_id,
        status=EventStatus.SCHEDULED,
        dates=EventDates(start, start + timedelta(days=10), start + timedelta(days=20)),
        timezone="UTC",
        announcement_channel_id=None,
        participant_role_id=None,
        manager_role_id=None,
        created_by=None,
        held_reason=None,
        announced_status=None,
        cancel_reason=None,
        created_at=NOW,
        updated_at=NOW,
    )


async def _never(*, event_id: int | None = None) -> None:  # pragma: no cover - far future
    raise AssertionError("a job due tomorrow ran")


async def test_syncing_thousands_of_jobs_wakes_the_running_loop_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    adapter = PhaseScheduler(tick_seconds=60, misfire_grace_seconds=900, coalesce=True)
    adapter.start(_never)
    try:
        await asyncio.sleep(0)  # let the start's own wake-up run
        loop = asyncio.get_running_loop()
        writes: list[object] = []
        real = loop.call_soon_threadsafe

        def counting(callback: object, *args: object, **kwargs: object) -> asyncio.Handle:
            writes.append(callback)
            return real(callback, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(loop, "call_soon_threadsafe", counting)
        adapter.sync(schedules([event(i) for i in range(1, EVENTS + 1)], NOW))
        assert len(adapter.jobs()) == 3 * EVENTS
        assert len(writes) == 1
        writes.clear()
        adapter.sync(schedules([event(i) for i in range(1, EVENTS // 2 + 1)], NOW))
        assert len(adapter.jobs()) == 3 * EVENTS // 2
        assert len(writes) <= 1  # removing jobs needs no wake-up
        monkeypatch.undo()
        await asyncio.sleep(0)
        assert adapter.running
    finally:
        adapter.shutdown()
