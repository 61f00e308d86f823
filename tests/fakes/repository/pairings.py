"""Pairings in memory: draws, delivery state, gift marks, earlier pairs."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from ratmas.domain.model import GiftCounts, GiftMark, OutboxDraft, OutboxKind, OutboxState, Pairing
from ratmas.domain.pairing import check_draw
from ratmas.services.ports import DeliveryProgress
from tests.fakes.repository.state import InMemoryState, utc


class InMemoryPairings(InMemoryState):
    """An event's pairings and their delivery state."""

    async def replace_pairings(
        self,
        event_id: int,
        pairings: Mapping[int, int],
        *,
        keep_notified: bool = False,
        notes: Mapping[int, str] | None = None,
        now: datetime | None = None,
    ) -> list[Pairing]:
        self._require(event_id)
        check_draw(pairings, set(self.participants[event_id]))
        old = self.pairings[event_id]
        new: dict[int, Pairing] = {}
        for santa, recipient in sorted(pairings.items()):
            previous = old.get(santa)
            if keep_notified and previous is not None and previous.recipient_id == recipient:
                new[santa] = previous
            else:
                new[santa] = Pairing(event_id, santa, recipient, None, None, None, 0)
        kept = {s for s, p in new.items() if old.get(s) is p}
        fresh = [p for s, p in new.items() if s not in kept]
        self._queue_assignments(event_id, fresh, lambda santa: santa not in kept, notes, now)
        self.pairings[event_id] = new
        return await self.list_pairings(event_id)

    def _queue_assignments(
        self,
        event_id: int,
        fresh: Sequence[Pairing],
        supersede: Callable[[int], bool],
        notes: Mapping[int, str] | None,
        now: datetime | None,
    ) -> None:
        for entry in list(self.outbox.values()):
            if (
                entry.event_id == event_id
                and entry.kind is OutboxKind.ASSIGNMENT
                and entry.open
                and supersede(entry.user_id)
            ):
                self.outbox[entry.id] = replace(entry, state=OutboxState.SUPERSEDED)
        drafts = [
            OutboxDraft(
                p.santa_id,
                OutboxKind.ASSIGNMENT,
                recipient_id=p.recipient_id,
                note=(notes or {}).get(p.santa_id),
            )
            for p in fresh
        ]
        self._add_outbox(event_id, drafts, now)

    async def list_pairings(self, event_id: int) -> list[Pairing]:
        return [p for _, p in sorted(self.pairings.get(event_id, {}).items())]

    async def get_pairing(
        self, event_id: int, *, santa_id: int | None = None, recipient_id: int | None = None
    ) -> Pairing | None:
        if (santa_id is None) == (recipient_id is None):
            raise ValueError("give exactly one of santa_id and recipient_id")
        return next(
            (
                p
                for p in self.pairings.get(event_id, {}).values()
                if p.santa_id == santa_id or p.recipient_id == recipient_id
            ),
            None,
        )

    async def pending_pairings(self, event_id: int) -> list[Pairing]:
        return [p for p in await self.list_pairings(event_id) if p.pending]

    async def santas_without_gift_sent(self, event_id: int) -> list[int]:
        return [p.santa_id for p in await self.list_pairings(event_id) if p.gift_sent_at is None]

    async def mark_notified(self, event_id: int, santa_id: int, at: datetime) -> bool:
        pairing = self.pairings.get(event_id, {}).get(santa_id)
        if pairing is None or not pairing.pending:
            return False
        self.pairings[event_id][santa_id] = pairing._replace(
            notified_at=utc(at),
            last_attempt_at=utc(at),
            attempts=pairing.attempts + 1,
            last_error_code=None,
            last_error_text=None,
        )
        return True

    async def mark_pending(
        self, event_id: int, santa_ids: Collection[int], *, now: datetime | None = None
    ) -> int:
        again = []
        table = self.pairings.get(event_id, {})
        for santa in sorted(santa_ids):
            pairing = table.get(santa)
            if pairing is not None and not pairing.pending:
                table[santa] = pairing._replace(notified_at=None)
                again.append(table[santa])
        chosen = {p.santa_id for p in again}
        self._queue_assignments(event_id, again, lambda santa: santa in chosen, None, now)
        return len(again)

    async def record_delivery_failure(
        self, event_id: int, santa_id: int, code: int | None, text: str, at: datetime
    ) -> bool:
        pairing = self.pairings.get(event_id, {}).get(santa_id)
        if pairing is None or not pairing.pending:
            return False
        self.pairings[event_id][santa_id] = pairing._replace(
            attempts=pairing.attempts + 1,
            last_attempt_at=utc(at),
            last_error_code=code,
            last_error_text=text[:1000],
        )
        return True

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
        pairing = self.pairings.get(event_id, {}).get(santa_id)
        if pairing is None or pairing.recipient_id != recipient_id:
            return False
        if mark is GiftMark.SENT:
            if pairing.gift_sent_at is not None:
                return False
            changed = pairing._replace(gift_sent_at=utc(at))
        else:
            if pairing.gift_received_at is not None:
                return False
            changed = pairing._replace(gift_received_at=utc(at))
        self.pairings[event_id][santa_id] = changed
        self._add_outbox(event_id, outbox, utc(at))
        return True

    async def gift_counts(self, event_id: int) -> GiftCounts:
        pairings = list(self.pairings.get(event_id, {}).values())
        return GiftCounts(
            pairings=len(pairings),
            sent=sum(1 for p in pairings if p.gift_sent_at is not None),
            received=sum(1 for p in pairings if p.gift_received_at is not None),
            neither=sum(
                1 for p in pairings if p.gift_sent_at is None and p.gift_received_at is None
            ),
        )

    async def delivery_progress(self, event_ids: Collection[int]) -> dict[int, DeliveryProgress]:
        found = {}
        for event_id in set(event_ids):
            pairings = list(self.pairings.get(event_id, {}).values())
            if not pairings:
                continue
            attempts = [p.last_attempt_at for p in pairings if p.last_attempt_at is not None]
            found[event_id] = DeliveryProgress(
                event_id,
                len(pairings),
                sum(1 for p in pairings if p.pending and p.attempts == 0),
                max(attempts, default=None),
            )
        return found

    async def previous_pairings(
        self, guild_id: int, before_event_id: int, *, events: int = 1
    ) -> list[tuple[int, int]]:
        earlier = sorted(
            (
                e.id
                for e in self.events.values()
                if e.guild_id == guild_id and e.id < before_event_id and self.pairings.get(e.id)
            ),
            reverse=True,
        )
        pairs: list[tuple[int, int]] = []
        for event_id in earlier[: max(events, 0)]:
            pairs.extend((p.santa_id, p.recipient_id) for p in await self.list_pairings(event_id))
        return pairs
