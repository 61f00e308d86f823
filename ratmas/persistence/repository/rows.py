"""What the parts of the repository share: rows to domain values, datetimes in and
out, and the SQL helpers every part uses.

Going in, every datetime passes `utc` (aware, converted); coming out, `out` and the
`to_…` mappers give aware UTC values, so no ORM row leaves the package. Raw queries
read events through `EVENT_COLUMNS` and `event_from_record`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from ratmas.domain.errors import NotFound
from ratmas.domain.model import (
    OPEN_OUTBOX_STATES,
    AnonymousMessage,
    Event,
    EventDates,
    GiftMark,
    MessageDirection,
    OutboxDraft,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Pairing,
    Participant,
    ReminderDays,
)
from ratmas.domain.status import EventStatus
from ratmas.persistence.models import EventRow, MessageRow, OutboxRow, PairingRow, ParticipantRow

# SQLite allows 32766 bound variables per statement; stay far below for every backend.
CHUNK = 900
OPEN_STATES = sorted(s.value for s in OPEN_OUTBOX_STATES)


def utc(value: datetime) -> datetime:
    """`value` in UTC; naive datetimes are a programming error."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: Ratmas stores aware datetimes only")
    return value.astimezone(UTC)


def maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def out(value: datetime) -> datetime:
    """A datetime read through the ORM, as aware UTC."""
    return value.astimezone(UTC)


def maybe_out(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def read_datetime(value: datetime | str | None) -> datetime | None:
    """A datetime as a raw query returns it: a datetime (PostgreSQL) or the text the
    SQLite adapter wrote (`isoformat(" ")`, always with its offset), in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC)


def read_required(value: datetime | str) -> datetime:
    read = read_datetime(value)
    assert read is not None
    return read


# The event columns raw queries read, in the order `event_from_record` expects.
EVENT_COLUMNS = ", ".join(
    f'"ratmas_event"."{name}"'
    for name in (
        "id",
        "guild_id",
        "status",
        "starts_at",
        "purchase_deadline",
        "reveal_at",
        "timezone",
        "announcement_channel_id",
        "participant_role_id",
        "manager_role_id",
        "created_by",
        "held_reason",
        "announced_status",
        "cancel_reason",
        "created_at",
        "updated_at",
        "remind_wishlist_days",
        "remind_gift_days",
        "reminded_wishlist_at",
        "reminded_gift_at",
        "budget",
        "legacy_id",
    )
)
_STATUS = {status.value: status for status in EventStatus}


def event_from_record(record: Any) -> Event:
    """An `Event` from a raw row of `EVENT_COLUMNS`: no model instance, no field
    descriptors, just the values (listing 10,000 events otherwise costs a second)."""
    (
        event_id,
        guild_id,
        status,
        starts_at,
        purchase_deadline,
        reveal_at,
        timezone,
        announcement_channel_id,
        participant_role_id,
        manager_role_id,
        created_by,
        held_reason,
        announced_status,
        cancel_reason,
        created_at,
        updated_at,
        remind_wishlist_days,
        remind_gift_days,
        reminded_wishlist_at,
        reminded_gift_at,
        budget,
        legacy_id,
    ) = record
    return Event(
        id=event_id,
        guild_id=guild_id,
        status=_STATUS[status],
        dates=EventDates(
            read_required(starts_at),
            read_required(purchase_deadline),
            read_required(reveal_at),
        ),
        timezone=timezone,
        announcement_channel_id=announcement_channel_id,
        participant_role_id=participant_role_id,
        manager_role_id=manager_role_id,
        created_by=created_by,
        held_reason=held_reason,
        announced_status=None if announced_status is None else _STATUS[announced_status],
        cancel_reason=cancel_reason,
        created_at=read_required(created_at),
        updated_at=read_required(updated_at),
        reminder_days=ReminderDays(remind_wishlist_days, remind_gift_days),
        reminded_wishlist_at=read_datetime(reminded_wishlist_at),
        reminded_gift_at=read_datetime(reminded_gift_at),
        budget=budget,
        legacy_id=legacy_id,
    )


def chunks[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_DATETIME_FIELD = PairingRow._meta.fields_map["notified_at"]


def to_db(value: datetime | None) -> Any:
    """A datetime as the connected database stores it (the ORM's own conversion)."""
    return None if value is None else _DATETIME_FIELD.to_db_value(value, PairingRow)


def placeholder(connection: Any) -> str:
    """The first parameter's placeholder in the connection's dialect."""
    return "$1" if connection.capabilities.dialect == "postgres" else "?"


async def require_event(event_id: int) -> EventRow:
    """The event's row; `NotFound` when there is none."""
    row = await EventRow.get_or_none(id=event_id)
    if row is None:
        raise NotFound(f"There is no event {event_id}.")
    return row


def to_event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        guild_id=row.guild_id,
        status=EventStatus(row.status),
        dates=EventDates(
            starts_at=out(row.starts_at),
            purchase_deadline=out(row.purchase_deadline),
            reveal_at=out(row.reveal_at),
        ),
        timezone=row.timezone,
        announcement_channel_id=row.announcement_channel_id,
        participant_role_id=row.participant_role_id,
        manager_role_id=row.manager_role_id,
        created_by=row.created_by,
        held_reason=row.held_reason,
        announced_status=(
            EventStatus(row.announced_status) if row.announced_status is not None else None
        ),
        cancel_reason=row.cancel_reason,
        created_at=out(row.created_at),
        updated_at=out(row.updated_at),
        reminder_days=ReminderDays(row.remind_wishlist_days, row.remind_gift_days),
        reminded_wishlist_at=maybe_out(row.reminded_wishlist_at),
        reminded_gift_at=maybe_out(row.reminded_gift_at),
        budget=row.budget,
        legacy_id=row.legacy_id,
    )


def to_participant(row: ParticipantRow) -> Participant:
    return Participant(
        event_id=row.event_id,
        user_id=row.user_id,
        display_name=row.display_name,
        wishlist_url=row.wishlist_url,
        joined_at=out(row.joined_at),
        notes=row.notes,
    )


def to_pairing(row: PairingRow) -> Pairing:
    return Pairing(
        event_id=row.event_id,
        santa_id=row.santa_id,
        recipient_id=row.recipient_id,
        notified_at=maybe_out(row.notified_at),
        last_error_code=row.last_error_code,
        last_error_text=row.last_error_text,
        attempts=row.attempts,
        last_attempt_at=maybe_out(row.last_attempt_at),
        gift_sent_at=maybe_out(row.gift_sent_at),
        gift_received_at=maybe_out(row.gift_received_at),
    )


# The outbox's `note` column holds an assignment's note; a stored-text DM has none and
# keeps the gift button it carries there instead, as `gift_button:<mark>`.
_GIFT_BUTTON_PREFIX = "gift_button:"
_GIFT_BUTTONS = {f"{_GIFT_BUTTON_PREFIX}{mark.value}": mark for mark in GiftMark}


def note_column(draft: OutboxDraft) -> str | None:
    if draft.gift_button is not None:
        return f"{_GIFT_BUTTON_PREFIX}{draft.gift_button.value}"
    return draft.note


def to_outbox_entry(row: OutboxRow) -> OutboxEntry:
    button = _GIFT_BUTTONS.get(row.note or "") if row.kind != OutboxKind.ASSIGNMENT else None
    return OutboxEntry(
        id=row.id,
        event_id=row.event_id,
        user_id=row.user_id,
        kind=OutboxKind(row.kind),
        recipient_id=row.recipient_id,
        note=None if button is not None else row.note,
        content=row.content,
        state=OutboxState(row.state),
        attempts=row.attempts,
        last_error_code=row.last_error_code,
        last_error_text=row.last_error_text,
        attempt_started_at=maybe_out(row.attempt_started_at),
        delivered_at=maybe_out(row.delivered_at),
        dm_channel_id=row.dm_channel_id,
        message_id=row.message_id,
        created_at=maybe_out(row.created_at),
        gift_button=button,
    )


def to_message(row: MessageRow) -> AnonymousMessage:
    return AnonymousMessage(
        id=row.id,
        event_id=row.event_id,
        sender_id=row.sender_id,
        addressee_id=row.addressee_id,
        direction=MessageDirection(row.direction),
        outbox_id=row.outbox_id,
        sent_at=out(row.sent_at),
    )
