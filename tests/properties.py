"""Shared pieces of the property-based tests: a valid export to mutate, the mutations,
values that have broken importers before, and a dump of everything the database holds.

The mutations replace one value anywhere in the file, delete a key, or duplicate a list
item; the values include what the issue found crashing or slipping through (ids past
2**63, counters past 2**31, NaN, "1.5", NUL, lone surrogates, 5,000-character links,
unsafe wishlist schemes, dates in year 1 and 9999).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st
from tortoise import connections

Path = tuple[str | int, ...]

NASTY_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**31,
    2**40,
    2**63,
    2**64 - 1,
    -(2**63) - 1,
    1.5,
    float("nan"),
    float("inf"),
    "",
    "abc",
    "1.5",
    "NaN",
    "9" * 25,
    "18446744073709551615",
    "9223372036854775808",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://example.com/list",
    "not a url",
    "https://\u202eexample.com",
    "https://example.com/a|b",
    "https://example.com/" + "x" * 5000,
    "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+00:00",
    "9999-12-31T23:59:59-14:00",
    "2026-12-24T18:00:00",
    "2026-12-24T18:00:00+00:00",
    "active",
    "Mars/Base",
    [],
    [1, 2],
    {},
    {"user_id": "1"},
    [[[[[]]]]],
]


def json_values() -> st.SearchStrategy[Any]:
    """Any JSON-like value, leaning on the ones that broke importers."""
    scalars = st.one_of(
        st.sampled_from(NASTY_VALUES),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.text(max_size=30),
        st.booleans(),
        st.none(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )


def paths(data: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a value inside `data` (dict keys and list indexes)."""
    found: list[Path] = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(paths(value, (*prefix, index)))
    return found


def _parent(data: Any, path: Path) -> Any:
    for step in path[:-1]:
        data = data[step]
    return data


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """`valid` with one to three changes: a value replaced, a key deleted or a list
    item duplicated."""
    data = copy.deepcopy(valid)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        every = paths(data)
        if not every:
            break
        path = draw(st.sampled_from(every))
        parent = _parent(data, path)
        key: Any = path[-1]
        how = draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
        if how == "replace":
            # A copy: the lists and dicts of NASTY_VALUES are shared by every example,
            # and a later change of this one must not reach into them.
            parent[key] = copy.deepcopy(draw(json_values()))
        elif how == "delete" and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return data


RATMAS_TABLES = (
    "ratmas_event",
    "ratmas_participant",
    "ratmas_exclusion",
    "ratmas_pairing",
    "ratmas_audit",
    "ratmas_guild_settings",
    "ratmas_household",
    "ratmas_household_member",
)


async def dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every Ratmas table on the connected database, in a stable order."""
    connection = connections.get("default")
    found: dict[str, list[tuple[Any, ...]]] = {}
    for table in RATMAS_TABLES:
        rows = await connection.execute_query_dict(f'SELECT * FROM "{table}"')
        found[table] = sorted(
            (tuple(sorted((k, str(v)) for k, v in row.items())) for row in rows),
        )
    return found
