"""A whole season, played by users against the real app, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    is_single_loop,
    never_pings_everyone_or_roles,
    pairings,
    participant_ids,
    recipient_of,
    running,
    settings_for,
)

pytestmark = E2E


async def test_a_season_runs_from_sign_up_to_reveal_by_itself(
    world: World, database_url: str
) -> None:
    sb, manager = world.sb, world.manager
    async with running(settings_for(sb, database_url), sb):
        reply = await world.admin(
            manager,
            "setup",
            options={
                "channel": world.channel.id,
                "participant_role": world.participant_role.id,
                "timezone": "Europe/London",
            },
        )
        assert reply.ephemeral
        assert "Settings saved" in reply.content

        dates = dates_from_now(world.clock, start=4, purchase_deadline=7, reveal=9)
        reply = await world.admin(manager, "create", options=dates.options())
        assert reply.ephemeral
        assert "is scheduled" in reply.content

        announcement = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)
        for member in world.members:
            joined = await world.click(member, announcement, "ratmas:join")
            assert joined.ephemeral
            assert "You're in" in joined.content
            as_member = sb.member(world.guild.id, member.id)
            assert as_member is not None
            assert world.participant_role.id in as_member.role_ids

        # Nobody presses anything: the start date comes (the clock skips the wait) and the
        # start job draws the names and DMs the santas.
        fay = world.member("fay")
        sb.close_dms(fay.id)
        open_santas = [m for m in world.members if m is not fay]
        drawn: dict[int, int] = {}
        world.clock.fast_forward(dates.start)
        for santa in open_santas:
            dm = await sb.wait_for_message(santa.id, assignment_dm, timeout=30)
            assert dm.created_at >= dates.start
            recipient = recipient_of(dm, world.members)
            assert f"**{recipient.name}** (<@{recipient.id}>)" in dm.content
            assert f"<t:{int(dates.purchase_deadline.timestamp())}:F>" in dm.content
            assert f"<t:{int(dates.reveal.timestamp())}:F>" in dm.content
            assert dm.mentioned_user_ids() == []  # a DM pings nobody
            drawn[santa.id] = recipient.id
        # fay's recipient is the one nobody else drew.
        (drawn[fay.id],) = {m.id for m in world.members} - set(drawn.values())
        assert await pairings(database_url) == drawn
        assert is_single_loop(drawn, {m.id for m in world.members})

        ping = await world.wait_post(lambda m: "could not DM you" in m.content)
        assert ping.mentioned_user_ids() == [fay.id]
        fays_recipient = drawn[fay.id]
        assert str(fays_recipient) not in ping.content
        assert world.name_of(fays_recipient) not in ping.content
        assert not [m for m in sb.messages(fay.id) if assignment_dm(m)]

        # The ping carries the Retry button: it only ever sends the presser's own DM.
        assert "ratmas:retry" in ping.custom_ids
        still_closed = await world.click(fay, ping, "ratmas:retry")
        assert still_closed.ephemeral
        assert "still cannot DM you" in still_closed.content
        bystander = await world.click(open_santas[0], ping, "ratmas:retry")
        assert "already delivered" in bystander.content
        sb.open_dms(fay.id)
        sent = await world.click(fay, ping, "ratmas:retry")
        assert "Sent!" in sent.content
        fays_dm = await sb.wait_for_message(fay.id, assignment_dm)
        assert f"<@{fays_recipient}>" in fays_dm.content

        drawn_post = await world.wait_post(lambda m: "Names are drawn!" in m.content)
        # One DM did not go through: the public post must not claim they all did.
        assert "6 santas each get their recipient by DM" in drawn_post.content
        assert "No DM?" in drawn_post.content

        summary = "5 sent, 1 with closed DMs"
        await world.wait_post(lambda m: "For the organisers" in m.content and summary in m.content)
        notice = await sb.wait_for_message(manager.id, lambda m: summary in m.content)
        assert re.search(r"\n-# ref ratmas-\d+$", notice.content)  # from the outbox

        # A wishlist change reaches the santa, by DM only.
        giver = next(s for s in open_santas if drawn[s.id] != fay.id)
        wisher = next(m for m in world.members if m.id == drawn[giver.id])
        reply = await world.run(wisher, "wishlist", options={"url": "https://example.com/wish"})
        assert reply.ephemeral
        assert "Your santa has been told" in reply.content
        told = await sb.wait_for_message(
            giver.id, lambda m: "updated their Ratmas wishlist" in m.content
        )
        assert "https://example.com/wish" in told.content
        assert f"<@{wisher.id}>" in told.content

        # A member leaves the server: their santa now gives to the leaver's recipient.
        leaver = next(
            m
            for m in open_santas
            if m.id != wisher.id and drawn[m.id] != fay.id and _santa_of(drawn, m.id) != fay.id
        )
        leavers_santa = _santa_of(drawn, leaver.id)
        await sb.remove_member(world.guild.id, leaver.id)
        new_dm = await sb.wait_for_message(
            leavers_santa, lambda m: "Change of plans" in m.content and assignment_dm(m)
        )
        assert f"<@{drawn[leaver.id]}>" in new_dm.content
        remaining = {m.id for m in world.members} - {leaver.id}
        assert await participant_ids(database_url) == remaining
        after = await pairings(database_url)
        assert is_single_loop(after, remaining)
        assert after[leavers_santa] == drawn[leaver.id]

        # The purchase deadline and the reveal come on their own, on time.
        world.clock.fast_forward(dates.purchase_deadline)
        deadline = await world.wait_post(
            lambda m: "purchase deadline has passed" in m.content, timeout=30
        )
        assert deadline.created_at >= dates.purchase_deadline
        world.clock.fast_forward(dates.reveal)
        reveal = await world.wait_post(lambda m: "The Ratmas reveal!" in m.content, timeout=30)
        assert reveal.created_at >= dates.reveal
        assert "5 santas" in reveal.content
        for santa_id, recipient_id in after.items():
            named = world.name_of(recipient_id)
            assert f"(<@{santa_id}>) → **{named}** (<@{recipient_id}>)" in reveal.content

        jobs = await world.admin(manager, "jobs")
        assert jobs.ephemeral
        assert "(none)" in jobs.content
        assert "matches the database" in jobs.content

    posts = world.channel_posts()
    assert posts
    assert all(never_pings_everyone_or_roles(m) for m in posts), [
        (m.content[:60], m.allowed_mentions) for m in posts if not never_pings_everyone_or_roles(m)
    ]
    # Before the reveal nothing public tells who gives to whom.
    every_pair = {*drawn.items(), *after.items()}
    for message in posts:
        if message.created_at < reveal.created_at:
            assert "Secret Santa of" not in message.content
            for santa_id, recipient_id in every_pair:
                assert not (
                    f"<@{santa_id}>" in message.text and f"<@{recipient_id}>" in message.text
                )
    # Each phase was announced exactly once.
    for marker in ("A new Ratmas is here", "Names are drawn!", "purchase deadline has passed"):
        assert len([m for m in posts if marker in m.content]) == 1, marker
    assert len([m for m in posts if "The Ratmas reveal!" in m.content]) == 1


def _santa_of(drawn: dict[int, int], recipient: int) -> int:
    return next(santa for santa, r in drawn.items() if r == recipient)
