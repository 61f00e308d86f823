"""Events: creating, reading, listing, and the compare-and-set claims on their status,
announcements, holds and reminders.

The live listings the scheduler and the reconcile read are raw SQL over
`EVENT_COLUMNS`: building 10,000 model instances would cost more than the query.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ratmas.domain.errors import EventAlreadyLive, NotFound
from ratmas.domain.model import (
    Event,
    EventDates,
    NewEvent,
    OutboxDraft,
    OutboxKind,
    OutboxState,
    ReminderDays,
)
from ratmas.domain.status import (
    ANNOUNCED_STATUSES,
    DRAWN_STATUSES,
    LIVE_STATUSES,
    EventStatus,
    Reminder,
)
from ratmas.persistence.models import EventRow, OutboxRow
from ratmas.persistence.repository.bulk import insert_outbox
from ratmas.persistence.repository.rows import (
    EVENT_COLUMNS,
    OPEN_STATES,
    event_from_record,
    placeholder,
    require_event,
    to_event,
    utc,
)

_LIVE = [s.value for s in LIVE_STATUSES]


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


class EventsMixin:
    """Events and their claims; a claim that loses changes nothing."""

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
        return to_event(row)

    async def get_event(self, event_id: int) -> Event | None:
        row = await EventRow.get_or_none(id=event_id)
        return None if row is None else to_event(row)

    async def get_live_event(self, guild_id: int) -> Event | None:
        row = await EventRow.get_or_none(live_guild_id=guild_id)
        return None if row is None else to_event(row)

    async def list_live_events(
        self, *, due_before: datetime | None = None, guild_ids: Collection[int] | None = None
    ) -> list[Event]:
        connection = connections.get("default")
        sql = f'SELECT {EVENT_COLUMNS} FROM "ratmas_event" WHERE "status" IN ({_LIVE_SQL})'
        values: list[Any] = []
        if due_before is not None:
            mark = placeholder(connection)
            sql += " AND (" + _WAITING_DUE.format(mark=mark) + ")"
            values = [utc(due_before)] * (1 if mark == "$1" else 3)
        _, rows = await connection.execute_query(sql + ' ORDER BY "id"', values)
        wanted = None if guild_ids is None else set(guild_ids)
        return [event_from_record(row) for row in rows if wanted is None or row[1] in wanted]

    async def events_to_reconcile(self, *, due_before: datetime) -> list[Event]:
        connection = connections.get("default")
        mark = placeholder(connection)
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
            f'SELECT {EVENT_COLUMNS} FROM "ratmas_event" WHERE "status" IN ({_LIVE_SQL}) AND ('
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
            return [event_from_record(row) for row in rows]
        async with in_transaction() as transaction:
            # The planner's estimate for the pairing sub-queries crosses the JIT
            # threshold; compiling costs more than the query runs (13 of 55 ms).
            await transaction.execute_script("SET LOCAL jit = off")
            _, rows = await transaction.execute_query(sql, values)
        return [event_from_record(row) for row in rows]

    async def list_events(self, guild_id: int | None) -> list[Event]:
        query = EventRow.all() if guild_id is None else EventRow.filter(guild_id=guild_id)
        rows = await query.order_by("-id")
        return [to_event(row) for row in rows]

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
                        event_id=event_id, kind=OutboxKind.MESSAGE.value, state__in=OPEN_STATES
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
            await insert_outbox(connection, event_id, outbox, now)
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
        return to_event(await require_event(event_id))

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
            await insert_outbox(connection, event_id, outbox, now)
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
        return to_event(await require_event(event_id))

    async def set_budget(self, event_id: int, budget: str | None, *, now: datetime) -> Event:
        updated = await EventRow.filter(id=event_id).update(budget=budget, updated_at=utc(now))
        if updated != 1:
            raise NotFound(f"There is no event {event_id}.")
        return to_event(await require_event(event_id))

    async def delete_event(self, event_id: int) -> bool:
        # The foreign keys cascade; one statement keeps it atomic on every backend.
        # SQLite's change count includes the cascaded rows, so test for "any".
        return await EventRow.filter(id=event_id).delete() > 0
