"""Per-guild settings: what config.toml declares, overridden at runtime by `/ratmas-admin setup`.

The reminder days (`wishlist_reminder_days`, `gift_reminder_days`) default to
config.toml's `[reminders]`; an event takes the guild's values when it is created, and
the guild's live event takes any new value set here (its reminder jobs move with it).

The effective value of each setting is the runtime override stored in the database,
else the value declared for the guild in config.toml, else the global default. The
status command shows each value with where it came from, so an admin can tell why
the bot uses a channel or a timezone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ratmas.domain.dates import zone
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import AuditEntry, GuildSettings, ReminderDays
from ratmas.domain.reminders import DEFAULT_REMINDER_DAYS, check_reminder_days
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
    wishlist_reminder_days: Setting[int]
    gift_reminder_days: Setting[int]

    @property
    def reminder_days(self) -> ReminderDays:
        return ReminderDays(self.wishlist_reminder_days.value, self.gift_reminder_days.value)


class GuildSettingsService:
    """Reads and changes the settings of a guild."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        *,
        declared: Mapping[int, GuildSettings],
        default_timezone: str,
        default_reminder_days: ReminderDays = DEFAULT_REMINDER_DAYS,
        event_changed: Callable[[int], Awaitable[object]] | None = None,
    ) -> None:
        """`event_changed(event_id)`: called after the live event took new reminder
        days (the phase engine's reconcile, which moves its jobs)."""
        self.repo = repo
        self.clock = clock
        self.declared = dict(declared)
        self.default_timezone = default_timezone
        self.default_reminder_days = default_reminder_days
        self._event_changed = event_changed

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
            wishlist_reminder_days=pick(
                "wishlist_reminder_days", self.default_reminder_days.wishlist
            ),
            gift_reminder_days=pick("gift_reminder_days", self.default_reminder_days.gift),
        )

    async def reminder_days(self, guild_id: int) -> ReminderDays:
        """The reminder days a new event of the guild takes."""
        return (await self.effective(guild_id)).reminder_days

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
        wishlist_reminder_days: int | None = None,
        gift_reminder_days: int | None = None,
    ) -> EffectiveSettings:
        """Override the given settings for this guild; None leaves a setting as it is.

        The guild's live event, if any, takes the new channel, roles and reminder days
        too (a reminder already sent is not sent again)."""
        if timezone is not None:
            zone(timezone)  # InvalidInput("timezone", ...) with close names
        if wishlist_reminder_days is not None:
            check_reminder_days(wishlist_reminder_days, "wishlist_reminder_days")
        if gift_reminder_days is not None:
            check_reminder_days(gift_reminder_days, "gift_reminder_days")
        changes: dict[str, int | str] = {
            name: value
            for name, value in (
                ("announcement_channel_id", announcement_channel_id),
                ("participant_role_id", participant_role_id),
                ("manager_role_id", manager_role_id),
                ("timezone", timezone),
                ("wishlist_reminder_days", wishlist_reminder_days),
                ("gift_reminder_days", gift_reminder_days),
            )
            if value is not None
        }
        if not changes:
            raise InvalidInput(
                "setup",
                "give at least one of channel, participant_role, manager_role, timezone, "
                "wishlist_reminder_days, gift_reminder_days",
            )
        current = await self.repo.get_guild_settings(guild_id) or GuildSettings(guild_id)
        merged = GuildSettings(
            guild_id=guild_id,
            announcement_channel_id=announcement_channel_id or current.announcement_channel_id,
            participant_role_id=participant_role_id or current.participant_role_id,
            manager_role_id=manager_role_id or current.manager_role_id,
            timezone=timezone or current.timezone,
            wishlist_reminder_days=_given(wishlist_reminder_days, current.wishlist_reminder_days),
            gift_reminder_days=_given(gift_reminder_days, current.gift_reminder_days),
        )
        now = self.clock.now()
        await self.repo.save_guild_settings(merged, now=now)
        event = await self.repo.get_live_event(guild_id)
        if event is not None:
            reminders_changed = wishlist_reminder_days is not None or gift_reminder_days is not None
            await self.repo.update_event_settings(
                event.id,
                announcement_channel_id=announcement_channel_id,
                participant_role_id=participant_role_id,
                manager_role_id=manager_role_id,
                reminder_days=(
                    ReminderDays(
                        _given(wishlist_reminder_days, event.reminder_days.wishlist),
                        _given(gift_reminder_days, event.reminder_days.gift),
                    )
                    if reminders_changed
                    else None
                ),
                now=now,
            )
            detail = ", ".join(f"{name}={value}" for name, value in sorted(changes.items()))
            await self.repo.add_audit(AuditEntry(event.id, actor_id, "setup", detail, now))
            if reminders_changed and self._event_changed is not None:
                await self._event_changed(event.id)
        return await self.effective(guild_id)


def _given[T](value: T | None, current: T) -> T:
    """`value` when given (0 included), else `current`."""
    return value if value is not None else current
