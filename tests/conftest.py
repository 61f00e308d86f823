"""Shared fixtures: database backends for the repository contract and everything above it.

`database_url` gives a migrated, empty database: a fresh SQLite file per test, or one
PostgreSQL database per test run (created on the server from `RATMAS_TEST_POSTGRES_URL`,
default `postgres://postgres@127.0.0.1:5432/test`, dropped afterwards) truncated
before each test. When PostgreSQL is unreachable its tests are skipped, except under
`CI=true`, where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from ratmas.persistence.db import close_db, init_db, migrate
from ratmas.persistence.repository import TortoiseEventRepository
from tests.fakes import InMemoryEventRepository

POSTGRES_SERVER_URL = os.environ.get(
    "RATMAS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
RATMAS_TABLES = (
    "ratmas_audit",
    "ratmas_exclusion",
    "ratmas_pairing",
    "ratmas_participant",
    "ratmas_guild_settings",
    "ratmas_event",
    "ratmas_household_member",
    "ratmas_household",
)


def _with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(_to_asyncpg(POSTGRES_SERVER_URL), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _run_in_own_loop(make: Callable[[], Coroutine[Any, Any, object]]) -> None:
    """Run a coroutine to completion in a fresh loop on a worker thread.

    Session fixtures are first requested from inside a test's running loop, where
    `asyncio.run` is not allowed; the database they prepare outlives that loop anyway."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


def _to_asyncpg(url: str) -> str:
    return "postgresql" + url[len("postgres") :] if url.startswith("postgres://") else url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of its own for this test run."""
    name = f"ratmas_test_{uuid.uuid4().hex[:12]}"
    try:
        _run_in_own_loop(lambda: _admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL at {POSTGRES_SERVER_URL} is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = _with_database(POSTGRES_SERVER_URL, name)
    try:
        _run_in_own_loop(lambda: migrate(url))
        yield url
    finally:
        _run_in_own_loop(lambda: _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    connection = await asyncpg.connect(_to_asyncpg(url), timeout=5)
    try:
        await connection.execute(f"TRUNCATE {', '.join(RATMAS_TABLES)} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database (not yet connected)."""
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'ratmas.sqlite'}"
        await migrate(url)
        return url
    server: str = request.getfixturevalue("postgres_url")
    await _truncate(server)
    return server


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[str]:
    """`database_url`, connected for the duration of the test."""
    await init_db(database_url)
    try:
        yield database_url
    finally:
        await close_db()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def repo(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[InMemoryEventRepository | TortoiseEventRepository]:
    """Every implementation of `EventRepository`, for the contract suite."""
    if request.param == "memory":
        yield InMemoryEventRepository()
        return
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'ratmas.sqlite'}"
        await migrate(url)
    else:
        url = request.getfixturevalue("postgres_url")
        await _truncate(url)
    await init_db(url)
    try:
        yield TortoiseEventRepository()
    finally:
        await close_db()


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database (never migrated) of its own, dropped afterwards."""
    name = f"ratmas_fresh_{uuid.uuid4().hex[:12]}"
    try:
        _run_in_own_loop(lambda: _admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL at {POSTGRES_SERVER_URL} is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield _with_database(POSTGRES_SERVER_URL, name)
    finally:
        _run_in_own_loop(lambda: _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
