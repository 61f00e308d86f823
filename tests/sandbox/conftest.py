"""Fixtures for the sandbox tests: a started sandbox with a small guild."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator

import pytest

# nextcord 3.2 imports the stdlib `audioop` (voice support), deprecated since Python 3.11. The
# project-wide place for this filter is pyproject's `filterwarnings`; until it is there, ignore
# exactly this warning before nextcord is first imported.
warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)

from ratmas.sandbox import Sandbox  # noqa: E402  (after the warning filter)
from tests.sandbox.support import World  # noqa: E402


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """A running sandbox with a guild, a manager (Manage Guild), two members and a role."""
    async with Sandbox() as sb:
        guild = sb.add_guild("Rat Nest", channels=("general", "santa"))
        managers = sb.create_role(guild.id, "Elves", permissions=1 << 5)
        participant = sb.create_role(guild.id, "Ratmas participant")
        manager = await sb.add_member(guild.id, "manager", roles=[managers.id])
        alice = await sb.add_member(guild.id, "alice")
        bob = await sb.add_member(guild.id, "bob", nick="Bobby")
        yield World(sb, guild, manager, alice, bob, participant)
