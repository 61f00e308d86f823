"""Per-guild settings: what config.toml declares, overridden at runtime by `/ratmas-admin setup`.

The effective value of each setting is the runtime override stored in the database,
else the value declared for the guild in config.toml, else the global default. The
status command shows each value with where it came from, so an admin can tell why
the bot uses a channel or a timezone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ratmas.domain.dates import zone
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import AuditEntry, GuildSettings
from ratmas.services.errors import NotAllowed
from ratmas.services.ports import Clock, EventRepository


class Source(StrEnum):
    RUNTIME = "set with /ratmas-admin setup"
    CONFIG = "from config.toml"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class Setting[T]:
    value: T
    source: Source


@dataclass(frozen=True, slots=True)
class EffectiveSettings:
    guild_id: int
    announcement_channel_id: Setting[int | None]
    participant_role_id: Setting[int | None]
    manager_role_id: Setting[int | None]
    timezone: Setting[str]


class GuildSettingsService:
    """Reads and changes the settings of a guild."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        *,
        declared: Mapping[int, GuildSettings],
        default_timezone: str,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.declared = dict(declared)
        self.default_timezone = default_timezone

    async def effective(self, guild_id: int) -> EffectiveSettings:
        stored = await self.repo.get_guild_settings(guild_id)
        declared = self.declared.get(guild_id)

        def pick[T](name: str, default: T) -> Setting[T]:
            for source, settings in ((Source.RUNTIME, stored), (Source.CONFIG, declared)):
                value = getattr(settings, name) if settings is not None else None
                if value is not None:
                    return Setting(value, source)
            return Setting(default, Source.DEFAULT)

        return EffectiveSettings(
            guild_id=guild_id,
            announcement_channel_id=pick("announcement_channel_id", None),
            participant_role_id=pick("participant_role_id", None),
            manager_role_id=pick("manager_role_id", None),
            timezone=pick("timezone", self.default_timezone),
        )

    async def is_manager(
        self, guild_id: int, *, role_ids: Collection[int], manage_guild: bool
    ) -> bool:
        """Manage Server, or the guild's manager role, or the live event's."""
        if manage_guild:
            return True
        allowed = {(await self.effective(guild_id)).manager_role_id.value}
        event = await self.repo.get_live_event(guild_id)
        if event is not None:
            allowed.add(event.manager_role_id)
        return bool(set(role_ids) & {role for role in allowed if role is not None})

    async def require_manager(
        self, guild_id: int, *, role_ids: Collection[int], manage_guild: bool
    ) -> None:
        """`NotAllowed` unless `is_manager`: what every manager command checks first."""
        if not await self.is_manager(guild_id, role_ids=role_ids, manage_guild=manage_guild):
            raise NotAllowed(
                "Only Ratmas managers can do that: members with Manage Server or the manager role."
            )

    async def update(
        self,
        guild_id: int,
        actor_id: int,
        *,
        announcement_channel_id: int | None = None,
        participant_role_id: int | None = None,
        manager_role_id: int | None = None,
        timezone: str | None = None,
    ) -> EffectiveSettings:
        """Override the given settings for this guild; None leaves a setting as it is.

        The guild's live event, if any, takes the new channel and roles too."""
        if timezone is not None:
            zone(timezone)  # InvalidInput("timezone", ...) with close names
        changes: dict[str, int | str] = {
            name: value
            for name, value in (
                ("announcement_channel_id", announcement_channel_id),
                ("participant_role_id", participant_role_id),
                ("manager_role_id", manager_role_id),
                ("timezone", timezone),
            )
            if value is not None
        }
        if not changes:
            raise InvalidInput(
                "setup", "give at least one of channel, participant_role, manager_role, timezone"
            )
        current = await self.repo.get_guild_settings(guild_id) or GuildSettings(guild_id)
        merged = GuildSettings(
            guild_id=guild_id,
            announcement_channel_id=announcement_channel_id or current.announcement_channel_id,
            participant_role_id=participant_role_id or current.participant_role_id,
            manager_role_id=manager_role_id or current.manager_role_id,
            timezone=timezone or current.timezone,
        )
        now = self.clock.now()
        await self.repo.save_guild_settings(merged, now=now)
        event = await self.repo.get_live_event(guild_id)
        if event is not None:
            await self.repo.update_event_settings(
                event.id,
                announcement_channel_id=announcement_channel_id,
                participant_role_id=participant_role_id,
                manager_role_id=manager_role_id,
                now=now,
            )
            detail = ", ".join(f"{name}={value}" for name, value in sorted(changes.items()))
            await self.repo.add_audit(AuditEntry(event.id, actor_id, "setup", detail, now))
        return await self.effective(guild_id)
