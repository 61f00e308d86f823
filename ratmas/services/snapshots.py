"""Snapshots before destructive changes, and bringing an event back from one.

Before an event is cancelled, archived, redrawn over existing pairings, deleted, or
replaced by a restore, it is written in the export format (`ratmas.services.export`)
as one file per change, named with the guild, the event, the time and the reason. At
most `keep` snapshots are kept per guild, the oldest removed first. If the snapshot
cannot be written the change is refused: nothing is destroyed without its copy.

A restore can be repeated: the restored event keeps the digest of the snapshot file
(`snapshot_digest`), stored in the restore's own transaction, and restoring the same
file again finds that event and changes nothing, also after a first attempt that was
stopped midway (its transaction stored all or nothing). The event's legacy id (the
original bot's) comes back with it, unless another stored event holds it.

The files themselves are behind the `SnapshotStore` port (a directory in production,
`ratmas.persistence.files`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Protocol

from ratmas.domain.errors import InvalidInput, NotFound
from ratmas.domain.model import Event
from ratmas.services.export import export_event
from ratmas.services.import_checks import read_json
from ratmas.services.imports import check_legacy_ids, check_live_events, snapshots_from_file
from ratmas.services.ports import Clock, EventRepository

DEFAULT_KEEP_SNAPSHOTS: Final = 100
_NAME: Final = re.compile(
    r"^guild-(?P<guild>\d+)_event-(?P<event>\d+)_(?P<at>\d{8}T\d{6}\d{6}Z)_(?P<reason>[a-z-]+)\.json$"
)


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """One snapshot file: whose, when, why."""

    name: str
    guild_id: int
    event_id: int
    at: str  # UTC, as in the name: YYYYMMDDTHHMMSSffffffZ
    reason: str


def snapshot_name(guild_id: int, event_id: int, at: datetime, reason: str) -> str:
    """`guild-<id>_event-<id>_<UTC time>_<reason>.json`: sorts by time within a guild."""
    stamp = at.strftime("%Y%m%dT%H%M%S%fZ")
    return f"guild-{guild_id}_event-{event_id}_{stamp}_{reason}.json"


def parse_snapshot_name(name: str) -> SnapshotInfo | None:
    match = _NAME.match(name)
    if match is None:
        return None
    return SnapshotInfo(
        name, int(match["guild"]), int(match["event"]), match["at"], match["reason"]
    )


def snapshot_digest(data: Any) -> str:
    """The SHA-256 (hex) of a snapshot file's JSON as read: the same whatever its
    name, indentation or key order, different as soon as one value differs."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did: the event the snapshot is stored as, the event it replaced
    (if any), and `already` when an earlier restore of the same file had stored it and
    this one changed nothing."""

    event: Event
    replaced: Event | None = None
    already: bool = False


class SnapshotStore(Protocol):
    """Where snapshot files live. Errors writing are `RatmasError`s naming the file."""

    def write(self, name: str, text: str) -> str:
        """Store a new snapshot; returns where it went (for messages)."""
        ...

    def names(self) -> list[str]:
        """Every stored snapshot's name."""
        ...

    def read(self, name: str) -> str: ...

    def remove(self, name: str) -> None: ...


class SnapshotService:
    """Takes snapshots, lists them, restores and deletes events; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        store: SnapshotStore,
        *,
        keep: int = DEFAULT_KEEP_SNAPSHOTS,
    ) -> None:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, got {keep}")
        self._repo = repo
        self._clock = clock
        self._store = store
        self._keep = keep

    async def take(self, event_id: int, reason: str) -> str:
        """Write the event as it is now; returns where the file went."""
        data = await export_event(self._repo, event_id)
        guild_id = int(data["event"]["guild_id"])
        name = snapshot_name(guild_id, event_id, self._clock.now(), reason)
        where = self._store.write(name, json.dumps(data, indent=2, ensure_ascii=False))
        self._prune(guild_id)
        return where

    def _prune(self, guild_id: int) -> None:
        mine = sorted((info for info in self.list(guild_id)), key=lambda info: (info.at, info.name))
        for info in mine[: max(0, len(mine) - self._keep)]:
            self._store.remove(info.name)

    def list(self, guild_id: int | None = None) -> list[SnapshotInfo]:
        """Snapshots (of one guild), oldest first."""
        found = [info for name in self._store.names() if (info := parse_snapshot_name(name))]
        if guild_id is not None:
            found = [info for info in found if info.guild_id == guild_id]
        return sorted(found, key=lambda info: (info.at, info.name))

    async def restore(self, text: str) -> Restored:
        """Bring the event of a snapshot (an export of one event) back.

        When the event it was taken from still exists it is replaced (after a snapshot
        of its own), in one transaction; otherwise the event is stored under a new id.
        Restoring a file that an earlier restore stored (the event it made still
        exists) changes nothing and says so (`Restored.already`). Refused, with nothing
        changed, when it would give its guild a second live event, or when another
        stored event holds its legacy id."""
        data = read_json(text, "snapshot")
        snapshots = snapshots_from_file(data)
        if len(snapshots) != 1:
            raise InvalidInput("snapshot", "expected the export of one event")
        (snapshot,) = snapshots
        digest = snapshot_digest(data)
        earlier = await self._repo.restored_event(digest)
        if earlier is not None:
            return Restored(earlier, already=True)
        current = await self._repo.get_event(snapshot.event.id) if snapshot.event.id else None
        if current is not None and current.guild_id != snapshot.event.guild_id:
            current = None  # another event took that id (another database): keep both
        replacing = [current.id] if current is not None else []
        await check_live_events(self._repo, [snapshot], replacing=replacing)
        await check_legacy_ids(self._repo, [snapshot], replacing=replacing)
        if current is not None:
            await self.take(current.id, "replaced-by-restore")
        try:
            (restored,) = await self._repo.restore_events(
                [replace(snapshot, restored_from=digest)], replacing=replacing
            )
        except InvalidInput:
            # The same file restored at the same moment by another process: its digest
            # is unique, so one of the two stored it and this one stored nothing.
            earlier = await self._repo.restored_event(digest)
            if earlier is None:
                raise
            return Restored(earlier, already=True)
        return Restored(restored, current)

    async def delete_event(self, event_id: int) -> tuple[Event, str]:
        """Delete an event with everything below it, after snapshotting it."""
        event = await self._repo.get_event(event_id)
        if event is None:
            raise NotFound(f"There is no event {event_id}.")
        where = await self.take(event_id, "delete")
        await self._repo.delete_event(event_id)
        return event, where


class NoSnapshots:
    """A store that keeps nothing, for processes configured without one (tests)."""

    def write(self, name: str, text: str) -> str:
        return name

    def names(self) -> list[str]:
        return []

    def read(self, name: str) -> str:
        raise NotFound(f"There is no snapshot {name}.")

    def remove(self, name: str) -> None:
        return None
