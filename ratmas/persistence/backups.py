"""`BackupWriter` for the connected database, files under `[backup] dir`.

SQLite: `VACUUM INTO` a new file, a consistent copy of one transaction, taken while the
bot runs (`ratmas-<UTC time>.sqlite`). PostgreSQL: the JSON export of every event and
of every guild's households (`ratmas-<UTC time>.json`, the format `ratmas import`
reads); use `pg_dump` for the whole database. Files are readable by their owner only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, cast

from tortoise import connections

from ratmas.persistence.files import FileError, write_private_stream
from ratmas.persistence.models import HouseholdRow
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.backups import BackupFile
from ratmas.services.export import FORMAT, export_event, household_entries

_NAME: Final = re.compile(r"^ratmas-(\d{8}T\d{6}Z)\.(sqlite|json)$")


async def _every_household(repo: TortoiseEventRepository) -> list[dict[str, Any]]:
    """Every guild's households, each naming its guild (a backup spans guilds)."""
    guild_ids = (
        await HouseholdRow.all().distinct().order_by("guild_id").values_list("guild_id", flat=True)
    )
    found: list[dict[str, Any]] = []
    for guild_id in guild_ids:
        for item in household_entries(await repo.list_households(int(cast(int, guild_id)))):
            found.append({"guild_id": str(guild_id), **item})
    return found


class DatabaseBackups:
    """Backups of the database Tortoise is connected to."""

    def __init__(self, backup_dir: str | Path) -> None:
        self.directory = Path(backup_dir)

    async def write(self, at: datetime) -> str:
        connection = connections.get("default")
        stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        if connection.capabilities.dialect == "sqlite":
            target = self.directory / f"ratmas-{stamp}.sqlite"
            partial = self.directory / f".ratmas-{stamp}.sqlite.partial"
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                partial.unlink(missing_ok=True)
                await connection.execute_query("VACUUM INTO ?", [str(partial)])
                os.chmod(partial, 0o600)
                partial.replace(target)
            except OSError as error:
                raise FileError(f"cannot write {target}: {error.strerror}") from None
            return str(target)
        repo = TortoiseEventRepository()
        events = await repo.list_events(None)

        async def chunks() -> AsyncIterator[str]:
            # Event by event, the text json.dumps(ensure_ascii=False) gives the whole
            # {"format", "taken_at", "events"} object: at 15,000 events that object
            # took 400 MB and its dump held the event loop for a third of a second.
            yield f'{{"format": {json.dumps(FORMAT)}, "taken_at": {json.dumps(at.isoformat())}'
            yield ', "events": ['
            for n, event in enumerate(reversed(events)):
                data = await export_event(repo, event.id)
                yield (", " if n else "") + json.dumps(data, ensure_ascii=False)
            yield '], "households": '
            yield json.dumps(await _every_household(repo), ensure_ascii=False)
            yield "}"

        target = self.directory / f"ratmas-{stamp}.json"
        return str(await write_private_stream(target, chunks()))

    def taken(self) -> list[BackupFile]:
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            match = _NAME.match(path.name)
            if match:
                at = datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                found.append(BackupFile(path.name, at))
        return sorted(found, key=lambda b: (b.taken_at, b.name))

    def remove(self, name: str) -> None:
        (self.directory / Path(name).name).unlink(missing_ok=True)
