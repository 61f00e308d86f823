"""Pairings: storing a draw with its assignment DMs, their delivery state, gift marks,
delivery progress and the pairs of earlier events.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from itertools import repeat
from typing import Any, cast

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from ratmas.domain.errors import NotFound
from ratmas.domain.model import GiftCounts, GiftMark, OutboxDraft, OutboxKind, OutboxState, Pairing
from ratmas.domain.pairing import check_draw
from ratmas.persistence.models import EventRow, OutboxRow, PairingRow
from ratmas.persistence.repository.bulk import (
    insert_fresh,
    insert_outbox,
    insert_pairings,
    sqlite_cache_for,
)
from ratmas.persistence.repository.rows import (
    OPEN_STATES,
    chunks,
    placeholder,
    read_datetime,
    to_db,
    to_pairing,
    utc,
)
from ratmas.services.errors import ConcurrentChange
from ratmas.services.ports import DeliveryProgress

# The pairing column each mark is stored in.
_GIFT_COLUMNS = {GiftMark.SENT: "gift_sent_at", GiftMark.RECEIVED: "gift_received_at"}


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


class PairingsMixin:
    """An event's pairings; a new draw replaces them in one transaction."""

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
            async with sqlite_cache_for(len(pairings)):
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
                f'DELETE FROM "ratmas_pairing" WHERE "event_id" = {placeholder(connection)}',
                [event_id],
            )
            santas = sorted(pairings)
            recipients = list(map(pairings.__getitem__, santas))
            stored = _fresh_pairings(event_id, santas, recipients)
            if kept:
                stored = [kept.get(p.santa_id, p) for p in stored]
                await insert_pairings(connection, stored)
            else:
                await insert_fresh(connection, event_id, santas, recipients)
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
            f'AND "kind" = {marks[2]} AND "state" IN ({", ".join(repr(s) for s in OPEN_STATES)})',
            [OutboxState.SUPERSEDED.value, event_id, OutboxKind.ASSIGNMENT.value],
        )
        created = to_db(None if now is None else utc(now))
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
                event_id=event_id, kind=OutboxKind.ASSIGNMENT.value, state__in=OPEN_STATES
            )
            .using_db(connection)
            .values_list("id", "user_id")
        )
        stale = [
            cast(int, row_id) for row_id, user_id in open_rows if supersede(cast(int, user_id))
        ]
        for chunk in chunks(stale):
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
        await insert_outbox(connection, event_id, drafts, now)

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

    async def list_pairings(self, event_id: int) -> list[Pairing]:
        rows = await PairingRow.filter(event_id=event_id).order_by("santa_id")
        return [to_pairing(row) for row in rows]

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
        return None if row is None else to_pairing(row)

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
        return [to_pairing(row) for row in rows]

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
            for chunk in chunks(ids):
                rows = await PairingRow.filter(
                    event_id=event_id, santa_id__in=list(chunk), notified_at__isnull=False
                ).using_db(connection)
                again.extend(to_pairing(row) for row in rows)
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

    async def delivery_progress(self, event_ids: Collection[int]) -> dict[int, DeliveryProgress]:
        connection = connections.get("default")
        postgres = connection.capabilities.dialect == "postgres"
        found: dict[int, DeliveryProgress] = {}
        values: list[Any]
        for chunk in chunks(sorted(set(event_ids))):
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
                    event_id, pairings, int(untried), read_datetime(last_attempt)
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
            await insert_outbox(connection, event_id, outbox, at)
        return True

    async def gift_counts(self, event_id: int) -> GiftCounts:
        connection = connections.get("default")
        _, rows = await connection.execute_query(
            'SELECT COUNT(*), COUNT("gift_sent_at"), COUNT("gift_received_at"), '
            'SUM(CASE WHEN "gift_sent_at" IS NULL AND "gift_received_at" IS NULL '
            'THEN 1 ELSE 0 END) FROM "ratmas_pairing" '
            f'WHERE "event_id" = {placeholder(connection)}',
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
        for chunk in chunks(ids):
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
