"""The outbox: DMs stored with the change that causes them, then delivered exactly once.

An entry moves pending -> sending -> delivered, or is refused (closed DMs, a failure);
an anonymous message keeps its text only until its outcome is final.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from ratmas.domain.model import OutboxDraft, OutboxEntry, OutboxKind, OutboxState
from ratmas.persistence.models import OutboxRow, PairingRow
from ratmas.persistence.repository.bulk import insert_outbox
from ratmas.persistence.repository.rows import (
    OPEN_STATES,
    chunks,
    note_column,
    require_event,
    to_outbox_entry,
    utc,
)

# What a DM whose outcome is final leaves of its text: an anonymous message keeps none.
_ERASED: dict[str, dict[str, Any]] = {OutboxKind.MESSAGE.value: {"content": ""}}
# Refused states: open for every DM (an explicit retry sends them again) except an
# anonymous message, for which a refusal is final (its text is gone).
_REFUSED = [OutboxState.CLOSED.value, OutboxState.FAILED.value]


def _settled_message(row: OutboxRow) -> bool:
    return row.kind == OutboxKind.MESSAGE.value and row.state in _REFUSED


class OutboxMixin:
    """The DMs waiting to be sent and what became of them."""

    async def enqueue(
        self, event_id: int, drafts: Sequence[OutboxDraft], *, now: datetime
    ) -> list[OutboxEntry]:
        await require_event(event_id)
        async with in_transaction() as connection:
            rows = [
                await OutboxRow.create(
                    event_id=event_id,
                    user_id=d.user_id,
                    kind=d.kind.value,
                    recipient_id=d.recipient_id,
                    note=note_column(d),
                    content=d.content,
                    state=OutboxState.PENDING.value,
                    attempts=0,
                    created_at=utc(now),
                    using_db=connection,
                )
                for d in drafts
            ]
        return [to_outbox_entry(row) for row in rows]

    async def enqueue_missing_assignments(self, event_id: int, *, now: datetime) -> int:
        async with in_transaction() as connection:
            pending = await PairingRow.filter(event_id=event_id, notified_at__isnull=True).using_db(
                connection
            )
            covered = set(
                await OutboxRow.filter(
                    event_id=event_id, kind=OutboxKind.ASSIGNMENT.value, state__in=OPEN_STATES
                )
                .using_db(connection)
                .values_list("user_id", "recipient_id")
            )
            missing = [
                OutboxDraft(row.santa_id, OutboxKind.ASSIGNMENT, recipient_id=row.recipient_id)
                for row in pending
                if (row.santa_id, row.recipient_id) not in covered
            ]
            await insert_outbox(connection, event_id, missing, now)
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
        return [to_outbox_entry(row) for row in await query.order_by("id")]

    async def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        row = await OutboxRow.get_or_none(id=entry_id)
        return None if row is None else to_outbox_entry(row)

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
            await OutboxRow.filter(id=entry_id, state__in=OPEN_STATES)
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
            if row is None or row.state not in OPEN_STATES or _settled_message(row):
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
            await insert_outbox(connection, row.event_id, outbox, at)
            if final and row.kind == OutboxKind.ASSIGNMENT.value:
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

    async def with_unsent_notices(self, event_ids: Collection[int]) -> set[int]:
        found: set[int] = set()
        for chunk in chunks(sorted(set(event_ids))):
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
