"""Budget and notes, played by users against the real app: what Discord receives (raw
payloads, allowed mentions included), who sees the notes, and that the log never does."""

from __future__ import annotations

import logging

import pytest

from ratmas.sandbox import Message
from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    never_pings_everyone_or_roles,
    pairings,
    running,
    settings_for,
)

pytestmark = E2E

ZWSP = "\u200b"
BUDGET = "€20–30 @everyone"
FIRST_NOTES = "size M, no nuts <@&1> @here"
NEW_NOTES = "ring size 7, porch"


def pings_nobody(message: Message) -> bool:
    return (
        message.mentioned_user_ids() == []
        and message.mentioned_role_ids() == []
        and never_pings_everyone_or_roles(message)
    )


async def test_budget_and_notes_reach_the_right_people_and_ping_nobody(
    world: World, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # what the bot logs in production
    sb, manager = world.sb, world.manager
    players = world.members[:4]
    async with running(settings_for(sb, sqlite_url), sb):
        await world.admin(
            manager,
            "setup",
            options={"channel": world.channel.id, "participant_role": world.participant_role.id},
        )
        dates = dates_from_now(world.clock, 3600, 7200, 10800)
        created = await world.admin(
            manager, "create", options={**dates.options(), "budget": f"  {BUDGET} "}
        )
        assert "💶 Budget: €20–30 @" + ZWSP + "everyone" in created.content

        # The creation post shows the budget and pings nobody, whatever it says.
        post = await world.wait_post(lambda m: "ratmas:join" in m.custom_ids)
        assert "💶 Budget: €20–30 @" + ZWSP + "everyone" in post.content
        assert pings_nobody(post)

        for member in players:
            assert "You're in" in (await world.run(member, "join")).content
        ann = players[0]
        saved = await world.run(ann, "notes", options={"text": FIRST_NOTES})
        assert saved.ephemeral
        assert "only your santa sees them" in saved.content
        too_long = await world.run(ann, "notes", options={"text": "x" * 501})
        assert "notes: at most 500 characters" in too_long.content

        # The draw: every santa's DM carries the budget; only ann's santa gets her notes.
        world.clock.fast_forward(dates.start)
        dms = {m.id: await sb.wait_for_message(m.id, assignment_dm) for m in players}
        drawn = await pairings(sqlite_url)
        santa = next(s for s, r in drawn.items() if r == ann.id)
        for member_id, dm in dms.items():
            assert "💶 Budget: €20–30 @" + ZWSP + "everyone" in dm.content
            assert ("📝 Their notes for you: size M" in dm.content) is (member_id == santa)
            assert pings_nobody(dm)
        assert "\\<@" + ZWSP + "&1\\> @" + ZWSP + "here" in dms[santa].content

        # Statuses: the santa sees ann's notes; ann sees her own notes and her recipient,
        # never her santa; nobody else sees her notes.
        by_id = {m.id: m for m in players}
        santas_status = await world.run(by_id[santa], "status")
        assert "📝 Their notes for you: size M" in santas_status.content
        assert "💶 Budget: €20–30" in santas_status.content
        anns_status = await world.run(ann, "status")
        assert "📝 Your notes for your santa: size M" in anns_status.content
        assert f"<@{drawn[ann.id]}>" in anns_status.content
        if drawn[ann.id] != santa:
            assert str(santa) not in anns_status.content
            assert world.name_of(santa) not in anns_status.content
        for member in players:
            if member.id not in (santa, ann.id):
                status = await world.run(member, "status")
                assert "size M" not in status.content

        # A change after the draw reaches the santa by DM, and only the santa.
        everyone = [*world.members, manager, world.outsider]
        before = {m.id: len(sb.messages(m.id)) for m in everyone}
        changed = await world.run(ann, "notes", options={"text": NEW_NOTES})
        assert "Your santa has been told by DM." in changed.content
        told = await sb.wait_for_message(santa, lambda m: "updated their notes" in m.content)
        assert "ring size 7, porch" in told.content
        assert f"<@{ann.id}>" in told.content
        assert pings_nobody(told)
        after = {m.id: len(sb.messages(m.id)) for m in everyone}
        assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {santa: 1}

        # The managers change the budget: the channel is told, pinging nobody.
        moved = await world.admin(manager, "budget", options={"amount": "€25"})
        assert "budget from €20–30 @" + ZWSP + "everyone to €25" in moved.content
        update = await world.wait_post(lambda m: "Budget update" in m.content)
        assert update.content.endswith("the budget for gifts is now €25.")
        assert pings_nobody(update)
        assert "💶 Budget: €25" in (await world.run(ann, "status")).content

    # Nothing public ever carried the notes; the log never did either.
    public = "\n".join(message.text for message in world.channel_posts())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    for secret in ("size M", "ring size", "no nuts", "porch"):
        assert secret not in public
        assert secret not in logged
