"""Benchmark of the draw, against a plain Sattolo-with-rejection loop.

Each participant has 3 random exclusions, and last year's single loop is passed as
`avoid`, as the draw service does. Times are medians of a few runs of the draw alone
(building the inputs is not timed). For 100k and 1M people `draw_pairings` and
`reference_draw.reference_draw` run one after the other on the same inputs, and the
row is the ratio of their medians: a figure that does not depend on the machine.
Peak memory is compared the same way, with `tracemalloc`, at 100k people.

`run()` returns the rows and `main()` prints them, so a suite runner can collect the
rows of several benchmarks into one table.
"""

from __future__ import annotations

import gc
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable

from reference_draw import reference_draw
from table import Row, format_table, seconds

from ratmas.domain.pairing import draw_pairings, loops

EXCLUSIONS_EACH = 3
# (participants, goal in seconds or None, timed runs)
ABSOLUTE: tuple[tuple[int, float | None, int], ...] = (
    (1_000, None, 7),
    (10_000, 0.1, 7),
)
# (participants, goal: at most this times the reference's time, timed runs)
RELATIVE: tuple[tuple[int, float, int], ...] = (
    (100_000, 1.0, 5),
    (1_000_000, 1.1, 3),
)
MEMORY_PEOPLE = 100_000
MEMORY_GOAL = 1.2

Inputs = tuple[list[int], list[tuple[int, int]], list[tuple[int, int]]]
Draw = Callable[..., dict[int, int]]


def _inputs(n: int, seed: int) -> Inputs:
    rng = random.Random(seed)
    # Snowflake-sized ids, as Discord user ids are.
    people = rng.sample(range(10**17, 10**18), n)
    exclusions = [(santa, rng.choice(people)) for santa in people for _ in range(EXCLUSIONS_EACH)]
    last_year = list(people)
    rng.shuffle(last_year)
    avoid = [(last_year[k], last_year[(k + 1) % n]) for k in range(n)]
    return people, exclusions, avoid


def _timed(draw: Draw, inputs: Inputs, seed: int) -> tuple[float, dict[int, int]]:
    people, exclusions, avoid = inputs
    rng = random.Random(seed)
    started = time.perf_counter()
    pairings = draw(people, exclusions=exclusions, avoid=avoid, rng=rng)
    return time.perf_counter() - started, pairings


def _loop_note(loop_counts: list[int]) -> str:
    return "single loop" if set(loop_counts) == {1} else f"loops: {sorted(set(loop_counts))}"


def _absolute(n: int, goal: float | None, runs: int) -> Row:
    timings: list[float] = []
    loop_counts: list[int] = []
    for run in range(runs):
        elapsed, pairings = _timed(draw_pairings, _inputs(n, seed=run), 1000 + run)
        timings.append(elapsed)
        loop_counts.append(len(loops(pairings)))
    return Row(
        f"draw {n:,} people, {EXCLUSIONS_EACH} exclusions each + avoid",
        statistics.median(timings),
        goal,
        f"{_loop_note(loop_counts)}, median of {runs}",
    )


def _relative(n: int, goal: float, runs: int) -> Row:
    ours: list[float] = []
    reference: list[float] = []
    loop_counts: list[int] = []
    for run in range(runs):
        inputs = _inputs(n, seed=run)
        # Alternate who goes first, so neither always meets a freshly collected heap.
        order: list[tuple[Draw, list[float]]] = [(draw_pairings, ours), (reference_draw, reference)]
        for draw, timings in order if run % 2 == 0 else order[::-1]:
            gc.collect()
            elapsed, pairings = _timed(draw, inputs, 1000 + run)
            timings.append(elapsed)
            if draw is draw_pairings:
                loop_counts.append(len(loops(pairings)))
        del inputs
    mine, theirs = statistics.median(ours), statistics.median(reference)
    return Row(
        f"draw {n:,} people / reference loop (time)",
        mine / theirs,
        goal,
        f"{seconds(mine)} vs {seconds(theirs)}, {_loop_note(loop_counts)}, median of {runs}",
        unit="x",
    )


def _peak_mib(draw: Draw, inputs: Inputs) -> float:
    people, exclusions, avoid = inputs
    gc.collect()
    tracemalloc.start()
    try:
        draw(people, exclusions=exclusions, avoid=avoid, rng=random.Random(1))
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _memory() -> Row:
    inputs = _inputs(MEMORY_PEOPLE, seed=0)
    mine, theirs = _peak_mib(draw_pairings, inputs), _peak_mib(reference_draw, inputs)
    return Row(
        f"draw {MEMORY_PEOPLE:,} people / reference loop (peak memory)",
        mine / theirs,
        MEMORY_GOAL,
        f"{mine:.1f} MiB vs {theirs:.1f} MiB (tracemalloc)",
        unit="x",
    )


def run() -> list[Row]:
    """Time the draw for every case; the rows are what `main` prints."""
    rows = [_absolute(n, goal, runs) for n, goal, runs in ABSOLUTE]
    rows.extend(_relative(n, goal, runs) for n, goal, runs in RELATIVE)
    rows.append(_memory())
    return rows


def main() -> None:
    print(format_table(run()))


if __name__ == "__main__":
    main()
