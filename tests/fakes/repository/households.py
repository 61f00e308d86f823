"""Households in memory: a member in one household of a guild at most."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import Household
from tests.fakes.repository.state import InMemoryState, utc


class InMemoryHouseholds(InMemoryState):
    """A guild's households."""

    async def add_household(
        self, guild_id: int, members: Sequence[int], *, created_by: int | None, now: datetime
    ) -> Household:
        wanted = tuple(sorted(set(members)))
        for user_id in wanted:
            for household in await self.list_households(guild_id):
                if user_id in household.members:
                    raise InvalidInput(
                        "members",
                        f"<@{user_id}> is already in household {household.id}; a member is "
                        "in one household at most (take them out of it first)",
                    )
        household = Household(self._next_household_id, guild_id, wanted, created_by, utc(now))
        self._next_household_id += 1
        self.households[household.id] = household
        return household

    async def remove_household(self, guild_id: int, household_id: int) -> Household | None:
        household = self.households.get(household_id)
        if household is None or household.guild_id != guild_id:
            return None
        del self.households[household_id]
        return household

    async def remove_household_member(self, guild_id: int, user_id: int) -> Household | None:
        for household in await self.list_households(guild_id):
            if user_id in household.members:
                if len(household.members) <= 2:
                    del self.households[household.id]
                else:
                    self.households[household.id] = replace(
                        household, members=tuple(m for m in household.members if m != user_id)
                    )
                return household
        return None

    async def list_households(self, guild_id: int) -> list[Household]:
        return [h for _, h in sorted(self.households.items()) if h.guild_id == guild_id]
