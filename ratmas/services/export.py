"""An event as JSON, for archival and for admins (`/ratmas export`, `ratmas export`),
and back (`ratmas import`, e.g. to move a guild from SQLite to PostgreSQL).

Discord ids are strings (they do not fit a JavaScript number); times are ISO-8601 in
UTC. The export contains the pairings: it is only ever handed to admins, ephemerally.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ratmas.domain.dates import zone
from ratmas.domain.errors import EventAlreadyLive, InvalidInput, InvalidPairings, NotFound
from ratmas.domain.model import (
    AuditEntry,
    Event,
    EventDates,
    EventSnapshot,
    Exclusion,
    Pairing,
    Participant,
)
from ratmas.domain.pairing import check_draw
from ratmas.domain.status import EventStatus
from ratmas.services.ports import EventRepository

FORMAT = "ratmas-export/1"


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


async def export_event(repo: EventRepository, event_id: int) -> dict[str, Any]:
    """Everything stored about one event."""
    event = await repo.get_event(event_id)
    if event is None:
        raise NotFound(f"There is no event {event_id}.")
    return {
        "format": FORMAT,
        "event": {
            "id": event.id,
            "guild_id": _id(event.guild_id),
            "status": event.status.value,
            "timezone": event.timezone,
            "starts_at": _time(event.dates.starts_at),
            "purchase_deadline": _time(event.dates.purchase_deadline),
            "reveal_at": _time(event.dates.reveal_at),
            "announcement_channel_id": _id(event.announcement_channel_id),
            "participant_role_id": _id(event.participant_role_id),
            "manager_role_id": _id(event.manager_role_id),
            "created_by": _id(event.created_by),
            "held_reason": event.held_reason,
            "announced_status": event.announced_status.value if event.announced_status else None,
            "cancel_reason": event.cancel_reason,
            "created_at": _time(event.created_at),
            "updated_at": _time(event.updated_at),
        },
        "participants": [
            {
                "user_id": _id(p.user_id),
                "display_name": p.display_name,
                "wishlist_url": p.wishlist_url,
                "joined_at": _time(p.joined_at),
            }
            for p in await repo.list_participants(event.id)
        ],
        "exclusions": [
            {"user_id": _id(x.user_id), "excluded_user_id": _id(x.excluded_user_id)}
            for x in await repo.list_exclusions(event.id)
        ],
        "pairings": [
            {
                "santa_id": _id(p.santa_id),
                "recipient_id": _id(p.recipient_id),
                "notified_at": _time(p.notified_at),
                "attempts": p.attempts,
                "last_error_code": p.last_error_code,
                "last_error_text": p.last_error_text,
            }
            for p in await repo.list_pairings(event.id)
        ],
        "audit": [
            {"actor_id": _id(a.actor_id), "action": a.action, "detail": a.detail, "at": _time(a.at)}
            for a in await repo.list_audit(event.id)
        ],
    }


async def export_json(repo: EventRepository, event_id: int) -> str:
    return json.dumps(await export_event(repo, event_id), indent=2, ensure_ascii=False)


# --- import ---------------------------------------------------------------------------


async def export_guild(repo: EventRepository, guild_id: int) -> dict[str, Any]:
    """Every event of a guild, oldest first, in one file that `ratmas import` reads back."""
    events = await repo.list_events(guild_id)
    return {
        "format": FORMAT,
        "guild_id": str(guild_id),
        "events": [await export_event(repo, e.id) for e in reversed(events)],
    }


def _field(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise InvalidInput("import", f"{where}.{key} is missing")
    return data[key]


def _snowflake(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput("import", f"{where} = {value!r}: expected a Discord id (a string)")
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput("import", f"{where} = {value!r}: expected a Discord id") from None
    if not 0 < number < 2**64:
        raise InvalidInput("import", f"{where} = {value!r}: expected a Discord id")
    return number


def _maybe_snowflake(value: Any, where: str) -> int | None:
    return None if value is None else _snowflake(value, where)


def _instant(value: Any, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            "import", f"{where} = {value!r}: expected an ISO-8601 time with its UTC offset"
        )
    return parsed.astimezone(UTC)


def _maybe_instant(value: Any, where: str) -> datetime | None:
    return None if value is None else _instant(value, where)


def _text(value: Any, where: str, *, optional: bool = False) -> str:
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("import", f"{where} = {value!r}: expected a string")
    return value


def snapshot_from_export(data: Any) -> EventSnapshot:
    """Read one event of an export (`export_event`'s shape) back, checking every field.

    Bad input is `InvalidInput("import", ...)` naming the field; nothing is stored."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidInput("import", f"not a Ratmas export (expected format {FORMAT!r})")
    raw = _field(data, "event", "export")
    if not isinstance(raw, dict):
        raise InvalidInput("import", "event: expected an object")
    status = _status(_field(raw, "status", "event"), "event.status")
    timezone = _text(_field(raw, "timezone", "event"), "event.timezone")
    zone(timezone)
    announced = raw.get("announced_status", status.value)
    exported_id = raw.get("id")
    event = Event(
        id=exported_id if isinstance(exported_id, int) and not isinstance(exported_id, bool) else 0,
        guild_id=_snowflake(_field(raw, "guild_id", "event"), "event.guild_id"),
        status=status,
        dates=EventDates(
            _instant(_field(raw, "starts_at", "event"), "event.starts_at"),
            _instant(_field(raw, "purchase_deadline", "event"), "event.purchase_deadline"),
            _instant(_field(raw, "reveal_at", "event"), "event.reveal_at"),
        ),
        timezone=timezone,
        announcement_channel_id=_maybe_snowflake(
            raw.get("announcement_channel_id"), "event.announcement_channel_id"
        ),
        participant_role_id=_maybe_snowflake(
            raw.get("participant_role_id"), "event.participant_role_id"
        ),
        manager_role_id=_maybe_snowflake(raw.get("manager_role_id"), "event.manager_role_id"),
        created_by=_maybe_snowflake(raw.get("created_by"), "event.created_by"),
        held_reason=raw.get("held_reason"),
        # Older exports carry no announced status: take the current one as announced.
        announced_status=_status(announced, "event.announced_status") if announced else None,
        cancel_reason=raw.get("cancel_reason"),
        created_at=_instant(_field(raw, "created_at", "event"), "event.created_at"),
        updated_at=_instant(_field(raw, "updated_at", "event"), "event.updated_at"),
    )
    participants = tuple(
        Participant(
            0,
            _snowflake(_field(p, "user_id", f"participants[{i}]"), f"participants[{i}].user_id"),
            _text(p.get("display_name"), f"participants[{i}].display_name"),
            p.get("wishlist_url"),
            _instant(_field(p, "joined_at", f"participants[{i}]"), f"participants[{i}].joined_at"),
        )
        for i, p in enumerate(_list(data, "participants"))
    )
    exclusions = tuple(
        Exclusion(
            0,
            _snowflake(x.get("user_id"), f"exclusions[{i}].user_id"),
            _snowflake(x.get("excluded_user_id"), f"exclusions[{i}].excluded_user_id"),
        )
        for i, x in enumerate(_list(data, "exclusions"))
    )
    pairings = tuple(
        Pairing(
            0,
            _snowflake(p.get("santa_id"), f"pairings[{i}].santa_id"),
            _snowflake(p.get("recipient_id"), f"pairings[{i}].recipient_id"),
            _maybe_instant(p.get("notified_at"), f"pairings[{i}].notified_at"),
            p.get("last_error_code"),
            p.get("last_error_text"),
            int(p.get("attempts") or 0),
        )
        for i, p in enumerate(_list(data, "pairings"))
    )
    if pairings:
        try:
            check_draw(
                {p.santa_id: p.recipient_id for p in pairings},
                {p.user_id for p in participants},
            )
        except InvalidPairings as bad:
            raise InvalidInput(
                "import", f"pairings: not a permutation of the participants ({bad})"
            ) from None
    audit = tuple(
        AuditEntry(
            0,
            _maybe_snowflake(a.get("actor_id"), f"audit[{i}].actor_id"),
            _text(a.get("action"), f"audit[{i}].action"),
            _text(a.get("detail"), f"audit[{i}].detail", optional=True),
            _instant(a.get("at"), f"audit[{i}].at"),
        )
        for i, a in enumerate(_list(data, "audit"))
    )
    return EventSnapshot(event, participants, exclusions, pairings, audit)


def _status(value: Any, where: str) -> EventStatus:
    try:
        return EventStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in EventStatus)
        raise InvalidInput("import", f"{where} = {value!r}: expected one of {allowed}") from None


def _list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidInput("import", f"{key}: expected a list of objects")
    return items


def snapshots_from_file(data: Any) -> list[EventSnapshot]:
    """One event's export, or a guild's (`{"events": [...]}`), read back, oldest first."""
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        return [snapshot_from_export(item) for item in data["events"]]
    return [snapshot_from_export(data)]


async def import_snapshots(
    repo: EventRepository, snapshots: Sequence[EventSnapshot]
) -> list[Event]:
    """Store exported events, each under a new id.

    A live event whose guild already has a live one (in the database, or earlier in the
    same file) is refused before anything is stored."""
    live_guilds: set[int] = set()
    for snapshot in snapshots:
        event = snapshot.event
        if not event.status.is_live:
            continue
        existing = await repo.get_live_event(event.guild_id)
        if existing is not None:
            raise EventAlreadyLive(event.guild_id, existing.id)
        if event.guild_id in live_guilds:
            raise InvalidInput("import", f"the file has two live events for guild {event.guild_id}")
        live_guilds.add(event.guild_id)
    return [await repo.restore_event(snapshot) for snapshot in snapshots]
