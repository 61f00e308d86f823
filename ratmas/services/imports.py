"""`ratmas import`: an export file (one event's, or a guild's with its households)
read back and stored under new ids in one transaction, or nothing stored.

Every field is checked first (`ratmas.services.import_checks`); then what the
database already holds: a guild gets no second live event (`check_live_events`, which
restores and legacy imports share), an event of the original bot is stored once
(`check_legacy_ids`, which restores share) and a member stays in one household at most.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ratmas.domain.errors import InvalidInput
from ratmas.domain.limits import shown
from ratmas.domain.model import Event, EventSnapshot, Household
from ratmas.services.households import MAX_HOUSEHOLD_MEMBERS
from ratmas.services.import_checks import Fields, snapshot_from_export
from ratmas.services.ports import EventRepository


def snapshots_from_file(data: Any) -> list[EventSnapshot]:
    """One event's export, or a guild's (`{"events": [...]}`), read back, oldest first.

    Only the events: `read_export_file` also reads a guild file's households."""
    return _snapshots(data, households_follow=False)


def _snapshots(data: Any, *, households_follow: bool) -> list[EventSnapshot]:
    if isinstance(data, dict) and "events" in data:
        items = data["events"]
        if not isinstance(items, list):
            raise InvalidInput("import", f"events = {shown(items)}: expected a list of exports")
        if not items and not households_follow:
            raise InvalidInput("import", "events = []: the file holds no event to import")
        return [snapshot_from_export(item, index) for index, item in enumerate(items)]
    return [snapshot_from_export(data)]


@dataclass(frozen=True, slots=True)
class ExportFile:
    """What `ratmas import` stores from a file: its events, oldest first, and (a guild
    file's) the guild's households, in the file's order, ids 0."""

    snapshots: tuple[EventSnapshot, ...]
    households: tuple[Household, ...] = ()


def read_export_file(data: Any, *, now: datetime) -> ExportFile:
    """An export file read back: one event's, or a guild's with its households.

    Every field is checked before anything is stored, like `snapshots_from_file`; a
    household without `created_at` (the field is optional) counts as created `now`.
    A guild file may hold no event when it holds households."""
    guild_file = isinstance(data, dict) and "events" in data
    snapshots = _snapshots(data, households_follow=guild_file and bool(data.get("households")))
    return ExportFile(tuple(snapshots), _households(data, now) if guild_file else ())


def _households(data: Mapping[str, Any], now: datetime) -> tuple[Household, ...]:
    """A file's `households`: each 2 to `MAX_HOUSEHOLD_MEMBERS` distinct ids, nobody in
    two households of one guild; absent in files written before households were
    exported. A guild's file names the guild once (`guild_id`); a backup of every guild
    names each household's (`households[i].guild_id`)."""
    if "households" not in data:
        return ()
    guild = data.get("guild_id")
    f = Fields(
        f"guild {guild}"
        if isinstance(guild, str) and guild.isascii() and guild.isdigit() and len(guild) < 25
        else "the file"
    )
    items = f.objects(data, "households")
    if not items:
        return ()
    file_guild = f.id("guild_id", guild) if "guild_id" in data else None
    found: list[Household] = []
    placed: dict[tuple[int, int], int] = {}  # (guild, member) -> index of their household
    for i, item in enumerate(items):
        where = f"households[{i}]"
        if "guild_id" in item:
            guild_id = f.id(f"{where}.guild_id", item["guild_id"])
            if file_guild is not None and guild_id != file_guild:
                raise f.fail(
                    f"{where}.guild_id", item["guild_id"], f"not the file's guild {file_guild}"
                )
        elif file_guild is not None:
            guild_id = file_guild
        else:
            raise f.fail(
                f"{where}.guild_id",
                None,
                "missing, and so is the file's guild_id: a household belongs to a guild",
                quote=False,
            )
        listed = f.required(item, "members", where)
        allowed = f"expected a list of 2 to {MAX_HOUSEHOLD_MEMBERS} Discord ids"
        if not isinstance(listed, list):
            raise f.fail(f"{where}.members", listed, allowed)
        if not 2 <= len(listed) <= MAX_HOUSEHOLD_MEMBERS:
            raise f.fail(f"{where}.members", listed, f"{allowed}, got {len(listed)}")
        members: list[int] = []
        for j, value in enumerate(listed):
            path = f"{where}.members[{j}]"
            member = f.id(path, value)
            if member in members:
                raise f.fail(path, value, "listed twice in this household")
            if (guild_id, member) in placed:
                raise f.fail(
                    path,
                    value,
                    f"already in households[{placed[guild_id, member]}]; "
                    "a member is in one household at most",
                )
            members.append(member)
        placed.update(dict.fromkeys(((guild_id, m) for m in members), i))
        found.append(
            Household(
                0,
                guild_id,
                tuple(sorted(members)),
                f.maybe_id(f"{where}.created_by", item.get("created_by")),
                f.maybe_instant(f"{where}.created_at", item.get("created_at")) or now,
            )
        )
    return tuple(found)


def _describe(event: Event, legacy_id: str | None = None) -> str:
    name = f"legacy event {legacy_id}" if legacy_id else f"event {event.id}"
    return f"{name} ({event.status})"


async def check_live_events(
    repo: EventRepository, snapshots: Sequence[EventSnapshot], *, replacing: Collection[int] = ()
) -> None:
    """Refuse a file that would give a guild a second live event, naming the guild and
    both events (the database's or the file's). `replacing`: event ids that the same
    transaction deletes first."""
    live_in_file: dict[int, EventSnapshot] = {}
    for snapshot in snapshots:
        event = snapshot.event
        if not event.status.is_live:
            continue
        existing = await repo.get_live_event(event.guild_id)
        if existing is not None and existing.id not in replacing:
            raise InvalidInput(
                "import",
                f"guild {event.guild_id} would get a second live event: "
                f"{_describe(event, snapshot.legacy_id)} of the file and "
                f"{_describe(existing)} already "
                "in the database; cancel or archive one first",
            )
        earlier = live_in_file.get(event.guild_id)
        if earlier is not None:
            raise InvalidInput(
                "import",
                f"guild {event.guild_id} would get a second live event: "
                f"{_describe(earlier.event, earlier.legacy_id)} and "
                f"{_describe(event, snapshot.legacy_id)} of the file are both live",
            )
        live_in_file[event.guild_id] = snapshot


async def check_legacy_ids(
    repo: EventRepository, snapshots: Sequence[EventSnapshot], *, replacing: Collection[int] = ()
) -> None:
    """Refuse a file holding an event of the original bot (`legacy_id`) that another
    stored event already holds, or that two of its events hold, naming the legacy id
    and both events: `ratmas import-legacy` would otherwise no longer know which one
    is the original's. `replacing`: event ids that the same transaction deletes first."""
    mine: dict[str, EventSnapshot] = {}
    for snapshot in snapshots:
        legacy_id = snapshot.legacy_id
        if legacy_id is None:
            continue
        earlier = mine.get(legacy_id)
        if earlier is not None:
            raise InvalidInput(
                "import",
                f"legacy event {legacy_id} is held by both {_describe(earlier.event)} and "
                f"{_describe(snapshot.event)} of the file; an event of the original bot "
                "is stored once; nothing was stored",
            )
        mine[legacy_id] = snapshot
    stored = await repo.legacy_events(list(mine))
    for legacy_id, event_id in stored.items():
        if event_id in replacing:
            continue
        raise InvalidInput(
            "import",
            f"legacy event {legacy_id} of {_describe(mine[legacy_id].event)} of the file "
            f"is already stored as event {event_id}; an event of the original bot is "
            f"stored once: delete event {event_id} first (`ratmas delete-event "
            f"{event_id}`, which snapshots it) or keep it; nothing was stored",
        )


async def new_households(
    repo: EventRepository, households: Sequence[Household]
) -> tuple[list[Household], list[Household]]:
    """Split a file's households into those to add and those its guild already has
    exactly (same members), which are kept as they are.

    A household that shares a member with another household of the guild is refused,
    naming the member and both households: the guild's households are never changed
    by an import (take the member out with `/ratmas-admin household remove` first)."""
    adding: list[Household] = []
    present: list[Household] = []
    stored: dict[int, list[Household]] = {}
    for index, household in enumerate(households):
        guild_id = household.guild_id
        if guild_id not in stored:
            stored[guild_id] = await repo.list_households(guild_id)
        same = [h for h in stored[guild_id] if set(h.members) == set(household.members)]
        if same:
            present.append(same[0])
            continue
        for member in household.members:
            for other in stored[guild_id]:
                if member in other.members:
                    raise InvalidInput(
                        "import",
                        f"guild {guild_id}: households[{index}]: member {member} is already "
                        f"in household {other.id} of this guild ({_listed(other.members)}); "
                        "a member is in one household at most: take them out of it "
                        "(`/ratmas-admin household remove`) or leave this household out of "
                        "the file; nothing was imported",
                    )
        adding.append(household)
    return adding, present


def _listed(members: Sequence[int]) -> str:
    return ", ".join(str(m) for m in members)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import stored: the events under their new ids, how many households it
    added and how many the guild already had exactly as the file has them."""

    events: list[Event]
    households_added: int = 0
    households_present: int = 0


async def import_file(repo: EventRepository, file: ExportFile) -> ImportReport:
    """Store exported events, each under a new id, and a guild file's households, all
    in one transaction or none.

    Refused before anything is stored: a live event whose guild already has a live
    one (in the database, or earlier in the same file), an event of the original bot
    already stored (see `check_legacy_ids`), and a household sharing a
    member with another household of its guild (see `new_households`)."""
    await check_live_events(repo, file.snapshots)
    await check_legacy_ids(repo, file.snapshots)
    adding, present = await new_households(repo, file.households)
    events = await repo.restore_events(file.snapshots, households=adding)
    return ImportReport(events, len(adding), len(present))
