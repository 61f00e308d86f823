"""Per-guild settings: the runtime overrides managers set with `/ratmas-admin setup`."""

from __future__ import annotations

from datetime import datetime

from ratmas.domain.model import GuildSettings
from ratmas.persistence.models import GuildSettingsRow
from ratmas.persistence.repository.rows import utc


class GuildSettingsMixin:
    """Each guild's stored settings, one row per guild."""

    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        row = await GuildSettingsRow.get_or_none(guild_id=guild_id)
        if row is None:
            return None
        return GuildSettings(
            guild_id=row.guild_id,
            announcement_channel_id=row.announcement_channel_id,
            participant_role_id=row.participant_role_id,
            manager_role_id=row.manager_role_id,
            timezone=row.timezone,
            wishlist_reminder_days=row.wishlist_reminder_days,
            gift_reminder_days=row.gift_reminder_days,
        )

    async def save_guild_settings(self, settings: GuildSettings, *, now: datetime) -> GuildSettings:
        await GuildSettingsRow.update_or_create(
            defaults={
                "announcement_channel_id": settings.announcement_channel_id,
                "participant_role_id": settings.participant_role_id,
                "manager_role_id": settings.manager_role_id,
                "timezone": settings.timezone,
                "wishlist_reminder_days": settings.wishlist_reminder_days,
                "gift_reminder_days": settings.gift_reminder_days,
                "updated_at": utc(now),
            },
            guild_id=settings.guild_id,
        )
        return settings
