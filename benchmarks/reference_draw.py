"""The yardstick for the draw: a plain Sattolo shuffle with rejection.

What anyone would write in forty lines: one set of banned (santa, recipient) pairs
(exclusions and last year's pairs alike), then Sattolo's algorithm, which turns the
list into a single random loop (`people[k]` gives to `target[k]`), re-drawing a swap
partner whenever the seat it would settle is banned, and starting over on a dead end.

It decides nothing (an impossible set of exclusions makes it give up), explains
nothing and is not exactly uniform; it only says how fast a loop can be drawn in plain
Python. `bench_draw` reports the ratio of `draw_pairings` to it, measured in the same
run on the same inputs, which makes the figure independent of the machine.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

_TRIES_PER_SEAT = 100
_RESTARTS = 100


def reference_draw(
    participants: Sequence[int],
    *,
    exclusions: Iterable[tuple[int, int]],
    avoid: Iterable[tuple[int, int]],
    rng: random.Random,
) -> dict[int, int]:
    """One loop through everyone that uses no banned pair; RuntimeError on a dead end."""
    people = list(participants)
    banned = set(exclusions)
    banned.update(avoid)
    n = len(people)
    randrange = rng.randrange
    for _ in range(_RESTARTS):
        target = list(people)
        for i in range(n - 1, 0, -1):
            santa = people[i]
            for _ in range(_TRIES_PER_SEAT):
                j = randrange(i)
                if (santa, target[j]) not in banned:
                    break
            else:
                break  # this seat cannot be settled: start over
            target[i], target[j] = target[j], target[i]
        else:
            if (people[0], target[0]) not in banned:
                return dict(zip(people, target, strict=True))
    raise RuntimeError("no loop found")
