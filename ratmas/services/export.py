"""An event as JSON, for archival and for admins (`/ratmas-admin export`, `ratmas export`).
A guild's export holds every event of the guild and its households (which belong to
the guild, not to an event, so an event's export leaves them out); `ratmas import`
reads it back (`ratmas.services.imports`), e.g. to move a guild from SQLite to
PostgreSQL.

Discord ids are strings (they do not fit a JavaScript number); times are ISO-8601 in
UTC. The export contains the pairings: it is only ever handed to admins, ephemerally.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ratmas.domain.errors import NotFound
from ratmas.domain.model import Household
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
            "wishlist_reminder_days": event.reminder_days.wishlist,
            "gift_reminder_days": event.reminder_days.gift,
            "reminded_wishlist_at": _time(event.reminded_wishlist_at),
            "reminded_gift_at": _time(event.reminded_gift_at),
            "budget": event.budget,
            # The original bot's id, so that `ratmas import-legacy` of the same file
            # after a restore or an import does not store the event a second time.
            "legacy_id": event.legacy_id,
        },
        "participants": [
            {
                "user_id": _id(p.user_id),
                "display_name": p.display_name,
                "wishlist_url": p.wishlist_url,
                "notes": p.notes,
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
                "gift_sent_at": _time(p.gift_sent_at),
                "gift_received_at": _time(p.gift_received_at),
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


async def export_guild(repo: EventRepository, guild_id: int) -> dict[str, Any]:
    """Every event of a guild, oldest first, and the guild's households, in one file
    that `ratmas import` reads back."""
    events = await repo.list_events(guild_id)
    return {
        "format": FORMAT,
        "guild_id": str(guild_id),
        "events": [await export_event(repo, e.id) for e in reversed(events)],
        "households": household_entries(await repo.list_households(guild_id)),
    }


def household_entries(households: Iterable[Household]) -> list[dict[str, Any]]:
    """Households as a file lists them (their guild is the file's, or named beside)."""
    return [
        {
            "members": [str(m) for m in h.members],
            "created_by": _id(h.created_by),
            "created_at": _time(h.created_at),
        }
        for h in households
    ]
