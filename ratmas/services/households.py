"""Households: people of a guild who never draw one another (a family, flatmates).

A household belongs to the guild, not to an event: families stay families from one
season to the next, and the managers set them up once. Only the participants of a
draw matter to it (a household member who does not take part changes nothing), and a
member is in at most one household of a guild. Households are hard constraints, like
the one-way exclusions: when together they make the draw impossible, the start is
held with the draw's explanation, which names the household.

A change is recorded in the audit of the guild's live event (if any), since that is
the draw it affects; like an exclusion, it never changes a draw that exists: the
warning says so, and a redraw applies it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from ratmas.domain.errors import InvalidInput, NotFound
from ratmas.domain.model import Event, Household
from ratmas.domain.pairing import household_pairs
from ratmas.domain.status import EventStatus
from ratmas.services.draw import DrawService
from ratmas.services.ports import Clock, EventRepository
from ratmas.services.records import AuditTrail

# Slash commands take at most 25 options; eight members cover a large family.
MAX_HOUSEHOLD_MEMBERS: Final = 8
# A draw that a redraw can still change (before the reveal).
REDRAWABLE: Final = frozenset({EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED})


@dataclass(frozen=True, slots=True)
class HouseholdResult:
    """A household added or removed, what is left of it, and a warning when the live
    event's draw is affected."""

    household: Household
    remaining: Household | None = None  # after a member was taken out, if it still exists
    warning: str | None = None


class HouseholdService:
    """The managers' household use cases; see the module docstring."""

    def __init__(
        self, repo: EventRepository, clock: Clock, *, draw: DrawService, audit: AuditTrail
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._draw = draw
        self._audit = audit

    async def add(
        self,
        guild_id: int,
        actor_id: int,
        members: Sequence[int | None],
        *,
        bots: Collection[int] = (),
        outside_guild: Collection[int] = (),
    ) -> HouseholdResult:
        """A new household of `members`, the options member1..member8 in order (None:
        left out). At least two different members, none a bot, none outside the guild
        (`bots` and `outside_guild` are what Discord says about them), none already in
        a household of the guild."""
        if len(members) > MAX_HOUSEHOLD_MEMBERS:
            raise InvalidInput(
                "members", f"at most {MAX_HOUSEHOLD_MEMBERS} per household, got {len(members)}"
            )
        chosen: dict[int, str] = {}
        for position, user_id in enumerate(members, start=1):
            if user_id is None:
                continue
            field = f"member{position}"
            if user_id in chosen:
                raise InvalidInput(field, f"<@{user_id}> is already listed as {chosen[user_id]}")
            if user_id in bots:
                raise InvalidInput(field, f"<@{user_id}> is a bot; bots never take part")
            if user_id in outside_guild:
                raise InvalidInput(field, f"<@{user_id}> is not a member of this server")
            chosen[user_id] = field
        if len(chosen) < 2:
            raise InvalidInput(
                "member2", "a household needs at least two different members (member1, member2)"
            )
        existing = await self._repo.list_households(guild_id)
        for user_id, field in chosen.items():
            for household in existing:
                if user_id in household.members:
                    raise InvalidInput(
                        field,
                        f"<@{user_id}> is already in household {household.id}; a member is in "
                        "one household at most (`/ratmas-admin household remove member:` first)",
                    )
        household = await self._repo.add_household(
            guild_id, list(chosen), created_by=actor_id, now=self._clock.now()
        )
        warning = await self._record(
            guild_id, actor_id, f"added household {household.id}: {_who(household.members)}"
        )
        return HouseholdResult(household, household, warning)

    async def remove(
        self,
        guild_id: int,
        actor_id: int,
        *,
        household_id: int | None = None,
        member: int | None = None,
    ) -> HouseholdResult:
        """Remove a whole household (`household_id`) or take one `member` out of theirs
        (a household left with one member goes). Exactly one of the two."""
        if (household_id is None) == (member is None):
            raise InvalidInput(
                "household", "give either a household id or a member (one of the two)"
            )
        if household_id is not None:
            removed = await self._repo.remove_household(guild_id, household_id)
            if removed is None:
                raise NotFound(
                    f"There is no household {household_id} in this server "
                    "(`/ratmas-admin household list` shows them)."
                )
            await self._record(guild_id, actor_id, f"removed household {removed.id}")
            return HouseholdResult(removed)
        assert member is not None
        removed = await self._repo.remove_household_member(guild_id, member)
        if removed is None:
            raise NotFound(f"<@{member}> is not in any household of this server.")
        remaining = next(
            (h for h in await self._repo.list_households(guild_id) if h.id == removed.id), None
        )
        await self._record(
            guild_id,
            actor_id,
            f"took <@{member}> out of household {removed.id}"
            + ("" if remaining else " (the household is gone: one member was left)"),
        )
        return HouseholdResult(removed, remaining)

    async def list(self, guild_id: int) -> list[Household]:
        """The guild's households, oldest first."""
        return await self._repo.list_households(guild_id)

    async def _record(self, guild_id: int, actor_id: int, detail: str) -> str | None:
        """Audit the change on the guild's live event and say how it affects its draw."""
        event = await self._repo.get_live_event(guild_id)
        if event is None:
            return None
        warning = await self._warning(event)
        await self._audit.record(
            event.id, actor_id, "household", detail + (f"; warning: {warning}" if warning else "")
        )
        return warning

    async def _warning(self, event: Event) -> str | None:
        if event.status in REDRAWABLE:
            households = await self._draw.households(event.guild_id)
            forbidden = set(household_pairs(households.values()))
            pairings = await self._repo.list_pairings(event.id)
            if any((p.santa_id, p.recipient_id) in forbidden for p in pairings):
                return (
                    "the current draw pairs members of one household and is not changed; "
                    "redraw to apply the households"
                )
            return None
        if event.status is EventStatus.SCHEDULED:
            reason = await self._draw.impossible_reason(event)
            if reason is not None:
                return f"with the current participants no draw is possible any more: {reason}"
        return None


def _who(ids: Sequence[int]) -> str:
    return ", ".join(f"<@{i}>" for i in ids)
