"""A season whose reminders fire by themselves: set up, scheduled, shown by
`/ratmas-admin jobs`, DMed only to those who still have something to do, naming nobody."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from ratmas.sandbox import Message
from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    running,
    settings_for,
)

pytestmark = E2E

DAY = 86_400.0


async def jobs_once_listed(world: World, text: str) -> Message:
    """`/ratmas-admin jobs` once it lists `text` (after a safety tick or two)."""
    for _ in range(100):
        jobs = await world.admin(world.manager, "jobs")
        if text in jobs.content:
            return jobs
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in /ratmas-admin jobs: {jobs.content}")


def wishlist_reminder(message: Message) -> bool:
    return "Ratmas reminder" in message.content and "wishlist" in message.content


async def test_reminders_fire_on_their_own_and_reach_only_who_needs_them(
    world: World, sqlite_url: str
) -> None:
    sb, manager = world.sb, world.manager
    # A safety tick every second: it brings jobs within the scheduler's 6-hour horizon
    # once the clock has skipped to a few hours before them.
    async with running(settings_for(sb, sqlite_url, tick_seconds=1), sb):
        reply = await world.admin(
            manager,
            "setup",
            options={
                "channel": world.channel.id,
                "participant_role": world.participant_role.id,
                "wishlist_reminder_days": 1,
                "gift_reminder_days": 2,
            },
        )
        assert "- wishlist reminder: 1 day before the start (set with /ratmas-admin setup)" in (
            reply.content
        )
        assert "- gift reminder: 2 days before the purchase deadline" in reply.content

        dates = dates_from_now(
            world.clock, start=3 * DAY, purchase_deadline=7 * DAY, reveal=9 * DAY
        )
        created = await world.admin(manager, "create", options=dates.options())
        assert (
            "Reminders: wishlist 1 day before the start, gift 2 days before the purchase deadline."
        ) in created.content
        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)
        for member in world.members:
            await world.click(member, announcement, "ratmas:join")
        ann, bob = world.member("ann"), world.member("bob")
        for member in (ann, bob):
            await world.run(member, "wishlist", options={"url": "https://example.com/list"})

        # Days ahead, the reminder is not held by the scheduler yet; an hour before it is.
        jobs = await world.admin(manager, "jobs")
        assert ":remind_wishlist " not in jobs.content
        reminder_at = dates.start - timedelta(days=1)
        world.clock.fast_forward(reminder_at - timedelta(hours=1))
        jobs = await jobs_once_listed(world, ":remind_wishlist ")
        assert "matches the database" in jobs.content

        # At its time the wishlist reminder job fires and DMs the four without a
        # wishlist, and nobody else.
        world.clock.fast_forward(reminder_at)
        without = [m for m in world.members if m not in (ann, bob)]
        for member in without:
            dm = await sb.wait_for_message(member.id, wishlist_reminder, timeout=30)
            assert "`/ratmas wishlist`" in dm.content
            assert f"<t:{int(dates.start.timestamp())}:F>" in dm.content
            assert dm.mentioned_user_ids() == []
        jobs = await world.admin(manager, "jobs")
        assert ":remind_wishlist " not in jobs.content
        assert "matches the database" in jobs.content

        # The draw, then two days before the deadline every santa (none has marked a
        # gift sent) is reminded, without a word about whom they give to.
        world.clock.fast_forward(dates.start)
        for member in world.members:
            await sb.wait_for_message(member.id, assignment_dm, timeout=30)
        gift_at = dates.purchase_deadline - timedelta(days=2)
        world.clock.fast_forward(gift_at - timedelta(hours=1))
        await jobs_once_listed(world, ":remind_gift ")
        world.clock.fast_forward(gift_at)
        deadline = f"<t:{int(dates.purchase_deadline.timestamp())}:F>"
        for member in world.members:
            dm = await sb.wait_for_message(
                member.id, lambda m: "Ratmas reminder" in m.content and deadline in m.content
            )
            assert "`/ratmas gift sent`" in dm.content
            assert "<@" not in dm.content
            assert all(other.name not in dm.content for other in world.members)

    for member in (ann, bob):
        assert not [m for m in sb.messages(member.id) if wishlist_reminder(m)]
    for member in world.members:
        reminders = [m for m in sb.messages(member.id) if "Ratmas reminder" in m.content]
        assert len(reminders) == (1 if member in (ann, bob) else 2)  # each sent once
    assert not [m for m in world.channel_posts() if "Ratmas reminder" in m.content]
