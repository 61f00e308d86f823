"""Writes of many rows with a bounded number of statements, whatever their number.

Each runs on the connection of the caller's transaction (it opens none): the outbox
drafts of a change, the pairings of a draw or of a restored event, and a SQLite page
cache sized for a large draw.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from itertools import repeat
from typing import Any

import asyncpg
from tortoise import connections
from tortoise.exceptions import IntegrityError

from ratmas.domain.model import OutboxDraft, OutboxState, Pairing
from ratmas.persistence.repository.rows import note_column, to_db, utc

# SQLite's page cache holds 2 MiB by default, about what storing 5,000 pairings with
# their outbox rows dirties (table and index pages). A larger draw would spill pages
# to the WAL in the middle of its transaction and write many of them again (a 100k
# draw took twice as long), so it runs with a cache of its own size; the bot's usual
# cache, and so its memory, stays small. (Raised for the whole connection, the cache
# filled with what the reconcile reads and `ratmas run` took 130 MB instead of 65.)
_SQLITE_PAGE_CACHE_PAIRINGS = 5_000
_SQLITE_BYTES_PER_PAIRING = 400


@asynccontextmanager
async def sqlite_cache_for(pairings: int) -> AsyncIterator[None]:
    """A SQLite page cache large enough for writing `pairings` pairings, for the block."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "sqlite" or pairings < _SQLITE_PAGE_CACHE_PAIRINGS:
        yield
        return
    _, rows = await connection.execute_query("PRAGMA cache_size")
    usual = int(rows[0][0])
    kib = pairings * _SQLITE_BYTES_PER_PAIRING // 1024
    await connection.execute_script(f"PRAGMA cache_size = {-kib}")
    try:
        yield
    finally:
        await connection.execute_script(f"PRAGMA cache_size = {usual}")


async def insert_outbox(
    connection: Any,
    event_id: int,
    drafts: Sequence[OutboxDraft],
    now: datetime | None,
) -> None:
    """Insert every draft with one statement, like the pairings of a draw: arrays
    through `unnest` on PostgreSQL, one JSON array through `json_each` on SQLite."""
    if not drafts:
        return
    columns = (
        '"event_id", "user_id", "kind", "recipient_id", "note", "content", "state", '
        '"attempts", "created_at"'
    )
    created = to_db(None if now is None else utc(now))
    pending = OutboxState.PENDING.value
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            f'INSERT INTO "ratmas_outbox" ({columns}) '
            'SELECT $1, "u", "k", "r", "n", "c", $2, 0, $3::timestamptz '
            "FROM unnest($4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[]) "
            'AS "t"("u", "k", "r", "n", "c")',
            [
                event_id,
                pending,
                created,
                [d.user_id for d in drafts],
                [d.kind.value for d in drafts],
                [d.recipient_id for d in drafts],
                [note_column(d) for d in drafts],
                [d.content for d in drafts],
            ],
        )
        return
    rows = [[d.user_id, d.kind.value, d.recipient_id, note_column(d), d.content] for d in drafts]
    await connection.execute_query(
        f'INSERT INTO "ratmas_outbox" ({columns}) '
        "SELECT ?, json_extract(\"value\", '$[0]'), json_extract(\"value\", '$[1]'), "
        "json_extract(\"value\", '$[2]'), json_extract(\"value\", '$[3]'), "
        "json_extract(\"value\", '$[4]'), ?, 0, ? FROM json_each(?)",
        [event_id, pending, created, json.dumps(rows, ensure_ascii=False)],
    )


async def insert_pairings(connection: Any, pairings: Sequence[Pairing]) -> None:
    """Insert pairings with a fixed number of statements, whatever their number.

    Fresh pairings (the draw's, nothing delivered or marked yet) travel in one statement:
    as two id arrays through `unnest` on PostgreSQL, as one JSON object (santa ->
    recipient) through `json_each` on SQLite. Not a prepared insert run per row
    (`executemany`): on PostgreSQL each row is then a Bind/Execute round trip, most
    of the time of a 10k draw, and on SQLite a call through the driver per row.
    Rows that carry a delivery state (kept by a redraw, restored by an import) go
    through one prepared insert."""
    postgres = connection.capabilities.dialect == "postgres"
    by_event: dict[int, list[Pairing]] = {}
    stateful: list[Pairing] = []
    for p in pairings:
        if (
            p.attempts == 0
            and p.notified_at is None
            and p.gift_sent_at is None
            and p.gift_received_at is None
        ):
            by_event.setdefault(p.event_id, []).append(p)
        else:
            stateful.append(p)
    for event_id, fresh in by_event.items():
        await insert_fresh(
            connection,
            event_id,
            [p.santa_id for p in fresh],
            [p.recipient_id for p in fresh],
        )
    if not stateful:
        return
    marks = [f"${n}" for n in range(1, 11)] if postgres else ["?"] * 10
    sql = (
        'INSERT INTO "ratmas_pairing" ("event_id", "santa_id", "recipient_id", '
        '"notified_at", "last_error_code", "last_error_text", "attempts", "last_attempt_at", '
        '"gift_sent_at", "gift_received_at") '
        f"VALUES ({', '.join(marks)})"
    )
    rows = [
        (
            p.event_id,
            p.santa_id,
            p.recipient_id,
            to_db(p.notified_at),
            p.last_error_code,
            p.last_error_text,
            p.attempts,
            to_db(p.last_attempt_at),
            to_db(p.gift_sent_at),
            to_db(p.gift_received_at),
        )
        for p in stateful
    ]
    await connection.execute_many(sql, rows)


async def insert_fresh(
    connection: Any, event_id: int, santas: Sequence[int], recipients: Sequence[int]
) -> None:
    """Pending, never tried pairings of one event in one statement (santa k gives to
    recipient k)."""
    if connection.capabilities.dialect == "postgres":
        # Binary COPY: a fifth less time than INSERT … SELECT FROM unnest for a 100k
        # draw (rows go into the heap in batches; the statement trigger of
        # migration 4 checks the event once, as for any insert).
        async with connection.acquire_connection() as raw:
            try:
                await raw.copy_records_to_table(
                    "ratmas_pairing",
                    records=zip(repeat(event_id), santas, recipients, repeat(0)),
                    columns=("event_id", "santa_id", "recipient_id", "attempts"),
                )
            except asyncpg.IntegrityConstraintViolationError as error:
                raise IntegrityError(error) from error  # as Tortoise raises it
        return
    # The object keeps the santas' order, so rows go in by santa id when the
    # caller sorted them: that appends to the (event, santa) index rather than
    # splitting its pages. Object keys are text: CAST gives the exact 64-bit id back.
    await connection.execute_query(
        'INSERT INTO "ratmas_pairing" ("event_id", "santa_id", "recipient_id", '
        '"attempts") SELECT ?, CAST("key" AS INTEGER), "value", 0 FROM json_each(?)',
        [event_id, json.dumps(dict(zip(santas, recipients, strict=True)))],
    )
