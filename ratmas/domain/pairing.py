"""The Secret Santa draw: who gives to whom, as a pure function of the participants,
the exclusions and a random generator.

A draw is a permutation of the participants without fixed points (nobody draws
themselves) that uses no excluded (santa, recipient) pair. We prefer a single loop
through everyone: it reads well at the reveal, and a member who leaves after the draw
can be spliced out by handing their recipient to their santa.

Why the search is layered. Deciding whether a single loop exists is the directed
Hamiltonian cycle problem (NP-hard), while deciding whether *any* valid draw exists is
bipartite perfect matching (polynomial). So `draw_pairings` tries, each step bounded:

1. rejection sampling of uniformly random loops, when the expected number of tries is
   small: exactly uniform over the valid single loops;
2. for tiny groups (<= `EXACT_SEARCH_MAX` people) an exhaustive enumeration of the valid
   loops, one picked uniformly: exact, and decides whether a single loop exists;
3. otherwise local repair of a random loop by swapping the few people on excluded
   pairs (what makes large draws fast), then a budgeted backtracking search;
4. a maximum bipartite matching over the allowed pairs (augmenting paths over the
   complement of the exclusions, O(n + m) per augmentation) which decides exactly
   whether any draw exists; its loops are then merged greedily into as few as it can.

If no matching is perfect, Hall's theorem hands us a group of santas with fewer
possible recipients than members (or recipients with too few possible santas): those
are the people `PairingImpossible` names, with the households they belong to.

Households are groups of people who never draw one another: each is turned into the
exclusions of every ordered pair of its members, and named when it is part of what
makes a draw impossible.

`avoid` pairs (last year's draw) are first treated like exclusions. Only when no valid
draw honours all of them are they relaxed: the draw then minimises how many it uses —
exactly for tiny groups, best effort (local search) for larger ones — and never at the
cost of validity. A draw with several loops that honours every avoided pair is
preferred over a single loop that repeats one of last year's pairs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from itertools import compress, count
from operator import eq

from ratmas.domain.errors import InvalidPairings, PairingImpossible

__all__ = [
    "EXACT_SEARCH_MAX",
    "check_draw",
    "draw_pairings",
    "household_pairs",
    "loops",
    "splice_in",
    "splice_out",
]

# Groups up to this size are searched exhaustively: at most 8! = 40,320 loops.
EXACT_SEARCH_MAX = 9
# Backtracking is only worth trying on groups small enough to hold the allowed graph.
_BACKTRACK_MAX = 512
_BACKTRACK_NODES = 200_000
# Rejection sampling stops after this many participant-steps (shuffles and checks).
_REJECTION_WORK = 60_000
_REJECTION_MAX_TRIES = 2_000
_MERGE_CHECKS = 300_000
# Error messages name at most this many people.
_MENTIONS_SHOWN = 10
# The cost of a pair that must not be used; larger than any sum of soft costs.
_FORBIDDEN = 1 << 62


@dataclass(frozen=True, slots=True)
class _Problem:
    """The searches work on indices into `people`; the pair sets hold ids as given.

    `forbidden` pairs may never be used; `soft` pairs cost 1 each (avoided pairs once
    they have been relaxed); a pair in both is forbidden. Self pairs are always
    forbidden without being stored. Keeping the caller's id pairs (rather than
    translating them to indices) makes building the sets one C-level pass: most of a
    large draw's time otherwise.
    """

    people: list[int]
    forbidden: Set[tuple[int, int]]
    soft: Set[tuple[int, int]] = frozenset()

    @property
    def n(self) -> int:
        return len(self.people)

    def cost(self, santa: int, recipient: int) -> int:
        """The cost of `santa` drawing `recipient`, both indices into `people`."""
        if santa == recipient:
            return _FORBIDDEN
        return self.pair_cost(self.people[santa], self.people[recipient])

    def pair_cost(self, santa_id: int, recipient_id: int) -> int:
        """The cost of a pair of two different participants' ids."""
        pair = (santa_id, recipient_id)
        if pair in self.forbidden:
            return _FORBIDDEN
        return 1 if pair in self.soft else 0

    def constrained_pairs(self) -> int:
        """How many distinct forbidden or soft pairs are between two participants."""
        everyone = set(self.people)
        forbidden = self.forbidden

        def relevant(pair: tuple[int, int]) -> bool:
            santa, recipient = pair
            return santa != recipient and santa in everyone and recipient in everyone

        return sum(1 for pair in forbidden if relevant(pair)) + sum(
            1 for pair in self.soft if pair not in forbidden and relevant(pair)
        )

    def bad_positions(self, order: list[int]) -> list[int]:
        """Positions k of the loop `order` (ids) whose pair order[k] -> order[k+1]
        (cyclically) costs anything, ascending.

        Membership is tested at C level (`map` over `zip`): zip hands the same tuple
        back while nobody keeps it, so checking 100k pairs allocates no pair at all,
        which also keeps the garbage collector away from large draws."""
        following = order[1:]
        following.append(order[0])
        bad = list(_members(self.forbidden, order, following))
        if self.soft:
            bad = sorted(set(bad).union(_members(self.soft, order, following)))
        return bad


def _members(
    pairs: Set[tuple[int, int]], santas: list[int], recipients: list[int]
) -> Iterator[int]:
    """The positions k where (santas[k], recipients[k]) is in `pairs`."""
    return compress(count(), map(pairs.__contains__, zip(santas, recipients, strict=True)))


@dataclass(frozen=True, slots=True)
class _Shortage:
    """A Hall violator: `group` (santas, or recipients when `of_santas` is False) whose
    possible partners `partners` are fewer than its members."""

    group: tuple[int, ...]
    partners: tuple[int, ...]
    of_santas: bool


def draw_pairings(
    participants: Sequence[int],
    *,
    exclusions: Iterable[tuple[int, int]] = (),
    households: Mapping[int, Collection[int]] | None = None,
    avoid: Iterable[tuple[int, int]] = (),
    rng: random.Random,
) -> dict[int, int]:
    """Draw santa -> recipient for every participant.

    Nobody draws themselves, no `exclusions` pair (santa, recipient; one way) is used
    and nobody draws someone of their own household (`households`: id -> members; the
    id only names the household in an error).
    `avoid` pairs are honoured whenever some valid draw honours them all, and otherwise
    used as rarely as the search can manage. One loop through everyone is preferred;
    several loops (each of two or more people) are used only when the search finds no
    single loop. Pairs naming someone who is not a participant are ignored.

    The result depends only on the arguments and the state of `rng`, and the time taken
    is bounded on every input (see the module docstring). Without constraints every
    single loop is equally likely.

    Raises `PairingImpossible` for fewer than two participants, a participant listed
    twice, or exclusions and households that leave someone without a possible
    recipient (or santa); its `stuck` names them, its message the households involved.
    """
    people = list(participants)
    if len(people) < 2:
        _check_participants(people)
    # Both are read again if the first search fails.
    if households:
        exclusions = [*exclusions, *household_pairs(households.values(), people)]
    elif not isinstance(exclusions, Collection):
        exclusions = list(exclusions)
    if not isinstance(avoid, Collection):
        avoid = list(avoid)
    # The first search forbids last year's pairs too: one set, built as any plain
    # loop would build it. The exclusions alone are only needed when it fails.
    strict = set(exclusions)
    strict.update(avoid)

    result, shortage = _solve(_Problem(people, strict), rng)
    hard: Set[tuple[int, int]] = strict
    if result is None:
        del strict
        hard = frozenset(exclusions)
        soft = frozenset(avoid) - hard
        if soft:
            result, shortage = _solve(_Problem(people, hard, soft), rng)
    if result is None or len(result) != len(people):
        # A participant listed twice shows as a draw with fewer santas than people:
        # checking after the search spares a large draw one pass over everyone.
        _check_participants(people)
    if result is None:
        raise _impossible(people, hard, shortage, households or {})
    return result


def household_pairs(
    households: Iterable[Collection[int]], participants: Iterable[int] | None = None
) -> list[tuple[int, int]]:
    """The (santa, recipient) pairs households forbid: every ordered pair of two
    members of one household, among `participants` when given."""
    present = None if participants is None else set(participants)
    pairs: list[tuple[int, int]] = []
    for members in households:
        inside = sorted({m for m in members if present is None or m in present})
        pairs.extend((a, b) for a in inside for b in inside if a != b)
    return pairs


def loops(pairings: Mapping[int, int]) -> list[list[int]]:
    """The loops of a draw, each starting at its smallest id, ordered by that id.

    `[[1, 4, 2], [3, 5]]` means 1 -> 4 -> 2 -> 1 and 3 -> 5 -> 3. Raises
    `InvalidPairings` when `pairings` is not a permutation without fixed points.
    """
    check_draw(pairings)
    seen: set[int] = set()
    result: list[list[int]] = []
    for start in sorted(pairings):
        if start in seen:
            continue
        loop = [start]
        seen.add(start)
        person = pairings[start]
        while person != start:
            loop.append(person)
            seen.add(person)
            person = pairings[person]
        result.append(loop)
    return result


def splice_out(
    pairings: Mapping[int, int],
    leaver: int,
    *,
    exclusions: Iterable[tuple[int, int]] = (),
    rng: random.Random | None = None,
) -> dict[int, int]:
    """The draw without `leaver`: their santa takes over their recipient.

    When that is not allowed — the santa would draw themselves (the leaver was in a
    loop of two) or the pair is excluded — the santa swaps recipients with another
    santa `a` instead (santa -> a's recipient, a -> the leaver's recipient). A swap with
    someone in another loop merges the two loops and is preferred; one within the same
    loop splits it in two. Among the possible swaps one is picked with `rng`, or the
    first by santa id when `rng` is None.

    A leaver without a pairing is already out: the pairings come back unchanged.
    Raises `PairingImpossible` when fewer than two people would remain or no swap keeps
    the draw valid, and `InvalidPairings` when `pairings` is not a valid draw.
    """
    check_draw(pairings)
    if leaver not in pairings:
        return dict(pairings)
    result = dict(pairings)
    recipient = result.pop(leaver)
    if len(result) < 2:
        raise PairingImpossible(
            f"Only {_who(sorted(result))} would remain after {_who([leaver])} left; "
            "a draw needs at least 2 participants.",
            stuck=tuple(sorted(result)),
        )
    santa = next(s for s, r in result.items() if r == leaver)
    banned = _pair_set(exclusions)
    if santa != recipient and (santa, recipient) not in banned:
        result[santa] = recipient
        return result

    # The open path recipient -> ... -> santa, where the leaver used to be.
    path = {recipient}
    person = recipient
    while person != santa:
        person = result[person]
        path.add(person)
    merging: list[int] = []
    splitting: list[int] = []
    for other, others_recipient in sorted(result.items()):
        if other == santa:
            continue
        if _allowed(santa, others_recipient, banned) and _allowed(other, recipient, banned):
            (splitting if other in path else merging).append(other)
    candidates = merging or splitting
    if not candidates:
        raise PairingImpossible(
            f"{_who([leaver])} cannot be taken out of the draw: {_who([santa])} may not "
            f"take over {_who([recipient])}, and no swap with another santa respects "
            "the exclusions.",
            stuck=(santa,),
        )
    other = rng.choice(candidates) if rng is not None else candidates[0]
    result[santa], result[other] = result[other], recipient
    return result


def splice_in(
    pairings: Mapping[int, int],
    newcomer: int,
    *,
    rng: random.Random,
    exclusions: Iterable[tuple[int, int]] = (),
) -> dict[int, int]:
    """The draw with `newcomer` inserted between a santa and that santa's recipient.

    The santa `a` (picked with `rng` among those for which neither new pair is
    excluded) now draws the newcomer, who draws `a`'s former recipient; everyone else
    keeps their recipient, and the loops stay loops. Inserting at a uniformly chosen
    place in a uniformly random loop gives a uniformly random loop.

    A newcomer who is already paired is left where they are (pairings unchanged).
    Raises `PairingImpossible` when there is no draw to join or every insertion point
    is excluded, and `InvalidPairings` when `pairings` is not a valid draw.
    """
    check_draw(pairings)
    if newcomer in pairings:
        return dict(pairings)
    if not pairings:
        raise PairingImpossible(
            f"{_who([newcomer])} cannot be added: there is no draw to join yet.",
            stuck=(newcomer,),
        )
    banned = _pair_set(exclusions)
    candidates = [
        santa
        for santa, recipient in sorted(pairings.items())
        if _allowed(santa, newcomer, banned) and _allowed(newcomer, recipient, banned)
    ]
    if not candidates:
        raise PairingImpossible(
            f"{_who([newcomer])} cannot be added: for every santa, either the santa may "
            f"not draw {_who([newcomer])} or {_who([newcomer])} may not draw their "
            "recipient.",
            stuck=(newcomer,),
        )
    santa = rng.choice(candidates)
    result = dict(pairings)
    result[newcomer] = result[santa]
    result[santa] = newcomer
    return result


# --- validation and input -----------------------------------------------------------


def _check_participants(people: list[int]) -> None:
    if len(people) < 2:
        raise PairingImpossible(
            f"A draw needs at least 2 participants; there {'is' if people else 'are'} "
            f"{len(people)}.",
            stuck=tuple(people),
        )
    if len(set(people)) != len(people):
        seen: set[int] = set()
        repeated: list[int] = []
        for person in people:
            if person in seen and person not in repeated:
                repeated.append(person)
            seen.add(person)
        raise PairingImpossible(
            f"Each participant can take part once only; listed more than once: {_who(repeated)}.",
            stuck=tuple(repeated),
        )


def check_draw(pairings: Mapping[int, int], participants: Set[int] | None = None) -> None:
    """`InvalidPairings` unless `pairings` (santa -> recipient) is a permutation without
    fixed points: of `participants` when given, else of its own santas."""
    # Views and C-level passes: a draw of 100k people is checked before it is stored.
    santas = pairings.keys()
    if participants is not None and santas != participants:
        missing = sorted(participants - set(santas))
        extra = sorted(set(santas) - participants)
        raise InvalidPairings(
            "Pairings must cover every participant exactly once as a santa "
            f"(missing: {missing or 'none'}, not participants: {extra or 'none'})."
        )
    recipients = set(pairings.values())
    if len(recipients) != len(pairings) or santas != recipients:
        raise InvalidPairings(
            "These pairings are not a draw: every santa must also be exactly one santa's recipient."
        )
    if any(map(eq, santas, pairings.values())):
        drawing_themselves = sorted(s for s, r in pairings.items() if s == r)
        raise InvalidPairings(f"{_who(drawing_themselves)} would draw themselves.")


def _pair_set(pairs: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    return frozenset((santa, recipient) for santa, recipient in pairs)


def _allowed(santa: int, recipient: int, banned: frozenset[tuple[int, int]]) -> bool:
    return santa != recipient and (santa, recipient) not in banned


def _who(ids: Iterable[int]) -> str:
    """Discord mentions joined for a sentence: "<@1>, <@2> and <@3>".

    Long lists are cut ("... and 40 others") so the message fits a Discord reply;
    the error's `stuck` keeps every id.
    """
    mentions = [f"<@{i}>" for i in ids]
    if len(mentions) > _MENTIONS_SHOWN:
        hidden = len(mentions) - _MENTIONS_SHOWN
        mentions = [*mentions[:_MENTIONS_SHOWN], f"{hidden} others"]
    if len(mentions) <= 1:
        return "".join(mentions)
    return ", ".join(mentions[:-1]) + " and " + mentions[-1]


# --- the search -----------------------------------------------------------------------


def _solve(problem: _Problem, rng: random.Random) -> tuple[dict[int, int] | None, _Shortage | None]:
    """A draw (santa id -> recipient id) for `problem`, or None and why none exists."""
    order = _single_loop(problem, rng)
    if order is not None:
        following = order[1:]
        following.append(order[0])
        return dict(zip(order, following, strict=True)), None
    successors, shortage = _matching(problem, rng)
    if successors is None:
        return None, shortage
    _merge_loops(successors, problem, rng)
    people = problem.people
    return dict(zip(people, map(people.__getitem__, successors), strict=True)), None


def _single_loop(problem: _Problem, rng: random.Random) -> list[int] | None:
    """A single loop, as the ids in the order in which they draw each other, or None.

    None is certain for groups up to `EXACT_SEARCH_MAX`, and only means "not found
    within the budget" for larger ones.
    """
    n = problem.n
    # Shuffling the ids themselves (rather than indices into them) spares a
    # translation of every seat; the permutation drawn is the same.
    order = list(problem.people)
    rng.shuffle(order)
    # A random loop uses each of the m constrained pairs with probability 1/(n-1), so
    # it is clean with probability about exp(-m/(n-1)): rejection is worth it (and
    # keeps the draw exactly uniform) only when that is not tiny.
    tries = max(1, min(_REJECTION_MAX_TRIES, _REJECTION_WORK // n))
    # Counting only relevant pairs matters for small groups; for large ones an upper
    # bound is enough (and free): rejection sampling is rarely affordable there.
    constrained = (
        problem.constrained_pairs() if tries > 1 else len(problem.forbidden) + len(problem.soft)
    )
    expected_bad = constrained / (n - 1)
    bad: list[int] | None = None
    if expected_bad == 0 or (expected_bad < 30 and 3 * math.exp(expected_bad) <= tries):
        for attempt in range(tries):
            if attempt:
                rng.shuffle(order)
            bad = problem.bad_positions(order)
            if not bad:
                return order

    if n <= EXACT_SEARCH_MAX:
        found, _ = _backtrack(problem, rng, enumerate_all=True)
        return _ids(problem, found)

    if _repair(order, problem, rng, bad):
        return order
    if n <= _BACKTRACK_MAX:
        found, _ = _backtrack(problem, rng, enumerate_all=False)
        return _ids(problem, found)
    return None


def _ids(problem: _Problem, indices: list[int] | None) -> list[int] | None:
    return None if indices is None else [problem.people[i] for i in indices]


def _repair(
    order: list[int],
    problem: _Problem,
    rng: random.Random,
    bad_positions: list[int] | None = None,
) -> bool:
    """Swap people of a loop (ids) in place until it uses no forbidden pair; True on
    success. `bad_positions` are those of `order` when the caller already has them.

    Each step takes a costly pair k and moves one of its two people to a random seat,
    keeping the swap when the four pairs it touches cost no more than before. With
    sparse exclusions almost every swap succeeds, so a draw of 100k people needs a
    handful of swaps after the shuffle. Soft costs are lowered too, within the budget.
    """
    n = len(order)
    cost = problem.pair_cost
    if bad_positions is None:
        bad_positions = problem.bad_positions(order)
    bad = _IndexedSet(bad_positions)
    hard_bad = sum(1 for k in bad.items if cost(order[k], order[(k + 1) % n]) >= _FORBIDDEN)
    budget = 1_000 + 50 * len(bad.items)
    for _ in range(budget):
        if not bad.items:
            break
        k = bad.choice(rng)
        seat = (k + rng.randrange(2)) % n
        other = rng.randrange(n)
        if other == seat:
            continue
        touched = {(seat - 1) % n, seat, (other - 1) % n, other}
        before = [cost(order[t], order[(t + 1) % n]) for t in touched]
        order[seat], order[other] = order[other], order[seat]
        after = [cost(order[t], order[(t + 1) % n]) for t in touched]
        if sum(after) > sum(before):
            order[seat], order[other] = order[other], order[seat]
            continue
        for t, was, now in zip(touched, before, after, strict=True):
            hard_bad += (now >= _FORBIDDEN) - (was >= _FORBIDDEN)
            if now:
                bad.add(t)
            else:
                bad.discard(t)
    return hard_bad == 0


class _IndexedSet:
    """A set of ints with O(1) add, discard and uniform random choice."""

    def __init__(self, items: Iterable[int]) -> None:
        self.items: list[int] = []
        self._where: dict[int, int] = {}
        for item in items:
            self.add(item)

    def add(self, item: int) -> None:
        if item not in self._where:
            self._where[item] = len(self.items)
            self.items.append(item)

    def discard(self, item: int) -> None:
        where = self._where.pop(item, None)
        if where is None:
            return
        last = self.items.pop()
        if where < len(self.items):
            self.items[where] = last
            self._where[last] = where

    def choice(self, rng: random.Random) -> int:
        return self.items[rng.randrange(len(self.items))]


def _backtrack(
    problem: _Problem, rng: random.Random, *, enumerate_all: bool
) -> tuple[list[int] | None, bool]:
    """Depth-first search for a cheapest single loop; returns (loop, exhaustive).

    With `enumerate_all` every loop is visited (within the node budget) and one of the
    cheapest is kept by reservoir sampling, so the pick is uniform among them. Without
    it the search stops at the first loop that costs nothing.
    """
    n = problem.n
    cost = problem.cost
    successors = [[v for v in range(n) if cost(u, v) < _FORBIDDEN] for u in range(n)]
    has_santa = [False] * n
    for options in successors:
        rng.shuffle(options)
        for v in options:
            has_santa[v] = True
    if not all(successors) or not all(has_santa):
        return None, True

    # Every loop passes through the most constrained person: start there.
    start = min(range(n), key=lambda u: len(successors[u]))
    path = [start]
    path_cost = [0]
    on_path = [False] * n
    on_path[start] = True
    stack = [iter(successors[start])]
    best: list[int] | None = None
    best_cost = _FORBIDDEN
    ties = 0
    nodes = 0
    while stack:
        if nodes >= _BACKTRACK_NODES:
            return best, False
        last = path[-1]
        for v in stack[-1]:
            if on_path[v]:
                continue
            so_far = path_cost[-1] + cost(last, v)
            if so_far > best_cost:
                continue
            nodes += 1
            if len(path) + 1 < n:
                path.append(v)
                path_cost.append(so_far)
                on_path[v] = True
                stack.append(iter(successors[v]))
                break
            total = so_far + cost(v, start)
            if total >= _FORBIDDEN or total > best_cost:
                continue
            if total < best_cost:
                best_cost, ties = total, 0
            ties += 1
            if rng.randrange(ties) == 0:
                best = [*path, v]
            if not enumerate_all and best_cost == 0:
                return best, False
        else:
            stack.pop()
            on_path[path.pop()] = False
            path_cost.pop()
    return best, True


def _matching(problem: _Problem, rng: random.Random) -> tuple[list[int] | None, _Shortage | None]:
    """A perfect matching santa -> recipient over the allowed pairs, or a Hall violator.

    Starts from the allowed pairs of a random loop and augments along alternating paths.
    Each search walks the complement of the exclusions through a shrinking set of
    unvisited recipients, so it costs O(n + m) however dense the allowed graph is;
    there are at most n of them. A santa with no augmenting path has none later either
    (Kuhn), and the santas its search reached have too few possible recipients.
    """
    n = problem.n
    excluded: list[set[int]] = [{u} for u in range(n)]
    excluded_in: list[set[int]] = [{u} for u in range(n)]
    index = dict(zip(problem.people, range(n), strict=True))
    for santa_id, recipient_id in problem.forbidden:
        santa = index.get(santa_id)
        recipient = index.get(recipient_id)
        if santa is not None and recipient is not None:
            excluded[santa].add(recipient)
            excluded_in[recipient].add(santa)

    order = list(range(n))
    rng.shuffle(order)
    recipient_of = [-1] * n
    santa_of = [-1] * n
    for k, santa in enumerate(order):
        recipient = order[(k + 1) % n]
        if recipient not in excluded[santa]:
            recipient_of[santa] = recipient
            santa_of[recipient] = santa

    shortages: list[_Shortage] = []
    for santa in order:
        if recipient_of[santa] != -1:
            continue
        reached = _augment(santa, excluded, recipient_of, santa_of)
        if reached is not None:
            shortages.append(reached)
    if not shortages:
        return recipient_of, None
    for recipient in range(n):
        if santa_of[recipient] == -1:
            shortages.append(_recipient_shortage(recipient, excluded_in, recipient_of))
    return None, min(shortages, key=lambda s: (len(s.group), not s.of_santas))


def _augment(
    start: int, excluded: list[set[int]], recipient_of: list[int], santa_of: list[int]
) -> _Shortage | None:
    """Match `start` along an alternating path; None on success, else the Hall violator."""
    unvisited = set(range(len(excluded)))
    reached_by: dict[int, int] = {}
    queue = [start]
    head = 0
    while head < len(queue):
        santa = queue[head]
        head += 1
        ex = excluded[santa]
        hits = [r for r in unvisited if r not in ex]
        # Rebuilt rather than shrunk: iterating a set costs its peak size, not its
        # length, which would make each search quadratic.
        unvisited = {r for r in unvisited if r in ex}
        for recipient in hits:
            reached_by[recipient] = santa
            if santa_of[recipient] == -1:
                while True:
                    giver = reached_by[recipient]
                    previous = recipient_of[giver]
                    recipient_of[giver] = recipient
                    santa_of[recipient] = giver
                    if previous == -1:
                        return None
                    recipient = previous
            queue.append(santa_of[recipient])
    return _Shortage(tuple(sorted(queue)), tuple(sorted(reached_by)), of_santas=True)


def _recipient_shortage(
    start: int, excluded_in: list[set[int]], recipient_of: list[int]
) -> _Shortage:
    """The recipients reachable backwards from unmatched `start` and their few santas."""
    unvisited = set(range(len(excluded_in)))
    santas: list[int] = []
    queue = [start]
    head = 0
    while head < len(queue):
        recipient = queue[head]
        head += 1
        ex = excluded_in[recipient]
        hits = [s for s in unvisited if s not in ex]
        unvisited = {s for s in unvisited if s in ex}
        santas.extend(hits)
        # Every santa reached is matched: the matching is maximum.
        queue.extend(recipient_of[s] for s in hits)
    return _Shortage(tuple(sorted(queue)), tuple(sorted(santas)), of_santas=False)


def _merge_loops(successors: list[int], problem: _Problem, rng: random.Random) -> None:
    """Merge loops in place by exchanging recipients across them, while it stays valid.

    Santas a and b in different loops swapping recipients join the two loops into one.
    A swap is kept when neither new pair is forbidden and it costs no more than before.
    Greedy, smallest loop first, within a budget of checks: finding the fewest loops is
    as hard as finding a single one.
    """
    n = problem.n
    cost = problem.cost
    checks = 0
    while checks < _MERGE_CHECKS:
        cycles = _index_loops(successors)
        if len(cycles) <= 1:
            return
        cycles.sort(key=len)
        merged = False
        for cycle in cycles:
            inside = set(cycle)
            outside = [v for v in range(n) if v not in inside]
            rng.shuffle(outside)
            mine = list(cycle)
            rng.shuffle(mine)
            for a in mine:
                for b in outside:
                    checks += 1
                    old = cost(a, successors[a]) + cost(b, successors[b])
                    new = cost(a, successors[b]) + cost(b, successors[a])
                    if new < _FORBIDDEN and new <= old:
                        successors[a], successors[b] = successors[b], successors[a]
                        merged = True
                        break
                    if checks >= _MERGE_CHECKS:
                        return
                if merged:
                    break
            if merged:
                break
        if not merged:
            return


def _index_loops(successors: list[int]) -> list[list[int]]:
    seen = [False] * len(successors)
    cycles: list[list[int]] = []
    for start in range(len(successors)):
        if seen[start]:
            continue
        cycle = []
        person = start
        while not seen[person]:
            seen[person] = True
            cycle.append(person)
            person = successors[person]
        cycles.append(cycle)
    return cycles


# --- explaining an impossible draw ---------------------------------------------------


def _impossible(
    people: list[int],
    hard: Set[tuple[int, int]],
    shortage: _Shortage | None,
    households: Mapping[int, Collection[int]],
) -> PairingImpossible:
    """The error naming who is left without a possible recipient (or santa).

    People with no possible recipient at all, or whom nobody may draw, are named all
    together; otherwise the smallest Hall violator found by the matching is named.
    Households with two or more participants, one of them named, are named too.
    """
    n = len(people)
    out_degree = [n - 1] * n
    in_degree = [n - 1] * n
    index = dict(zip(people, range(n), strict=True))
    for santa_id, recipient_id in hard:
        santa = index.get(santa_id)
        recipient = index.get(recipient_id)
        if santa is not None and recipient is not None and santa != recipient:
            out_degree[santa] -= 1
            in_degree[recipient] -= 1
    cannot_draw = [people[i] for i in range(n) if out_degree[i] == 0]
    undrawable = [people[i] for i in range(n) if in_degree[i] == 0]
    sentences: list[str] = []
    if cannot_draw:
        sentences.append(
            f"{_who(cannot_draw)} cannot draw anyone: every other participant is excluded for "
            f"them{' or in their household' if households else ''}."
        )
    if undrawable:
        sentences.append(f"Nobody may draw {_who(undrawable)}.")
    if sentences:
        stuck = cannot_draw + undrawable
        family, fix = _households_named(
            stuck, people, households, "Remove one of those exclusions."
        )
        return PairingImpossible(
            "No valid draw exists. " + " ".join(sentences) + family + f" {fix}",
            stuck=tuple(stuck),
        )
    if shortage is None:  # pragma: no cover - _solve always explains a failure
        return PairingImpossible("No valid draw exists with these exclusions.")
    group = [people[i] for i in shortage.group]
    partners = [people[i] for i in shortage.partners]
    if shortage.of_santas:
        detail = (
            f"{_who(group)} may only draw {_who(partners)}: {len(group)} santas for "
            f"{len(partners)} recipients, so someone is left without a recipient."
        )
    else:
        detail = (
            f"{_who(group)} may only be drawn by {_who(partners)}: {len(group)} people "
            f"for {len(partners)} santas, so someone is left without a santa."
        )
    family, fix = _households_named(
        group, people, households, "Remove an exclusion for one of them."
    )
    return PairingImpossible(
        f"No valid draw exists. {detail}{family} {fix}",
        stuck=tuple(group),
    )


def _households_named(
    stuck: Sequence[int],
    people: Sequence[int],
    households: Mapping[int, Collection[int]],
    fix: str,
) -> tuple[str, str]:
    """A sentence naming the households (of two or more participants) of the `stuck`
    people, and the fix to suggest (`fix` when no household is involved)."""
    if not households:
        return "", fix
    named = set(stuck)
    present = set(people)
    involved = []
    for household_id, members in sorted(households.items()):
        inside = sorted(m for m in members if m in present)
        if len(inside) >= 2 and named.intersection(inside):
            involved.append(f"household {household_id} ({_who(inside)})")
    if not involved:
        return "", fix
    listed = ", ".join(involved[:-1]) + " and " + involved[-1] if len(involved) > 1 else involved[0]
    return (
        f" Members of a household never draw each other: {listed}.",
        "Remove an exclusion, or take someone out of a household, for one of them.",
    )
