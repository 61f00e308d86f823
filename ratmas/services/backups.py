"""Scheduled backups: when one is due, taking it, and keeping the newest `keep`.

The running bot takes a consistent backup every `every_hours` (a job `ratmas:backup`,
added by the jobs adapter); one missed while the bot was down is taken once at
startup (`take_if_due`). With several shard processes only one takes them (the
composition root decides which). How a backup is written is the `BackupWriter` port:
SQLite's online copy of the database file, or on PostgreSQL the JSON export of every
event (`pg_dump` remains the tool for the whole database).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ratmas.domain.dates import format_utc
from ratmas.services.ports import Clock


@dataclass(frozen=True, slots=True)
class BackupFile:
    name: str
    taken_at: datetime  # aware UTC


class BackupWriter(Protocol):
    """Writes and lists the backup files of one database."""

    async def write(self, at: datetime) -> str:
        """Take one consistent backup stamped `at`; returns where it went."""
        ...

    def taken(self) -> list[BackupFile]:
        """The backups present, oldest first."""
        ...

    def remove(self, name: str) -> None: ...


class BackupService:
    """See the module docstring. `every_hours` 0 turns scheduled backups off."""

    def __init__(
        self,
        clock: Clock,
        writer: BackupWriter,
        *,
        every_hours: int,
        keep: int,
        log: logging.Logger | None = None,
    ) -> None:
        if every_hours < 0 or keep < 1:
            raise ValueError(f"every_hours >= 0 and keep >= 1, got {every_hours}, {keep}")
        self._clock = clock
        self._writer = writer
        self.every = timedelta(hours=every_hours)
        self.keep = keep
        self._log = log or logging.getLogger(__name__)

    @property
    def enabled(self) -> bool:
        return self.every > timedelta(0)

    def last(self) -> BackupFile | None:
        taken = self._writer.taken()
        return taken[-1] if taken else None

    def next_due(self) -> datetime | None:
        """When the next backup is due (now or earlier: overdue); None when off."""
        if not self.enabled:
            return None
        last = self.last()
        return self._clock.now() if last is None else last.taken_at + self.every

    async def take(self) -> str:
        """Take a backup now and remove the oldest beyond `keep`."""
        where = await self._writer.write(self._clock.now())
        taken = self._writer.taken()
        for old in taken[: max(0, len(taken) - self.keep)]:
            self._writer.remove(old.name)
        self._log.info("backup written to %s", where)
        return where

    async def take_if_due(self) -> str | None:
        """At startup: the backup missed while the bot was down, once."""
        due = self.next_due()
        if due is None or due > self._clock.now():
            return None
        return await self.take()

    async def scheduled(self) -> None:
        """What the `ratmas:backup` job runs: a failure is logged, the bot goes on."""
        try:
            await self.take()
        except Exception:
            self._log.exception("the scheduled backup failed")

    def describe(self) -> str:
        """One line for `ratmas jobs` and `/ratmas-admin jobs`."""
        if not self.enabled:
            return "Backups: off ([backup] every_hours = 0)"
        last = self.last()
        due = self.next_due()
        assert due is not None
        hours = int(self.every.total_seconds() // 3600)
        return (
            f"Backups (ratmas:backup): every {hours} h, keeping {self.keep}; last "
            f"{format_utc(last.taken_at) if last else 'never'}; next due {format_utc(due)}"
        )
