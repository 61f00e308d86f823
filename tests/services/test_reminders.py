"""Reminders over the real services: their jobs follow the dates, each is claimed once
with its DMs, and one missed while the bot was down is sent only while it still helps
(the clock is a `FixedClock` moved by hand)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest

from ratmas.domain.dates import discord_timestamp
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import Event, EventDates, GiftMark, NewEvent, ReminderDays
from ratmas.domain.reminders import DEFAULT_REMINDER_DAYS
from ratmas.domain.status import EventStatus, Phase, Reminder
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services import messages
from tests.services.world import ADMIN, CHANNEL, GUILD, NOW, ROLE, TICK, World, people

DAY = timedelta(days=1)
START = NOW + 5 * DAY
DEADLINE = NOW + 12 * DAY
REVEAL = NOW + 20 * DAY
WISHLIST_DUE = START - 2 * DAY
GIFT_DUE = DEADLINE - 3 * DAY
LIST = "https://example.com/list"


async def season(world: World, days: ReminderDays = DEFAULT_REMINDER_DAYS) -> Event:
    """An event created at NOW (start in 5 days) that members 1-4 joined; 2 has a
    wishlist."""
    event = await world.repo.create_event(
        NewEvent(
            guild_id=GUILD,
            dates=EventDates(START, DEADLINE, REVEAL),
            timezone="Europe/London",
            announcement_channel_id=CHANNEL,
            participant_role_id=ROLE,
            created_by=ADMIN,
            reminder_days=days,
        ),
        now=NOW,
    )
    await world.repo.sync_participants(event.id, people(1, 2, 3, 4), now=NOW)
    await world.repo.set_wishlist(event.id, 2, LIST)
    return event


async def mark_sent(world: World, event_id: int, santa_id: int) -> None:
    """What `/ratmas gift sent` stores for this santa."""
    (pairing,) = [p for p in await world.repo.list_pairings(event_id) if p.santa_id == santa_id]
    mark = GiftMark.SENT
    assert await world.repo.mark_gift(event_id, santa_id, pairing.recipient_id, mark, at=NOW)


def jobs(world: World) -> dict[str, datetime]:
    return {job.id.split(":")[2]: job.run_time for job in world.scheduler.jobs()}


async def wishlist_dm(world: World, event_id: int) -> str:
    return messages.wishlist_reminder_dm(await world.get(event_id))


async def gift_dm(world: World, event_id: int) -> str:
    return messages.gift_reminder_dm(await world.get(event_id))


@pytest.fixture
def world() -> World:
    return World()


# --- jobs -------------------------------------------------------------------------------


async def test_reminder_jobs_follow_the_dates_move_on_reschedule_and_vanish_on_cancel(
    world: World,
) -> None:
    event = await season(world)
    await world.engine.reconcile()
    assert jobs(world) == {
        "remind_wishlist": WISHLIST_DUE,
        "start": START,
        "remind_gift": GIFT_DUE,
        "purchase_deadline": DEADLINE,
        "reveal": REVEAL,
    }
    assert str(world.scheduler.live[f"ratmas:{event.id}:remind_gift"].run_time.tzinfo) == (
        "Europe/London"
    )

    # London is on UTC in November: local and UTC times agree.
    await world.admin.reschedule(event.id, ADMIN, starts_at="2026-11-26 12:00")
    assert jobs(world)["remind_wishlist"] == NOW + 4 * DAY
    await world.admin.reschedule(event.id, ADMIN, purchase_deadline="2026-12-05 12:00")
    assert jobs(world)["remind_gift"] == NOW + 12 * DAY

    await world.admin.cancel(event.id, ADMIN, "not this year")
    assert jobs(world) == {}


async def test_setup_gives_the_live_event_new_days_and_moves_its_jobs(world: World) -> None:
    event = await season(world)
    await world.engine.reconcile()
    settings = world.services.guild_settings
    result = await settings.update(GUILD, ADMIN, wishlist_reminder_days=4, gift_reminder_days=0)
    assert result.reminder_days == ReminderDays(4, 0)
    assert (await world.get(event.id)).reminder_days == ReminderDays(4, 0)
    assert jobs(world)["remind_wishlist"] == START - 4 * DAY
    assert "remind_gift" not in jobs(world)
    with pytest.raises(InvalidInput, match="gift_reminder_days: from 0 \\(off\\) to 30 days"):
        await settings.update(GUILD, ADMIN, gift_reminder_days=31)
    assert (await world.get(event.id)).reminder_days == ReminderDays(4, 0)
    assert (await settings.effective(GUILD)).gift_reminder_days.value == 0


async def test_a_new_event_takes_the_guilds_days_and_skips_a_reminder_before_it_existed(
    world: World,
) -> None:
    await world.services.guild_settings.update(GUILD, ADMIN, gift_reminder_days=5)
    result = await world.admin.create_event(
        GUILD, ADMIN, "2026-11-21 18:00", "2026-12-10 18:00", "2026-12-24 18:00", "UTC"
    )
    # Start in a day and a bit: two days before it the event did not exist yet.
    assert result.event.reminder_days == ReminderDays(2, 5)
    assert set(jobs(world)) == {"start", "remind_gift", "purchase_deadline", "reveal"}
    assert jobs(world)["remind_gift"] == datetime.fromisoformat("2026-12-05 18:00+00:00")


# --- sent once, on time -----------------------------------------------------------------


async def test_the_wishlist_reminder_reaches_those_without_one_once(world: World) -> None:
    event = await season(world)
    second = world.sharing()
    world.at(WISHLIST_DUE)
    reports = await asyncio.gather(
        world.engine.reconcile(event_id=event.id),  # the job fired
        world.engine.reconcile(),  # the tick
        second.engine.reconcile(),  # another process
    )
    assert sum(len(r.reminded) for r in reports) == 1
    text = await wishlist_dm(world, event.id)
    assert world.dms_saying(text) == [1, 3, 4]
    assert "`/ratmas wishlist`" in text
    assert discord_timestamp(START, "F") in text
    assert (await world.get(event.id)).reminded_wishlist_at == WISHLIST_DUE
    assert "remind_wishlist" not in jobs(world)
    assert "remind_gift" in jobs(world)

    world.clock.advance(TICK)
    for w in (world, second):
        assert (await w.engine.reconcile()).reminded == []
    assert world.dms_saying(text) == [1, 3, 4]
    audit = [a.detail for a in await world.repo.list_audit(event.id)]
    assert audit == [
        "wishlist reminder (due 2026-11-23 12:00 GMT (UTC+00:00)) sent to 3 participant(s) "
        "without a wishlist"
    ]


async def test_the_gift_reminder_reaches_santas_whose_gift_is_not_marked_sent(
    world: World,
) -> None:
    event = await season(world)
    world.at(START)
    await world.engine.reconcile()
    assert (await world.get(event.id)).status is EventStatus.ACTIVE
    await mark_sent(world, event.id, 3)
    world.at(GIFT_DUE)
    report = await world.engine.reconcile(event_id=event.id)
    assert report.reminded == [(event.id, Reminder.GIFT)]
    text = await gift_dm(world, event.id)
    assert world.dms_saying(text) == [1, 2, 4]
    assert "`/ratmas gift sent`" in text
    assert discord_timestamp(DEADLINE, "F") in text
    # The same words for every santa, naming nobody: no giftee can be told from it.
    assert "<@" not in text
    assert "user" not in text
    assert "remind_gift" not in jobs(world)
    world.clock.advance(TICK)
    assert (await world.engine.reconcile()).reminded == []
    assert world.dms_saying(text) == [1, 2, 4]


async def test_no_reminder_is_sent_with_zero_days_and_nobody_left_gets_none(
    world: World,
) -> None:
    event = await season(world, ReminderDays(0, 3))
    for user in (1, 3, 4):
        await world.repo.set_wishlist(event.id, user, LIST)
    await world.engine.reconcile()
    assert "remind_wishlist" not in jobs(world)
    world.at(START)
    await world.engine.reconcile()
    for santa in (1, 2, 3, 4):
        await mark_sent(world, event.id, santa)
    world.at(GIFT_DUE)
    report = await world.engine.reconcile()
    assert report.reminded == [(event.id, Reminder.GIFT)]  # claimed, with nobody to DM
    assert world.dms_saying(await gift_dm(world, event.id)) == []


# --- after downtime ---------------------------------------------------------------------


async def test_a_wishlist_reminder_missed_while_down_is_sent_at_startup_before_the_start(
    world: World,
) -> None:
    event = await season(world)
    world.at(START - 2 * TICK)
    report = await world.engine.reconcile()
    assert report.reminded == [(event.id, Reminder.WISHLIST)]
    assert report.performed == []
    assert world.dms_saying(await wishlist_dm(world, event.id)) == [1, 3, 4]


async def test_a_wishlist_reminder_missed_until_the_start_is_skipped_with_an_info_line(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    event = await season(world)
    caplog.set_level(logging.INFO, logger="ratmas.services.reminders")
    world.at(START + TICK)
    report = await world.engine.reconcile()
    assert report.skipped == [(event.id, Reminder.WISHLIST)]
    assert report.reminded == []
    assert report.performed == [(event.id, Phase.START)]
    assert world.dms_saying(await wishlist_dm(world, event.id)) == []
    assert (
        f"event {event.id} (guild {GUILD}): the wishlist reminder due 2026-11-23 12:00 "
        "GMT (UTC+00:00) was skipped: the start is due already"
    ) in [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert (await world.get(event.id)).reminded_wishlist_at == START + TICK
    world.clock.advance(TICK)
    assert (await world.engine.reconcile()).skipped == []


async def test_down_across_the_start_and_the_gift_reminder_sends_it_after_the_draw(
    world: World,
) -> None:
    event = await season(world)
    world.at(GIFT_DUE + TICK)
    report = await world.engine.reconcile()
    assert report.skipped == [(event.id, Reminder.WISHLIST)]
    assert report.performed == [(event.id, Phase.START)]
    assert report.reminded == [(event.id, Reminder.GIFT)]
    text = await gift_dm(world, event.id)
    assert world.dms_saying(text) == [1, 2, 3, 4]
    # Every santa had their assignment before the reminder to send its gift.
    assert sorted(world.told()) == [1, 2, 3, 4]
    assert [m.content for _, m in world.discord.dms[-4:]] == [text] * 4


async def test_down_across_the_gift_reminder_and_the_deadline_skips_it(world: World) -> None:
    event = await season(world)
    world.at(START)
    await world.engine.reconcile()
    world.at(DEADLINE + TICK)
    report = await world.engine.reconcile()
    assert report.skipped == [(event.id, Reminder.GIFT)]
    assert report.performed == [(event.id, Phase.PURCHASE_DEADLINE)]
    assert world.dms_saying(await gift_dm(world, event.id)) == []


async def test_a_reschedule_that_puts_a_reminder_in_the_past_sends_it_at_once(
    world: World,
) -> None:
    event = await season(world)
    world.at(NOW + 2 * DAY)
    await world.engine.reconcile()
    assert world.discord.dms == []
    # The start moves to one day from now: its reminder (two days before) is overdue,
    # the names are not drawn yet, so it still helps.
    await world.admin.reschedule(event.id, ADMIN, starts_at="2026-11-23 12:00")
    assert world.dms_saying(await wishlist_dm(world, event.id)) == [1, 3, 4]
    assert "remind_wishlist" not in jobs(world)


# --- PostgreSQL ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_concurrent_reconcilers_on_postgres_send_each_reminder_once(
    database: str,
) -> None:
    first = World(TortoiseEventRepository())
    worlds = [
        first,
        *(
            World(TortoiseEventRepository(), discord=first.discord, clock=first.clock)
            for _ in range(2)
        ),
    ]
    event = await season(first)
    for moment in (WISHLIST_DUE, START, GIFT_DUE):
        first.at(moment)
        for _ in range(3):
            await asyncio.gather(*(w.engine.reconcile() for w in worlds))
            first.clock.advance(TICK)
    assert sorted(first.dms_saying(await wishlist_dm(first, event.id))) == [1, 3, 4]
    assert sorted(first.dms_saying(await gift_dm(first, event.id))) == [1, 2, 3, 4]
    stored = await first.get(event.id)
    assert stored.reminded_wishlist_at == WISHLIST_DUE
    assert stored.reminded_gift_at == GIFT_DUE
    audit = [a.action for a in await first.repo.list_audit(event.id)]
    assert audit.count("reminder") == 2
