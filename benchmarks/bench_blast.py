"""Benchmark of the santa blast under Discord-like limits.

1,000 santas, the real app (`ratmas.app.serve`, SQLite) against the sandbox with
Discord's limits as measured (opening DM channels 20/s, 5 messages per 5 s per
channel, 50 requests/s global) and `[delivery] dms_per_second = 19`. Prints the
blast time over the minimum the binding limit allows (1,000 / 20 s; goal <= 1.15),
the 429s served (goal 0), and the acknowledgement latency of 50 `/ratmas status`
commands sent during the blast (p50, p99; goal p99 <= 100 ms).

    .venv/bin/python benchmarks/bench_blast.py     (about a minute)
"""

# Polling is the point: the blast runs in serve(), the benchmark only watches its results.
# ruff: noqa: ASYNC110

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ratmas.app import serve
from ratmas.config import DeliveryConfig, DiscordConfig, SchedulerConfig, Settings
from ratmas.domain.model import EventDates, NewEvent
from ratmas.persistence.db import close_db, init_db, migrate
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.sandbox import Sandbox

SANTAS = 1_000
DM_CREATE_PER_SECOND = 20
STATUS_COMMANDS = 50


async def blast() -> tuple[float, int, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        url = f"sqlite://{path}"
        async with Sandbox() as sb:
            guild = sb.add_guild("Bench", channels=("ratmas",))
            role = sb.create_role(guild.id, "Ratmas")
            santas = [
                await sb.add_member(guild.id, f"s{n:04d}", roles=(role.id,)) for n in range(SANTAS)
            ]
            await migrate(url)
            await init_db(url)
            now = datetime.now(UTC)
            await TortoiseEventRepository().create_event(
                NewEvent(
                    guild.id,
                    EventDates(
                        now + timedelta(seconds=3), now + timedelta(days=1), now + timedelta(days=2)
                    ),
                    "UTC",
                    announcement_channel_id=sb.channel(guild.id, "ratmas").id,
                    participant_role_id=role.id,
                ),
                now=now,
            )
            await close_db()
            sb.discord_like_limits()
            settings = Settings(
                source="<bench>",
                database_url=url,
                discord=DiscordConfig(api_base_url=sb.api_base),
                scheduler=SchedulerConfig(tick_seconds=1),
                delivery=DeliveryConfig(dms_per_second=19, max_concurrent_dms=10),
            )
            stop = asyncio.Event()
            task = asyncio.create_task(
                serve(settings, sb.token, stop=stop, guild_ready_timeout=0.05)
            )

            def delivered() -> int:
                with sqlite3.connect(path) as db:
                    return int(
                        db.execute(
                            "SELECT COUNT(*) FROM ratmas_outbox WHERE state = 'delivered'"
                        ).fetchone()[0]
                    )

            while not sb.requests_to("POST", "/messages"):
                await asyncio.sleep(0.05)
            started = time.perf_counter()
            latencies: list[float] = []
            for n in range(STATUS_COMMANDS):
                before = time.perf_counter()
                handle = await sb.slash(guild.id, santas[n].id, "ratmas", "status")
                await handle.acknowledged()
                latencies.append(time.perf_counter() - before)
                await asyncio.sleep(0.5)
            while delivered() < SANTAS:
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - started
            stop.set()
            await task
            return elapsed, sb.limits.served_429, latencies


def main() -> None:
    elapsed, served_429, latencies = asyncio.run(blast())
    minimum = SANTAS / DM_CREATE_PER_SECOND
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000
    ratio = f"{elapsed / minimum:.3f} ({elapsed:.1f} s)"
    print("| measure | value | goal |")
    print("|---|---|---|")
    print(f"| blast of {SANTAS:,} santas / minimum ({minimum:.0f} s) | {ratio} | <= 1.15 |")
    print(f"| 429s served | {served_429} | 0 |")
    print(f"| /ratmas status ack p50 / p99 | {p50:.1f} ms / {p99:.1f} ms | p99 <= 100 ms |")


if __name__ == "__main__":
    main()
