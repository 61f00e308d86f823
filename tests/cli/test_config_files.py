"""Generated bad config files: every one is refused by `ratmas` with exit status 2 and
one line on stderr naming the file (and the key), no traceback, and nothing created.

`ratmas.cli.main` runs in-process with stderr captured; each example gets its own empty
working directory, so a database file created by mistake would show.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratmas.cli import main

# Every key the file may hold, by table, with the type it takes.
INTS = {
    "scheduler.tick_seconds": (1, 86_400),
    "scheduler.misfire_grace_seconds": (1, 604_800),
    "scheduler.resume_after_seconds": (1, 86_400),
    "ratmas.min_participants": (2, 10_000),
    "discord.shard_count": (1, 65_536),
}
BOOLS = ("scheduler.coalesce", "discord.members_intent")
STRINGS = (
    "database.url",
    "discord.token_env",
    "discord.api_base_url",
    "ratmas.default_timezone",
    "logging.level",
)
TABLES = {
    "database": {"url"},
    "discord": {"token_env", "api_base_url", "shard_count", "shard_ids", "members_intent"},
    "ratmas": {"default_timezone", "min_participants"},
    "scheduler": {"tick_seconds", "misfire_grace_seconds", "coalesce", "resume_after_seconds"},
    "logging": {"level"},
}
INT64 = (-(2**63), 2**63 - 1)
# A valid file the mutations below break in exactly one place.
BASE = {"scheduler.tick_seconds": 60, "logging.level": "INFO"}


@dataclass(frozen=True)
class BadFile:
    content: bytes
    key: str | None  # the key the error must name (None: the file as a whole)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def render(values: dict[str, object]) -> str:
    tables: dict[str, list[str]] = {}
    for key, value in values.items():
        table, name = key.split(".", 1)
        tables.setdefault(table, []).append(f"{name} = {toml_value(value)}")
    return "".join(f"[{t}]\n" + "\n".join(lines) + "\n" for t, lines in tables.items())


def with_value(key: str, value: object) -> BadFile:
    return BadFile(render({**BASE, key: value}).encode("utf-8"), key)


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
scalars = st.one_of(
    st.integers(*INT64), st.booleans(), text, st.floats(allow_nan=False), st.lists(st.integers())
)


@st.composite
def wrong_types(draw: st.DrawFn) -> BadFile:
    key = draw(st.sampled_from([*INTS, *BOOLS, *STRINGS]))
    if key in INTS:
        value = draw(scalars.filter(lambda v: isinstance(v, bool) or not isinstance(v, int)))
    elif key in BOOLS:
        value = draw(scalars.filter(lambda v: not isinstance(v, bool)))
    else:
        value = draw(scalars.filter(lambda v: not isinstance(v, str)))
    return with_value(key, value)


@st.composite
def unknown_keys(draw: st.DrawFn) -> BadFile:
    table = draw(st.sampled_from(sorted(TABLES)))
    name = draw(st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True))
    if name in TABLES[table]:
        name += "_x"
    return with_value(f"{table}.{name}", draw(scalars))


@st.composite
def extreme_numbers(draw: st.DrawFn) -> BadFile:
    key = draw(st.sampled_from(sorted(INTS)))
    low, high = INTS[key]
    value = draw(st.one_of(st.integers(INT64[0], low - 1), st.integers(high + 1, INT64[1])))
    return with_value(key, value)


@st.composite
def malformed_urls(draw: st.DrawFn) -> BadFile:
    host = draw(st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True))
    port = draw(st.integers(65_536, 10**12))
    space = draw(st.sampled_from([" ", "\t", "\n", "\u00a0"]))
    if draw(st.booleans()):
        key = "discord.api_base_url"
        url = draw(
            st.sampled_from(
                [
                    f"http://[{host}",
                    f"http://[::1{host}",
                    f"https://{host}:{port}/api",
                    f"http://{host}:{host}x/api",
                    f"ftp://{host}/api",
                    f"{host}/api",
                    "https://",
                    f"https://{host}/api{space}",
                    f"{space}https://{host}/api",
                    f"https://{host}:0/api",
                ]
            )
        )
    else:
        key = "database.url"
        url = draw(
            st.sampled_from(
                [
                    f"sqlite://{space}",
                    "sqlite://",
                    f"postgres://{host}:{port}/db",
                    f"postgres://u:pw@[{host}/db",
                    f"postgres://{host}",
                    f"mysql://{host}/db",
                    f"file://{host}/x.sqlite",
                    f"file:{host}.sqlite?mode=ro",
                    "file:",
                    f"{space}sqlite://data/x.sqlite",
                    host,
                ]
            )
        )
    return with_value(key, url)


@st.composite
def bad_timezones(draw: st.DrawFn) -> BadFile:
    known = zoneinfo.available_timezones() - {"localtime", "Factory", "posixrules"}
    name = draw(st.one_of(st.sampled_from(["localtime", "Factory", "posixrules"]), text))
    if name in known:
        name += "/Nowhere"
    return with_value("ratmas.default_timezone", name)


@st.composite
def bad_encodings(draw: st.DrawFn) -> BadFile:
    good = render(BASE).encode("utf-8")
    junk = draw(st.binary(min_size=1, max_size=12).filter(_not_utf8))
    at = draw(st.integers(0, len(good)))
    return BadFile(good[:at] + junk + good[at:], None)


@st.composite
def not_toml(draw: st.DrawFn) -> BadFile:
    line = draw(st.sampled_from(["[scheduler", "tick_seconds = ", "= 3", "a = 'unclosed"]))
    return BadFile((render(BASE) + line + "\n").encode("utf-8"), None)


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


bad_files = st.one_of(
    wrong_types(),
    unknown_keys(),
    extreme_numbers(),
    malformed_urls(),
    bad_timezones(),
    bad_encodings(),
    not_toml(),
)


@contextlib.contextmanager
def empty_working_directory() -> Iterator[Path]:
    before = Path.cwd()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        try:
            yield Path(directory)
        finally:
            os.chdir(before)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bad=bad_files, command=st.sampled_from(["migrate", "jobs", "run", "health"]))
def test_a_bad_config_file_is_one_line_exit_2_and_creates_nothing(
    bad: BadFile, command: str
) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
    with (
        mock.patch.dict(os.environ, environ | {"DISCORD_TOKEN": "x"}, clear=True),
        empty_working_directory() as cwd,
    ):
        config = cwd / "ratmas.toml"
        config.write_bytes(bad.content)
        stderr, stdout = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(stderr):
            status = main(["--config", str(config), command], out=stdout)
        left = sorted(p.name for p in cwd.iterdir())
    lines = stderr.getvalue().splitlines()
    assert status == 2, stderr.getvalue()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"ratmas: {config}: ")
    if bad.key is not None:
        assert f" {bad.key} = " in lines[0]
    assert "Traceback" not in stderr.getvalue()
    assert stdout.getvalue() == ""
    assert left == ["ratmas.toml"]


@settings(max_examples=100, deadline=None)
@given(values=st.fixed_dictionaries({key: st.integers(*INTS[key]) for key in INTS}))
def test_every_number_inside_its_documented_range_is_accepted(values: dict[str, int]) -> None:
    from ratmas.config import load_settings

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "ratmas.toml")
        shards = values["discord.shard_count"]
        body = render({k: v for k, v in values.items() if not k.startswith("discord.")})
        body += f"[discord]\nshard_count = {shards}\nshard_ids = [{shards - 1}]\n"
        path.write_text(body, encoding="utf-8")
        loaded = load_settings(path, environ={})
    assert loaded.scheduler.tick_seconds == values["scheduler.tick_seconds"]
    assert loaded.scheduler.misfire_grace_seconds == values["scheduler.misfire_grace_seconds"]
    assert loaded.scheduler.resume_after_seconds == values["scheduler.resume_after_seconds"]
    assert loaded.min_participants == values["ratmas.min_participants"]
    assert loaded.discord.shard_ids == (shards - 1,)
