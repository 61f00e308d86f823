"""Participants and exclusions in memory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from ratmas.domain.errors import AlreadyJoined, NotFound
from ratmas.domain.model import (
    LATEST_ONLY_KINDS,
    Exclusion,
    Member,
    OutboxDraft,
    OutboxState,
    Participant,
    SyncResult,
)
from tests.fakes.repository.state import InMemoryState, utc


class InMemoryParticipants(InMemoryState):
    """An event's participants and the exclusions between them."""

    async def add_participant(self, event_id: int, member: Member, *, now: datetime) -> Participant:
        self._require(event_id)
        if member.user_id in self.participants[event_id]:
            raise AlreadyJoined(f"{member.display_name} has already joined this Ratmas.")
        participant = Participant(
            event_id, member.user_id, member.display_name[:100], None, utc(now)
        )
        self.participants[event_id][member.user_id] = participant
        return participant

    async def remove_participant(self, event_id: int, user_id: int) -> bool:
        self._drop_exclusions(event_id, {user_id})
        return self.participants.get(event_id, {}).pop(user_id, None) is not None

    def _drop_exclusions(self, event_id: int, users: set[int]) -> None:
        kept = {x for x in self.exclusions.get(event_id, set()) if not users & set(x)}
        self.exclusions[event_id] = kept

    async def get_participant(self, event_id: int, user_id: int) -> Participant | None:
        return self.participants.get(event_id, {}).get(user_id)

    async def list_participants(self, event_id: int) -> list[Participant]:
        return sorted(self.participants.get(event_id, {}).values(), key=lambda p: p.user_id)

    async def sync_participants(
        self, event_id: int, members: Sequence[Member], *, now: datetime
    ) -> SyncResult:
        self._require(event_id)
        current = self.participants[event_id]
        wanted = {m.user_id: m.display_name[:100] for m in members}
        added = sorted(set(wanted) - set(current))
        removed = sorted(set(current) - set(wanted))
        renamed = sorted(
            u for u in set(current) & set(wanted) if current[u].display_name != wanted[u]
        )
        for user_id in removed:
            del current[user_id]
        self._drop_exclusions(event_id, set(removed))
        for user_id in added:
            current[user_id] = Participant(event_id, user_id, wanted[user_id], None, utc(now))
        for user_id in renamed:
            current[user_id] = replace(current[user_id], display_name=wanted[user_id])
        return SyncResult(tuple(added), tuple(removed), tuple(renamed))

    async def set_wishlist(
        self,
        event_id: int,
        user_id: int,
        url: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        return self._set_for_santa(
            event_id, user_id, lambda p: replace(p, wishlist_url=url), outbox, now
        )

    async def set_notes(
        self,
        event_id: int,
        user_id: int,
        notes: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        return self._set_for_santa(
            event_id, user_id, lambda p: replace(p, notes=notes), outbox, now
        )

    def _set_for_santa(
        self,
        event_id: int,
        user_id: int,
        change: Callable[[Participant], Participant],
        outbox: Sequence[OutboxDraft],
        now: datetime | None,
    ) -> Participant:
        participant = self.participants.get(event_id, {}).get(user_id)
        if participant is None:
            raise NotFound("You have not joined this Ratmas yet.")
        updated = change(participant)
        self.participants[event_id][user_id] = updated
        self._supersede_older(event_id, outbox)
        self._add_outbox(event_id, outbox, now)
        return updated

    def _supersede_older(self, event_id: int, drafts: Sequence[OutboxDraft]) -> None:
        replaced = {(d.user_id, d.kind) for d in drafts if d.kind in LATEST_ONLY_KINDS}
        for entry in list(self.outbox.values()):
            if (
                entry.event_id == event_id
                and entry.open
                and (entry.user_id, entry.kind) in replaced
            ):
                self.outbox[entry.id] = replace(entry, state=OutboxState.SUPERSEDED)

    # --- exclusions -------------------------------------------------------------------
    async def add_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        self._require(event_id)
        pair = (user_id, excluded_user_id)
        if pair in self.exclusions[event_id]:
            return False
        self.exclusions[event_id].add(pair)
        return True

    async def remove_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        pairs = self.exclusions.get(event_id, set())
        if (user_id, excluded_user_id) not in pairs:
            return False
        pairs.discard((user_id, excluded_user_id))
        return True

    async def list_exclusions(self, event_id: int) -> list[Exclusion]:
        return [Exclusion(event_id, u, x) for u, x in sorted(self.exclusions.get(event_id, set()))]
