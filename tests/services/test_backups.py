"""Scheduled backups: due at startup when missed, on the period, the newest `keep` kept;
the SQLite and PostgreSQL writers; the `ratmas:backup` job."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobs.scheduler import BACKUP_JOB_ID, PhaseScheduler
from ratmas.domain.status import EventStatus
from ratmas.persistence.backups import DatabaseBackups
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.backups import BackupFile, BackupService
from ratmas.services.export import FORMAT, export_event, household_entries
from ratmas.services.imports import read_export_file
from tests.fakes import FixedClock
from tests.persistence.test_repository_contract import new_event
from tests.services.world import NOW

BIG = 2**62


class RecordingBackups:
    """`BackupWriter` keeping names in a list."""

    def __init__(self, taken: list[BackupFile] | None = None) -> None:
        self.files = list(taken or [])

    async def write(self, at: datetime) -> str:
        self.files.append(BackupFile(f"b-{at:%Y%m%dT%H%M%S}", at))
        return self.files[-1].name

    def taken(self) -> list[BackupFile]:
        return sorted(self.files, key=lambda f: f.taken_at)

    def remove(self, name: str) -> None:
        self.files = [f for f in self.files if f.name != name]


async def test_a_backup_missed_while_down_is_taken_once_at_startup() -> None:
    clock = FixedClock(NOW)
    writer = RecordingBackups([BackupFile("old", NOW - timedelta(hours=30))])
    backups = BackupService(clock, writer, every_hours=24, keep=7)
    assert await backups.take_if_due() is not None
    assert await backups.take_if_due() is None
    assert backups.next_due() == NOW + timedelta(hours=24)
    assert len(writer.files) == 2


async def test_only_the_newest_backups_are_kept_and_zero_turns_them_off() -> None:
    clock = FixedClock(NOW)
    writer = RecordingBackups()
    backups = BackupService(clock, writer, every_hours=1, keep=3)
    for _ in range(5):
        await backups.take()
        clock.advance(timedelta(hours=1))
    assert [f.taken_at for f in writer.taken()] == [NOW + timedelta(hours=h) for h in (2, 3, 4)]
    off = BackupService(clock, RecordingBackups(), every_hours=0, keep=3)
    assert not off.enabled
    assert await off.take_if_due() is None
    assert "off" in off.describe()


async def test_the_database_writers(database: str, tmp_path: Path) -> None:
    repo = TortoiseEventRepository()
    await repo.create_event(new_event(), now=NOW)
    writer = DatabaseBackups(tmp_path / "backups")
    where = Path(await writer.write(NOW))
    assert where.stat().st_mode & 0o777 == 0o600
    assert [f.taken_at for f in writer.taken()] == [NOW]
    if database.startswith("sqlite"):
        copy = sqlite3.connect(where)
        try:
            assert copy.execute("SELECT count(*) FROM ratmas_event").fetchone() == (1,)
        finally:
            copy.close()
    else:
        data = json.loads(where.read_text())
        assert len(data["events"]) == 1


async def test_the_backup_job_has_a_stable_id() -> None:
    scheduler = PhaseScheduler(tick_seconds=60, misfire_grace_seconds=60, coalesce=True)

    async def nothing() -> None:
        return None

    before = datetime.now(UTC)
    scheduler.add_backup_job(nothing, 24)
    assert scheduler.scheduler.get_job(BACKUP_JOB_ID) is not None
    due = scheduler.backup_job_due()
    assert due is not None
    # Not started yet: the first backup is one period after the job was added.
    assert before + timedelta(hours=24) <= due <= datetime.now(UTC) + timedelta(hours=24)
    assert scheduler.jobs() == []  # not a phase job


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_postgresql_backup_is_the_whole_export_written_event_by_event(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamed, it is byte for byte the dump of the whole export object; and an export
    that fails midway leaves no file, not even a partial one. (SQLite backups are
    `VACUUM INTO` copies, tested above.)"""
    repo = TortoiseEventRepository()
    first = await repo.create_event(new_event(), now=NOW)
    await repo.set_status(first.id, EventStatus.SCHEDULED, EventStatus.CANCELLED, now=NOW)
    second = await repo.create_event(new_event(), now=NOW)
    await repo.set_hold(second.id, "Zoë is away", now=NOW)
    # Households of two guilds, one of them without any event: each names its guild.
    await repo.add_household(first.guild_id, [BIG + 1, BIG + 2], created_by=None, now=NOW)
    await repo.add_household(BIG + 9, [BIG + 1, BIG + 3, BIG + 4], created_by=BIG, now=NOW)
    writer = DatabaseBackups(tmp_path / "backups")
    where = Path(await writer.write(NOW))
    events = [await export_event(repo, e.id) for e in reversed(await repo.list_events(None))]
    households = [
        {"guild_id": str(guild), **entry}
        for guild in sorted({first.guild_id, BIG + 9})
        for entry in household_entries(await repo.list_households(guild))
    ]
    whole = {
        "format": FORMAT,
        "taken_at": NOW.isoformat(),
        "events": events,
        "households": households,
    }
    text = where.read_text(encoding="utf-8")
    assert text == json.dumps(whole, ensure_ascii=False)
    read = read_export_file(json.loads(text), now=NOW)
    assert len(read.snapshots) == 2
    stored = [*await repo.list_households(first.guild_id), *await repo.list_households(BIG + 9)]
    assert sorted((h.guild_id, h.members) for h in read.households) == sorted(
        (h.guild_id, h.members) for h in stored
    )

    async def broken(repo: object, event_id: int) -> dict[str, object]:
        raise RuntimeError("connection lost")

    monkeypatch.setattr("ratmas.persistence.backups.export_event", broken)
    with pytest.raises(RuntimeError):
        await DatabaseBackups(tmp_path / "other").write(NOW)
    assert list((tmp_path / "other").iterdir()) == []
