"""What both cogs share: who and where an interaction comes from, the manager check,
deferring, and autocomplete of events and timezones."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

import nextcord
from nextcord import Interaction
from nextcord.ext import commands

from ratmas.bot.services import BotServices
from ratmas.domain.dates import suggest_timezones
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import Event

GUILD_ONLY = [nextcord.InteractionContextType.guild]
MAX_CHOICES = 25


class RatmasCogBase(commands.Cog):
    """Helpers for the `/ratmas` and `/ratmas-admin` cogs."""

    def __init__(self, services: BotServices) -> None:
        self.bot = services
        self.s = services.season

    # --- helpers --------------------------------------------------------------------
    @staticmethod
    def _guild(interaction: Interaction[Any]) -> int:
        if interaction.guild_id is None:
            raise InvalidInput("server", "Ratmas commands only work inside a server")
        return interaction.guild_id

    @staticmethod
    def _user(interaction: Interaction[Any]) -> nextcord.User | nextcord.Member:
        if interaction.user is None:  # pragma: no cover - Discord always sends one
            raise InvalidInput("user", "unknown user")
        return interaction.user

    @staticmethod
    def _roles(interaction: Interaction[Any]) -> tuple[list[int], bool]:
        """The member's role ids and whether they have Manage Server (none outside a guild)."""
        user = RatmasCogBase._user(interaction)
        if not isinstance(user, nextcord.Member):
            return [], False
        return [role.id for role in user.roles], user.guild_permissions.manage_guild

    async def _is_manager(self, interaction: Interaction[Any]) -> bool:
        """Manage Server, or the guild's (or live event's) manager role."""
        role_ids, manage_guild = self._roles(interaction)
        return await self.s.guild_settings.is_manager(
            self._guild(interaction), role_ids=role_ids, manage_guild=manage_guild
        )

    async def _require_manager(self, interaction: Interaction[Any]) -> None:
        role_ids, manage_guild = self._roles(interaction)
        await self.s.guild_settings.require_manager(
            self._guild(interaction), role_ids=role_ids, manage_guild=manage_guild
        )

    async def _event(self, interaction: Interaction[Any], event_id: int | None = None) -> Event:
        return await self.s.status.find_event(self._guild(interaction), event_id)

    @staticmethod
    async def _defer(interaction: Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True)

    async def _complete_events(self, interaction: Interaction[Any], typed: Any) -> None:
        guild_id = interaction.guild_id
        events = await self.s.status.events(guild_id) if guild_id else []
        text = str(typed or "")
        choices = {
            f"#{e.id} {e.status} (starts {e.dates.starts_at:%Y-%m-%d})": e.id
            for e in events
            if text in str(e.id)
        }
        await interaction.response.send_autocomplete(dict(list(choices.items())[:MAX_CHOICES]))


def zone_choices(typed: str | None) -> list[str]:
    """Timezones for autocomplete: close names first, then those containing the text."""
    text = (typed or "").strip()
    if not text:
        return ["UTC", "Europe/London", "America/New_York", "Europe/Berlin", "Australia/Sydney"]
    folded = text.lower()
    found = suggest_timezones(text, limit=5)
    found += sorted(z for z in _zones() if folded in z.lower() and z not in found)
    return found[:MAX_CHOICES]


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
