"""The Tortoise implementation of `EventRepository`.

This is the I/O boundary for everything Ratmas stores: it speaks Tortoise inside and
frozen domain dataclasses outside, so no ORM row ever leaves this module. Every
datetime that goes in is converted to UTC first (SQLite compares datetimes as text,
so a non-UTC filter value would compare wrongly); every datetime that comes out is
aware UTC. Writes that touch several rows run in one transaction, and bulk work
(participant sync, pairings) uses a bounded number of statements whatever the size.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, cast

import asyncpg
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from ratmas.domain.errors import (
    AlreadyJoined,
    EventAlreadyLive,
    InvalidInput,
    NotFound,
)
from ratmas.domain.model import (
    LATEST_ONLY_KINDS,
    OPEN_OUTBOX_STATES,
    AnonymousMessage,
    AuditEntry,
    Event,
    EventDates,
    EventSnapshot,
    Exclusion,
    GiftCounts,
    GiftMark,
    GuildSettings,
    Household,
    Member,
    MessageDirection,
    NewEvent,
    OutboxDraft,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Pairing,
    Participant,
    ReminderDays,
    SyncResult,
)
from ratmas.domain.pairing import check_draw
from ratmas.domain.status import (
    ANNOUNCED_STATUSES,
    DRAWN_STATUSES,
    LIVE_STATUSES,
    EventStatus,
    Reminder,
)
from ratmas.persistence.models import (
    AuditRow,
    EventRow,
    ExclusionRow,
    GuildSettingsRow,
    HouseholdMemberRow,
    HouseholdRow,
    MessageRow,
    OutboxRow,
    PairingRow,
    ParticipantRow,
)
from ratmas.services.errors import ConcurrentChange
from ratmas.services.ports import DeliveryProgress

# SQLite allows 32766 bound variables per statement; stay far below for every backend.
CHUNK = 900
_LIVE = [s.value for s in LIVE_STATUSES]
_OPEN = sorted(s.value for s in OPEN_OUTBOX_STATES)
# What a DM whose outcome is final leaves of its text: an anonymous message keeps none.
_ERASED: dict[str, dict[str, Any]] = {OutboxKind.MESSAGE.value: {"content": ""}}
# Refused states: open for every DM (an explicit retry sends them again) except an
# anonymous message, for which a refusal is final (its text is gone).
_REFUSED = [OutboxState.CLOSED.value, OutboxState.FAILED.value]


def _settled_message(row: OutboxRow) -> bool:
    return row.kind == OutboxKind.MESSAGE.value and row.state in _REFUSED


def utc(value: datetime) -> datetime:
    """`value` in UTC; naive datetimes are a programming error."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: Ratmas stores aware datetimes only")
    return value.astimezone(UTC)


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


def _already_in_household(
    user_id: int, household_id: int, *, field: str = "members"
) -> InvalidInput:
    return InvalidInput(
        field,
        f"<@{user_id}> is already in household {household_id}; a member is in one "
        "household at most (take them out of it first)",
    )


def _chunks[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _out(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _maybe_out(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _read_datetime(value: datetime | str | None) -> datetime | None:
    """A datetime as a raw query returns it: a datetime (PostgreSQL) or the text the
    SQLite adapter wrote (`isoformat(" ")`, always with its offset), in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC)


def _read_required(value: datetime | str) -> datetime:
    read = _read_datetime(value)
    assert read is not None
    return read


# The event columns raw queries read, in the order `_event_from_record` expects.
_EVENT_COLUMNS = ", ".join(
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
    )
)
_STATUS = {status.value: status for status in EventStatus}


def _event_from_record(record: Any) -> Event:
    """An `Event` from a raw row of `_EVENT_COLUMNS`: no model instance, no field
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
    ) = record
    return Event(
        id=event_id,
        guild_id=guild_id,
        status=_STATUS[status],
        dates=EventDates(
            _read_required(starts_at),
            _read_required(purchase_deadline),
            _read_required(reveal_at),
        ),
        timezone=timezone,
        announcement_channel_id=announcement_channel_id,
        participant_role_id=participant_role_id,
        manager_role_id=manager_role_id,
        created_by=created_by,
        held_reason=held_reason,
        announced_status=None if announced_status is None else _STATUS[announced_status],
        cancel_reason=cancel_reason,
        created_at=_read_required(created_at),
        updated_at=_read_required(updated_at),
        reminder_days=ReminderDays(remind_wishlist_days, remind_gift_days),
        reminded_wishlist_at=_read_datetime(reminded_wishlist_at),
        reminded_gift_at=_read_datetime(reminded_gift_at),
        budget=budget,
    )


def _in_list(values: Collection[str]) -> str:
    """A SQL list of our own constant strings (status names), never user input."""
    return ", ".join(f"'{value}'" for value in sorted(values))


_LIVE_SQL = _in_list(_LIVE)
_DRAWN_SQL = _in_list({s.value for s in DRAWN_STATUSES})
_ANNOUNCED_SQL = _in_list({s.value for s in ANNOUNCED_STATUSES})
# The date each live status waits for (revealed waits for nobody's date).
_WAITING_DUE = (
    '("status" = \'scheduled\' AND "starts_at" < {mark}) '
    'OR ("status" = \'active\' AND "purchase_deadline" < {mark}) '
    'OR ("status" = \'purchase_closed\' AND "reveal_at" < {mark})'
)


# A reminder never claimed whose moment (its phase's date minus its days) is before the
# mark, while the status waits for that phase. SQLite compares Julian days (floats: the
# slack of a second keeps it a superset; the engine applies the exact rules).
_REMINDER_DUE = {
    "postgres": (
        '("status" = \'scheduled\' AND "reminded_wishlist_at" IS NULL '
        'AND "remind_wishlist_days" > 0 '
        'AND "starts_at" - "remind_wishlist_days" * INTERVAL \'1 day\' < {mark}) '
        'OR ("status" = \'active\' AND "reminded_gift_at" IS NULL AND "remind_gift_days" > 0 '
        'AND "purchase_deadline" - "remind_gift_days" * INTERVAL \'1 day\' < {mark})'
    ),
    "sqlite": (
        '("status" = \'scheduled\' AND "reminded_wishlist_at" IS NULL '
        'AND "remind_wishlist_days" > 0 '
        'AND julianday("starts_at") - "remind_wishlist_days" < julianday({mark}) + 1.0 / 86400) '
        'OR ("status" = \'active\' AND "reminded_gift_at" IS NULL AND "remind_gift_days" > 0 '
        'AND julianday("purchase_deadline") - "remind_gift_days" '
        "< julianday({mark}) + 1.0 / 86400)"
    ),
}
_REMINDED_COLUMNS = {
    Reminder.WISHLIST: "reminded_wishlist_at",
    Reminder.GIFT: "reminded_gift_at",
}


_DATETIME_FIELD = PairingRow._meta.fields_map["notified_at"]


def _to_db(value: datetime | None) -> Any:
    """A datetime as the connected database stores it (the ORM's own conversion)."""
    return None if value is None else _DATETIME_FIELD.to_db_value(value, PairingRow)


def _mark(connection: Any) -> str:
    """The first parameter's placeholder in the connection's dialect."""
    return "$1" if connection.capabilities.dialect == "postgres" else "?"


# SQLite's page cache holds 2 MiB by default, about what storing 5,000 pairings with
# their outbox rows dirties (table and index pages). A larger draw would spill pages
# to the WAL in the middle of its transaction and write many of them again (a 100k
# draw took twice as long), so it runs with a cache of its own size; the bot's usual
# cache, and so its memory, stays small. (Raised for the whole connection, the cache
# filled with what the reconcile reads and `ratmas run` took 130 MB instead of 65.)
_SQLITE_PAGE_CACHE_PAIRINGS = 5_000
_SQLITE_BYTES_PER_PAIRING = 400


@asynccontextmanager
async def _sqlite_cache_for(pairings: int) -> AsyncIterator[None]:
    """A SQLite page cache large enough for writing `pairings` pairings, for the block."""
    connection = connections.get("default")
    if connection.capabilities.dialect != "sqlite" or pairings < _SQLITE_PAGE_CACHE_PAIRINGS:
        yield
        return
    _, rows = await connection.execute_query("PRAGMA cache_size")
    usual = int(rows[0][0])
    kib = pairings * _SQLITE_BYTES_PER_PAIRING // 1024
    await connection.execute_script(f"PRAGMA cache_size = {-kib}")
    try:
        yield
    finally:
        await connection.execute_script(f"PRAGMA cache_size = {usual}")


def _fresh_pairings(event_id: int, santas: list[int], recipients: list[int]) -> list[Pairing]:
    """Pending, never tried pairings; built at C level (`tuple.__new__` over `zip`),
    several times cheaper than calling the named tuple's constructor per row."""
    rows = zip(
        repeat(event_id),
        santas,
        recipients,
        repeat(None),
        repeat(None),
        repeat(None),
        repeat(0),
        repeat(None),
        repeat(None),
        repeat(None),
        strict=False,
    )
    return list(map(tuple.__new__, repeat(Pairing), rows))


def _event(row: EventRow) -> Event:
    return Event(
        id=row.id,
        guild_id=row.guild_id,
        status=EventStatus(row.status),
        dates=EventDates(
            starts_at=_out(row.starts_at),
            purchase_deadline=_out(row.purchase_deadline),
            reveal_at=_out(row.reveal_at),
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
        created_at=_out(row.created_at),
        updated_at=_out(row.updated_at),
        reminder_days=ReminderDays(row.remind_wishlist_days, row.remind_gift_days),
        reminded_wishlist_at=_maybe_out(row.reminded_wishlist_at),
        reminded_gift_at=_maybe_out(row.reminded_gift_at),
        budget=row.budget,
    )


def _participant(row: ParticipantRow) -> Participant:
    return Participant(
        event_id=row.event_id,
        user_id=row.user_id,
        display_name=row.display_name,
        wishlist_url=row.wishlist_url,
        joined_at=_out(row.joined_at),
        notes=row.notes,
    )


def _pairing(row: PairingRow) -> Pairing:
    return Pairing(
        event_id=row.event_id,
        santa_id=row.santa_id,
        recipient_id=row.recipient_id,
        notified_at=_maybe_out(row.notified_at),
        last_error_code=row.last_error_code,
        last_error_text=row.last_error_text,
        attempts=row.attempts,
        last_attempt_at=_maybe_out(row.last_attempt_at),
        gift_sent_at=_maybe_out(row.gift_sent_at),
        gift_received_at=_maybe_out(row.gift_received_at),
    )


# The outbox's `note` column holds an assignment's note; a stored-text DM has none and
# keeps the gift button it carries there instead, as `gift_button:<mark>`.
_GIFT_BUTTON_PREFIX = "gift_button:"
_GIFT_BUTTONS = {f"{_GIFT_BUTTON_PREFIX}{mark.value}": mark for mark in GiftMark}
# The pairing column each mark is stored in.
_GIFT_COLUMNS = {GiftMark.SENT: "gift_sent_at", GiftMark.RECEIVED: "gift_received_at"}


def _note_column(draft: OutboxDraft) -> str | None:
    if draft.gift_button is not None:
        return f"{_GIFT_BUTTON_PREFIX}{draft.gift_button.value}"
    return draft.note


def _outbox(row: OutboxRow) -> OutboxEntry:
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
        attempt_started_at=_maybe_out(row.attempt_started_at),
        delivered_at=_maybe_out(row.delivered_at),
        dm_channel_id=row.dm_channel_id,
        message_id=row.message_id,
        created_at=_maybe_out(row.created_at),
        gift_button=button,
    )


def _message(row: MessageRow) -> AnonymousMessage:
    return AnonymousMessage(
        id=row.id,
        event_id=row.event_id,
        sender_id=row.sender_id,
        addressee_id=row.addressee_id,
        direction=MessageDirection(row.direction),
        outbox_id=row.outbox_id,
        sent_at=_out(row.sent_at),
    )


class TortoiseEventRepository:
    """`EventRepository` on whatever database Tortoise was initialised with."""

    # --- events -----------------------------------------------------------------------
    async def create_event(self, new: NewEvent, *, now: datetime) -> Event:
        existing = await self.get_live_event(new.guild_id)
        if existing is not None:
            raise EventAlreadyLive(new.guild_id, existing.id)
        now = utc(now)
        try:
            row = await EventRow.create(
                guild_id=new.guild_id,
                status=EventStatus.SCHEDULED.value,
                live_guild_id=new.guild_id,
                starts_at=utc(new.dates.starts_at),
                purchase_deadline=utc(new.dates.purchase_deadline),
                reveal_at=utc(new.dates.reveal_at),
                timezone=new.timezone,
                announcement_channel_id=new.announcement_channel_id,
                participant_role_id=new.participant_role_id,
                manager_role_id=new.manager_role_id,
                created_by=new.created_by,
                budget=new.budget,
                created_at=now,
                updated_at=now,
                remind_wishlist_days=new.reminder_days.wishlist,
                remind_gift_days=new.reminder_days.gift,
            )
        except IntegrityError:
            # Another process created one between our check and our insert.
            winner = await self.get_live_event(new.guild_id)
            raise EventAlreadyLive(new.guild_id, winner.id if winner else 0) from None
        return _event(row)

    async def get_event(self, event_id: int) -> Event | None:
        row = await EventRow.get_or_none(id=event_id)
        return None if row is None else _event(row)

    async def _require_event(self, event_id: int) -> EventRow:
        row = await EventRow.get_or_none(id=event_id)
        if row is None:
            raise NotFound(f"There is no event {event_id}.")
        return row

    async def get_live_event(self, guild_id: int) -> Event | None:
        row = await EventRow.get_or_none(live_guild_id=guild_id)
        return None if row is None else _event(row)

    async def list_live_events(
        self, *, due_before: datetime | None = None, guild_ids: Collection[int] | None = None
    ) -> list[Event]:
        connection = connections.get("default")
        sql = f'SELECT {_EVENT_COLUMNS} FROM "ratmas_event" WHERE "status" IN ({_LIVE_SQL})'
        values: list[Any] = []
        if due_before is not None:
            mark = _mark(connection)
            sql += " AND (" + _WAITING_DUE.format(mark=mark) + ")"
            values = [utc(due_before)] * (1 if mark == "$1" else 3)
        _, rows = await connection.execute_query(sql + ' ORDER BY "id"', values)
        wanted = None if guild_ids is None else set(guild_ids)
        return [_event_from_record(row) for row in rows if wanted is None or row[1] in wanted]

    async def events_to_reconcile(self, *, due_before: datetime) -> list[Event]:
        connection = connections.get("default")
        mark = _mark(connection)
        untried = (
            'SELECT 1 FROM "ratmas_pairing" AS "p" WHERE "p"."event_id" = "ratmas_event"."id" '
            'AND "p"."notified_at" IS NULL AND "p"."attempts" = 0'
        )
        stored = 'SELECT 1 FROM "ratmas_pairing" AS "p" WHERE "p"."event_id" = "ratmas_event"."id"'
        # Notices and wishlist DMs a crash left unsent (the (event, state) index serves it).
        unsent_notices = (
            'SELECT 1 FROM "ratmas_outbox" AS "o" WHERE "o"."event_id" = "ratmas_event"."id" '
            'AND "o"."state" IN (\'pending\', \'sending\') AND "o"."kind" <> \'assignment\''
        )
        dialect = "postgres" if mark == "$1" else "sqlite"
        sql = (
            f'SELECT {_EVENT_COLUMNS} FROM "ratmas_event" WHERE "status" IN ({_LIVE_SQL}) AND ('
            + _WAITING_DUE.format(mark=mark)
            + f' OR ("status" IN ({_ANNOUNCED_SQL}) AND ("announced_status" IS NULL '
            'OR "announced_status" <> "status"))'
            f" OR (\"status\" = 'active' AND NOT EXISTS ({stored}))"
            f' OR ("status" IN ({_DRAWN_SQL}) AND EXISTS ({untried}))'
            f" OR EXISTS ({unsent_notices})"
            " OR " + _REMINDER_DUE[dialect].format(mark=mark) + ') ORDER BY "id"'
        )
        values = [utc(due_before)] * (1 if mark == "$1" else 5)
        if mark != "$1":
            _, rows = await connection.execute_query(sql, values)
            return [_event_from_record(row) for row in rows]
        async with in_transaction() as transaction:
            # The planner's estimate for the pairing sub-queries crosses the JIT
            # threshold; compiling costs more than the query runs (13 of 55 ms).
            await transaction.execute_script("SET LOCAL jit = off")
            _, rows = await transaction.execute_query(sql, values)
        return [_event_from_record(row) for row in rows]

    async def list_events(self, guild_id: int | None) -> list[Event]:
        query = EventRow.all() if guild_id is None else EventRow.filter(guild_id=guild_id)
        rows = await query.order_by("-id")
        return [_event(row) for row in rows]

    async def set_status(
        self,
        event_id: int,
        expected: EventStatus,
        new: EventStatus,
        *,
        now: datetime,
        cancel_reason: str | None = None,
    ) -> bool:
        changes: dict[str, Any] = {"status": new.value, "updated_at": utc(now)}
        if new.is_final:
            changes["live_guild_id"] = None
        if cancel_reason is not None:
            changes["cancel_reason"] = cancel_reason
        if not new.is_final:
            updated = await EventRow.filter(id=event_id, status=expected.value).update(**changes)
            return updated == 1
        async with in_transaction() as connection:
            updated = (
                await EventRow.filter(id=event_id, status=expected.value)
                .using_db(connection)
                .update(**changes)
            )
            if updated == 1:
                # Anonymous messages still waiting will never be sent: their text goes now.
                await (
                    OutboxRow.filter(
                        event_id=event_id, kind=OutboxKind.MESSAGE.value, state__in=_OPEN
                    )
                    .using_db(connection)
                    .update(state=OutboxState.SUPERSEDED.value, content="")
                )
        return updated == 1

    async def claim_reminder(
        self,
        event_id: int,
        reminder: Reminder,
        expected: EventStatus,
        *,
        now: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        column = _REMINDED_COLUMNS[reminder]
        now = utc(now)
        async with in_transaction() as connection:
            claimed = (
                await EventRow.filter(
                    id=event_id, status=expected.value, **{f"{column}__isnull": True}
                )
                .using_db(connection)
                .update(**{column: now})
            )
            if claimed != 1:
                return False
            await self._insert_outbox(connection, event_id, outbox, now)
        return True

    async def claim_announcement(
        self, event_id: int, expected: EventStatus | None, new: EventStatus | None
    ) -> bool:
        query = EventRow.filter(id=event_id)
        if expected is None:
            query = query.filter(announced_status__isnull=True)
        else:
            query = query.filter(announced_status=expected.value)
        return await query.update(announced_status=None if new is None else new.value) == 1

    async def update_dates(self, event_id: int, dates: EventDates, *, now: datetime) -> Event:
        updated = await EventRow.filter(id=event_id).update(
            starts_at=utc(dates.starts_at),
            purchase_deadline=utc(dates.purchase_deadline),
            reveal_at=utc(dates.reveal_at),
            held_reason=None,
            updated_at=utc(now),
        )
        if updated != 1:
            raise NotFound(f"There is no event {event_id}.")
        return _event(await self._require_event(event_id))

    async def set_hold(
        self,
        event_id: int,
        reason: str | None,
        *,
        now: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        async with in_transaction() as connection:
            query = EventRow.filter(id=event_id)
            if reason is None:
                query = query.filter(held_reason__isnull=False)
            else:
                query = query.filter(held_reason__isnull=True)
            changed = await query.using_db(connection).update(
                held_reason=reason, updated_at=utc(now)
            )
            if changed != 1:
                return False
            await self._insert_outbox(connection, event_id, outbox, now)
        return True

    async def update_event_settings(
        self,
        event_id: int,
        *,
        announcement_channel_id: int | None = None,
        participant_role_id: int | None = None,
        manager_role_id: int | None = None,
        reminder_days: ReminderDays | None = None,
        now: datetime,
    ) -> Event:
        # Only the given columns: saving the whole row read earlier would write back a
        # status or a reminder claim that another process changed meanwhile.
        changes: dict[str, Any] = {
            name: value
            for name, value in (
                ("announcement_channel_id", announcement_channel_id),
                ("participant_role_id", participant_role_id),
                ("manager_role_id", manager_role_id),
            )
            if value is not None
        }
        if reminder_days is not None:
            changes["remind_wishlist_days"] = reminder_days.wishlist
            changes["remind_gift_days"] = reminder_days.gift
        if await EventRow.filter(id=event_id).update(**changes, updated_at=utc(now)) != 1:
            raise NotFound(f"There is no event {event_id}.")
        return _event(await self._require_event(event_id))

    async def set_budget(self, event_id: int, budget: str | None, *, now: datetime) -> Event:
        updated = await EventRow.filter(id=event_id).update(budget=budget, updated_at=utc(now))
        if updated != 1:
            raise NotFound(f"There is no event {event_id}.")
        return _event(await self._require_event(event_id))

    async def delete_event(self, event_id: int) -> bool:
        # The foreign keys cascade; one statement keeps it atomic on every backend.
        # SQLite's change count includes the cascaded rows, so test for "any".
        return await EventRow.filter(id=event_id).delete() > 0

    async def restore_event(self, snapshot: EventSnapshot) -> Event:
        (event,) = await self.restore_events([snapshot])
        return event

    async def restore_events(
        self,
        snapshots: Sequence[EventSnapshot],
        *,
        replacing: Collection[int] = (),
        households: Sequence[Household] = (),
    ) -> list[Event]:
        for snapshot in snapshots:
            if snapshot.pairings:
                check_draw(
                    {p.santa_id: p.recipient_id for p in snapshot.pairings},
                    {p.user_id for p in snapshot.participants},
                )
        stored: list[Event] = []
        try:
            async with in_transaction() as connection:
                if replacing:
                    await EventRow.filter(id__in=list(replacing)).using_db(connection).delete()
                for snapshot in snapshots:
                    source = snapshot.event
                    if source.status.is_live:
                        existing = (
                            await EventRow.filter(live_guild_id=source.guild_id)
                            .using_db(connection)
                            .first()
                        )
                        if existing is not None:
                            raise EventAlreadyLive(source.guild_id, existing.id)
                    stored.append(await self._store_snapshot(connection, snapshot))
                if households:
                    await self._store_households(connection, households)
        except IntegrityError as error:
            raise InvalidInput(
                "import", f"the file cannot be stored as exported (nothing was): {error}"
            ) from None
        return stored

    async def _store_snapshot(self, connection: Any, snapshot: EventSnapshot) -> Event:
        """One event with everything below it, inside the caller's transaction."""
        source = snapshot.event
        live = source.status.is_live
        row = await EventRow.create(
            guild_id=source.guild_id,
            status=source.status.value,
            live_guild_id=source.guild_id if live else None,
            starts_at=utc(source.dates.starts_at),
            purchase_deadline=utc(source.dates.purchase_deadline),
            reveal_at=utc(source.dates.reveal_at),
            timezone=source.timezone,
            announcement_channel_id=source.announcement_channel_id,
            participant_role_id=source.participant_role_id,
            manager_role_id=source.manager_role_id,
            created_by=source.created_by,
            held_reason=source.held_reason,
            announced_status=(source.announced_status.value if source.announced_status else None),
            cancel_reason=source.cancel_reason,
            created_at=utc(source.created_at),
            updated_at=utc(source.updated_at),
            remind_wishlist_days=source.reminder_days.wishlist,
            remind_gift_days=source.reminder_days.gift,
            reminded_wishlist_at=_maybe_utc(source.reminded_wishlist_at),
            reminded_gift_at=_maybe_utc(source.reminded_gift_at),
            legacy_id=snapshot.legacy_id,
            budget=source.budget,
            using_db=connection,
        )
        await ParticipantRow.bulk_create(
            [
                ParticipantRow(
                    event_id=row.id,
                    user_id=p.user_id,
                    display_name=p.display_name[:100],
                    wishlist_url=p.wishlist_url,
                    notes=p.notes,
                    joined_at=utc(p.joined_at),
                )
                for p in snapshot.participants
            ],
            batch_size=CHUNK // 4,
            using_db=connection,
        )
        await ExclusionRow.bulk_create(
            [
                ExclusionRow(
                    event_id=row.id, user_id=x.user_id, excluded_user_id=x.excluded_user_id
                )
                for x in snapshot.exclusions
            ],
            batch_size=CHUNK // 4,
            using_db=connection,
        )
        if snapshot.pairings:
            await self._insert_pairings(
                connection, [p._replace(event_id=row.id) for p in snapshot.pairings]
            )
        await AuditRow.bulk_create(
            [
                AuditRow(
                    event_id=row.id,
                    actor_id=a.actor_id,
                    action=a.action[:40],
                    detail=a.detail,
                    at=utc(a.at),
                )
                for a in snapshot.audit
            ],
            batch_size=CHUNK // 4,
            using_db=connection,
        )
        return _event(row)

    @staticmethod
    async def _store_households(connection: Any, households: Sequence[Household]) -> None:
        """Add imported households inside the caller's transaction, refusing (by
        raising, so the transaction rolls back) a member already in a household of
        the guild, stored or earlier in `households`."""
        placed: dict[tuple[int, int], int] = {}  # (guild, member) -> household id
        by_guild: dict[int, set[int]] = {}
        for household in households:
            by_guild.setdefault(household.guild_id, set()).update(household.members)
        for guild_id, wanted in by_guild.items():
            for chunk in _chunks(sorted(wanted)):
                taken = await HouseholdMemberRow.filter(
                    guild_id=guild_id, user_id__in=list(chunk)
                ).using_db(connection)
                placed.update({(guild_id, row.user_id): row.household_id for row in taken})
        members: list[HouseholdMemberRow] = []
        for household in households:
            for user_id in sorted(set(household.members)):
                if (household.guild_id, user_id) in placed:
                    raise _already_in_household(
                        user_id, placed[household.guild_id, user_id], field="import"
                    )
            row = await HouseholdRow.create(
                guild_id=household.guild_id,
                created_by=household.created_by,
                created_at=utc(household.created_at),
                using_db=connection,
            )
            for user_id in set(household.members):
                placed[household.guild_id, user_id] = row.id
                members.append(
                    HouseholdMemberRow(
                        household_id=row.id, guild_id=household.guild_id, user_id=user_id
                    )
                )
        await HouseholdMemberRow.bulk_create(members, batch_size=CHUNK // 4, using_db=connection)

    async def legacy_events(self, legacy_ids: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        ids = sorted(legacy_ids)
        for chunk in _chunks(ids):
            rows = await EventRow.filter(legacy_id__in=list(chunk)).values_list("legacy_id", "id")
            found.update({str(legacy): int(cast(int, event)) for legacy, event in rows})
        return found

    # --- participants -----------------------------------------------------------------
    async def add_participant(self, event_id: int, member: Member, *, now: datetime) -> Participant:
        await self._require_event(event_id)
        try:
            row = await ParticipantRow.create(
                event_id=event_id,
                user_id=member.user_id,
                display_name=member.display_name[:100],
                joined_at=utc(now),
            )
        except IntegrityError:
            raise AlreadyJoined(f"{member.display_name} has already joined this Ratmas.") from None
        return _participant(row)

    async def remove_participant(self, event_id: int, user_id: int) -> bool:
        # Exclusions are only ever between participants: a leaver's go with them.
        async with in_transaction():
            await ExclusionRow.filter(
                Q(user_id=user_id) | Q(excluded_user_id=user_id), event_id=event_id
            ).delete()
            return await ParticipantRow.filter(event_id=event_id, user_id=user_id).delete() == 1

    async def get_participant(self, event_id: int, user_id: int) -> Participant | None:
        row = await ParticipantRow.get_or_none(event_id=event_id, user_id=user_id)
        return None if row is None else _participant(row)

    async def list_participants(self, event_id: int) -> list[Participant]:
        rows = await ParticipantRow.filter(event_id=event_id).order_by("user_id")
        return [_participant(row) for row in rows]

    async def sync_participants(
        self, event_id: int, members: Sequence[Member], *, now: datetime
    ) -> SyncResult:
        await self._require_event(event_id)
        wanted: dict[int, str] = {m.user_id: m.display_name[:100] for m in members}
        joined_at = utc(now)
        async with in_transaction():
            current = await ParticipantRow.filter(event_id=event_id).only(
                "id", "user_id", "display_name", "event_id"
            )
            have = {row.user_id: row for row in current}
            added = sorted(set(wanted) - set(have))
            removed = sorted(set(have) - set(wanted))
            renamed_rows = [
                row
                for user_id, row in have.items()
                if user_id in wanted and row.display_name != wanted[user_id]
            ]
            for chunk in _chunks(removed):
                await ParticipantRow.filter(event_id=event_id, user_id__in=list(chunk)).delete()
                await ExclusionRow.filter(
                    Q(user_id__in=list(chunk)) | Q(excluded_user_id__in=list(chunk)),
                    event_id=event_id,
                ).delete()
            if added:
                await ParticipantRow.bulk_create(
                    [
                        ParticipantRow(
                            event_id=event_id,
                            user_id=user_id,
                            display_name=wanted[user_id],
                            joined_at=joined_at,
                        )
                        for user_id in added
                    ],
                    batch_size=CHUNK // 4,
                )
            for row in renamed_rows:
                row.display_name = wanted[row.user_id]
            if renamed_rows:
                await ParticipantRow.bulk_update(
                    renamed_rows, fields=["display_name"], batch_size=CHUNK // 4
                )
        return SyncResult(
            added=tuple(added),
            removed=tuple(removed),
            renamed=tuple(sorted(row.user_id for row in renamed_rows)),
        )

    async def set_wishlist(
        self,
        event_id: int,
        user_id: int,
        url: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        async with in_transaction() as connection:
            row = await ParticipantRow.get_or_none(
                event_id=event_id, user_id=user_id, using_db=connection
            )
            if row is None:
                raise NotFound("You have not joined this Ratmas yet.")
            row.wishlist_url = url
            await row.save(update_fields=["wishlist_url"], using_db=connection)
            await self._supersede_older(connection, event_id, outbox)
            await self._insert_outbox(connection, event_id, outbox, now)
        return _participant(row)

    async def set_notes(
        self,
        event_id: int,
        user_id: int,
        notes: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        async with in_transaction() as connection:
            row = await ParticipantRow.get_or_none(
                event_id=event_id, user_id=user_id, using_db=connection
            )
            if row is None:
                raise NotFound("You have not joined this Ratmas yet.")
            row.notes = notes
            await row.save(update_fields=["notes"], using_db=connection)
            await self._supersede_older(connection, event_id, outbox)
            await self._insert_outbox(connection, event_id, outbox, now)
        return _participant(row)

    async def _supersede_older(
        self, connection: Any, event_id: int, drafts: Sequence[OutboxDraft]
    ) -> None:
        """A giftee's newer update replaces the one their santa has not received yet:
        the open DMs of each `LATEST_ONLY_KINDS` draft's kind to its santa are
        superseded, in the caller's transaction."""
        for draft in drafts:
            if draft.kind in LATEST_ONLY_KINDS:
                await (
                    OutboxRow.filter(
                        event_id=event_id,
                        user_id=draft.user_id,
                        kind=draft.kind.value,
                        state__in=_OPEN,
                    )
                    .using_db(connection)
                    .update(state=OutboxState.SUPERSEDED.value)
                )

    # --- exclusions -------------------------------------------------------------------
    async def add_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        await self._require_event(event_id)
        _, created = await ExclusionRow.get_or_create(
            event_id=event_id, user_id=user_id, excluded_user_id=excluded_user_id
        )
        return bool(created)

    async def remove_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        deleted = await ExclusionRow.filter(
            event_id=event_id, user_id=user_id, excluded_user_id=excluded_user_id
        ).delete()
        return deleted == 1

    async def list_exclusions(self, event_id: int) -> list[Exclusion]:
        rows = await ExclusionRow.filter(event_id=event_id).order_by("user_id", "excluded_user_id")
        return [Exclusion(event_id, row.user_id, row.excluded_user_id) for row in rows]

    # --- pairings ---------------------------------------------------------------------
    async def replace_pairings(
        self,
        event_id: int,
        pairings: Mapping[int, int],
        *,
        keep_notified: bool = False,
        notes: Mapping[int, str] | None = None,
        now: datetime | None = None,
    ) -> list[Pairing]:
        try:
            async with _sqlite_cache_for(len(pairings)):
                return await self._replace_pairings(event_id, pairings, keep_notified, notes, now)
        except IntegrityError:
            # Another process stored a draw of its own between our delete and insert.
            raise ConcurrentChange(
                "The draw was changed by another process at the same time; nothing was "
                "changed here."
            ) from None

    async def _replace_pairings(
        self,
        event_id: int,
        pairings: Mapping[int, int],
        keep_notified: bool,
        notes: Mapping[int, str] | None,
        now: datetime | None,
    ) -> list[Pairing]:
        async with in_transaction() as connection:
            # Read inside the transaction: the draw is checked against the participants
            # it replaces the pairings of, and a refused draw leaves everything as it was.
            check_draw(pairings, await self._enrolled(connection, event_id))
            kept: dict[int, Pairing] = {}
            if keep_notified:
                for pairing in await self.list_pairings(event_id):
                    if pairings.get(pairing.santa_id) == pairing.recipient_id:
                        kept[pairing.santa_id] = pairing
            await connection.execute_query(
                f'DELETE FROM "ratmas_pairing" WHERE "event_id" = {_mark(connection)}',
                [event_id],
            )
            santas = sorted(pairings)
            recipients = list(map(pairings.__getitem__, santas))
            stored = _fresh_pairings(event_id, santas, recipients)
            if kept:
                stored = [kept.get(p.santa_id, p) for p in stored]
                await self._insert_pairings(connection, stored)
            else:
                await self._insert_fresh(connection, event_id, santas, recipients)
            if kept or notes:
                new = [p for p in stored if p.santa_id not in kept]
                await self._queue_assignments(
                    connection, event_id, new, lambda santa: santa not in kept, notes, now
                )
            else:
                await self._queue_every_assignment(connection, event_id, now)
        return stored

    async def _queue_every_assignment(
        self, connection: Any, event_id: int, now: datetime | None
    ) -> None:
        """`_queue_assignments` when every pairing of the event is fresh and no santa
        has a note (a draw, a redraw that keeps nothing): supersede every open
        assignment DM with one UPDATE, and copy the pairings just inserted into the
        outbox with one `INSERT … SELECT`, so the rows travel to the database once."""
        postgres = connection.capabilities.dialect == "postgres"
        marks = [f"${n}" for n in range(1, 5)] if postgres else ["?"] * 4
        await connection.execute_query(
            f'UPDATE "ratmas_outbox" SET "state" = {marks[0]} WHERE "event_id" = {marks[1]} '
            f'AND "kind" = {marks[2]} AND "state" IN ({", ".join(repr(s) for s in _OPEN)})',
            [OutboxState.SUPERSEDED.value, event_id, OutboxKind.ASSIGNMENT.value],
        )
        created = _to_db(None if now is None else utc(now))
        # In santa order, as the drafts of `_queue_assignments` are: ids follow it.
        await connection.execute_query(
            'INSERT INTO "ratmas_outbox" ("event_id", "user_id", "kind", "recipient_id", '
            '"content", "state", "attempts", "created_at") '
            f'SELECT "event_id", "santa_id", {marks[0]}, "recipient_id", \'\', {marks[1]}, 0, '
            f"{marks[2]}{'::timestamptz' if postgres else ''} "
            f'FROM "ratmas_pairing" WHERE "event_id" = {marks[3]} ORDER BY "santa_id"',
            [OutboxKind.ASSIGNMENT.value, OutboxState.PENDING.value, created, event_id],
        )

    async def _queue_assignments(
        self,
        connection: Any,
        event_id: int,
        fresh: Sequence[Pairing],
        supersede: Callable[[int], bool],
        notes: Mapping[int, str] | None,
        now: datetime | None,
    ) -> None:
        """Assignment DMs for `fresh` pairings, in the caller's transaction; the open
        assignment DMs of every santa `supersede` names are never sent. (A santa whose
        pairing a splice kept keeps the DM it has, delivered or still open.)"""
        open_rows = (
            await OutboxRow.filter(
                event_id=event_id, kind=OutboxKind.ASSIGNMENT.value, state__in=_OPEN
            )
            .using_db(connection)
            .values_list("id", "user_id")
        )
        stale = [
            cast(int, row_id) for row_id, user_id in open_rows if supersede(cast(int, user_id))
        ]
        for chunk in _chunks(stale):
            await (
                OutboxRow.filter(id__in=list(chunk))
                .using_db(connection)
                .update(state=OutboxState.SUPERSEDED.value)
            )
        drafts = [
            OutboxDraft(
                p.santa_id,
                OutboxKind.ASSIGNMENT,
                recipient_id=p.recipient_id,
                note=(notes or {}).get(p.santa_id),
            )
            for p in fresh
        ]
        await self._insert_outbox(connection, event_id, drafts, now)

    async def _insert_outbox(
        self,
        connection: Any,
        event_id: int,
        drafts: Sequence[OutboxDraft],
        now: datetime | None,
    ) -> None:
        """Insert every draft with one statement, like the pairings of a draw: arrays
        through `unnest` on PostgreSQL, one JSON array through `json_each` on SQLite."""
        if not drafts:
            return
        columns = (
            '"event_id", "user_id", "kind", "recipient_id", "note", "content", "state", '
            '"attempts", "created_at"'
        )
        created = _to_db(None if now is None else utc(now))
        pending = OutboxState.PENDING.value
        if connection.capabilities.dialect == "postgres":
            await connection.execute_query(
                f'INSERT INTO "ratmas_outbox" ({columns}) '
                'SELECT $1, "u", "k", "r", "n", "c", $2, 0, $3::timestamptz '
                "FROM unnest($4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[]) "
                'AS "t"("u", "k", "r", "n", "c")',
                [
                    event_id,
                    pending,
                    created,
                    [d.user_id for d in drafts],
                    [d.kind.value for d in drafts],
                    [d.recipient_id for d in drafts],
                    [_note_column(d) for d in drafts],
                    [d.content for d in drafts],
                ],
            )
            return
        rows = [
            [d.user_id, d.kind.value, d.recipient_id, _note_column(d), d.content] for d in drafts
        ]
        await connection.execute_query(
            f'INSERT INTO "ratmas_outbox" ({columns}) '
            "SELECT ?, json_extract(\"value\", '$[0]'), json_extract(\"value\", '$[1]'), "
            "json_extract(\"value\", '$[2]'), json_extract(\"value\", '$[3]'), "
            "json_extract(\"value\", '$[4]'), ?, 0, ? FROM json_each(?)",
            [event_id, pending, created, json.dumps(rows, ensure_ascii=False)],
        )

    async def _enrolled(self, connection: Any, event_id: int) -> set[int]:
        """The event's participants' user ids, aggregated by the database into one value
        (one row to fetch rather than one per participant); `NotFound` without event."""
        if connection.capabilities.dialect == "postgres":
            sql = (
                'SELECT ARRAY(SELECT "user_id" FROM "ratmas_participant" WHERE "event_id" = $1) '
                'FROM "ratmas_event" WHERE "id" = $1'
            )
        else:
            sql = (
                'SELECT (SELECT json_group_array("user_id") FROM "ratmas_participant" '
                'WHERE "event_id" = ?) FROM "ratmas_event" WHERE "id" = ?'
            )
        values = [event_id] if connection.capabilities.dialect == "postgres" else [event_id] * 2
        _, rows = await connection.execute_query(sql, values)
        if not rows:
            raise NotFound(f"There is no event {event_id}.")
        found = rows[0][0]
        return set(found if isinstance(found, list) else json.loads(found))

    async def _insert_pairings(self, connection: Any, pairings: Sequence[Pairing]) -> None:
        """Insert pairings with a fixed number of statements, whatever their number.

        Fresh pairings (the draw's, nothing delivered or marked yet) travel in one statement:
        as two id arrays through `unnest` on PostgreSQL, as one JSON object (santa ->
        recipient) through `json_each` on SQLite. Not a prepared insert run per row
        (`executemany`): on PostgreSQL each row is then a Bind/Execute round trip, most
        of the time of a 10k draw, and on SQLite a call through the driver per row.
        Rows that carry a delivery state (kept by a redraw, restored by an import) go
        through one prepared insert."""
        postgres = connection.capabilities.dialect == "postgres"
        by_event: dict[int, list[Pairing]] = {}
        stateful: list[Pairing] = []
        for p in pairings:
            if (
                p.attempts == 0
                and p.notified_at is None
                and p.gift_sent_at is None
                and p.gift_received_at is None
            ):
                by_event.setdefault(p.event_id, []).append(p)
            else:
                stateful.append(p)
        for event_id, fresh in by_event.items():
            await self._insert_fresh(
                connection,
                event_id,
                [p.santa_id for p in fresh],
                [p.recipient_id for p in fresh],
            )
        if not stateful:
            return
        marks = [f"${n}" for n in range(1, 11)] if postgres else ["?"] * 10
        sql = (
            'INSERT INTO "ratmas_pairing" ("event_id", "santa_id", "recipient_id", '
            '"notified_at", "last_error_code", "last_error_text", "attempts", "last_attempt_at", '
            '"gift_sent_at", "gift_received_at") '
            f"VALUES ({', '.join(marks)})"
        )
        rows = [
            (
                p.event_id,
                p.santa_id,
                p.recipient_id,
                _to_db(p.notified_at),
                p.last_error_code,
                p.last_error_text,
                p.attempts,
                _to_db(p.last_attempt_at),
                _to_db(p.gift_sent_at),
                _to_db(p.gift_received_at),
            )
            for p in stateful
        ]
        await connection.execute_many(sql, rows)

    async def _insert_fresh(
        self, connection: Any, event_id: int, santas: Sequence[int], recipients: Sequence[int]
    ) -> None:
        """Pending, never tried pairings of one event in one statement (santa k gives to
        recipient k)."""
        if connection.capabilities.dialect == "postgres":
            # Binary COPY: a fifth less time than INSERT … SELECT FROM unnest for a 100k
            # draw (rows go into the heap in batches; the statement trigger of
            # migration 4 checks the event once, as for any insert).
            async with connection.acquire_connection() as raw:
                try:
                    await raw.copy_records_to_table(
                        "ratmas_pairing",
                        records=zip(repeat(event_id), santas, recipients, repeat(0)),
                        columns=("event_id", "santa_id", "recipient_id", "attempts"),
                    )
                except asyncpg.IntegrityConstraintViolationError as error:
                    raise IntegrityError(error) from error  # as Tortoise raises it
            return
        # The object keeps the santas' order, so rows go in by santa id when the
        # caller sorted them: that appends to the (event, santa) index rather than
        # splitting its pages. Object keys are text: CAST gives the exact 64-bit id back.
        await connection.execute_query(
            'INSERT INTO "ratmas_pairing" ("event_id", "santa_id", "recipient_id", '
            '"attempts") SELECT ?, CAST("key" AS INTEGER), "value", 0 FROM json_each(?)',
            [event_id, json.dumps(dict(zip(santas, recipients, strict=True)))],
        )

    async def list_pairings(self, event_id: int) -> list[Pairing]:
        rows = await PairingRow.filter(event_id=event_id).order_by("santa_id")
        return [_pairing(row) for row in rows]

    async def get_pairing(
        self, event_id: int, *, santa_id: int | None = None, recipient_id: int | None = None
    ) -> Pairing | None:
        if (santa_id is None) == (recipient_id is None):
            raise ValueError("give exactly one of santa_id and recipient_id")
        query = PairingRow.filter(event_id=event_id)
        if santa_id is not None:
            query = query.filter(santa_id=santa_id)
        else:
            query = query.filter(recipient_id=recipient_id)
        row = await query.first()
        return None if row is None else _pairing(row)

    async def santas_without_gift_sent(self, event_id: int) -> list[int]:
        rows = (
            await PairingRow.filter(event_id=event_id, gift_sent_at__isnull=True)
            .order_by("santa_id")
            .values_list("santa_id", flat=True)
        )
        return [int(cast(int, santa)) for santa in rows]

    async def pending_pairings(self, event_id: int) -> list[Pairing]:
        rows = await PairingRow.filter(event_id=event_id, notified_at__isnull=True).order_by(
            "santa_id"
        )
        return [_pairing(row) for row in rows]

    async def mark_notified(self, event_id: int, santa_id: int, at: datetime) -> bool:
        updated = await PairingRow.filter(
            event_id=event_id, santa_id=santa_id, notified_at__isnull=True
        ).update(
            notified_at=utc(at),
            last_attempt_at=utc(at),
            attempts=F("attempts") + 1,
            last_error_code=None,
            last_error_text=None,
        )
        return updated == 1

    async def mark_pending(
        self, event_id: int, santa_ids: Collection[int], *, now: datetime | None = None
    ) -> int:
        total = 0
        ids = sorted(santa_ids)
        async with in_transaction() as connection:
            again: list[Pairing] = []
            for chunk in _chunks(ids):
                rows = await PairingRow.filter(
                    event_id=event_id, santa_id__in=list(chunk), notified_at__isnull=False
                ).using_db(connection)
                again.extend(_pairing(row) for row in rows)
                total += (
                    await PairingRow.filter(
                        event_id=event_id, santa_id__in=list(chunk), notified_at__isnull=False
                    )
                    .using_db(connection)
                    .update(notified_at=None)
                )
            chosen = {p.santa_id for p in again}
            await self._queue_assignments(
                connection, event_id, again, lambda santa: santa in chosen, None, now
            )
        return total

    async def record_delivery_failure(
        self, event_id: int, santa_id: int, code: int | None, text: str, at: datetime
    ) -> bool:
        updated = await PairingRow.filter(
            event_id=event_id, santa_id=santa_id, notified_at__isnull=True
        ).update(
            attempts=F("attempts") + 1,
            last_attempt_at=utc(at),
            last_error_code=code,
            last_error_text=text[:1000],
        )
        return updated == 1

    # --- outbox -----------------------------------------------------------------------
    async def enqueue(
        self, event_id: int, drafts: Sequence[OutboxDraft], *, now: datetime
    ) -> list[OutboxEntry]:
        await self._require_event(event_id)
        async with in_transaction() as connection:
            rows = [
                await OutboxRow.create(
                    event_id=event_id,
                    user_id=d.user_id,
                    kind=d.kind.value,
                    recipient_id=d.recipient_id,
                    note=_note_column(d),
                    content=d.content,
                    state=OutboxState.PENDING.value,
                    attempts=0,
                    created_at=utc(now),
                    using_db=connection,
                )
                for d in drafts
            ]
        return [_outbox(row) for row in rows]

    async def enqueue_missing_assignments(self, event_id: int, *, now: datetime) -> int:
        async with in_transaction() as connection:
            pending = await PairingRow.filter(event_id=event_id, notified_at__isnull=True).using_db(
                connection
            )
            covered = set(
                await OutboxRow.filter(
                    event_id=event_id, kind=OutboxKind.ASSIGNMENT.value, state__in=_OPEN
                )
                .using_db(connection)
                .values_list("user_id", "recipient_id")
            )
            missing = [
                OutboxDraft(row.santa_id, OutboxKind.ASSIGNMENT, recipient_id=row.recipient_id)
                for row in pending
                if (row.santa_id, row.recipient_id) not in covered
            ]
            await self._insert_outbox(connection, event_id, missing, now)
        return len(missing)

    async def list_outbox(
        self,
        event_id: int,
        *,
        states: Collection[OutboxState] | None = None,
        user_id: int | None = None,
    ) -> list[OutboxEntry]:
        query = OutboxRow.filter(event_id=event_id)
        if states is not None:
            query = query.filter(state__in=[s.value for s in states])
        if user_id is not None:
            query = query.filter(user_id=user_id)
        return [_outbox(row) for row in await query.order_by("id")]

    async def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        row = await OutboxRow.get_or_none(id=entry_id)
        return None if row is None else _outbox(row)

    async def outbox_sending(
        self, entry_id: int, *, dm_channel_id: int | None, at: datetime
    ) -> bool:
        changes: dict[str, Any] = {
            "state": OutboxState.SENDING.value,
            "attempts": F("attempts") + 1,
            "attempt_started_at": utc(at),
        }
        if dm_channel_id is not None:
            changes["dm_channel_id"] = dm_channel_id
        updated = (
            await OutboxRow.filter(id=entry_id, state__in=_OPEN)
            .filter(~Q(kind=OutboxKind.MESSAGE.value) | ~Q(state__in=_REFUSED))
            .update(**changes)
        )
        return updated == 1

    async def outbox_delivered(
        self, entry_id: int, *, dm_channel_id: int, message_id: int, at: datetime
    ) -> bool:
        when = utc(at)
        async with in_transaction() as connection:
            row = await OutboxRow.get_or_none(id=entry_id, using_db=connection)
            if row is None or row.state == OutboxState.DELIVERED.value:
                return False
            await (
                OutboxRow.filter(id=entry_id)
                .using_db(connection)
                .update(
                    state=OutboxState.DELIVERED.value,
                    delivered_at=when,
                    dm_channel_id=dm_channel_id,
                    message_id=message_id,
                    last_error_code=None,
                    last_error_text=None,
                    **_ERASED.get(row.kind, {}),
                )
            )
            if row.kind == OutboxKind.ASSIGNMENT.value:
                await (
                    PairingRow.filter(
                        event_id=row.event_id,
                        santa_id=row.user_id,
                        recipient_id=row.recipient_id,
                        notified_at__isnull=True,
                    )
                    .using_db(connection)
                    .update(
                        notified_at=when,
                        last_attempt_at=when,
                        attempts=F("attempts") + 1,
                        last_error_code=None,
                        last_error_text=None,
                    )
                )
        return True

    async def outbox_refused(
        self,
        entry_id: int,
        state: OutboxState,
        code: int | None,
        text: str,
        *,
        at: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        if state not in (OutboxState.PENDING, OutboxState.CLOSED, OutboxState.FAILED):
            raise ValueError(f"a refused DM is pending, closed or failed, not {state}")
        async with in_transaction() as connection:
            row = await OutboxRow.get_or_none(id=entry_id, using_db=connection)
            if row is None or row.state not in _OPEN or _settled_message(row):
                return False
            final = state is not OutboxState.PENDING
            await (
                OutboxRow.filter(id=entry_id)
                .using_db(connection)
                .update(
                    state=state.value,
                    last_error_code=code,
                    last_error_text=text[:1000],
                    **(_ERASED.get(row.kind, {}) if final else {}),
                )
            )
            await self._insert_outbox(connection, row.event_id, outbox, at)
            if state is not OutboxState.PENDING and row.kind == OutboxKind.ASSIGNMENT.value:
                await (
                    PairingRow.filter(
                        event_id=row.event_id,
                        santa_id=row.user_id,
                        recipient_id=row.recipient_id,
                        notified_at__isnull=True,
                    )
                    .using_db(connection)
                    .update(
                        attempts=F("attempts") + 1,
                        last_attempt_at=utc(at),
                        last_error_code=code,
                        last_error_text=text[:1000],
                    )
                )
        return True

    # --- anonymous messages --------------------------------------------------------------
    async def store_message(
        self,
        event_id: int,
        *,
        sender_id: int,
        addressee_id: int,
        direction: MessageDirection,
        content: str,
        now: datetime,
    ) -> AnonymousMessage:
        await self._require_event(event_id)
        when = utc(now)
        async with in_transaction() as connection:
            entry = await OutboxRow.create(
                event_id=event_id,
                user_id=addressee_id,
                kind=OutboxKind.MESSAGE.value,
                content=content,
                state=OutboxState.PENDING.value,
                attempts=0,
                created_at=when,
                using_db=connection,
            )
            row = await MessageRow.create(
                event_id=event_id,
                sender_id=sender_id,
                addressee_id=addressee_id,
                direction=direction.value,
                outbox_id=entry.id,
                sent_at=when,
                using_db=connection,
            )
        return _message(row)

    async def messages_sent_after(
        self, event_id: int, sender_id: int, since: datetime
    ) -> list[datetime]:
        sent = (
            await MessageRow.filter(event_id=event_id, sender_id=sender_id, sent_at__gt=utc(since))
            .order_by("sent_at", "id")
            .values_list("sent_at", flat=True)
        )
        return [_out(cast(datetime, when)) for when in sent]

    async def message_for_outbox(self, outbox_id: int) -> AnonymousMessage | None:
        row = await MessageRow.get_or_none(outbox_id=outbox_id)
        return None if row is None else _message(row)

    async def with_unsent_notices(self, event_ids: Collection[int]) -> set[int]:
        found: set[int] = set()
        for chunk in _chunks(sorted(set(event_ids))):
            rows = (
                await OutboxRow.filter(
                    event_id__in=list(chunk),
                    state__in=[OutboxState.PENDING.value, OutboxState.SENDING.value],
                )
                .exclude(kind=OutboxKind.ASSIGNMENT.value)
                .distinct()
                .values_list("event_id", flat=True)
            )
            found.update(cast(int, event_id) for event_id in rows)
        return found

    async def delivery_progress(self, event_ids: Collection[int]) -> dict[int, DeliveryProgress]:
        connection = connections.get("default")
        postgres = connection.capabilities.dialect == "postgres"
        found: dict[int, DeliveryProgress] = {}
        values: list[Any]
        for chunk in _chunks(sorted(set(event_ids))):
            if postgres:
                where, values = '"event_id" = ANY($1::bigint[])', [list(chunk)]
            else:
                where, values = f'"event_id" IN ({", ".join("?" * len(chunk))})', list(chunk)
            _, rows = await connection.execute_query(
                'SELECT "event_id", COUNT(*), '
                'SUM(CASE WHEN "notified_at" IS NULL AND "attempts" = 0 THEN 1 ELSE 0 END), '
                f'MAX("last_attempt_at") FROM "ratmas_pairing" WHERE {where} GROUP BY "event_id"',
                values,
            )
            for event_id, pairings, untried, last_attempt in rows:
                found[event_id] = DeliveryProgress(
                    event_id, pairings, int(untried), _read_datetime(last_attempt)
                )
        return found

    async def mark_gift(
        self,
        event_id: int,
        santa_id: int,
        recipient_id: int,
        mark: GiftMark,
        *,
        at: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        column = _GIFT_COLUMNS[mark]
        async with in_transaction() as connection:
            updated = await (
                PairingRow.filter(
                    event_id=event_id,
                    santa_id=santa_id,
                    recipient_id=recipient_id,
                    **{f"{column}__isnull": True},
                )
                .using_db(connection)
                .update(**{column: utc(at)})
            )
            if updated != 1:
                return False
            await self._insert_outbox(connection, event_id, outbox, at)
        return True

    async def gift_counts(self, event_id: int) -> GiftCounts:
        connection = connections.get("default")
        _, rows = await connection.execute_query(
            'SELECT COUNT(*), COUNT("gift_sent_at"), COUNT("gift_received_at"), '
            'SUM(CASE WHEN "gift_sent_at" IS NULL AND "gift_received_at" IS NULL '
            'THEN 1 ELSE 0 END) FROM "ratmas_pairing" '
            f'WHERE "event_id" = {_mark(connection)}',
            [event_id],
        )
        pairings, sent, received, neither = rows[0]
        return GiftCounts(int(pairings), int(sent), int(received), int(neither or 0))

    async def previous_pairings(
        self, guild_id: int, before_event_id: int, *, events: int = 1
    ) -> list[tuple[int, int]]:
        if events < 1:
            return []
        earlier = await (
            EventRow.filter(guild_id=guild_id, id__lt=before_event_id)
            .order_by("-id")
            .values_list("id", flat=True)
        )
        ids = [int(cast(int, event_id)) for event_id in earlier]
        drawn: set[int] = set()
        for chunk in _chunks(ids):
            found = await (
                PairingRow.filter(event_id__in=list(chunk))
                .distinct()
                .values_list("event_id", flat=True)
            )
            drawn.update(int(cast(int, event_id)) for event_id in found)
        chosen = [event_id for event_id in ids if event_id in drawn][:events]
        pairs: list[tuple[int, int]] = []
        for event_id in chosen:
            rows = await PairingRow.filter(event_id=event_id).order_by("santa_id")
            pairs.extend((row.santa_id, row.recipient_id) for row in rows)
        return pairs

    # --- audit ------------------------------------------------------------------------
    async def add_audit(self, entry: AuditEntry) -> None:
        await AuditRow.create(
            event_id=entry.event_id,
            actor_id=entry.actor_id,
            action=entry.action[:40],
            detail=entry.detail,
            at=utc(entry.at),
        )

    async def list_audit(self, event_id: int) -> list[AuditEntry]:
        rows = await AuditRow.filter(event_id=event_id).order_by("id")
        return [
            AuditEntry(row.event_id, row.actor_id, row.action, row.detail, _out(row.at))
            for row in rows
        ]

    # --- households ---------------------------------------------------------------------
    async def add_household(
        self, guild_id: int, members: Sequence[int], *, created_by: int | None, now: datetime
    ) -> Household:
        wanted = sorted(set(members))
        try:
            async with in_transaction() as connection:
                taken = await HouseholdMemberRow.filter(
                    guild_id=guild_id, user_id__in=wanted
                ).using_db(connection)
                if taken:
                    first = min(taken, key=lambda row: row.user_id)
                    raise _already_in_household(first.user_id, first.household_id)
                row = await HouseholdRow.create(
                    guild_id=guild_id,
                    created_by=created_by,
                    created_at=utc(now),
                    using_db=connection,
                )
                await HouseholdMemberRow.bulk_create(
                    [
                        HouseholdMemberRow(household_id=row.id, guild_id=guild_id, user_id=user)
                        for user in wanted
                    ],
                    using_db=connection,
                )
        except IntegrityError:
            # Someone put one of them in another household at the same moment.
            raise InvalidInput(
                "members", "one of them was just put in another household; try again"
            ) from None
        return Household(row.id, guild_id, tuple(wanted), created_by, _out(row.created_at))

    async def remove_household(self, guild_id: int, household_id: int) -> Household | None:
        async with in_transaction() as connection:
            found = await self._households(guild_id, connection, household_id=household_id)
            if not found:
                return None
            await (
                HouseholdRow.filter(id=household_id, guild_id=guild_id)
                .using_db(connection)
                .delete()
            )
        return found[0]

    async def remove_household_member(self, guild_id: int, user_id: int) -> Household | None:
        async with in_transaction() as connection:
            member = (
                await HouseholdMemberRow.filter(guild_id=guild_id, user_id=user_id)
                .using_db(connection)
                .first()
            )
            if member is None:
                return None
            (household,) = await self._households(
                guild_id, connection, household_id=member.household_id
            )
            if len(household.members) <= 2:
                await HouseholdRow.filter(id=household.id).using_db(connection).delete()
            else:
                await HouseholdMemberRow.filter(id=member.id).using_db(connection).delete()
        return household

    async def list_households(self, guild_id: int) -> list[Household]:
        async with in_transaction() as connection:
            return await self._households(guild_id, connection)

    @staticmethod
    async def _households(
        guild_id: int, connection: Any, *, household_id: int | None = None
    ) -> list[Household]:
        query = HouseholdRow.filter(guild_id=guild_id)
        if household_id is not None:
            query = query.filter(id=household_id)
        rows = await query.using_db(connection).order_by("id")
        members: dict[int, list[int]] = {row.id: [] for row in rows}
        if rows:
            member_rows = await (
                HouseholdMemberRow.filter(household_id__in=list(members))
                .using_db(connection)
                .order_by("user_id")
            )
            for member in member_rows:
                members[member.household_id].append(member.user_id)
        return [
            Household(
                row.id, guild_id, tuple(members[row.id]), row.created_by, _out(row.created_at)
            )
            for row in rows
        ]

    # --- guild settings ---------------------------------------------------------------
    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        row = await GuildSettingsRow.get_or_none(guild_id=guild_id)
        if row is None:
            return None
        return GuildSettings(
            guild_id=row.guild_id,
            announcement_channel_id=row.announcement_channel_id,
            participant_role_id=row.participant_role_id,
            manager_role_id=row.manager_role_id,
            timezone=row.timezone,
            wishlist_reminder_days=row.wishlist_reminder_days,
            gift_reminder_days=row.gift_reminder_days,
        )

    async def save_guild_settings(self, settings: GuildSettings, *, now: datetime) -> GuildSettings:
        await GuildSettingsRow.update_or_create(
            defaults={
                "announcement_channel_id": settings.announcement_channel_id,
                "participant_role_id": settings.participant_role_id,
                "manager_role_id": settings.manager_role_id,
                "timezone": settings.timezone,
                "wishlist_reminder_days": settings.wishlist_reminder_days,
                "gift_reminder_days": settings.gift_reminder_days,
                "updated_at": utc(now),
            },
            guild_id=settings.guild_id,
        )
        return settings
