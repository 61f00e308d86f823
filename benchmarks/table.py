"""The benchmark table: one `Row` per measurement, printed by `format_table`.

Every benchmark module has a `run()` returning its rows, so `run.py` can print the
rows of all of them as one table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the benchmark table."""

    name: str
    seconds: float
    goal: float | None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return "-"
        return "PASS" if self.seconds <= self.goal else "MISS"


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table."""
    header = ("benchmark", "time", "goal", "result", "note")
    lines = [
        (
            row.name,
            f"{row.seconds * 1000:.1f} ms",
            "-" if row.goal is None else f"<= {row.goal * 1000:.0f} ms",
            row.verdict,
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]
    rule = "  ".join("-" * width for width in widths)
    rendered = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *lines)
    ]
    return "\n".join([rendered[0], rule, *rendered[1:]])
