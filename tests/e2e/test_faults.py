"""Faults the bot must ride out: Discord's 429s, and errors inside commands."""

from __future__ import annotations

import logging
import re
from typing import Any, NoReturn

import pytest

from ratmas.services.participants import ParticipantService
from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    pairings,
    running,
    settings_for,
    snapshot,
)

pytestmark = E2E

ERROR_ID = re.compile(r"error id `([0-9a-f]{8})`")


async def _setup(world: World) -> None:
    await world.admin(
        world.manager,
        "setup",
        options={"channel": world.channel.id, "participant_role": world.participant_role.id},
    )


async def test_429_bursts_are_ridden_out_during_a_join_and_the_dm_blast(
    world: World, sqlite_url: str
) -> None:
    sb = world.sb
    async with running(settings_for(sb, sqlite_url), sb):
        await _setup(world)
        dates = dates_from_now(world.clock, start=4, purchase_deadline=3600, reveal=7200)
        await world.admin(world.manager, "create", options=dates.options())
        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)

        # Granting the role answers 429 twice before it goes through.
        sb.rate_limit_next(2, retry_after=0.2, path_contains="/roles/")
        first = await world.click(world.members[0], announcement, "ratmas:join")
        assert "You're in" in first.content
        granted = sb.member(world.guild.id, world.members[0].id)
        assert granted is not None
        assert world.participant_role.id in granted.role_ids
        assert len([r for r in sb.requests_to("PUT", "/roles/") if r.status == 429]) == 2
        for member in world.members[1:]:
            assert "You're in" in (await world.click(member, announcement, "ratmas:join")).content

        # The santa DMs run into a burst of 429s when the start job fires.
        sb.rate_limit_next(4, retry_after=0.3, path_contains="/messages")
        world.clock.fast_forward(dates.start)
        for member in world.members:
            await sb.wait_for_message(member.id, assignment_dm, timeout=30)
        await world.wait_post(lambda m: "Names are drawn!" in m.content)
        assert len([r for r in sb.requests_to("POST", "/messages") if r.status == 429]) == 4
        status = await world.run(world.manager, "status")
        assert "Santa DMs: 6/6 delivered" in status.content

    for member in world.members:
        assert len([m for m in sb.messages(member.id) if assignment_dm(m)]) == 1
    assert not [m for m in world.channel_posts() if "For the organisers" in m.content]
    assert len(await pairings(sqlite_url)) == len(world.members)


async def test_opening_dms_too_fast_stops_the_blast_and_a_later_tick_sends_the_rest(
    world: World, sqlite_url: str
) -> None:
    """40003: stop at once, keep the rest pending, try again later; nobody gets two DMs."""
    sb = world.sb
    async with running(settings_for(sb, sqlite_url, tick_seconds=1), sb):
        await _setup(world)
        dates = dates_from_now(world.clock, start=4, purchase_deadline=3600, reveal=7200)
        await world.admin(world.manager, "create", options=dates.options())
        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)
        for member in world.members:
            assert "You're in" in (await world.click(member, announcement, "ratmas:join")).content
        sb.dm_spam_block(1)  # the first DM of the blast is answered 40003
        world.clock.fast_forward(dates.start)
        notice = await world.wait_post(
            lambda m: "For the organisers" in m.content and "slow down" in m.content, timeout=30
        )
        # Sends in flight finish; nothing new starts: at least the refused one is pending.
        still = re.search(r"(\d+) still pending", notice.content)
        assert still is not None
        assert int(still.group(1)) >= 1
        # The next ticks send the rest, each santa once.
        for member in world.members:
            await sb.wait_for_message(member.id, assignment_dm, timeout=30)
        status = await world.run(world.manager, "status")
        assert "Santa DMs: 6/6 delivered" in status.content
    for member in world.members:
        assert len([m for m in sb.messages(member.id) if assignment_dm(m)]) == 1


async def test_an_unexpected_error_gets_an_apology_with_an_id_that_is_in_the_log(
    world: World, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: ParticipantService, *args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError("the database caught fire at /srv/secret/path")

    caplog.set_level(logging.ERROR, logger="ratmas.bot")
    sb = world.sb
    async with running(settings_for(sb, sqlite_url), sb):
        await _setup(world)
        await world.admin(
            world.manager, "create", options=dates_from_now(world.clock, 3600, 7200, 9000).options()
        )
        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)
        ann = world.members[0]
        assert "You're in" in (await world.run(ann, "join")).content
        monkeypatch.setattr(ParticipantService, "set_wishlist", broken)
        monkeypatch.setattr(ParticipantService, "join", broken)
        before = await snapshot(sqlite_url)

        by_command = await world.run(ann, "wishlist", options={"url": "https://example.com/x"})
        by_button = await world.click(world.members[1], announcement, "ratmas:join")
        assert await snapshot(sqlite_url) == before

    for reply in (by_command, by_button):
        assert reply.ephemeral
        assert reply.content.startswith("Sorry, something went wrong")
        assert "Traceback" not in reply.content
        assert "caught fire" not in reply.content
        assert "/srv/secret" not in reply.content
        assert len(reply.content) < 300
        match = ERROR_ID.search(reply.content)
        assert match, reply.content
        logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
        assert len(logged) == 1
        assert logged[0].levelno == logging.ERROR
        assert logged[0].exc_info is not None
        assert isinstance(logged[0].exc_info[1], RuntimeError)
    assert "command='ratmas wishlist'" in caplog.text
    assert "command='ratmas:join'" in caplog.text


async def test_a_user_error_names_the_field_and_changes_nothing(
    world: World, sqlite_url: str
) -> None:
    sb = world.sb
    async with running(settings_for(sb, sqlite_url), sb):
        await _setup(world)
        before = await snapshot(sqlite_url)
        posts = len(world.channel_posts())
        options = {**dates_from_now(world.clock, 3600, 7200, 9000).options(), "start": "tomorrow"}
        reply = await world.admin(world.manager, "create", options=options)
        assert reply.ephemeral
        assert reply.content.startswith("start:"), reply.content
        assert "tomorrow" in reply.content
        assert "Sorry" not in reply.content
        # The same for a date out of order, and for a reschedule.
        options = {
            **dates_from_now(world.clock, 3600, 7200, 9000).options(),
            "reveal": "2020-01-01 10:00",
        }
        reply = await world.admin(world.manager, "create", options=options)
        assert reply.content.startswith("reveal:"), reply.content
        assert await snapshot(sqlite_url) == before
        assert len(world.channel_posts()) == posts

        await world.admin(
            world.manager, "create", options=dates_from_now(world.clock, 3600, 7200, 9000).options()
        )
        before = await snapshot(sqlite_url)
        reply = await world.admin(world.manager, "reschedule", options={"reveal": "yesterday"})
        assert reply.ephemeral
        assert reply.content.startswith("reveal:"), reply.content
        assert await snapshot(sqlite_url) == before
