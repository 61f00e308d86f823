"""Per-guild settings in memory."""

from __future__ import annotations

from datetime import datetime

from ratmas.domain.model import GuildSettings
from tests.fakes.repository.state import InMemoryState, utc


class InMemoryGuildSettings(InMemoryState):
    """Each guild's stored settings."""

    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        return self.guild_settings.get(guild_id)

    async def save_guild_settings(self, settings: GuildSettings, *, now: datetime) -> GuildSettings:
        utc(now)
        self.guild_settings[settings.guild_id] = settings
        return settings
