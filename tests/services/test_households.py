"""Households, the memory of earlier seasons and the history, over the real services:
who may not draw whom across seasons, what the managers are told when the draw has to
repeat a pair, and what members may see of past seasons."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ratmas.domain.errors import InvalidInput, NotFound
from ratmas.domain.model import Event
from ratmas.domain.status import EventStatus
from ratmas.services.draw import DrawPlan
from tests.services.world import ADMIN, GUILD, NOW, OTHER_GUILD, START, World, people


@pytest.fixture
def world() -> World:
    return World()


async def season(
    world: World, *ids: int, pairs: dict[int, int] | None = None, final: EventStatus | None = None
) -> Event:
    """An event of the guild with these participants, its draw stored when `pairs`
    are given, ending in `final` (the status set directly)."""
    event = await world.event()
    await world.repo.sync_participants(event.id, people(*ids), now=NOW)
    if pairs is not None:
        await world.repo.replace_pairings(event.id, pairs)
        await world.repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    if final is not None:
        await world.repo.set_status(event.id, (await world.get(event.id)).status, final, now=NOW)
    return await world.get(event.id)


def ring(*ids: int) -> dict[int, int]:
    return {p: ids[(k + 1) % len(ids)] for k, p in enumerate(ids)}


# --- households ---------------------------------------------------------------------------


async def test_households_are_added_listed_and_removed_per_guild(world: World) -> None:
    households = world.services.households
    family = (await households.add(GUILD, ADMIN, [3, 1, None, 2])).household
    assert family.members == (1, 2, 3)
    couple = (await households.add(GUILD, ADMIN, [4, 5])).household
    await households.add(OTHER_GUILD, ADMIN, [1, 2])
    assert await households.list(GUILD) == [family, couple]

    taken_out = await households.remove(GUILD, ADMIN, member=2)
    assert taken_out.household == family
    assert taken_out.remaining is not None
    assert taken_out.remaining.members == (1, 3)
    # A household left with one member goes.
    gone = await households.remove(GUILD, ADMIN, member=5)
    assert gone.remaining is None
    assert await households.remove(GUILD, ADMIN, household_id=family.id)
    assert await households.list(GUILD) == []
    with pytest.raises(NotFound, match="no household"):
        await households.remove(GUILD, ADMIN, household_id=family.id)
    with pytest.raises(NotFound, match="not in any household"):
        await households.remove(GUILD, ADMIN, member=1)
    with pytest.raises(InvalidInput, match="one of the two"):
        await households.remove(GUILD, ADMIN, household_id=1, member=1)


@pytest.mark.parametrize(
    ("members", "facts", "field", "problem"),
    [
        ([1, None], {}, "member2", "at least two different members"),
        ([1, 1], {}, "member2", "already listed as member1"),
        ([1, 2, 7], {"bots": [7]}, "member3", "is a bot"),
        ([1, 8], {"outside_guild": [8]}, "member2", "not a member of this server"),
        ([5, 6, 4], {}, "member3", "already in household 1"),
        (list(range(10, 19)), {}, "members", "at most 8"),
    ],
    ids=["alone", "twice", "bot", "outside", "taken", "nine"],
)
async def test_a_bad_household_is_refused_naming_the_option(
    world: World,
    members: list[int | None],
    facts: dict[str, list[int]],
    field: str,
    problem: str,
) -> None:
    await world.services.households.add(GUILD, ADMIN, [3, 4])
    with pytest.raises(InvalidInput) as raised:
        await world.services.households.add(GUILD, ADMIN, members, **facts)
    assert raised.value.field == field
    assert problem in raised.value.problem
    assert len(await world.services.households.list(GUILD)) == 1


async def test_nobody_draws_their_own_household_and_a_leaver_is_spliced_around_it(
    world: World,
) -> None:
    await world.services.households.add(GUILD, ADMIN, [1, 2, 3])
    event = await season(world, 1, 2, 3, 4, 5, 6)
    family = {1, 2, 3}
    for _ in range(10):
        plan = await world.services.draw.plan_draw(event)
        assert not [s for s, r in plan.pairings.items() if s in family and r in family]
    # The exclusions a splice respects include the households.
    assert {(1, 2), (2, 1)} <= set(await world.services.draw.exclusion_pairs(event))


async def test_a_household_that_makes_the_draw_impossible_holds_the_start_naming_it(
    world: World,
) -> None:
    world.members(1, 2, 3, 4)
    event = await world.event()
    await world.repo.sync_participants(event.id, people(1, 2, 3, 4), now=NOW)
    added = await world.services.households.add(GUILD, ADMIN, [1, 2, 3])
    household = added.household.id
    assert added.warning is not None
    assert "no draw is possible" in added.warning
    assert f"household {household} (<@1>, <@2> and <@3>)" in added.warning
    audit = await world.repo.list_audit(event.id)
    assert [a.action for a in audit] == ["household"]
    assert audit[0].detail.startswith(f"added household {household}: <@1>, <@2>, <@3>")

    world.at(START)
    await world.engine.reconcile()
    held = await world.get(event.id)
    assert held.status is EventStatus.SCHEDULED
    assert held.held_reason is not None
    assert f"household {household}" in held.held_reason

    # Taking one member out makes the draw possible; the held start waits for a manager.
    removed = await world.services.households.remove(GUILD, ADMIN, member=3)
    assert removed.warning is None
    await world.admin.advance(event.id, ADMIN)
    drawn = {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}
    assert drawn[1] != 2
    assert drawn[2] != 1


async def test_a_household_added_after_the_draw_warns_when_the_draw_pairs_it(
    world: World,
) -> None:
    await season(world, 1, 2, 3, pairs=ring(1, 2, 3))
    added = await world.services.households.add(GUILD, ADMIN, [1, 2])
    assert added.warning is not None
    assert "redraw" in added.warning
    # The warning does not say who draws whom.
    assert "<@" not in added.warning


# --- earlier seasons --------------------------------------------------------------------------


async def test_the_draw_avoids_the_pairs_of_the_two_previous_drawn_seasons(world: World) -> None:
    await season(world, 1, 2, 3, 4, 5, pairs=ring(1, 2, 3, 4, 5), final=EventStatus.ARCHIVED)
    await season(world, 1, 2, 3, 4, 5, pairs=ring(1, 3, 5, 2, 4), final=EventStatus.ARCHIVED)
    await season(world, 1, 2, 3, 4, 5, final=EventStatus.CANCELLED)  # never drawn
    event = await season(world, 1, 2, 3, 4, 5)
    earlier = set(ring(1, 2, 3, 4, 5).items()) | set(ring(1, 3, 5, 2, 4).items())
    for _ in range(10):
        plan = await world.services.draw.plan_draw(event)
        assert plan.repeated == 0
        assert plan.note is None
        assert not set(plan.pairings.items()) & earlier


async def test_when_repeats_are_unavoidable_the_managers_are_told_how_many(
    world: World,
) -> None:
    # Three people have two possible loops; the two seasons before used both.
    await season(world, 1, 2, 3, pairs=ring(1, 2, 3), final=EventStatus.ARCHIVED)
    await season(world, 1, 2, 3, pairs=ring(1, 3, 2), final=EventStatus.ARCHIVED)
    world.members(1, 2, 3)
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    assert (await world.get(event.id)).status is EventStatus.ACTIVE
    start = [a for a in await world.repo.list_audit(event.id) if a.action == "phase"]
    assert start[0].detail.endswith("; couldn't avoid 3 pairs from earlier seasons" + NO_FIT)
    assert any(
        "The draw couldn't avoid 3 pairs from earlier seasons" in t for t in world.admin_dms()
    )

    world.at(START + timedelta(minutes=5))
    redraw = await world.admin.redraw(event.id, ADMIN, force=True)
    assert "couldn't avoid 3 pairs" in redraw.detail


NO_FIT = " (no draw without repeats fits the exclusions and households)"


async def test_avoid_previous_events_counts_seasons(world: World) -> None:
    await season(world, 1, 2, 3, pairs=ring(1, 2, 3), final=EventStatus.ARCHIVED)
    await season(world, 1, 2, 3, pairs=ring(1, 3, 2), final=EventStatus.ARCHIVED)
    event = await season(world, 1, 2, 3)
    world.services.draw.avoid_previous_events = 1
    assert await world.services.draw.plan_draw(event) == DrawPlan(ring(1, 2, 3), 0)
    world.services.draw.avoid_previous_events = 0
    assert (await world.services.draw.plan_draw(event)).repeated in (0, 3)


# --- history ------------------------------------------------------------------------------------


async def test_history_shows_who_gave_to_whom_for_revealed_seasons_only(world: World) -> None:
    archived = await season(world, 1, 2, 3, pairs=ring(1, 2, 3), final=EventStatus.ARCHIVED)
    cancelled = await season(world, 1, 2, 3, 4, pairs=ring(1, 3, 2, 4), final=EventStatus.CANCELLED)
    live = await season(world, 1, 2, 3, pairs=ring(3, 2, 1))
    seasons = await world.services.history.seasons(GUILD)
    assert [s.event.id for s in seasons] == [live.id, cancelled.id, archived.id]
    assert [s.participants for s in seasons] == [3, 4, 3]
    assert [s.revealed for s in seasons] == [False, False, True]
    assert seasons[0].pairs == ()
    assert seasons[1].pairs == ()
    assert [(g.santa_id, g.santa_name, g.recipient_id) for g in seasons[2].pairs] == [
        (1, "user1", 2),
        (2, "user2", 3),
        (3, "user3", 1),
    ]
    assert await world.services.history.seasons(OTHER_GUILD) == []
