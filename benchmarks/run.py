"""Every benchmark in one table: `.venv/bin/python benchmarks/run.py` from the repo root."""

from __future__ import annotations

import time

import bench_draw
import bench_store
from table import format_table


def main() -> None:
    started = time.perf_counter()
    rows = [*bench_draw.run(), *bench_store.run()]
    print(format_table(rows))
    print(f"\n{len(rows)} rows in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
