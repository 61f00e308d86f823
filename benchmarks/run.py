"""Every benchmark in one table: `make bench` (or `.venv/bin/python benchmarks/run.py`)."""

from __future__ import annotations

import time

import bench_draw
import bench_process
import bench_reconcile
import bench_store
from table import format_table


def main() -> None:
    started = time.perf_counter()
    rows = [
        *bench_draw.run(),
        *bench_store.run(),
        *bench_reconcile.run(),
        *bench_process.run(),
    ]
    print(format_table(rows))
    failed = sum(1 for row in rows if row.verdict == "FAIL")
    print(f"\n{len(rows)} rows, {failed} FAIL, in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
