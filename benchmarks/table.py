"""The benchmark table: one `Row` per measurement, printed by `format_table`.

Every benchmark module has a `run()` returning its rows, so `run.py` can print the
rows of all of them as one table. A row is a time (seconds), a ratio or a size
(MiB); its goal is a ceiling, or a floor for speed-ups (`at_least`). A ratio's note
names both sides, measured in the same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Unit = Literal["s", "x", "MiB"]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the benchmark table."""

    name: str
    value: float
    goal: float | None
    note: str = ""
    unit: Unit = "s"
    at_least: bool = False  # the goal is a floor (a speed-up), not a ceiling

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return "-"
        passed = self.value >= self.goal if self.at_least else self.value <= self.goal
        return "PASS" if passed else "FAIL"

    def shown(self, value: float) -> str:
        if self.unit == "x":
            return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"
        if self.unit == "MiB":
            return f"{value:.1f} MiB"
        return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"

    @property
    def goal_text(self) -> str:
        if self.goal is None:
            return "-"
        return f"{'>=' if self.at_least else '<='} {self.shown(self.goal)}"


def seconds(value: float) -> str:
    """A duration for a note."""
    return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table."""
    header = ("benchmark", "value", "goal", "result", "note")
    lines = [(row.name, row.shown(row.value), row.goal_text, row.verdict, row.note) for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]
    rule = "  ".join("-" * width for width in widths)
    rendered = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *lines)
    ]
    return "\n".join([rendered[0], rule, *rendered[1:]])
