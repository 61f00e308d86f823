"""The draw: who takes part (synced from the participant role) and who gives to whom.

`DrawService` makes the participants the members holding the event's participant
role, plans a draw over them with the event's exclusions (avoiding the guild's pairs
of last time where possible), and stores it. Planning stores nothing, so the phase
engine can check the start's guard and the draw's feasibility before it claims the
start. Syncing and storing hold the event's lock (`EventLocks`).
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable, Mapping

from ratmas.domain.errors import PairingImpossible
from ratmas.domain.model import Event, SyncResult
from ratmas.domain.pairing import draw_pairings
from ratmas.services.locks import EventLocks
from ratmas.services.ports import Clock, Discord, EventRepository


def fresh_rng() -> random.Random:
    """A generator seeded from the OS: nobody can predict a draw."""
    return random.Random(secrets.randbits(128))


class DrawService:
    """Participant sync, planning and storing the draw; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        discord: Discord,
        clock: Clock,
        locks: EventLocks,
        *,
        rng: Callable[[], random.Random] = fresh_rng,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self._discord = discord
        self._clock = clock
        self._locks = locks
        self.rng = rng
        self._log = log or logging.getLogger(__name__)

    async def sync_participants(self, event: Event) -> SyncResult:
        """Participants := the members holding the event's participant role.

        Without a participant role the participants table is the truth: nothing changes.
        `MembersIntentMissing` and `RoleMissing` propagate."""
        if event.participant_role_id is None:
            return SyncResult()
        # Under the event's lock: a sign-up whose role grant is still in flight would
        # otherwise be read as "not holding the role" and removed again.
        async with self._locks.hold(event.id):
            members = await self._discord.role_members(event.guild_id, event.participant_role_id)
            result = await self._repo.sync_participants(event.id, members, now=self._clock.now())
        if result.changed:
            self._log.info(
                "event %s: participants synced (+%d, -%d, %d renamed)",
                event.id,
                len(result.added),
                len(result.removed),
                len(result.renamed),
            )
        return result

    async def plan_draw(self, event: Event) -> dict[int, int]:
        """Draw over the participants with the event's exclusions, avoiding last year's
        pairs of the guild where possible. `PairingImpossible` propagates."""
        people = [p.user_id for p in await self._repo.list_participants(event.id)]
        exclusions = await self.exclusion_pairs(event.id)
        avoid = await self._repo.previous_pairings(event.guild_id, event.id)
        return draw_pairings(people, exclusions=exclusions, avoid=avoid, rng=self.rng())

    async def store_draw(self, event: Event, pairings: Mapping[int, int]) -> None:
        """Store a planned draw; every pairing starts pending."""
        async with self._locks.hold(event.id):
            await self._repo.replace_pairings(event.id, pairings, now=self._clock.now())

    async def exclusion_pairs(self, event_id: int) -> list[tuple[int, int]]:
        """The event's exclusions as (who, may not draw whom) pairs."""
        return [(e.user_id, e.excluded_user_id) for e in await self._repo.list_exclusions(event_id)]

    async def impossible_reason(self, event: Event) -> str | None:
        """Why no draw over the current participants and exclusions exists, if none does."""
        people = [p.user_id for p in await self._repo.list_participants(event.id)]
        if len(people) < 2:
            return None
        try:
            draw_pairings(people, exclusions=await self.exclusion_pairs(event.id), rng=self.rng())
        except PairingImpossible as error:
            return str(error)
        return None
