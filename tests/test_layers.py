"""The layers of Ratmas, enforced on every module of ``ratmas`` and ``jobs``.

Dependencies point inward::

    top:   ratmas.app (composition root, wires everything), ratmas.cli, ratmas.demo, ratmas.__main__
    shell: ratmas.bot (nextcord)   jobs (APScheduler)   ratmas.persistence (Tortoise)
    core:  ratmas.services (use cases over ports)  ->  ratmas.domain (pure Python)
    aside: ratmas.config (settings; knows the domain's errors),
           ratmas.sandbox (a stand-alone fake Discord: nothing of ours)

``RULES`` says, for each layer, which of our packages and which third-party top-level packages
it may import (the standard library always; the package root ``ratmas``, which only carries
``__version__``, by anyone). Every module must fall under exactly one rule, so a new package
cannot slip by unnoticed. Frameworks stay home: tortoise and aerich only in persistence,
apscheduler only in jobs, nextcord only in the bot, the composition root and the sandbox.
There are no import cycles between our modules.

Imports are read with ``ast`` wherever they are: at module level, inside functions and under
``if TYPE_CHECKING:`` (a deferred import is still a dependency). Relative imports are resolved
against the module's package, and ``from pkg import name`` counts as importing ``pkg.name``
when that is one of our modules. The checkers are functions over (module name, source text)
pairs, so the planted-violation tests below prove, with the very code that checks the real
tree, that each rule fails when broken.
"""

from __future__ import annotations

import ast
import functools
import sys
import textwrap
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("ratmas", "jobs")
STDLIB = sys.stdlib_module_names | {"__future__"}


# --- reading imports ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One module of ours: its dotted name, its text, and whether it is a package's __init__."""

    name: str
    text: str
    is_package: bool = False


class Import(NamedTuple):
    """An absolute module name a module imports, and the line that imports it.

    ``edge`` is False for ``pkg`` in ``from pkg import submodule``: that statement depends on
    the submodule (the deepest module it names), which is what the cycle check follows.
    """

    name: str
    line: int
    edge: bool = True


def within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def top(name: str) -> str:
    return name.partition(".")[0]


def resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target or ""
    package = module if is_package else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    if level - 1 >= len(parts):
        raise ImportError(f"{module}: relative import beyond the top-level package")
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, target] if target else base)


@functools.cache
def parse(text: str, filename: str) -> ast.Module:
    return ast.parse(text, filename=filename)


def imports_of(source: Source, modules: Collection[str]) -> list[Import]:
    """Every import in ``source``, resolved to absolute names; ``modules`` are ours."""
    found: list[Import] = []
    for node in ast.walk(parse(source.text, source.name)):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = resolve(source.name, source.is_package, node.level, node.module)
            submodules = [
                f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules
            ]
            found.append(Import(base, node.lineno, edge=len(submodules) < len(node.names)))
            found.extend(Import(name, node.lineno) for name in submodules)
    return sorted(set(found), key=lambda i: (i.line, i.name))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def real_sources() -> tuple[Source, ...]:
    return tuple(
        Source(module_name(path), path.read_text(encoding="utf-8"), path.name == "__init__.py")
        for package in OURS
        for path in sorted((ROOT / package).rglob("*.py"))
    )


def with_planted(*planted: Source) -> list[Source]:
    """The real tree with ``planted`` modules added (or replacing the real ones of that name)."""
    sources = {s.name: s for s in real_sources()}
    sources.update((s.name, s) for s in planted)
    return list(sources.values())


def plant(name: str, text: str, is_package: bool = False) -> Source:
    return Source(name, textwrap.dedent(text), is_package)


# --- the rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What the modules of ``layer`` (the package and everything under it) may import.

    ``ours``: our packages/modules (with everything under them); ``third_party``: top-level
    names. ``exact`` governs ``layer`` alone, not modules under it (the package root).
    """

    layer: str
    ours: tuple[str, ...]
    third_party: frozenset[str] = frozenset()
    exact: bool = False

    def governs(self, module: str) -> bool:
        return module == self.layer if self.exact else within(module, self.layer)

    def allows(self, name: str) -> bool:
        if top(name) in STDLIB:
            return True
        if top(name) in OURS:
            return name == "ratmas" or within(name, *self.ours)
        return top(name) in self.third_party


EVERYTHING_OURS = (
    "ratmas.domain",
    "ratmas.services",
    "ratmas.persistence",
    "jobs",
    "ratmas.bot",
    "ratmas.sandbox",
    "ratmas.config",
    "ratmas.app",
    "ratmas.cli",
    "ratmas.demo",
)

RULES: tuple[Rule, ...] = (
    Rule("ratmas", (), exact=True),
    Rule("ratmas.domain", ("ratmas.domain",), frozenset({"transitions"})),
    Rule("ratmas.services", ("ratmas.domain", "ratmas.services")),
    Rule(
        "ratmas.persistence",
        ("ratmas.domain", "ratmas.services", "ratmas.persistence", "ratmas.config"),
        frozenset({"tortoise", "aerich", "asyncpg", "aiosqlite", "pypika_tortoise"}),
    ),
    Rule(
        "jobs",
        ("ratmas.domain", "ratmas.services", "ratmas.config", "jobs"),
        frozenset({"apscheduler", "tzlocal"}),
    ),
    Rule(
        "ratmas.bot",
        ("ratmas.domain", "ratmas.services", "ratmas.bot"),
        frozenset({"nextcord", "aiohttp", "aiolimiter"}),
    ),
    # Stand-alone; it imports nextcord.http only to point Route.BASE at itself.
    Rule("ratmas.sandbox", ("ratmas.sandbox",), frozenset({"aiohttp", "nextcord"})),
    Rule("ratmas.config", ("ratmas.domain",)),
    Rule("ratmas.app", EVERYTHING_OURS, frozenset({"nextcord"})),
    # The CLI asks the composition root; it never reaches for an adapter itself.
    Rule(
        "ratmas.cli",
        ("ratmas.app", "ratmas.config", "ratmas.domain", "ratmas.services", "ratmas.demo"),
    ),
    Rule(
        "ratmas.demo",
        ("ratmas.app", "ratmas.config", "ratmas.sandbox", "ratmas.domain", "ratmas.services"),
    ),
    Rule("ratmas.__main__", ("ratmas.cli",)),
)

FRAMEWORK_HOMES: Mapping[str, tuple[str, ...]] = {
    "tortoise": ("ratmas.persistence",),
    "aerich": ("ratmas.persistence",),
    "apscheduler": ("jobs",),
    "nextcord": ("ratmas.bot", "ratmas.app", "ratmas.sandbox"),
}


# --- the checkers -----------------------------------------------------------------------------


class Violation(NamedTuple):
    module: str
    line: int
    imported: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.imported}"


def unruled(sources: Iterable[Source], rules: Sequence[Rule] = RULES) -> list[str]:
    """Modules governed by no rule or by more than one."""
    wrong = []
    for source in sources:
        layers = [rule.layer for rule in rules if rule.governs(source.name)]
        if len(layers) != 1:
            wrong.append(f"{source.name} falls under {layers or 'no rule'}")
    return wrong


def layer_violations(sources: Sequence[Source], rules: Sequence[Rule] = RULES) -> list[Violation]:
    modules = {s.name for s in sources}
    return [
        Violation(source.name, imp.line, imp.name)
        for source in sources
        for imp in imports_of(source, modules)
        if any(rule.governs(source.name) and not rule.allows(imp.name) for rule in rules)
    ]


def framework_leaks(
    sources: Sequence[Source], homes: Mapping[str, tuple[str, ...]] = FRAMEWORK_HOMES
) -> list[Violation]:
    modules = {s.name for s in sources}
    return [
        Violation(source.name, imp.line, imp.name)
        for source in sources
        for imp in imports_of(source, modules)
        if top(imp.name) in homes and not within(source.name, *homes[top(imp.name)])
    ]


def deepest_module(name: str, modules: Collection[str]) -> str | None:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:end])) in modules:
            return candidate
    return None


def import_graph(sources: Sequence[Source]) -> dict[str, dict[str, int]]:
    """module -> {module of ours it imports: first line that does}."""
    modules = {s.name for s in sources}
    graph: dict[str, dict[str, int]] = {s.name: {} for s in sources}
    for source in sources:
        for imp in imports_of(source, modules):
            target = deepest_module(imp.name, modules) if imp.edge else None
            if target is not None and target != source.name:
                graph[source.name].setdefault(target, imp.line)
    return graph


def import_cycles(sources: Sequence[Source]) -> list[list[str]]:
    """Each group of modules that import each other (directly or not), as its edges."""
    graph = import_graph(sources)

    def reachable(start: str) -> set[str]:
        seen, stack = {start}, [start]
        while stack:
            for nxt in graph[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    reach = {module: reachable(module) for module in graph}
    components = {frozenset(m for m in reach[module] if module in reach[m]) for module in graph}
    return sorted(
        sorted(
            f"{a}:{line} -> {b}"
            for a in component
            for b, line in graph[a].items()
            if b in component
        )
        for component in components
        if len(component) > 1
    )


# --- the real tree ----------------------------------------------------------------------------


def test_every_module_falls_under_exactly_one_rule() -> None:
    assert len(real_sources()) > 30
    wrong = unruled(real_sources())
    assert not wrong, "\n".join(wrong)


def test_rules_name_real_packages() -> None:
    modules = {s.name for s in real_sources()}
    for rule in RULES:
        for name in rule.ours:
            assert name in modules, f"{rule.layer} allows {name}, which does not exist"


@pytest.mark.parametrize("rule", RULES, ids=[r.layer for r in RULES])
def test_layer_imports_point_inward(rule: Rule) -> None:
    sources = real_sources()
    wrong = [str(v) for v in layer_violations(sources, [rule])]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("framework", "home"), FRAMEWORK_HOMES.items())
def test_frameworks_stay_in_their_adapter(framework: str, home: tuple[str, ...]) -> None:
    leaks = [str(v) for v in framework_leaks(real_sources(), {framework: home})]
    assert not leaks, "\n".join(leaks)


def test_no_import_cycles() -> None:
    cycles = import_cycles(real_sources())
    assert not cycles, "\n\n".join("\n".join(cycle) for cycle in cycles)


# --- the reader, on planted modules -----------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "is_package", "level", "target", "expected"),
    [
        ("ratmas.bot.cog", False, 1, None, "ratmas.bot"),
        ("ratmas.bot.cog", False, 1, "client", "ratmas.bot.client"),
        ("ratmas.bot.cog", False, 2, "persistence", "ratmas.persistence"),
        ("ratmas.bot", True, 1, "client", "ratmas.bot.client"),
        ("ratmas.bot", True, 2, None, "ratmas"),
        ("ratmas", True, 1, "persistence.repository", "ratmas.persistence.repository"),
        ("ratmas.cli", False, 1, "app", "ratmas.app"),
        ("jobs.scheduler", False, 0, "ratmas.config", "ratmas.config"),
    ],
)
def test_relative_imports_resolve_against_the_package(
    module: str, is_package: bool, level: int, target: str | None, expected: str
) -> None:
    assert resolve(module, is_package, level, target) == expected


def test_relative_import_beyond_the_top_is_refused() -> None:
    with pytest.raises(ImportError):
        resolve("jobs.ids", False, 2, "ratmas")


def test_imports_are_read_everywhere() -> None:
    source = plant(
        "ratmas.bot.planted",
        """\
        from typing import TYPE_CHECKING

        import ratmas.domain.model
        from . import render, nothing_such
        from .. import persistence

        if TYPE_CHECKING:
            from ratmas.services.ports import Clock

        def later() -> None:
            from ..persistence.repository import TortoiseEventRepository

        class Deep:
            def method(self) -> None:
                import jobs.scheduler as _
        """,
    )
    names = {i.name for i in imports_of(source, {s.name for s in with_planted(source)})}
    assert names == {
        "typing",
        "ratmas.domain.model",
        "ratmas.bot",
        "ratmas.bot.render",
        "ratmas",
        "ratmas.persistence",
        "ratmas.services.ports",
        "ratmas.persistence.repository",
        "jobs.scheduler",
    }


# --- every rule fails when broken -------------------------------------------------------------

# (rule, planted module, is it a package's __init__, forbidden import, the name reported)
FORBIDDEN: list[tuple[str, str, bool, str, str]] = [
    ("ratmas", "ratmas", True, "import ratmas.bot.client", "ratmas.bot.client"),
    ("ratmas", "ratmas", True, "from .persistence import db", "ratmas.persistence.db"),
    ("ratmas", "ratmas", True, "import nextcord", "nextcord"),
    (
        "ratmas.domain",
        "ratmas.domain.planted",
        False,
        "from ratmas.services.ports import Clock",
        "ratmas.services.ports",
    ),
    (
        "ratmas.domain",
        "ratmas.domain.planted",
        False,
        "from ..persistence import repository",
        "ratmas.persistence.repository",
    ),
    (
        "ratmas.domain",
        "ratmas.domain.planted",
        False,
        "def f() -> None:\n    from ratmas import config",
        "ratmas.config",
    ),
    (
        "ratmas.domain",
        "ratmas.domain.planted",
        False,
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..services import ports",
        "ratmas.services.ports",
    ),
    ("ratmas.domain", "ratmas.domain.planted", False, "import tortoise", "tortoise"),
    ("ratmas.domain", "ratmas.domain", True, "from .. import services", "ratmas.services"),
    (
        "ratmas.services",
        "ratmas.services.planted",
        False,
        "from ratmas.persistence.repository import TortoiseEventRepository",
        "ratmas.persistence.repository",
    ),
    (
        "ratmas.services",
        "ratmas.services.planted",
        False,
        "from ..persistence import repository",
        "ratmas.persistence.repository",
    ),
    ("ratmas.services", "ratmas.services.planted", False, "from .. import config", "ratmas.config"),
    ("ratmas.services", "ratmas.services.planted", False, "import nextcord", "nextcord"),
    (
        "ratmas.persistence",
        "ratmas.persistence.planted",
        False,
        "from ratmas.bot import render",
        "ratmas.bot.render",
    ),
    (
        "ratmas.persistence",
        "ratmas.persistence.planted",
        False,
        "from ..bot.client import RatmasBot",
        "ratmas.bot.client",
    ),
    (
        "ratmas.persistence",
        "ratmas.persistence.planted",
        False,
        "from apscheduler.triggers.date import DateTrigger",
        "apscheduler.triggers.date",
    ),
    (
        "jobs",
        "jobs.planted",
        False,
        "from ratmas.persistence.db import connected",
        "ratmas.persistence.db",
    ),
    ("jobs", "jobs.planted", False, "from ratmas import bot", "ratmas.bot"),
    ("jobs", "jobs.planted", False, "import ratmas.app", "ratmas.app"),
    ("jobs", "jobs.planted", False, "import tortoise", "tortoise"),
    (
        "ratmas.bot",
        "ratmas.bot.planted",
        False,
        "from ratmas.persistence.repository import TortoiseEventRepository",
        "ratmas.persistence.repository",
    ),
    (
        "ratmas.bot",
        "ratmas.bot.planted",
        False,
        "from ..persistence import repository",
        "ratmas.persistence.repository",
    ),
    ("ratmas.bot", "ratmas.bot.planted", False, "from .. import app", "ratmas.app"),
    ("ratmas.bot", "ratmas.bot.planted", False, "from jobs.ids import job_id", "jobs.ids"),
    ("ratmas.bot", "ratmas.bot.planted", False, "import tortoise", "tortoise"),
    (
        "ratmas.sandbox",
        "ratmas.sandbox.planted",
        False,
        "from ratmas.domain.model import Event",
        "ratmas.domain.model",
    ),
    (
        "ratmas.sandbox",
        "ratmas.sandbox.planted",
        False,
        "from ..services import ports",
        "ratmas.services.ports",
    ),
    ("ratmas.sandbox", "ratmas.sandbox.planted", False, "import tortoise", "tortoise"),
    (
        "ratmas.config",
        "ratmas.config",
        False,
        "from ratmas.services.ports import Clock",
        "ratmas.services.ports",
    ),
    (
        "ratmas.config",
        "ratmas.config",
        False,
        "from .persistence import db",
        "ratmas.persistence.db",
    ),
    ("ratmas.config", "ratmas.config", False, "import pydantic", "pydantic"),
    ("ratmas.app", "ratmas.app", False, "import tortoise", "tortoise"),
    ("ratmas.app", "ratmas.app", False, "from tests import fakes", "tests"),
    (
        "ratmas.cli",
        "ratmas.cli",
        False,
        "from ratmas.persistence.db import migrate",
        "ratmas.persistence.db",
    ),
    ("ratmas.cli", "ratmas.cli", False, "from jobs.inspect import jobs_command", "jobs.inspect"),
    ("ratmas.cli", "ratmas.cli", False, "import ratmas.sandbox", "ratmas.sandbox"),
    (
        "ratmas.cli",
        "ratmas.cli",
        False,
        "from .persistence.repository import TortoiseEventRepository",
        "ratmas.persistence.repository",
    ),
    ("ratmas.cli", "ratmas.cli", False, "from . import bot", "ratmas.bot"),
    ("ratmas.cli", "ratmas.cli", False, "import nextcord", "nextcord"),
    (
        "ratmas.demo",
        "ratmas.demo",
        False,
        "from ratmas.persistence.db import connected",
        "ratmas.persistence.db",
    ),
    ("ratmas.demo", "ratmas.demo", False, "from .bot import client", "ratmas.bot.client"),
    ("ratmas.demo", "ratmas.demo", False, "from jobs import scheduler", "jobs.scheduler"),
    ("ratmas.demo", "ratmas.demo", False, "import nextcord", "nextcord"),
    ("ratmas.__main__", "ratmas.__main__", False, "from ratmas.app import serve", "ratmas.app"),
    (
        "ratmas.__main__",
        "ratmas.__main__",
        False,
        "from . import persistence",
        "ratmas.persistence",
    ),
]

# (rule, planted module, is it a package's __init__, imports the rule allows)
ALLOWED: list[tuple[str, str, bool, str]] = [
    ("ratmas", "ratmas", True, "import importlib.metadata\n__version__ = '0'"),
    (
        "ratmas.domain",
        "ratmas.domain.planted",
        False,
        "from . import status\nfrom .errors import InvalidInput\nfrom transitions import Machine",
    ),
    (
        "ratmas.services",
        "ratmas.services.planted",
        False,
        "from ..domain import model\nfrom . import ports\nfrom ratmas import __version__",
    ),
    (
        "ratmas.persistence",
        "ratmas.persistence.planted",
        False,
        "from .models import Event\nfrom ..config import Settings\nfrom ..services import ports\n"
        "import tortoise\nimport asyncpg\nimport aiosqlite\nimport pypika_tortoise",
    ),
    (
        "jobs",
        "jobs.planted",
        False,
        "from .ids import job_id\nfrom ratmas.config import SchedulerConfig\n"
        "from ratmas.services import schedule\nimport apscheduler\nimport tzlocal",
    ),
    (
        "ratmas.bot",
        "ratmas.bot.planted",
        False,
        "from . import render\nfrom ..services.ports import Clock\nimport nextcord\nimport aiohttp",
    ),
    (
        "ratmas.sandbox",
        "ratmas.sandbox.planted",
        False,
        "from .state import JSON\nfrom aiohttp import web\nimport nextcord.http",
    ),
    ("ratmas.config", "ratmas.config", False, "from .domain.errors import ConfigError"),
    (
        "ratmas.app",
        "ratmas.app",
        False,
        "from .persistence import db\nfrom .bot import client\nfrom jobs.scheduler import X\n"
        "from .sandbox import Sandbox\nimport nextcord",
    ),
    (
        "ratmas.cli",
        "ratmas.cli",
        False,
        "from . import app\nfrom ratmas.demo import play\nfrom .services.ports import SystemClock\n"
        "from ratmas import __version__\nfrom ratmas.config import Settings",
    ),
    (
        "ratmas.demo",
        "ratmas.demo",
        False,
        "from .app import serve\nfrom .sandbox import Sandbox\nfrom ratmas.config import Settings",
    ),
    ("ratmas.__main__", "ratmas.__main__", False, "from .cli import main"),
]


def rule_named(layer: str) -> Rule:
    return next(rule for rule in RULES if rule.layer == layer)


def test_every_rule_has_planted_cases() -> None:
    layers = {rule.layer for rule in RULES}
    assert {case[0] for case in FORBIDDEN} == layers
    assert {case[0] for case in ALLOWED} == layers


@pytest.mark.parametrize(
    ("layer", "module", "is_package", "text", "reported"),
    FORBIDDEN,
    ids=[f"{c[0]}: {c[3].splitlines()[-1].strip()}" for c in FORBIDDEN],
)
def test_a_planted_violation_fails_its_rule(
    layer: str, module: str, is_package: bool, text: str, reported: str
) -> None:
    rule = rule_named(layer)
    assert [r.layer for r in RULES if r.governs(module)] == [layer]
    sources = with_planted(plant(module, text, is_package))
    found = {v.imported for v in layer_violations(sources, [rule]) if v.module == module}
    assert reported in found


@pytest.mark.parametrize(
    ("layer", "module", "is_package", "text"),
    ALLOWED,
    ids=[c[0] for c in ALLOWED],
)
def test_what_a_rule_allows_passes(layer: str, module: str, is_package: bool, text: str) -> None:
    sources = with_planted(plant(module, text, is_package))
    assert [str(v) for v in layer_violations(sources) if v.module == module] == []


def test_a_planted_module_outside_every_rule_is_reported() -> None:
    sources = with_planted(
        plant("ratmas.newpkg", "", is_package=True), plant("ratmas.newpkg.thing", "")
    )
    assert unruled(sources) == [
        "ratmas.newpkg falls under no rule",
        "ratmas.newpkg.thing falls under no rule",
    ]


@pytest.mark.parametrize(
    ("module", "text", "framework"),
    [
        ("ratmas.services.planted", "from tortoise.models import Model", "tortoise"),
        ("ratmas.cli", "def f() -> None:\n    from aerich import Command", "aerich"),
        ("ratmas.persistence.planted", "import apscheduler", "apscheduler"),
        ("ratmas.demo", "import nextcord.http", "nextcord"),
    ],
)
def test_a_planted_framework_leak_is_reported(module: str, text: str, framework: str) -> None:
    sources = with_planted(plant(module, text))
    leaks = [v for v in framework_leaks(sources) if v.module == module]
    assert [top(v.imported) for v in leaks] == [framework]


# --- cycles fail when planted -----------------------------------------------------------------


def planted_cycles(*planted: Source) -> list[list[str]]:
    names = {s.name for s in planted}
    return [
        cycle
        for cycle in import_cycles(with_planted(*planted))
        if any(edge.partition(":")[0] in names for edge in cycle)
    ]


def test_a_planted_cycle_fails() -> None:
    a = plant("ratmas.planted_a", "from ratmas.planted_b import B\nA = 1")
    b = plant("ratmas.planted_b", "B = 2\ndef f() -> None:\n    from ratmas import planted_a")
    assert planted_cycles(a, b) == [
        ["ratmas.planted_a:1 -> ratmas.planted_b", "ratmas.planted_b:3 -> ratmas.planted_a"]
    ]


def test_a_planted_cycle_through_relative_imports_and_three_modules_fails() -> None:
    a = plant("jobs.planted_a", "from . import planted_b")
    b = plant("jobs.planted_b", "from .planted_c import C")
    c = plant("jobs.planted_c", "import jobs.planted_a.nothing_such")
    assert planted_cycles(a, b, c) == [
        [
            "jobs.planted_a:1 -> jobs.planted_b",
            "jobs.planted_b:1 -> jobs.planted_c",
            "jobs.planted_c:1 -> jobs.planted_a",
        ]
    ]


def test_a_package_init_importing_its_submodule_is_an_edge() -> None:
    init = plant("ratmas.plantedpkg", "from .mod import M", is_package=True)
    mod = plant("ratmas.plantedpkg.mod", "from ratmas.plantedpkg import VALUE\nM = 1")
    assert planted_cycles(init, mod) == [
        [
            "ratmas.plantedpkg.mod:1 -> ratmas.plantedpkg",
            "ratmas.plantedpkg:1 -> ratmas.plantedpkg.mod",
        ]
    ]


def test_importing_a_sibling_through_the_package_is_no_edge_to_the_package() -> None:
    init = plant("ratmas.plantedpkg", "from . import mod", is_package=True)
    mod = plant("ratmas.plantedpkg.mod", "from ratmas.plantedpkg import other")
    other = plant("ratmas.plantedpkg.other", "X = 1")
    assert planted_cycles(init, mod, other) == []
