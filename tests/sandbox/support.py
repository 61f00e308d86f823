"""Helpers for the sandbox tests: the world they play in and running a real nextcord bot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import nextcord
import pytest
from nextcord.ext import commands

from ratmas.sandbox import Guild, Role, Sandbox, User

# Third-party warnings nextcord 3.2 triggers at runtime with aiohttp 3.14 (it passes a float
# websocket timeout). Narrow, and meant to move to pyproject's filterwarnings.
NEXTCORD_WARNINGS = [
    pytest.mark.filterwarnings(
        "ignore:parameter 'timeout' of type 'float' is deprecated:DeprecationWarning"
    ),
]


@dataclass
class World:
    """The sandbox and the guild the tests play in."""

    sb: Sandbox
    guild: Guild
    manager: User
    alice: User
    bob: User
    participant: Role

    @property
    def general(self) -> int:
        """The id of the #general channel."""
        return self.sb.channel(self.guild.id, "general").id


def intents() -> nextcord.Intents:
    """Default intents plus Server Members, as the Ratmas bot uses."""
    value = nextcord.Intents.default()
    value.members = True
    return value


@contextlib.asynccontextmanager
async def running(bot: commands.Bot | nextcord.Client, sb: Sandbox) -> AsyncIterator[None]:
    """Start the bot against the sandbox, wait for on_ready, and close it cleanly afterwards."""
    ready = asyncio.Event()

    async def on_ready() -> None:
        ready.set()

    bot.add_listener(on_ready, "on_ready")
    task = asyncio.create_task(bot.start(sb.token))
    try:
        async with asyncio.timeout(5):
            await ready.wait()
        yield
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
