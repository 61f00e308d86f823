"""Benchmark of storing a draw: `replace_pairings` of 10,000 pairings on SQLite.

A temporary SQLite file is migrated (`ratmas.persistence.db.migrate`) and connected
(`init_db`); an event gets 10,000 participants. Then, in the same run:

- `TortoiseEventRepository.replace_pairings` stores a 10,000-person loop (one
  transaction, one prepared insert for all rows) into an event without pairings, the
  way the start of a season does;
- the baseline inserts the same 10,000 pairings one by one (`PairingRow.create` in a
  loop) inside one transaction too, so the comparison is about statements, not commits.

The goal is for the repository to be at least `GOAL_RATIO` times faster than the
baseline; the row's goal is the baseline's time divided by that ratio. Each figure is
the median of `RUNS` runs.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from table import Row, format_table
from tortoise.transactions import in_transaction

from ratmas.domain.model import EventDates, Member, NewEvent
from ratmas.persistence.db import close_db, init_db, migrate
from ratmas.persistence.models import PairingRow
from ratmas.persistence.repository import TortoiseEventRepository

PAIRINGS = 10_000
GOAL_RATIO = 20.0
RUNS = 3
# A fixed instant: benchmarks need no clock, only valid aware dates.
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def _measure(url: str) -> tuple[float, float]:
    """Median seconds of (replace_pairings, one-by-one inserts) for `PAIRINGS` pairings."""
    await migrate(url)
    await init_db(url)
    try:
        repo = TortoiseEventRepository()
        event = await repo.create_event(
            NewEvent(
                guild_id=1,
                dates=EventDates(NOW, NOW + timedelta(days=10), NOW + timedelta(days=20)),
                timezone="UTC",
            ),
            now=NOW,
        )
        rng = random.Random(7)
        people = rng.sample(range(10**17, 10**18), PAIRINGS)
        await repo.sync_participants(
            event.id, [Member(user_id, f"member {user_id}") for user_id in people], now=NOW
        )
        rng.shuffle(people)
        draw = {people[k]: people[(k + 1) % PAIRINGS] for k in range(PAIRINGS)}

        bulk: list[float] = []
        one_by_one: list[float] = []
        for _ in range(RUNS):
            # Both ways start from an event without pairings, as a season's start does.
            await PairingRow.filter(event_id=event.id).delete()
            started = time.perf_counter()
            stored = await repo.replace_pairings(event.id, draw)
            bulk.append(time.perf_counter() - started)
            assert len(stored) == PAIRINGS

            await PairingRow.filter(event_id=event.id).delete()
            started = time.perf_counter()
            async with in_transaction():
                for santa, recipient in draw.items():
                    await PairingRow.create(
                        event_id=event.id, santa_id=santa, recipient_id=recipient
                    )
            one_by_one.append(time.perf_counter() - started)
            assert await PairingRow.filter(event_id=event.id).count() == PAIRINGS
        return statistics.median(bulk), statistics.median(one_by_one)
    finally:
        await close_db()


def run() -> list[Row]:
    """Time both ways of storing the pairings; the rows are what `main` prints."""
    with tempfile.TemporaryDirectory(prefix="ratmas-bench-") as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite'}"
        bulk, one_by_one = asyncio.run(_measure(url))
    ratio = one_by_one / bulk
    return [
        Row(
            f"store {PAIRINGS:,} pairings, SQLite, replace_pairings",
            bulk,
            one_by_one / GOAL_RATIO,
            f"{ratio:.1f}x faster than one by one (goal >= {GOAL_RATIO:.0f}x), median of {RUNS}",
        ),
        Row(
            f"store {PAIRINGS:,} pairings, SQLite, PairingRow.create loop",
            one_by_one,
            None,
            f"baseline, one transaction, median of {RUNS}",
        ),
    ]


def main() -> None:
    print(format_table(run()))


if __name__ == "__main__":
    main()
