"""Hand-written databases of the original TypeScript bot, built from the facts of its
Prisma schema: the three tables with Prisma's column names, DateTime columns holding
Unix epoch milliseconds (or, in rows written by hand, text), Discord ids as decimal
strings, pairings naming participants by `RatmasParticipant.id`."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE "RatmasEvent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "guildId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "ratmasRoleId" TEXT NOT NULL,
    "eventStartDate" DATETIME NOT NULL,
    "purchaseDeadline" DATETIME NOT NULL,
    "revealDate" DATETIME NOT NULL,
    "eventEndDate" DATETIME,
    "timezone" TEXT NOT NULL,
    "announcementChannelId" TEXT,
    "archivedCategoryId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
CREATE INDEX "RatmasEvent_guildId_idx" ON "RatmasEvent"("guildId");
CREATE INDEX "RatmasEvent_status_idx" ON "RatmasEvent"("status");
CREATE TABLE "RatmasParticipant" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "eventId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "guildId" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "wishlistUrl" TEXT,
    "joinedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "RatmasParticipant_eventId_fkey" FOREIGN KEY ("eventId")
        REFERENCES "RatmasEvent" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "RatmasParticipant_eventId_userId_key"
    ON "RatmasParticipant"("eventId", "userId");
CREATE TABLE "RatmasPairing" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "eventId" TEXT NOT NULL,
    "santaId" TEXT NOT NULL,
    "recipientId" TEXT NOT NULL,
    "notifiedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RatmasPairing_eventId_fkey" FOREIGN KEY ("eventId")
        REFERENCES "RatmasEvent" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "RatmasPairing_eventId_santaId_key" ON "RatmasPairing"("eventId", "santaId");
CREATE UNIQUE INDEX "RatmasPairing_eventId_recipientId_key"
    ON "RatmasPairing"("eventId", "recipientId");
"""


def ms(moment: datetime) -> int:
    """Epoch milliseconds, as Prisma writes a DateTime into SQLite."""
    return int(moment.timestamp() * 1000)


@dataclass
class LegacyFile:
    """Rows to write; `season` adds a whole event with participants and pairings."""

    events: list[dict[str, Any]] = field(default_factory=list)
    participants: list[dict[str, Any]] = field(default_factory=list)
    pairings: list[dict[str, Any]] = field(default_factory=list)

    def season(
        self,
        key: str,
        guild: str,
        status: str,
        users: Sequence[str],
        *,
        year: int = 2025,
        notified: Sequence[bool] = (),
        timezone: str = "Europe/London",
        **overrides: Any,
    ) -> None:
        """An event `key` of `guild` with `users` (a ring of pairings when `notified`
        says who was DMed)."""
        start = datetime(year, 12, 1, 18, tzinfo=UTC)
        self.events.append(
            {
                "id": key,
                "guildId": guild,
                "status": status,
                "ratmasRoleId": "700000000000000001",
                "eventStartDate": ms(start),
                "purchaseDeadline": ms(start.replace(day=15)),
                "revealDate": ms(start.replace(day=24)),
                "eventEndDate": ms(start.replace(day=31)),
                "timezone": timezone,
                "announcementChannelId": "800000000000000001",
                "archivedCategoryId": None,
                "createdAt": ms(start.replace(month=11)),
                "updatedAt": ms(start),
                **overrides,
            }
        )
        ids = [f"{key}-p{n}" for n in range(len(users))]
        for n, (pid, user) in enumerate(zip(ids, users, strict=True)):
            self.participants.append(
                {
                    "id": pid,
                    "eventId": key,
                    "userId": user,
                    "guildId": guild,
                    "displayName": f"member {n}",
                    "wishlistUrl": f"https://example.com/list/{n}" if n % 2 else None,
                    # Rows written by hand carry text dates.
                    "joinedAt": "2025-11-02 10:00:00" if n == 0 else ms(start.replace(month=11)),
                    "updatedAt": ms(start.replace(month=11)),
                }
            )
        for n, told in enumerate(notified):
            self.pairings.append(
                {
                    "id": f"{key}-x{n}",
                    "eventId": key,
                    "santaId": ids[n],
                    "recipientId": ids[(n + 1) % len(ids)],
                    "notifiedAt": ms(start) + 5000 if told else None,
                    "createdAt": ms(start),
                }
            )

    def write(self, path: Path) -> Path:
        connection = sqlite3.connect(path)
        try:
            connection.executescript(SCHEMA)
            for table, rows in (
                ("RatmasEvent", self.events),
                ("RatmasParticipant", self.participants),
                ("RatmasPairing", self.pairings),
            ):
                for row in rows:
                    _insert(connection, table, row)
            connection.commit()
        finally:
            connection.close()
        return path


def _insert(connection: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> None:
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    connection.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(row.values()))


GUILD_A = "900000000000000101"
GUILD_B = "900000000000000202"


def realistic() -> LegacyFile:
    """Two guilds over two years: a finished season, a cancelled one, one drawn with
    two santas still to DM, and one still open for sign-ups."""
    file = LegacyFile()
    a_users = [str(400000000000000000 + n) for n in range(6)]
    b_users = [str(500000000000000000 + n) for n in range(5)]
    file.season("ckq1a2024done", GUILD_A, "completed", a_users, year=2024, notified=[True] * 6)
    file.season("ckq1a2025live", GUILD_A, "notified", a_users[:5], notified=[True, True, True])
    file.events[-1]["ratmasRoleId"] = "700000000000000002"
    # ...the ring needs every santa: the last two were never DMed.
    for n in (3, 4):
        file.pairings.append(
            {
                "id": f"ckq1a2025live-x{n}",
                "eventId": "ckq1a2025live",
                "santaId": f"ckq1a2025live-p{n}",
                "recipientId": f"ckq1a2025live-p{(n + 1) % 5}",
                "notifiedAt": None,
                "createdAt": ms(datetime(2025, 12, 1, 18, tzinfo=UTC)),
            }
        )
    file.season(
        "ckq1b2024gone", GUILD_B, "cancelled", b_users[:3], year=2024, timezone="America/New_York"
    )
    file.season("ckq1b2025open", GUILD_B, "open", b_users, year=2026, timezone="America/New_York")
    return file
