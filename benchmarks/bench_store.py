"""Benchmark of storing a draw: `replace_pairings` on SQLite and PostgreSQL.

For each backend (PostgreSQL only when reachable, see `databases.py`) a migrated
database of its own gets, for every run, fresh events with 10,000 or 100,000
participants (inserted in bulk). Then, in the same run:

- `TortoiseEventRepository.replace_pairings` stores a 10,000-person loop into an event
  without pairings, the way the start of a season does;
- the baseline does the same work one row at a time inside one transaction too (so
  the comparison is about statements, not commits): `replace_pairings` stores each
  pairing and queues its santa's assignment DM in the outbox, so the baseline creates
  both rows per pairing (`PairingRow.create` and `OutboxRow.create` in a loop), with
  the same SQLite page cache `replace_pairings` takes for a write of that size;
- `replace_pairings` stores a 100,000-person loop.

The 10k row is the ratio of the baseline's median to `replace_pairings`' median (goal:
at least `GOAL_RATIO[backend]`); the 100k row is an absolute time.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from databases import BACKENDS, LABELS, database
from table import Row, format_table, seconds
from tortoise import connections
from tortoise.transactions import in_transaction

from ratmas.domain.model import EventDates, NewEvent, OutboxKind, OutboxState
from ratmas.persistence.db import close_db, init_db
from ratmas.persistence.models import OutboxRow, PairingRow
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.persistence.repository.bulk import sqlite_cache_for

PAIRINGS = 10_000
LARGE = 100_000
GOAL_RATIO = {"sqlite": 50.0, "postgres": 20.0}
GOAL_LARGE = {"sqlite": 0.5, "postgres": 1.0}
RUNS = 3
# A fixed instant: benchmarks need no clock, only valid aware dates.
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def _event_with(
    repo: TortoiseEventRepository, guild_id: int, size: int
) -> tuple[int, dict[int, int]]:
    """An event with `size` participants (inserted in bulk) and a loop through them."""
    event = await repo.create_event(
        NewEvent(
            guild_id=guild_id,
            dates=EventDates(NOW, NOW + timedelta(days=10), NOW + timedelta(days=20)),
            timezone="UTC",
        ),
        now=NOW,
    )
    rng = random.Random(guild_id)
    people = rng.sample(range(10**17, 10**18), size)
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            'INSERT INTO "ratmas_participant" ("event_id", "user_id", "display_name", '
            '"joined_at") SELECT $1, "u", \'member\', $2 FROM unnest($3::bigint[]) AS "t"("u")',
            [event.id, NOW, people],
        )
    else:
        await connection.execute_query(
            'INSERT INTO "ratmas_participant" ("event_id", "user_id", "display_name", '
            '"joined_at") SELECT ?, "value", \'member\', ? FROM json_each(?)',
            [event.id, NOW.isoformat(" "), json.dumps(people)],
        )
    rng.shuffle(people)
    return event.id, {people[k]: people[(k + 1) % size] for k in range(size)}


async def _measure(url: str) -> tuple[float, float, float]:
    """Medians of (replace_pairings 10k, one-by-one 10k, replace_pairings 100k)."""
    await init_db(url)
    try:
        repo = TortoiseEventRepository()
        bulk: list[float] = []
        one_by_one: list[float] = []
        large: list[float] = []
        guild_ids = iter(range(1, 10 * RUNS))
        for _ in range(RUNS):
            # Every way stores into a fresh event without pairings, as a season's start
            # does (re-inserting deleted keys would time the database's cleanup too).
            event_id, draw = await _event_with(repo, next(guild_ids), PAIRINGS)
            started = time.perf_counter()
            stored = await repo.replace_pairings(event_id, draw)
            bulk.append(time.perf_counter() - started)
            assert len(stored) == PAIRINGS
            assert await OutboxRow.filter(event_id=event_id).count() == PAIRINGS

            event_id, draw = await _event_with(repo, next(guild_ids), PAIRINGS)
            started = time.perf_counter()
            # With the page cache replace_pairings gives a write of this size on SQLite.
            async with sqlite_cache_for(PAIRINGS), in_transaction():
                for santa, recipient in draw.items():
                    await PairingRow.create(
                        event_id=event_id, santa_id=santa, recipient_id=recipient
                    )
                    await OutboxRow.create(
                        event_id=event_id,
                        user_id=santa,
                        kind=OutboxKind.ASSIGNMENT.value,
                        recipient_id=recipient,
                        state=OutboxState.PENDING.value,
                        created_at=NOW,
                    )
            one_by_one.append(time.perf_counter() - started)
            assert await PairingRow.filter(event_id=event_id).count() == PAIRINGS
            assert await OutboxRow.filter(event_id=event_id).count() == PAIRINGS

            event_id, draw = await _event_with(repo, next(guild_ids), LARGE)
            started = time.perf_counter()
            stored = await repo.replace_pairings(event_id, draw)
            large.append(time.perf_counter() - started)
            assert await PairingRow.filter(event_id=event_id).count() == LARGE
            assert await OutboxRow.filter(event_id=event_id).count() == LARGE
        return statistics.median(bulk), statistics.median(one_by_one), statistics.median(large)
    finally:
        await close_db()


async def _rows() -> list[Row]:
    rows: list[Row] = []
    for backend in BACKENDS:
        async with database(backend) as url:
            label = LABELS[backend]
            if url is None:
                rows.append(
                    Row(f"store pairings, {label}", 0.0, None, "server unreachable: skipped")
                )
                continue
            bulk, one_by_one, large = await _measure(url)
        rows.append(
            Row(
                f"store {PAIRINGS:,} pairings, {label}: ORM loop / replace_pairings",
                one_by_one / bulk,
                GOAL_RATIO[backend],
                f"{seconds(one_by_one)} vs {seconds(bulk)}, median of {RUNS}; "
                "a pairing and an outbox row each",
                unit="x",
                at_least=True,
            )
        )
        rows.append(
            Row(
                f"store {LARGE:,} pairings, {label}: replace_pairings",
                large,
                GOAL_LARGE[backend],
                f"median of {RUNS}",
            )
        )
    return rows


def run() -> list[Row]:
    """Time every way of storing the pairings; the rows are what `main` prints."""
    return asyncio.run(_rows())


def main() -> None:
    print(format_table(run()))


if __name__ == "__main__":
    main()
