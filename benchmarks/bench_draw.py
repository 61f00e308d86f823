"""Benchmark of the draw: 1k, 10k and 100k participants.

Each participant has 3 random exclusions, and last year's single loop is passed as
`avoid`, as the draw service does. The figure is the median wall time of a few runs
of `draw_pairings` alone (building the inputs is not timed).

`run()` returns the rows and `main()` prints them, so a suite runner can collect the
rows of several benchmarks into one table.
"""

from __future__ import annotations

import random
import statistics
import time

from table import Row, format_table

from ratmas.domain.pairing import draw_pairings, loops

EXCLUSIONS_EACH = 3
# (participants, goal in seconds or None, timed runs)
CASES: tuple[tuple[int, float | None, int], ...] = (
    (1_000, None, 7),
    (10_000, 0.1, 7),
    (100_000, 1.0, 5),
)


def _inputs(n: int, seed: int) -> tuple[list[int], list[tuple[int, int]], list[tuple[int, int]]]:
    rng = random.Random(seed)
    # Snowflake-sized ids, as Discord user ids are.
    people = rng.sample(range(10**17, 10**18), n)
    exclusions = [(santa, rng.choice(people)) for santa in people for _ in range(EXCLUSIONS_EACH)]
    last_year = list(people)
    rng.shuffle(last_year)
    avoid = [(last_year[k], last_year[(k + 1) % n]) for k in range(n)]
    return people, exclusions, avoid


def _time_draw(n: int, runs: int) -> tuple[float, str]:
    timings: list[float] = []
    loop_counts: list[int] = []
    for run in range(runs):
        people, exclusions, avoid = _inputs(n, seed=run)
        rng = random.Random(1000 + run)
        started = time.perf_counter()
        pairings = draw_pairings(people, exclusions=exclusions, avoid=avoid, rng=rng)
        timings.append(time.perf_counter() - started)
        loop_counts.append(len(loops(pairings)))
    note = "single loop" if set(loop_counts) == {1} else f"loops: {sorted(set(loop_counts))}"
    return statistics.median(timings), f"{note}, median of {runs}"


def run() -> list[Row]:
    """Time the draw for every case; the rows are what `main` prints."""
    rows: list[Row] = []
    for n, goal, runs in CASES:
        seconds, note = _time_draw(n, runs)
        rows.append(
            Row(
                f"draw {n:,} people, {EXCLUSIONS_EACH} exclusions each + avoid",
                seconds,
                goal,
                note,
            )
        )
    return rows


def main() -> None:
    print(format_table(run()))


if __name__ == "__main__":
    main()
