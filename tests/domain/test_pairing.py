"""The draw: validity, existence decided exactly, single loops preferred, fairness.

Brute force is the oracle: for up to 8 people every permutation can be checked, so
"a draw is found exactly when one exists" and "a single loop whenever one exists" are
tested against it on many random, densely constrained groups. Statistical tests use
fixed seeds, so they cannot flake; their bounds are loose enough for a fair draw and far
too tight for a visibly unfair one.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratmas.domain import pairing
from ratmas.domain.errors import InvalidPairings, PairingImpossible
from ratmas.domain.pairing import draw_pairings, loops, splice_in, splice_out

Pair = tuple[int, int]


# --- helpers --------------------------------------------------------------------------


def assert_valid(
    pairings: Mapping[int, int], people: Iterable[int], exclusions: Iterable[Pair] = ()
) -> None:
    people = set(people)
    assert set(pairings) == people
    assert sorted(pairings.values()) == sorted(people)
    assert all(santa != recipient for santa, recipient in pairings.items())
    banned = set(exclusions)
    assert not [pair for pair in pairings.items() if pair in banned]


def single_loops(people: Sequence[int], banned: set[Pair]) -> list[dict[int, int]]:
    """Every valid single loop, by brute force (the first person fixed, rest permuted)."""
    first, rest = people[0], people[1:]
    found = []
    for tail in itertools.permutations(rest):
        order = (first, *tail)
        pairs = {order[k]: order[(k + 1) % len(order)] for k in range(len(order))}
        if not any(pair in banned for pair in pairs.items()):
            found.append(pairs)
    return found


def any_draw_exists(people: Sequence[int], banned: set[Pair]) -> bool:
    """Whether some derangement avoids `banned`, by trying every permutation."""
    for image in itertools.permutations(people):
        if all(s != r and (s, r) not in banned for s, r in zip(people, image, strict=True)):
            return True
    return False


def random_exclusions(rng: random.Random, people: Sequence[int], density: float) -> set[Pair]:
    return {(s, r) for s in people for r in people if s != r and rng.random() < density}


def random_loop(rng: random.Random, people: Sequence[int]) -> dict[int, int]:
    order = list(people)
    rng.shuffle(order)
    return {order[k]: order[(k + 1) % len(order)] for k in range(len(order))}


def attempt(draw: Callable[[], dict[int, int]]) -> dict[int, int] | PairingImpossible:
    """The draw's result, or the `PairingImpossible` it raised."""
    try:
        return draw()
    except PairingImpossible as error:
        return error


def chi_square(counts: Iterable[int], expected: float) -> float:
    return sum((c - expected) ** 2 / expected for c in counts)


# --- brute force against the oracle ---------------------------------------------------


def brute_force_cases() -> list[tuple[int, list[int], set[Pair]]]:
    rng = random.Random(20261224)
    cases = []
    for case in range(420):
        n = 2 + case % 7  # 2..8 people
        people = rng.sample(range(100, 1000), n)
        density = rng.choice([0.2, 0.35, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8])
        cases.append((case, people, random_exclusions(rng, people, density)))
    return cases


def test_a_draw_is_found_exactly_when_one_exists_and_is_a_single_loop_when_possible() -> None:
    outcomes: Counter[str] = Counter()
    for case, people, banned in brute_force_cases():
        loops_available = single_loops(people, banned)
        exists = bool(loops_available) or any_draw_exists(people, banned)
        draw = functools.partial(draw_pairings, people, exclusions=banned, rng=random.Random(case))
        pairings = attempt(draw)
        if isinstance(pairings, PairingImpossible):
            error = pairings
            assert not exists, f"case {case}: a draw exists but none was found"
            assert error.stuck
            assert set(error.stuck) <= set(people)
            assert all(f"<@{person}>" in error.message for person in error.stuck[:10])
            outcomes["impossible"] += 1
            continue
        assert exists, f"case {case}: drew {pairings} although no draw exists"
        assert_valid(pairings, people, banned)
        if loops_available:
            assert len(loops(pairings)) == 1, f"case {case}: a single loop exists"
            outcomes["single loop"] += 1
        else:
            assert all(len(loop) >= 2 for loop in loops(pairings))
            outcomes["several loops"] += 1
    # The cases really cover all three outcomes, not just the easy one.
    assert min(outcomes.values()) >= 10, outcomes


def test_avoided_pairs_are_honoured_whenever_a_draw_honouring_them_exists() -> None:
    rng = random.Random(99)
    dropped = 0
    for case in range(150):
        n = 3 + case % 6  # 3..8 people
        people = list(range(1, n + 1))
        banned = random_exclusions(rng, people, 0.3)
        avoid = random_exclusions(rng, people, 0.3) - banned
        strict_loops = single_loops(people, banned | avoid)
        strict_exists = bool(strict_loops) or any_draw_exists(people, banned | avoid)
        hard_loops = single_loops(people, banned)
        if not hard_loops and not any_draw_exists(people, banned):
            continue
        pairings = draw_pairings(people, exclusions=banned, avoid=avoid, rng=random.Random(case))
        assert_valid(pairings, people, banned)
        used = [pair for pair in pairings.items() if pair in avoid]
        if strict_exists:
            assert not used, f"case {case}: avoided pairs used although avoidable"
            if strict_loops:
                assert len(loops(pairings)) == 1
        else:
            dropped += 1
            assert used
            if hard_loops:
                # Relaxed: a single loop that repeats as few avoided pairs as possible.
                fewest = min(sum(p in avoid for p in loop.items()) for loop in hard_loops)
                assert len(loops(pairings)) == 1
                assert len(used) == fewest
    assert dropped >= 5


def test_avoid_prefers_the_other_loop_and_is_dropped_for_two_people() -> None:
    for seed in range(20):
        assert draw_pairings([1, 2, 3], avoid=[(1, 2)], rng=random.Random(seed)) == {
            1: 3,
            3: 2,
            2: 1,
        }
    # Two people can only draw each other: last year's pair is repeated, not an error.
    assert draw_pairings([1, 2], avoid=[(1, 2), (2, 1)], rng=random.Random(0)) == {1: 2, 2: 1}


# --- determinism and fairness ----------------------------------------------------------


@pytest.mark.parametrize(
    ("people", "density"),
    [
        (list(range(6)), 0.0),
        (list(range(7)), 0.5),  # exhaustive search
        (list(range(40)), 0.6),  # repair / backtracking
        (list(range(300)), 0.05),  # repair
    ],
)
def test_a_seeded_draw_is_deterministic(people: list[int], density: float) -> None:
    banned = random_exclusions(random.Random(5), people, density)
    avoid = list(random_loop(random.Random(6), people).items())
    first = draw_pairings(people, exclusions=banned, avoid=avoid, rng=random.Random(42))
    again = draw_pairings(people, exclusions=banned, avoid=avoid, rng=random.Random(42))
    other = draw_pairings(people, exclusions=banned, avoid=avoid, rng=random.Random(43))
    assert first == again
    assert first != other
    assert_valid(first, people, banned)


def test_without_constraints_every_single_loop_is_equally_likely() -> None:
    people = [10, 20, 30, 40, 50]
    every_loop = single_loops(people, set())  # 4! = 24
    per_loop = 400
    rng = random.Random(2026)
    counts = Counter(
        tuple(sorted(draw_pairings(people, rng=rng).items()))
        for _ in range(per_loop * len(every_loop))
    )
    assert set(counts) == {tuple(sorted(loop.items())) for loop in every_loop}
    # 23 degrees of freedom: P(chi2 > 60) is about 3e-5 for a uniform draw.
    assert chi_square(counts.values(), per_loop) < 60


def test_sparse_exclusions_do_not_skew_anyones_chances() -> None:
    people = [1, 2, 3, 4, 5, 6]
    banned = {(1, 2), (2, 1), (3, 4)}  # a couple and one one-way exclusion
    valid = single_loops(people, banned)
    draws = 300 * len(valid)
    rng = random.Random(77)
    drawn = [draw_pairings(people, exclusions=banned, rng=rng) for _ in range(draws)]

    # Uniform over the valid loops ...
    counts = Counter(tuple(sorted(d.items())) for d in drawn)
    assert len(counts) == len(valid)
    dof = len(valid) - 1
    assert chi_square(counts.values(), 300) < dof + 6 * math.sqrt(2 * dof)

    # ... hence each person's recipient as often as the valid loops allow it.
    for santa in people:
        expected = Counter(loop[santa] for loop in valid)
        observed = Counter(d[santa] for d in drawn)
        assert set(observed) == set(expected)
        for recipient, ways in expected.items():
            share = observed[recipient] / draws
            assert abs(share - ways / len(valid)) < 0.03, (santa, recipient)


def test_people_in_the_same_situation_get_the_same_chances_in_large_groups() -> None:
    # Everyone excludes the next 7 around a circle: enough exclusions that loops are
    # repaired rather than rejection-sampled. By symmetry, a fair draw gives every
    # santa the same chance of drawing the person d seats further on, for each d.
    n = 30
    people = list(range(n))
    banned = {(s, (s + k) % n) for s in people for k in range(1, 8)}
    rng = random.Random(8)
    draws = 3000
    by_offset: dict[int, Counter[int]] = {d: Counter() for d in range(8, n)}
    for _ in range(draws):
        pairings = draw_pairings(people, exclusions=banned, rng=rng)
        assert len(loops(pairings)) == 1
        for santa, recipient in pairings.items():
            by_offset[(recipient - santa) % n][santa] += 1
    for offset, counts in by_offset.items():
        mean = sum(counts.values()) / n
        assert len(counts) == n, offset
        # 29 degrees of freedom: about 6 standard deviations above the mean.
        assert chi_square((counts[s] for s in people), mean) < 75, offset


def test_repairing_a_loop_is_as_fair_as_rejection_sampling() -> None:
    # Large groups repair a random loop instead of rejecting it; compare the chance of
    # every santa -> recipient pair with exact rejection sampling at a size where both
    # can run.
    n = 30
    people = list(range(n))
    setup = random.Random(5)
    banned = {(s, setup.choice([r for r in people if r != s])) for s in people for _ in range(3)}
    problem = pairing._Problem(people, frozenset(banned), frozenset())
    samples = 4000

    def tally(draw: Callable[[random.Random], list[int]], seed: int) -> Counter[Pair]:
        rng = random.Random(seed)
        counts: Counter[Pair] = Counter()
        for _ in range(samples):
            order = draw(rng)
            counts.update((order[k], order[(k + 1) % n]) for k in range(n))
        return counts

    def rejected(rng: random.Random) -> list[int]:
        order = list(people)
        while True:
            rng.shuffle(order)
            if not any((order[k], order[(k + 1) % n]) in banned for k in range(n)):
                return order

    def repaired(rng: random.Random) -> list[int]:
        order = list(people)
        rng.shuffle(order)
        assert pairing._repair(order, problem, rng)
        return order

    exact, repair = tally(rejected, 1), tally(repaired, 2)
    for santa in people:
        distance = sum(abs(exact[santa, r] - repair[santa, r]) for r in people) / 2 / samples
        # Two exact samplers of this size differ by up to about 0.06 (sampling noise);
        # a skew worth the name (a tenth of the chances moved) would exceed 0.09.
        assert distance < 0.09, santa


# --- impossible and near-impossible inputs ---------------------------------------------


def test_someone_who_excludes_everyone_is_named() -> None:
    people = [1, 2, 3, 4]
    banned = {(2, r) for r in people}
    with pytest.raises(PairingImpossible) as raised:
        draw_pairings(people, exclusions=banned, rng=random.Random(0))
    assert raised.value.stuck == (2,)
    assert "<@2> cannot draw anyone" in raised.value.message


def test_someone_nobody_may_draw_is_named() -> None:
    people = [1, 2, 3, 4]
    banned = {(s, 3) for s in people}
    with pytest.raises(PairingImpossible) as raised:
        draw_pairings(people, exclusions=banned, rng=random.Random(0))
    assert raised.value.stuck == (3,)
    assert "Nobody may draw <@3>" in raised.value.message


def test_a_group_with_too_few_possible_recipients_is_named() -> None:
    people = [1, 2, 3, 4, 5]
    # 1 and 2 may each only draw 3: one of them is left without a recipient.
    banned = {(s, r) for s in (1, 2) for r in people if r != 3}
    with pytest.raises(PairingImpossible) as raised:
        draw_pairings(people, exclusions=banned, rng=random.Random(0))
    assert set(raised.value.stuck) == {1, 2}
    assert "<@1> and <@2> may only draw <@3>" in raised.value.message


@pytest.mark.parametrize("people", [[], [7]])
def test_fewer_than_two_participants_is_a_clear_error(people: list[int]) -> None:
    with pytest.raises(PairingImpossible, match="at least 2 participants"):
        draw_pairings(people, rng=random.Random(0))


def test_a_participant_listed_twice_is_a_clear_error() -> None:
    with pytest.raises(PairingImpossible, match="more than once: <@2>") as raised:
        draw_pairings([1, 2, 3, 2], rng=random.Random(0))
    assert raised.value.stuck == (2,)


def test_pairs_naming_non_participants_and_self_pairs_are_ignored() -> None:
    pairings = draw_pairings(
        [1, 2, 3], exclusions=[(1, 99), (98, 2), (3, 3)], avoid=[(5, 6)], rng=random.Random(1)
    )
    assert_valid(pairings, [1, 2, 3])


def test_several_loops_when_exclusions_rule_out_a_single_one() -> None:
    # Two couples who may only draw within the couple: the only draw is two loops.
    people = [1, 2, 3, 4]
    banned = {(1, 3), (1, 4), (2, 3), (2, 4), (3, 1), (3, 2), (4, 1), (4, 2)}
    pairings = draw_pairings(people, exclusions=banned, rng=random.Random(0))
    assert loops(pairings) == [[1, 2], [3, 4]]


def test_large_groups_with_sparse_exclusions_complete() -> None:
    rng = random.Random(1)
    people = rng.sample(range(10**17, 10**18), 20_000)  # snowflake-sized ids
    banned = {(s, rng.choice(people)) for s in people for _ in range(3)}
    avoid = list(random_loop(rng, people).items())
    pairings = draw_pairings(people, exclusions=banned, avoid=avoid, rng=rng)
    assert_valid(pairings, people, banned)
    assert len(loops(pairings)) == 1


def test_sixty_people_each_allowed_one_recipient_get_that_loop() -> None:
    n = 60
    people = list(range(n))
    banned = [(s, r) for s in people for r in people if r != (s + 1) % n]
    pairings = draw_pairings(people, exclusions=banned, rng=random.Random(0))
    assert pairings == {s: (s + 1) % n for s in people}


def test_sixty_people_all_allowed_only_the_same_one_fail_fast() -> None:
    people = list(range(60))
    banned = [(s, r) for s in people for r in people if r != 0]
    with pytest.raises(PairingImpossible) as raised:
        draw_pairings(people, exclusions=banned, rng=random.Random(0))
    assert 0 in raised.value.stuck
    assert "and 49 others" in raised.value.message  # long lists are cut


@pytest.mark.parametrize("seed", range(6))
def test_sixty_people_allowed_two_random_recipients_return_or_raise(seed: int) -> None:
    rng = random.Random(seed)
    people = list(range(60))
    allowed = {s: set(rng.sample([r for r in people if r != s], 2)) for s in people}
    banned = {(s, r) for s in people for r in people if r not in allowed[s]}
    pairings = attempt(lambda: draw_pairings(people, exclusions=banned, rng=rng))
    if isinstance(pairings, PairingImpossible):
        assert pairings.stuck
    else:
        assert_valid(pairings, people, banned)


def test_sixty_people_with_a_hidden_perfect_matching_find_it() -> None:
    # Each person may draw their partner in a fixed set of 2-loops plus one random
    # decoy that leads nowhere: a single loop is unlikely, a valid draw is certain.
    rng = random.Random(4)
    people = list(range(60))
    partner = {p: p ^ 1 for p in people}
    allowed = {s: {partner[s], rng.choice([r for r in people if r != s])} for s in people}
    banned = {(s, r) for s in people for r in people if r not in allowed[s]}
    pairings = draw_pairings(people, exclusions=banned, rng=rng)
    assert_valid(pairings, people, banned)


# --- loops, splicing out and in ---------------------------------------------------------


def test_loops_describes_the_cycle_structure() -> None:
    assert loops({1: 4, 4: 2, 2: 1, 5: 3, 3: 5}) == [[1, 4, 2], [3, 5]]


@pytest.mark.parametrize("bad", [{1: 2, 2: 2}, {1: 2, 2: 3}, {1: 2, 2: 1, 3: 1}])
def test_loops_rejects_what_is_not_a_draw(bad: dict[int, int]) -> None:
    with pytest.raises(InvalidPairings):
        loops(bad)


def test_splicing_out_hands_the_recipient_to_the_santa() -> None:
    assert splice_out({1: 2, 2: 3, 3: 4, 4: 1}, 2) == {1: 3, 3: 4, 4: 1}


def test_splicing_out_of_a_loop_of_two_merges_the_partner_into_another_loop() -> None:
    pairings = {1: 2, 2: 1, 3: 4, 4: 5, 5: 3}
    result = splice_out(pairings, 2, rng=random.Random(0))
    assert_valid(result, [1, 3, 4, 5])
    assert len(loops(result)) == 1


def test_splicing_out_swaps_when_the_takeover_is_excluded() -> None:
    pairings = {1: 2, 2: 3, 3: 4, 4: 5, 5: 1}
    banned = {(1, 3)}  # 1 may not take over 2's recipient
    result = splice_out(pairings, 2, exclusions=banned, rng=random.Random(0))
    assert_valid(result, [1, 3, 4, 5], banned)


def test_splicing_out_reports_when_no_valid_draw_can_be_kept() -> None:
    pairings = {1: 2, 2: 1, 3: 4, 4: 3}
    banned = {(1, 3), (1, 4), (3, 1), (4, 1)}
    with pytest.raises(PairingImpossible) as raised:
        splice_out(pairings, 2, exclusions=banned)
    assert raised.value.stuck == (1,)


def test_splicing_out_down_to_one_person_is_reported() -> None:
    with pytest.raises(PairingImpossible, match="at least 2"):
        splice_out({1: 2, 2: 1}, 1)


def test_splicing_out_someone_not_in_the_draw_changes_nothing() -> None:
    assert splice_out({1: 2, 2: 1}, 3) == {1: 2, 2: 1}


def test_splicing_out_keeps_a_valid_draw_every_time() -> None:
    rng = random.Random(11)
    for case in range(200):
        people = rng.sample(range(1, 100), rng.randint(3, 12))
        banned = random_exclusions(rng, people, 0.25)
        try:
            pairings = draw_pairings(people, exclusions=banned, rng=rng)
        except PairingImpossible:
            continue
        remaining = list(people)
        while len(remaining) > 2:
            leaver = rng.choice(remaining)
            spliced = attempt(
                lambda: splice_out(pairings, leaver, exclusions=banned, rng=rng)  # noqa: B023
            )
            if isinstance(spliced, PairingImpossible):
                assert spliced.stuck, case
                break
            pairings = spliced
            remaining.remove(leaver)
            assert_valid(pairings, remaining, banned)


def test_splicing_in_puts_the_newcomer_between_a_santa_and_their_recipient() -> None:
    rng = random.Random(3)
    for _ in range(100):
        people = rng.sample(range(1, 100), rng.randint(2, 10))
        pairings = random_loop(rng, people)
        banned = random_exclusions(rng, [*people, 0], 0.3)
        result = attempt(lambda: splice_in(pairings, 0, rng=rng, exclusions=banned))  # noqa: B023
        if isinstance(result, PairingImpossible):
            assert result.stuck == (0,)
            continue
        assert_valid(result, [*people, 0], banned - set(pairings.items()))
        assert len(loops(result)) == 1
        changed = {s for s in pairings if result[s] != pairings[s]}
        assert len(changed) == 1
        (santa,) = changed
        assert result[santa] == 0
        assert result[0] == pairings[santa]


def test_splicing_in_is_idempotent_and_needs_a_draw() -> None:
    assert splice_in({1: 2, 2: 1}, 1, rng=random.Random(0)) == {1: 2, 2: 1}
    with pytest.raises(PairingImpossible, match="no draw to join"):
        splice_in({}, 1, rng=random.Random(0))


def test_splicing_in_reports_a_newcomer_who_fits_nowhere() -> None:
    with pytest.raises(PairingImpossible) as raised:
        splice_in({1: 2, 2: 1}, 3, rng=random.Random(0), exclusions=[(1, 3), (2, 3)])
    assert raised.value.stuck == (3,)


# --- households, exclusions and avoided pairs together ---------------------------------


def cheapest_draw(people: Sequence[int], banned: set[Pair], avoid: set[Pair]) -> int | None:
    """The fewest avoided pairs any valid draw uses, by trying every permutation
    (None: no valid draw at all)."""
    best: int | None = None
    for image in itertools.permutations(people):
        pairs = list(zip(people, image, strict=True))
        if any(s == r or (s, r) in banned for s, r in pairs):
            continue
        used = sum(pair in avoid for pair in pairs)
        best = used if best is None else min(best, used)
    return best


@st.composite
def constrained_groups(
    draw: st.DrawFn,
) -> tuple[list[int], dict[int, list[int]], set[Pair], set[Pair]]:
    """People, households (each person in at most one), one-way exclusions and
    avoided pairs, densely enough that every outcome happens."""
    n = draw(st.integers(2, 7))
    people = list(range(1, n + 1))
    labels = draw(st.lists(st.sampled_from([None, 1, 2, 3]), min_size=n, max_size=n))
    households: dict[int, list[int]] = {}
    for person, label in zip(people, labels, strict=True):
        if label is not None:
            households.setdefault(label, []).append(person)
    pairs = st.tuples(st.sampled_from(people), st.sampled_from(people))
    exclusions = draw(st.sets(pairs, max_size=n * 2))
    avoid = draw(st.sets(pairs, max_size=n * 3))
    return people, households, exclusions, avoid


@settings(max_examples=300, deadline=None)
@given(group=constrained_groups(), seed=st.integers(0, 2**32 - 1))
def test_households_exclusions_and_avoided_pairs_against_brute_force(
    group: tuple[list[int], dict[int, list[int]], set[Pair], set[Pair]], seed: int
) -> None:
    people, households, exclusions, avoid = group
    banned = exclusions | set(pairing.household_pairs(households.values()))
    fewest = cheapest_draw(people, banned, avoid)
    outcome = attempt(
        lambda: draw_pairings(
            people,
            exclusions=exclusions,
            households=households,
            avoid=avoid,
            rng=random.Random(seed),
        )
    )
    if isinstance(outcome, PairingImpossible):
        assert fewest is None, "a valid draw exists but none was found"
        assert outcome.stuck
        assert set(outcome.stuck) <= set(people)
        for household_id, members in households.items():
            if len(members) >= 2 and set(members) & set(outcome.stuck):
                assert f"household {household_id} (" in outcome.message
        return
    assert fewest is not None, "drew although no valid draw exists"
    assert_valid(outcome, people, banned)
    used = sum(pair in avoid for pair in outcome.items())
    # Avoided pairs are honoured exactly when some valid draw honours them all.
    assert (used == 0) == (fewest == 0)


def test_nobody_draws_their_own_household() -> None:
    households = {7: [1, 2, 3], 8: [4, 5]}
    for seed in range(30):
        pairings = draw_pairings(
            [1, 2, 3, 4, 5, 6, 9], households=households, rng=random.Random(seed)
        )
        assert_valid(pairings, [1, 2, 3, 4, 5, 6, 9], pairing.household_pairs(households.values()))


def test_a_household_too_large_for_the_draw_is_named() -> None:
    # Four of six people share a household: they have only two possible recipients.
    with pytest.raises(PairingImpossible) as raised:
        draw_pairings(
            [1, 2, 3, 4, 5, 6],
            households={3: [1, 2, 3, 4], 4: [5, 99]},
            rng=random.Random(0),
        )
    message = raised.value.message
    assert set(raised.value.stuck) <= {1, 2, 3, 4}
    assert len(raised.value.stuck) >= 3
    assert "household 3 (<@1>, <@2>, <@3> and <@4>)" in message
    # A household with a single participant (99 is not one) plays no part.
    assert "household 4" not in message
    assert "take someone out of a household" in message


def test_someone_excluded_from_everyone_outside_their_household_is_named() -> None:
    with pytest.raises(PairingImpossible) as raised:
        draw_pairings(
            [1, 2, 3, 4],
            exclusions=[(1, 3), (1, 4)],
            households={5: [1, 2]},
            rng=random.Random(0),
        )
    assert raised.value.stuck == (1,)
    assert "<@1> cannot draw anyone" in raised.value.message
    assert "or in their household" in raised.value.message
    assert "household 5 (<@1> and <@2>)" in raised.value.message


def test_household_pairs_are_every_ordered_pair_of_present_members() -> None:
    assert pairing.household_pairs([[1, 2, 3], [4]], participants=[1, 2, 4]) == [(1, 2), (2, 1)]
    assert sorted(pairing.household_pairs([[5, 6]])) == [(5, 6), (6, 5)]
