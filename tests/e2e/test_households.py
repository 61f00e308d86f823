"""Households and history as users meet them: a household set up once keeps its
members apart in two seasons, the second season avoids the first one's pairs, and
`/ratmas history` shows who gave to whom only once a season is revealed."""

from __future__ import annotations

import functools
import itertools

from ratmas.sandbox import Message, User
from tests.e2e.harness import (
    E2E,
    World,
    assignment_dm,
    dates_from_now,
    pairings,
    running,
    settings_for,
)

pytestmark = E2E


def derangement_avoiding(people: list[int], banned: set[tuple[int, int]]) -> bool:
    """Whether some valid draw of `people` uses no `banned` pair (brute force)."""
    return any(
        all(s != r and (s, r) not in banned for s, r in zip(people, image, strict=True))
        for image in itertools.permutations(people)
    )


def _new_assignment(world: World, player: User, seen: int, message: Message) -> bool:
    """An assignment DM to `player` after the first `seen` DMs they had."""
    return assignment_dm(message) and message in world.dms(player)[seen:]


async def test_households_and_history_over_two_seasons(world: World, sqlite_url: str) -> None:
    sb, manager = world.sb, world.manager
    players = world.members[:5]
    ann, bob, cat = players[0], players[1], players[2]
    ids = [p.id for p in players]
    async with running(settings_for(sb, sqlite_url), sb):
        await world.admin(
            manager,
            "setup",
            options={"channel": world.channel.id, "participant_role": world.participant_role.id},
        )
        # A household is the server's, made before any season.
        added = await world.admin(
            manager, "household", "add", options={"member1": ann.id, "member2": bob.id}
        )
        assert added.ephemeral
        assert f"Household 1: <@{ann.id}>, <@{bob.id}>" in added.content
        taken = await world.admin(
            manager,
            "household",
            "add",
            options={"member1": cat.id, "member2": players[3].id, "member3": bob.id},
        )
        assert "member3:" in taken.content
        assert "already in household 1" in taken.content
        listed = await world.admin(manager, "household", "list")
        assert f"Household 1: <@{ann.id}>, <@{bob.id}>" in listed.content

        async def season() -> dict[int, int]:
            created = await world.admin(
                manager, "create", options=dates_from_now(world.clock, 3600, 7200, 10800).options()
            )
            assert "is scheduled" in created.content, created.content
            for player in players:
                assert "You're in" in (await world.run(player, "join")).content
            before = {p.id: len(world.dms(p)) for p in players}
            await world.admin(manager, "advance")
            for player in players:
                seen = before[player.id]
                await sb.wait_for_message(
                    player.id, functools.partial(_new_assignment, world, player, seen)
                )
            drawn = await pairings(sqlite_url)
            assert drawn[ann.id] != bob.id
            assert drawn[bob.id] != ann.id
            return drawn

        first = await season()
        # While the season is live, the history shows it without its pairs.
        live = await world.run(cat, "history")
        assert live.ephemeral
        assert "participant(s)" in live.content
        assert "🎁" not in live.content
        await world.admin(manager, "advance")  # purchase deadline
        await world.admin(manager, "advance")  # reveal
        revealed = await world.run(cat, "history")
        assert revealed.content.count("🎁") == 5
        for santa, recipient in first.items():
            assert f"(<@{santa}>) → **{world.name_of(recipient)}** (<@{recipient}>)" in (
                revealed.content
            )
        await world.admin(manager, "advance")  # archive

        second = await season()
        earlier = set(first.items())
        household = {(ann.id, bob.id), (bob.id, ann.id)}
        if derangement_avoiding(ids, earlier | household):
            assert not set(second.items()) & earlier
        history = await world.run(cat, "history")
        # The new, live season comes first, without pairs; the archived one keeps them.
        assert history.content.index("**Ratmas 2**") < history.content.index("**Ratmas 1**")
        assert history.content.count("🎁") == 5
        bad_page = await world.run(cat, "history", options={"page": 2})
        assert "page: from 1 to 1" in bad_page.content

        removed = await world.admin(manager, "household", "remove", options={"household": 1})
        assert "Household 1" in removed.content
        assert "is removed" in removed.content
        assert "no households" in (await world.admin(manager, "household", "list")).content
