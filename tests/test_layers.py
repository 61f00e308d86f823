"""Dependencies point inward: bot, jobs, persistence -> services -> domain.

Parses every module's imports and fails when an arrow points the wrong way or a
framework leaks out of the one package allowed to use it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [ROOT / "ratmas", ROOT / "jobs"]
STDLIB = sys.stdlib_module_names


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def all_modules() -> list[tuple[str, set[str]]]:
    return [
        (module_name(path), imports_of(path))
        for package in PACKAGES
        for path in sorted(package.rglob("*.py"))
    ]


def top(name: str) -> str:
    return name.split(".")[0]


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# Which of our packages each layer may import, and which third-party packages.
RULES: list[tuple[str, tuple[str, ...], frozenset[str]]] = [
    ("ratmas.domain", ("ratmas.domain",), frozenset({"transitions"})),
    ("ratmas.services", ("ratmas.domain", "ratmas.services"), frozenset()),
    (
        "ratmas.persistence",
        ("ratmas.domain", "ratmas.services", "ratmas.persistence", "ratmas.config"),
        frozenset({"tortoise", "aerich", "asyncpg", "aiosqlite", "pypika_tortoise"}),
    ),
    (
        "jobs",
        ("ratmas.domain", "ratmas.services", "ratmas.config", "jobs"),
        frozenset({"apscheduler", "tzlocal"}),
    ),
    ("ratmas.config", ("ratmas.domain",), frozenset()),
]


@pytest.mark.parametrize(("layer", "ours", "third_party"), RULES, ids=[r[0] for r in RULES])
def test_layer_imports_point_inward(
    layer: str, ours: tuple[str, ...], third_party: frozenset[str]
) -> None:
    wrong = []
    for module, imports in all_modules():
        if not within(module, layer):
            continue
        for name in imports:
            if top(name) in STDLIB or name == "__future__":
                continue
            if top(name) in ("ratmas", "jobs"):
                # The package root only carries the version; anything else must be allowed.
                if name != "ratmas" and not within(name, *ours):
                    wrong.append(f"{module} imports {name}")
            elif top(name) not in third_party:
                wrong.append(f"{module} imports {name}")
    assert wrong == []


@pytest.mark.parametrize(
    ("framework", "home"),
    [
        ("tortoise", ("ratmas.persistence",)),
        ("aerich", ("ratmas.persistence",)),
        ("apscheduler", ("jobs",)),
        ("nextcord", ("ratmas.bot", "ratmas.app", "ratmas.sandbox")),
    ],
)
def test_frameworks_stay_in_their_adapter(framework: str, home: tuple[str, ...]) -> None:
    leaks = [
        f"{module} imports {name}"
        for module, imports in all_modules()
        for name in imports
        if top(name) == framework and not within(module, *home)
    ]
    assert leaks == []
