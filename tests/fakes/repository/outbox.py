"""The outbox in memory: pending -> sending -> delivered or refused."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from ratmas.domain.model import (
    OPEN_OUTBOX_STATES,
    OutboxDraft,
    OutboxEntry,
    OutboxKind,
    OutboxState,
)
from tests.fakes.repository.pairings import InMemoryPairings
from tests.fakes.repository.state import settled_message, utc


class InMemoryOutbox(InMemoryPairings):
    """The DMs to send; delivering or refusing an assignment updates its pairing."""

    async def enqueue(
        self, event_id: int, drafts: Sequence[OutboxDraft], *, now: datetime
    ) -> list[OutboxEntry]:
        self._require(event_id)
        return self._add_outbox(event_id, drafts, utc(now))

    async def enqueue_missing_assignments(self, event_id: int, *, now: datetime) -> int:
        covered = {
            (e.user_id, e.recipient_id)
            for e in self.outbox.values()
            if e.event_id == event_id and e.kind is OutboxKind.ASSIGNMENT and e.open
        }
        missing = [
            OutboxDraft(p.santa_id, OutboxKind.ASSIGNMENT, recipient_id=p.recipient_id)
            for p in await self.pending_pairings(event_id)
            if (p.santa_id, p.recipient_id) not in covered
        ]
        self._add_outbox(event_id, missing, utc(now))
        return len(missing)

    async def list_outbox(
        self,
        event_id: int,
        *,
        states: Collection[OutboxState] | None = None,
        user_id: int | None = None,
    ) -> list[OutboxEntry]:
        return [
            e
            for _, e in sorted(self.outbox.items())
            if e.event_id == event_id
            and (states is None or e.state in states)
            and (user_id is None or e.user_id == user_id)
        ]

    async def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        return self.outbox.get(entry_id)

    async def outbox_sending(
        self, entry_id: int, *, dm_channel_id: int | None, at: datetime
    ) -> bool:
        entry = self.outbox.get(entry_id)
        if entry is None or not entry.open or settled_message(entry):
            return False
        self.outbox[entry_id] = replace(
            entry,
            state=OutboxState.SENDING,
            attempts=entry.attempts + 1,
            attempt_started_at=utc(at),
            dm_channel_id=dm_channel_id if dm_channel_id is not None else entry.dm_channel_id,
        )
        return True

    async def outbox_delivered(
        self, entry_id: int, *, dm_channel_id: int, message_id: int, at: datetime
    ) -> bool:
        entry = self.outbox.get(entry_id)
        if entry is None or entry.state is OutboxState.DELIVERED:
            return False
        self.outbox[entry_id] = replace(
            entry,
            state=OutboxState.DELIVERED,
            delivered_at=utc(at),
            dm_channel_id=dm_channel_id,
            message_id=message_id,
            last_error_code=None,
            last_error_text=None,
            content="" if entry.kind is OutboxKind.MESSAGE else entry.content,
        )
        pairing = self.pairings.get(entry.event_id, {}).get(entry.user_id)
        if (
            entry.kind is OutboxKind.ASSIGNMENT
            and pairing is not None
            and pairing.recipient_id == entry.recipient_id
        ):
            await self.mark_notified(entry.event_id, entry.user_id, at)
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
        entry = self.outbox.get(entry_id)
        if entry is None or entry.state not in OPEN_OUTBOX_STATES or settled_message(entry):
            return False
        erase = entry.kind is OutboxKind.MESSAGE and state is not OutboxState.PENDING
        self.outbox[entry_id] = replace(
            entry,
            state=state,
            last_error_code=code,
            last_error_text=text[:1000],
            content="" if erase else entry.content,
        )
        self._add_outbox(entry.event_id, outbox, utc(at))
        pairing = self.pairings.get(entry.event_id, {}).get(entry.user_id)
        if (
            state is not OutboxState.PENDING
            and entry.kind is OutboxKind.ASSIGNMENT
            and pairing is not None
            and pairing.recipient_id == entry.recipient_id
        ):
            await self.record_delivery_failure(entry.event_id, entry.user_id, code, text, at)
        return True

    async def with_unsent_notices(self, event_ids: Collection[int]) -> set[int]:
        wanted = set(event_ids)
        return {
            e.event_id
            for e in self.outbox.values()
            if e.event_id in wanted
            and e.kind is not OutboxKind.ASSIGNMENT
            and e.state in (OutboxState.PENDING, OutboxState.SENDING)
        }
