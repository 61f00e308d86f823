"""The bot restarted mid-season carries on from the database: nothing twice, nothing lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    is_single_loop,
    pairings,
    running,
    settings_for,
)

pytestmark = E2E

ANNOUNCEMENTS = (
    "A new Ratmas is here",
    "Names are drawn!",
    "purchase deadline has passed",
    "The Ratmas reveal!",
)


async def test_a_restarted_bot_carries_on_where_it_was(world: World, database_url: str) -> None:
    sb, manager = world.sb, world.manager
    settings = settings_for(sb, database_url)

    # First life: the event is set up and announced, then the bot goes away.
    async with running(settings, sb):
        await world.admin(
            manager,
            "setup",
            options={"channel": world.channel.id, "participant_role": world.participant_role.id},
        )
        dates = dates_from_now(world.clock, start=4, purchase_deadline=6, reveal=8)
        await world.admin(manager, "create", options=dates.options())
        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)

    # Second life: the old announcement's buttons still work; the start fires by itself.
    async with running(settings, sb):
        for member in world.members:
            assert "You're in" in (await world.click(member, announcement, "ratmas:join")).content
        ann = world.members[0]
        assert "You have left" in (await world.click(ann, announcement, "ratmas:leave")).content
        assert "You're in" in (await world.click(ann, announcement, "ratmas:join")).content
        world.clock.fast_forward(dates.start)
        for member in world.members:
            await sb.wait_for_message(member.id, assignment_dm, timeout=30)
        await world.wait_post(lambda m: "Names are drawn!" in m.content)
        drawn = await pairings(database_url)

    # Down while the purchase deadline passes: nothing is announced meanwhile.
    world.clock.fast_forward(dates.purchase_deadline + timedelta(seconds=1))
    with pytest.raises(TimeoutError):
        await world.wait_post(lambda m: "purchase deadline has passed" in m.content, timeout=0.5)

    # Third life: the missed deadline is caught up at startup, the reveal comes on time.
    async with running(settings, sb):
        late = await world.wait_post(lambda m: "purchase deadline has passed" in m.content)
        assert late.created_at >= dates.purchase_deadline
        world.clock.fast_forward(dates.reveal)
        reveal = await world.wait_post(lambda m: "The Ratmas reveal!" in m.content, timeout=30)
        assert reveal.created_at >= dates.reveal
        jobs = await world.admin(manager, "jobs")
        assert "(none)" in jobs.content

    assert await pairings(database_url) == drawn
    assert is_single_loop(drawn, {m.id for m in world.members})
    for member in world.members:
        dms = [m for m in sb.messages(member.id) if assignment_dm(m)]
        assert len(dms) == 1, member.name
        assert f"<@{drawn[member.id]}>" in dms[0].content
    posts = world.channel_posts()
    for marker in ANNOUNCEMENTS:
        assert len([m for m in posts if marker in m.content]) == 1, marker


async def test_a_bot_restarted_mid_blast_sends_the_rest_once(
    world: World, database_url: str
) -> None:
    """The blast stops half way (Discord: opening DMs too fast) and the bot goes down
    before any retry; the restarted bot finishes it, and nobody gets a DM twice."""
    sb, manager = world.sb, world.manager
    async with running(settings_for(sb, database_url), sb):  # a long tick: no retry here
        await world.admin(
            manager,
            "setup",
            options={"channel": world.channel.id, "participant_role": world.participant_role.id},
        )
        dates = dates_from_now(world.clock, start=4, purchase_deadline=3600, reveal=7200)
        await world.admin(manager, "create", options=dates.options())
        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)
        for member in world.members:
            assert "You're in" in (await world.click(member, announcement, "ratmas:join")).content
        sb.dm_spam_block(1)
        world.clock.fast_forward(dates.start)
        await world.wait_post(
            lambda m: "For the organisers" in m.content and "slow down" in m.content, timeout=30
        )
    told = [m for m in world.members if [d for d in sb.messages(m.id) if assignment_dm(d)]]
    assert len(told) < len(world.members)

    restarted = settings_for(sb, database_url, tick_seconds=1, resume_after_seconds=1)
    async with running(restarted, sb):
        for member in world.members:
            await sb.wait_for_message(member.id, assignment_dm, timeout=30)
        # The start's announcement waited for its DMs; it comes now.
        await world.wait_post(lambda m: "Names are drawn!" in m.content, timeout=30)
    for member in world.members:
        assert len([m for m in sb.messages(member.id) if assignment_dm(m)]) == 1
    assert len([m for m in world.channel_posts() if "Names are drawn!" in m.content]) == 1
