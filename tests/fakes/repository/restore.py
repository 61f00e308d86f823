"""Restoring events in memory, all or nothing (on a copy kept only when all fit)."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import replace

from ratmas.domain.errors import EventAlreadyLive, InvalidInput
from ratmas.domain.model import Event, EventDates, EventSnapshot, Household
from ratmas.domain.pairing import check_draw
from tests.fakes.repository.events import InMemoryEvents
from tests.fakes.repository.households import InMemoryHouseholds
from tests.fakes.repository.state import utc


class InMemoryRestore(InMemoryEvents, InMemoryHouseholds):
    """Whole events stored back from snapshots."""

    async def restore_events(
        self,
        snapshots: Sequence[EventSnapshot],
        *,
        replacing: Collection[int] = (),
        households: Sequence[Household] = (),
    ) -> list[Event]:
        # All or nothing: work on a copy and keep it only when every event fits.
        trial = copy.deepcopy(self)
        for event_id in replacing:
            await trial.delete_event(event_id)
        stored = [await trial.restore_event(snapshot) for snapshot in snapshots]
        for household in households:
            try:
                await trial.add_household(
                    household.guild_id,
                    household.members,
                    created_by=household.created_by,
                    now=household.created_at,
                )
            except InvalidInput as taken:
                raise InvalidInput("import", taken.problem) from None
        self.__dict__.update(trial.__dict__)
        return stored

    async def legacy_events(self, legacy_ids: Collection[str]) -> dict[str, int]:
        return {k: v for k, v in self.legacy.items() if k in legacy_ids}

    async def restored_event(self, digest: str) -> Event | None:
        event_id = self.restored.get(digest)
        return None if event_id is None else self.events.get(event_id)

    async def restore_event(self, snapshot: EventSnapshot) -> Event:
        source = snapshot.event
        if snapshot.pairings:
            check_draw(
                {p.santa_id: p.recipient_id for p in snapshot.pairings},
                {p.user_id for p in snapshot.participants},
            )
        if source.status.is_live:
            live = await self.get_live_event(source.guild_id)
            if live is not None:
                raise EventAlreadyLive(source.guild_id, live.id)
        event = replace(
            source,
            id=self._next_id,
            dates=EventDates(
                utc(source.dates.starts_at),
                utc(source.dates.purchase_deadline),
                utc(source.dates.reveal_at),
            ),
            created_at=utc(source.created_at),
            updated_at=utc(source.updated_at),
            legacy_id=snapshot.legacy_id,
        )
        self._next_id += 1
        if snapshot.legacy_id is not None:
            if snapshot.legacy_id in self.legacy:
                raise InvalidInput("import", f"legacy event {snapshot.legacy_id} is stored already")
            self.legacy[snapshot.legacy_id] = event.id
        digest = snapshot.restored_from
        if digest is not None:
            if digest in self.restored:
                raise InvalidInput("import", f"snapshot {digest} is restored already")
            self.restored[digest] = event.id
        self.events[event.id] = event
        self.participants[event.id] = {
            p.user_id: replace(p, event_id=event.id, joined_at=utc(p.joined_at))
            for p in snapshot.participants
        }
        self.exclusions[event.id] = {(x.user_id, x.excluded_user_id) for x in snapshot.exclusions}
        self.pairings[event.id] = {
            p.santa_id: p._replace(event_id=event.id) for p in snapshot.pairings
        }
        self.audit[event.id] = [replace(a, event_id=event.id, at=utc(a.at)) for a in snapshot.audit]
        return event
