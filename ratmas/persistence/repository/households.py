"""Households: groups of a guild's members who never draw each other.

A member is in one household of a guild at most (a unique index holds it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import Household
from ratmas.persistence.models import HouseholdMemberRow, HouseholdRow
from ratmas.persistence.repository.rows import CHUNK, chunks, out, utc


def _already_in_household(
    user_id: int, household_id: int, *, field: str = "members"
) -> InvalidInput:
    return InvalidInput(
        field,
        f"<@{user_id}> is already in household {household_id}; a member is in one "
        "household at most (take them out of it first)",
    )


async def store_households(connection: Any, households: Sequence[Household]) -> None:
    """Add imported households inside the caller's transaction, refusing (by
    raising, so the transaction rolls back) a member already in a household of
    the guild, stored or earlier in `households`."""
    placed: dict[tuple[int, int], int] = {}  # (guild, member) -> household id
    by_guild: dict[int, set[int]] = {}
    for household in households:
        by_guild.setdefault(household.guild_id, set()).update(household.members)
    for guild_id, wanted in by_guild.items():
        for chunk in chunks(sorted(wanted)):
            taken = await HouseholdMemberRow.filter(
                guild_id=guild_id, user_id__in=list(chunk)
            ).using_db(connection)
            placed.update({(guild_id, row.user_id): row.household_id for row in taken})
    members: list[HouseholdMemberRow] = []
    for household in households:
        for user_id in sorted(set(household.members)):
            if (household.guild_id, user_id) in placed:
                raise _already_in_household(
                    user_id, placed[household.guild_id, user_id], field="import"
                )
        row = await HouseholdRow.create(
            guild_id=household.guild_id,
            created_by=household.created_by,
            created_at=utc(household.created_at),
            using_db=connection,
        )
        for user_id in set(household.members):
            placed[household.guild_id, user_id] = row.id
            members.append(
                HouseholdMemberRow(
                    household_id=row.id, guild_id=household.guild_id, user_id=user_id
                )
            )
    await HouseholdMemberRow.bulk_create(members, batch_size=CHUNK // 4, using_db=connection)


class HouseholdsMixin:
    """A guild's households."""

    async def add_household(
        self, guild_id: int, members: Sequence[int], *, created_by: int | None, now: datetime
    ) -> Household:
        wanted = sorted(set(members))
        try:
            async with in_transaction() as connection:
                taken = await HouseholdMemberRow.filter(
                    guild_id=guild_id, user_id__in=wanted
                ).using_db(connection)
                if taken:
                    first = min(taken, key=lambda row: row.user_id)
                    raise _already_in_household(first.user_id, first.household_id)
                row = await HouseholdRow.create(
                    guild_id=guild_id,
                    created_by=created_by,
                    created_at=utc(now),
                    using_db=connection,
                )
                await HouseholdMemberRow.bulk_create(
                    [
                        HouseholdMemberRow(household_id=row.id, guild_id=guild_id, user_id=user)
                        for user in wanted
                    ],
                    using_db=connection,
                )
        except IntegrityError:
            # Someone put one of them in another household at the same moment.
            raise InvalidInput(
                "members", "one of them was just put in another household; try again"
            ) from None
        return Household(row.id, guild_id, tuple(wanted), created_by, out(row.created_at))

    async def remove_household(self, guild_id: int, household_id: int) -> Household | None:
        async with in_transaction() as connection:
            found = await self._households(guild_id, connection, household_id=household_id)
            if not found:
                return None
            await (
                HouseholdRow.filter(id=household_id, guild_id=guild_id)
                .using_db(connection)
                .delete()
            )
        return found[0]

    async def remove_household_member(self, guild_id: int, user_id: int) -> Household | None:
        async with in_transaction() as connection:
            member = (
                await HouseholdMemberRow.filter(guild_id=guild_id, user_id=user_id)
                .using_db(connection)
                .first()
            )
            if member is None:
                return None
            (household,) = await self._households(
                guild_id, connection, household_id=member.household_id
            )
            if len(household.members) <= 2:
                await HouseholdRow.filter(id=household.id).using_db(connection).delete()
            else:
                await HouseholdMemberRow.filter(id=member.id).using_db(connection).delete()
        return household

    async def list_households(self, guild_id: int) -> list[Household]:
        async with in_transaction() as connection:
            return await self._households(guild_id, connection)

    @staticmethod
    async def _households(
        guild_id: int, connection: Any, *, household_id: int | None = None
    ) -> list[Household]:
        query = HouseholdRow.filter(guild_id=guild_id)
        if household_id is not None:
            query = query.filter(id=household_id)
        rows = await query.using_db(connection).order_by("id")
        members: dict[int, list[int]] = {row.id: [] for row in rows}
        if rows:
            member_rows = await (
                HouseholdMemberRow.filter(household_id__in=list(members))
                .using_db(connection)
                .order_by("user_id")
            )
            for member in member_rows:
                members[member.household_id].append(member.user_id)
        return [
            Household(row.id, guild_id, tuple(members[row.id]), row.created_by, out(row.created_at))
            for row in rows
        ]
