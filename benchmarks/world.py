"""A database of 10,000 live events in 10,000 guilds, built in bulk for the benchmarks.

The mix, at `NOW` (a realistic season in a large deployment, plus what a restart
after some downtime finds):

- half `scheduled` (start 2 hours to 60 days ahead), 1 in 50 of them held since a
  start that did not happen;
- 30% `active`, 15% `purchase_closed` and 5% `revealed`, each announced, with 8 to 30
  participants and their pairings, every santa told;
- `OVERDUE` events whose next phase fell due while the bot was down (purchase
  deadlines and reveals: announcements to post), and `STOPPED` active events whose DM
  blast was stopped with santas never tried (resumed once `RESUME_AFTER` has passed);
- 5,000 archived events of earlier seasons with their pairings (history the queries
  must not read).

Rows go in through one statement per table (`unnest` / `json_each`), so building the
database takes a second or two, not minutes.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections

# The real present (to the second): the scheduler fires by the real clock, so the
# jobs of the upcoming phases must lie in the real future.
NOW = datetime.now(UTC).replace(microsecond=0)
EVENTS = 10_000
ARCHIVED = 5_000
OVERDUE = 10
STOPPED = 3
ZONES = ("UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney")

_EVENT_COLUMNS = (
    ("id", "bigint"),
    ("guild_id", "bigint"),
    ("status", "text"),
    ("live_guild_id", "bigint"),
    ("starts_at", "timestamptz"),
    ("purchase_deadline", "timestamptz"),
    ("reveal_at", "timestamptz"),
    ("timezone", "text"),
    ("announcement_channel_id", "bigint"),
    ("participant_role_id", "bigint"),
    ("held_reason", "text"),
    ("announced_status", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)
_PARTICIPANT_COLUMNS = (
    ("event_id", "bigint"),
    ("user_id", "bigint"),
    ("display_name", "text"),
    ("joined_at", "timestamptz"),
)
_PAIRING_COLUMNS = (
    ("event_id", "bigint"),
    ("santa_id", "bigint"),
    ("recipient_id", "bigint"),
    ("notified_at", "timestamptz"),
    ("attempts", "bigint"),
    ("last_attempt_at", "timestamptz"),
)


@dataclass(frozen=True, slots=True)
class WorldSize:
    events: int
    pairings: int


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


async def _insert(
    table: str, columns: tuple[tuple[str, str], ...], rows: list[tuple[Any, ...]]
) -> None:
    connection = connections.get("default")
    names = ", ".join(f'"{name}"' for name, _ in columns)
    if connection.capabilities.dialect == "postgres":
        arrays = ", ".join(f"${k}::{kind}[]" for k, (_, kind) in enumerate(columns, start=1))
        await connection.execute_query(
            f'INSERT INTO "{table}" ({names}) SELECT * FROM unnest({arrays})',
            [list(column) for column in zip(*rows, strict=True)],
        )
        return
    picks = ", ".join(f'"value" ->> {k}' for k in range(len(columns)))

    def plain(value: Any) -> Any:
        return value.isoformat(" ") if isinstance(value, datetime) else value

    payload = json.dumps([[plain(value) for value in row] for row in rows])
    await connection.execute_query(
        f'INSERT INTO "{table}" ({names}) SELECT {picks} FROM json_each(?)', [payload]
    )


async def build(seed: int = 2026) -> WorldSize:
    """Fill the connected, migrated, empty database; returns what it holds."""
    rng = random.Random(seed)
    events: list[tuple[Any, ...]] = []
    participants: list[tuple[Any, ...]] = []
    pairings: list[tuple[Any, ...]] = []
    user = iter(range(10**17, 10**18, 7919))

    def add(
        event_id: int,
        guild_id: int,
        status: str,
        live: bool,
        held: str | None,
        announced: str | None,
        drawn: bool,
        untried: int = 0,
    ) -> None:
        day = 24.0
        if status == "scheduled" and held is None:
            starts = NOW + _hours(rng, 2, 60 * day)
            deadline = starts + _hours(rng, 5 * day, 30 * day)
            reveal = deadline + _hours(rng, day, 10 * day)
        elif status in ("scheduled", "active"):
            starts = NOW - _hours(rng, 1, 20 * day)
            deadline = NOW + _hours(rng, 1, 30 * day)
            reveal = deadline + _hours(rng, day, 10 * day)
            if status == "active" and event_id <= OVERDUE // 2:
                deadline = NOW - _hours(rng, 1, 20)  # fell due while the bot was down
        elif status == "purchase_closed":
            starts = NOW - _hours(rng, 10 * day, 30 * day)
            deadline = NOW - _hours(rng, 1, 5 * day)
            reveal = NOW + _hours(rng, 1, 10 * day)
            if event_id <= OVERDUE:
                reveal = NOW - _hours(rng, 1, 20)
        else:  # revealed, archived
            back = 365 * day if status == "archived" else 0.0
            reveal = NOW - _hours(rng, back + 1, back + 5 * day)
            deadline = reveal - _hours(rng, day, 5 * day)
            starts = deadline - _hours(rng, 5 * day, 20 * day)
        events.append(
            (
                event_id,
                guild_id,
                status,
                guild_id if live else None,
                starts,
                deadline,
                reveal,
                ZONES[event_id % len(ZONES)],
                800_000 + guild_id,
                700_000 + guild_id,
                held,
                announced,
                starts - timedelta(days=20),
                starts,
            )
        )
        if not drawn:
            return
        people = [next(user) for _ in range(rng.randint(8, 30))]
        rng.shuffle(people)
        told = starts + timedelta(minutes=1)
        for k, santa in enumerate(people):
            participants.append((event_id, santa, f"member {santa}", starts - timedelta(days=3)))
            never = k < untried
            pairings.append(
                (
                    event_id,
                    santa,
                    people[(k + 1) % len(people)],
                    None if never else told,
                    0 if never else 1,
                    None if never else told,
                )
            )

    statuses = ["scheduled"] * 50 + ["active"] * 30 + ["purchase_closed"] * 15 + ["revealed"] * 5
    # Overdue and stopped events first (low ids), then the shuffled rest.
    kinds = ["active"] * (OVERDUE // 2) + ["purchase_closed"] * (OVERDUE - OVERDUE // 2)
    kinds += ["active"] * STOPPED
    rest = [statuses[k % len(statuses)] for k in range(EVENTS - len(kinds))]
    rng.shuffle(rest)
    for event_id, status in enumerate(kinds + rest, start=1):
        guild_id = 10**17 + event_id * 4_194_304  # snowflake-like, spread over shards
        if status == "scheduled":
            held = "Too few participants: 1 joined, 3 needed." if rng.random() < 0.02 else None
            add(event_id, guild_id, status, True, held, None, False)
        else:
            untried = 5 if OVERDUE < event_id <= OVERDUE + STOPPED else 0
            add(event_id, guild_id, status, True, None, status, True, untried)
    for offset in range(ARCHIVED):
        guild_id = 10**17 + (1 + offset % EVENTS) * 4_194_304
        add(EVENTS + 1 + offset, guild_id, "archived", False, None, "revealed", True)

    await _insert("ratmas_event", _EVENT_COLUMNS, events)
    await _insert("ratmas_participant", _PARTICIPANT_COLUMNS, participants)
    await _insert("ratmas_pairing", _PAIRING_COLUMNS, pairings)
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(
            "SELECT setval(pg_get_serial_sequence('ratmas_event', 'id'), $1)",
            [EVENTS + ARCHIVED],
        )
        await connection.execute_script("ANALYZE")
    else:
        await connection.execute_script("ANALYZE")
    return WorldSize(events=EVENTS, pairings=len(pairings))
