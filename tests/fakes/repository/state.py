"""The dictionaries every part of the in-memory repository works on, and the helpers
they share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from ratmas.domain.errors import NotFound
from ratmas.domain.model import (
    AnonymousMessage,
    AuditEntry,
    Event,
    GuildSettings,
    Household,
    OutboxDraft,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Pairing,
    Participant,
)


def utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: Ratmas stores aware datetimes only")
    return value.astimezone(UTC)


def settled_message(entry: OutboxEntry) -> bool:
    """A refused anonymous message is final (its text is gone), unlike other refused DMs."""
    return entry.kind is OutboxKind.MESSAGE and entry.state in (
        OutboxState.CLOSED,
        OutboxState.FAILED,
    )


class InMemoryState:
    """What the parts share: the stored values, by event (or guild), and the id counters."""

    def __init__(self) -> None:
        self.events: dict[int, Event] = {}
        self.participants: dict[int, dict[int, Participant]] = {}
        self.exclusions: dict[int, set[tuple[int, int]]] = {}
        self.pairings: dict[int, dict[int, Pairing]] = {}
        self.audit: dict[int, list[AuditEntry]] = {}
        self.guild_settings: dict[int, GuildSettings] = {}
        self.outbox: dict[int, OutboxEntry] = {}  # by id, ids never reused
        self.legacy: dict[str, int] = {}
        self.restored: dict[str, int] = {}  # snapshot digest -> event id
        self.households: dict[int, Household] = {}  # by id, ids never reused
        self._next_household_id = 1
        self.messages: dict[int, AnonymousMessage] = {}  # by id, ids never reused
        self._next_id = 1
        self._next_outbox_id = 1
        self._next_message_id = 1

    def _require(self, event_id: int) -> Event:
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event {event_id}.")
        return event

    def _add_outbox(
        self, event_id: int, drafts: Sequence[OutboxDraft], now: datetime | None
    ) -> list[OutboxEntry]:
        added = []
        for d in drafts:
            entry = OutboxEntry(
                id=self._next_outbox_id,
                event_id=event_id,
                user_id=d.user_id,
                kind=d.kind,
                recipient_id=d.recipient_id,
                note=d.note,
                content=d.content,
                state=OutboxState.PENDING,
                attempts=0,
                last_error_code=None,
                last_error_text=None,
                attempt_started_at=None,
                delivered_at=None,
                dm_channel_id=None,
                message_id=None,
                created_at=None if now is None else utc(now),
                gift_button=d.gift_button,
            )
            self._next_outbox_id += 1
            self.outbox[entry.id] = entry
            added.append(entry)
        return added
