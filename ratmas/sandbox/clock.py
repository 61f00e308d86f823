"""The sandbox's clock: real time that the demo and the tests can skip ahead.

A season's dates are seconds apart, yet most of those seconds are spent waiting for a
date to come. `FastForwardClock` is real time plus an offset that only grows: it runs
at the speed of the wall clock (so time-outs, back-offs and the scheduler's safety tick
behave as in production), and `fast_forward(to)` skips the wait for a date at once.

The loopback Discord stamps its messages with it, and the bot gets the same clock
(`ratmas.app.serve(clock=sb.clock)`): the services read "now" from it, and the
scheduler adapter (`jobs.scheduler.PhaseScheduler`, given it as its `timeline`) runs
each date job at the real moment this clock reaches the job's date, and moves the jobs
up whenever the clock skips ahead. The phases are still fired by APScheduler; only the
waiting is cut short. Production runs on `SystemClock` and never skips.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class FastForwardClock:
    """Real time, plus however far the clock has been skipped ahead (never backwards).

    Implements the services' `Clock` (`now`) and the scheduler's `Timeline`
    (`real_time`, `watch`)."""

    def __init__(self) -> None:
        self._ahead = timedelta(0)
        self._watchers: list[Callable[[], None]] = []

    @property
    def skipped(self) -> timedelta:
        """How far ahead of real time the clock is."""
        return self._ahead

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead

    def real_time(self, instant: datetime) -> datetime:
        """When, in real time, this clock shows `instant` (the real now if it already
        has: an instant the clock skipped over is due at once, not missed)."""
        real_now = datetime.now(UTC)
        return max(instant.astimezone(UTC) - self._ahead, real_now)

    def fast_forward(self, to: datetime) -> timedelta:
        """Skip ahead so that it is `to` now (nothing happens if it already is later).
        Returns how far the clock jumped; watchers are told when it moved at all."""
        jump = to.astimezone(UTC) - self.now()
        if jump <= timedelta(0):
            return timedelta(0)
        self._ahead += jump
        for changed in list(self._watchers):
            changed()
        return jump

    def watch(self, changed: Callable[[], None]) -> Callable[[], None]:
        """Call `changed()` after every skip ahead; returns the function that stops it."""
        self._watchers.append(changed)

        def stop() -> None:
            if changed in self._watchers:
                self._watchers.remove(changed)

        return stop
