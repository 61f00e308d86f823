"""Effective guild settings: runtime override, else config.toml, else default."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import EventDates, GuildSettings, NewEvent, ReminderDays
from ratmas.services.errors import NotAllowed
from ratmas.services.guild_settings import GuildSettingsService, Source
from tests.fakes import FixedClock, InMemoryEventRepository

GUILD = 111


def service(repo: InMemoryEventRepository) -> GuildSettingsService:
    declared = {GUILD: GuildSettings(GUILD, announcement_channel_id=5, timezone="Europe/London")}
    return GuildSettingsService(repo, FixedClock(), declared=declared, default_timezone="UTC")


async def test_config_values_apply_until_a_command_overrides_them() -> None:
    repo = InMemoryEventRepository()
    settings = service(repo)
    before = await settings.effective(GUILD)
    assert (before.announcement_channel_id.value, before.announcement_channel_id.source) == (
        5,
        Source.CONFIG,
    )
    assert before.participant_role_id.source is Source.DEFAULT
    assert before.timezone.value == "Europe/London"
    after = await settings.update(GUILD, 9, announcement_channel_id=6, timezone="Asia/Tokyo")
    assert (after.announcement_channel_id.value, after.announcement_channel_id.source) == (
        6,
        Source.RUNTIME,
    )
    assert after.timezone.value == "Asia/Tokyo"
    other = await settings.effective(222)
    assert other.timezone == (await settings.effective(222)).timezone
    assert other.timezone.value == "UTC"
    assert other.timezone.source is Source.DEFAULT


async def test_update_reaches_the_live_event_and_is_audited() -> None:
    repo = InMemoryEventRepository()
    clock = FixedClock()
    now = clock.now()
    event = await repo.create_event(
        NewEvent(
            GUILD,
            EventDates(now + timedelta(days=1), now + timedelta(days=2), now + timedelta(days=3)),
            "UTC",
        ),
        now=now,
    )
    await service(repo).update(GUILD, 9, participant_role_id=77)
    updated = await repo.get_event(event.id)
    assert updated is not None
    assert updated.participant_role_id == 77
    assert [(a.actor_id, a.action) for a in await repo.list_audit(event.id)] == [(9, "setup")]


async def test_bad_timezone_and_empty_update_change_nothing() -> None:
    repo = InMemoryEventRepository()
    settings = service(repo)
    with pytest.raises(InvalidInput, match="timezone"):
        await settings.update(GUILD, 9, timezone="Europe/Londn", manager_role_id=3)
    with pytest.raises(InvalidInput, match="setup"):
        await settings.update(GUILD, 9)
    assert await repo.get_guild_settings(GUILD) is None


async def test_managers_are_manage_server_or_a_manager_role() -> None:
    repo = InMemoryEventRepository()
    settings = service(repo)
    assert await settings.is_manager(GUILD, role_ids=[], manage_guild=True)
    assert not await settings.is_manager(GUILD, role_ids=[1, 2], manage_guild=False)
    await settings.update(GUILD, 9, manager_role_id=2)
    assert await settings.is_manager(GUILD, role_ids=[1, 2], manage_guild=False)
    # The live event's own manager role counts too.
    now = FixedClock().now()
    await repo.create_event(
        NewEvent(
            GUILD,
            EventDates(now + timedelta(days=1), now + timedelta(days=2), now + timedelta(days=3)),
            "UTC",
            manager_role_id=3,
        ),
        now=now,
    )
    assert await settings.is_manager(GUILD, role_ids=[3], manage_guild=False)
    assert not await settings.is_manager(222, role_ids=[3], manage_guild=False)


async def test_require_manager_refuses_everyone_else_with_a_reason() -> None:
    settings = service(InMemoryEventRepository())
    await settings.require_manager(GUILD, role_ids=[], manage_guild=True)
    with pytest.raises(NotAllowed, match="Manage Server or the manager role"):
        await settings.require_manager(GUILD, role_ids=[1], manage_guild=False)
    await settings.update(GUILD, 9, manager_role_id=1)
    await settings.require_manager(GUILD, role_ids=[1], manage_guild=False)


async def test_reminder_days_come_from_a_command_else_config_toml_else_reminders() -> None:
    repo = InMemoryEventRepository()
    declared = {GUILD: GuildSettings(GUILD, gift_reminder_days=0)}
    settings = GuildSettingsService(
        repo,
        FixedClock(),
        declared=declared,
        default_timezone="UTC",
        default_reminder_days=ReminderDays(2, 3),
    )
    before = await settings.effective(GUILD)
    assert (before.wishlist_reminder_days.value, before.wishlist_reminder_days.source) == (
        2,
        Source.DEFAULT,
    )
    assert (before.gift_reminder_days.value, before.gift_reminder_days.source) == (
        0,
        Source.CONFIG,
    )
    after = await settings.update(GUILD, 9, wishlist_reminder_days=0, gift_reminder_days=7)
    assert after.reminder_days == ReminderDays(0, 7)
    assert after.wishlist_reminder_days.source is Source.RUNTIME
    assert await repo.get_guild_settings(GUILD) == GuildSettings(
        GUILD, wishlist_reminder_days=0, gift_reminder_days=7
    )
    # Another change keeps the days (0 included) set before.
    kept = await settings.update(GUILD, 9, timezone="Europe/Paris")
    assert kept.reminder_days == ReminderDays(0, 7)
    assert await settings.reminder_days(222) == ReminderDays(2, 3)


@pytest.mark.parametrize("days", [-1, 31, 365])
async def test_reminder_days_out_of_range_change_nothing(days: int) -> None:
    repo = InMemoryEventRepository()
    with pytest.raises(InvalidInput, match="wishlist_reminder_days: from 0 \\(off\\) to 30"):
        await service(repo).update(GUILD, 9, wishlist_reminder_days=days, manager_role_id=3)
    assert await repo.get_guild_settings(GUILD) is None
