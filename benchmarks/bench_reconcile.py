"""Benchmark of the phase engine at scale: 10,000 live events (`world.py`).

For each backend (PostgreSQL only when reachable) the database is built in bulk, then
the real services run over the Tortoise repository with the APScheduler adapter
started, as `ratmas run` wires them, and a Discord that answers at once:

- the startup reconcile: every live event looked at, the overdue phases performed,
  the stopped DM blasts resumed, the scheduler given its jobs;
- the event loop's lag during it: a probe task asks to wake every millisecond and
  records how late it wakes; the longest lag is the longest time the loop was
  blocked, and the 99th percentile is what a slash command's acknowledgement would
  wait at worst for 99 in 100 interactions;
- the safety tick with nothing due (the median of a few reconciles after the first).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from datetime import datetime

import world
from databases import BACKENDS, LABELS, database
from table import Row, format_table, seconds

from jobs.scheduler import PhaseScheduler
from ratmas.domain.model import Member
from ratmas.persistence.db import close_db, init_db
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.container import ServiceOptions, build_services
from ratmas.services.phases import DEFAULT_HORIZON
from ratmas.services.ports import Message, SentMessage

TICKS = 5
PROBE_PERIOD = 0.001
GOALS = {"startup": 1.0, "lag_max": 0.05, "lag_p99": 0.1, "tick": 0.05}


class BenchClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


class AnsweringDiscord:
    """Discord that accepts everything at once (the benchmark times our side only)."""

    def __init__(self) -> None:
        self.sent = 0

    async def role_members(self, guild_id: int, role_id: int) -> list[Member]:
        return []

    async def send_dm(
        self,
        user_id: int,
        message: Message,
        *,
        nonce: str | None = None,
        channel_id: int | None = None,
    ) -> SentMessage:
        self.sent += 1
        return SentMessage(channel_id or user_id, self.sent)

    async def open_dm(self, user_id: int) -> int:
        return user_id

    async def find_own_dm(self, channel_id: int, nonce: str, *, limit: int = 50) -> int | None:
        return None

    async def post(self, channel_id: int, message: Message) -> SentMessage:
        self.sent += 1
        return SentMessage(channel_id, self.sent)

    async def edit(self, channel_id: int, message_id: int, message: Message) -> None:
        return None

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        return None

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        return None


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(PROBE_PERIOD)
        lags.append(loop.time() - asked - PROBE_PERIOD)


async def _measure(url: str) -> dict[str, float | str]:
    await init_db(url)
    try:
        size = await world.build()
        discord = AnsweringDiscord()
        scheduler = PhaseScheduler(tick_seconds=60, misfire_grace_seconds=3600, coalesce=True)
        services = build_services(
            TortoiseEventRepository(),
            discord,
            BenchClock(world.NOW),
            scheduler,
            # As `ratmas run` wires it (ratmas.app.service_options).
            ServiceOptions(min_participants=3, horizon=DEFAULT_HORIZON),
        )
        engine = services.engine
        scheduler.start(engine.reconcile)
        try:
            lags: list[float] = []
            stop = asyncio.Event()
            probe = asyncio.create_task(_probe(lags, stop))
            await asyncio.sleep(0.01)
            started = time.perf_counter()
            report = await engine.reconcile()
            startup = time.perf_counter() - started
            stop.set()
            await probe
            ticks: list[float] = []
            for _ in range(TICKS):
                started = time.perf_counter()
                await engine.reconcile()
                ticks.append(time.perf_counter() - started)
            lags.sort()
            return {
                "startup": startup,
                "lag_max": lags[-1],
                "lag_p99": lags[int(len(lags) * 0.99)],
                "tick": statistics.median(ticks),
                "note": (
                    f"{size.events:,} live events, {size.pairings:,} pairings; performed "
                    f"{len(report.performed)}, resumed {len(report.resumed)}, "
                    f"{len(scheduler.jobs())} jobs held"
                ),
                "probes": float(len(lags)),
            }
        finally:
            scheduler.shutdown()
    finally:
        await close_db()


async def _rows() -> list[Row]:
    rows: list[Row] = []
    for backend in BACKENDS:
        label = LABELS[backend]
        async with database(backend) as url:
            if url is None:
                rows.append(Row(f"reconcile, {label}", 0.0, None, "server unreachable: skipped"))
                continue
            found = await _measure(url)
        note = str(found["note"])
        probes = int(found["probes"])
        rows += [
            Row(
                f"startup reconcile, 10k live events, {label}",
                float(found["startup"]),
                GOALS["startup"],
                note,
            ),
            Row(
                f"  event-loop lag during it, longest, {label}",
                float(found["lag_max"]),
                GOALS["lag_max"],
                f"probe every {seconds(PROBE_PERIOD)}, {probes} wake-ups",
            ),
            Row(
                f"  event-loop lag during it, p99, {label}",
                float(found["lag_p99"]),
                GOALS["lag_p99"],
                "what an interaction's acknowledgement would wait",
            ),
            Row(
                f"safety tick, nothing due, {label}",
                float(found["tick"]),
                GOALS["tick"],
                f"median of {TICKS}",
            ),
        ]
    return rows


def run() -> list[Row]:
    """Measure the reconciles; the rows are what `main` prints."""
    # The phases performed log a line each; the table is the output.
    logging.getLogger("ratmas").setLevel(logging.ERROR)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    return asyncio.run(_rows())


def main() -> None:
    print(format_table(run()))


if __name__ == "__main__":
    main()
