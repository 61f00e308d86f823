"""The draw: who takes part (synced from the participant role) and who gives to whom.

`DrawService` makes the participants the members holding the event's participant
role, plans a draw over them with the event's exclusions and the guild's households
(avoiding the pairs of the guild's `avoid_previous_events` most recent drawn events
whenever some valid draw avoids them all), and stores it. Planning stores nothing, so the phase
engine can check the start's guard and the draw's feasibility before it claims the
start. Syncing and storing hold the event's lock (`EventLocks`).
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from ratmas.domain.errors import PairingImpossible
from ratmas.domain.model import Event, SyncResult
from ratmas.domain.pairing import draw_pairings, household_pairs
from ratmas.services.locks import EventLocks
from ratmas.services.ports import Clock, Discord, EventRepository

# How many of the guild's earlier drawn events a draw avoids repeating pairs of.
DEFAULT_AVOID_PREVIOUS_EVENTS: Final = 2


@dataclass(frozen=True, slots=True)
class DrawPlan:
    """A planned draw and the pairs of earlier seasons it could not avoid (used only
    when no valid draw avoids them all)."""

    pairings: dict[int, int]
    repeated: int = 0

    @property
    def note(self) -> str | None:
        """What the managers are told about repeated pairs (never which ones)."""
        if not self.repeated:
            return None
        pairs = "pair" if self.repeated == 1 else "pairs"
        return (
            f"couldn't avoid {self.repeated} {pairs} from earlier seasons (no draw "
            "without repeats fits the exclusions and households)"
        )


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
        avoid_previous_events: int = DEFAULT_AVOID_PREVIOUS_EVENTS,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self.avoid_previous_events = avoid_previous_events
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

    async def plan_draw(self, event: Event) -> DrawPlan:
        """Draw over the participants with the event's exclusions and the guild's
        households, avoiding the pairs of its earlier seasons whenever some valid draw
        avoids them all. `PairingImpossible` propagates."""
        people = [p.user_id for p in await self._repo.list_participants(event.id)]
        exclusions = await self._exclusion_rows(event.id)
        households = await self.households(event.guild_id)
        avoid = set(
            await self._repo.previous_pairings(
                event.guild_id, event.id, events=self.avoid_previous_events
            )
        )
        pairings = draw_pairings(
            people, exclusions=exclusions, households=households, avoid=avoid, rng=self.rng()
        )
        repeated = sum(1 for pair in pairings.items() if pair in avoid)
        if repeated:
            self._log.info(
                "event %s: the draw repeats %d pair(s) of earlier seasons", event.id, repeated
            )
        return DrawPlan(pairings, repeated)

    async def store_draw(self, event: Event, pairings: Mapping[int, int]) -> None:
        """Store a planned draw; every pairing starts pending."""
        async with self._locks.hold(event.id):
            await self._repo.replace_pairings(event.id, pairings, now=self._clock.now())

    async def exclusion_pairs(self, event: Event) -> list[tuple[int, int]]:
        """Every (who, may not draw whom) pair the event's draw must respect: its
        exclusions and the guild's households."""
        households = await self.households(event.guild_id)
        return [*await self._exclusion_rows(event.id), *household_pairs(households.values())]

    async def households(self, guild_id: int) -> dict[int, tuple[int, ...]]:
        """The guild's households, id -> members."""
        return {h.id: h.members for h in await self._repo.list_households(guild_id)}

    async def _exclusion_rows(self, event_id: int) -> list[tuple[int, int]]:
        return [(e.user_id, e.excluded_user_id) for e in await self._repo.list_exclusions(event_id)]

    async def impossible_reason(self, event: Event) -> str | None:
        """Why no draw over the current participants, exclusions and households exists,
        if none does."""
        people = [p.user_id for p in await self._repo.list_participants(event.id)]
        if len(people) < 2:
            return None
        try:
            draw_pairings(
                people,
                exclusions=await self._exclusion_rows(event.id),
                households=await self.households(event.guild_id),
                rng=self.rng(),
            )
        except PairingImpossible as error:
            return str(error)
        return None
