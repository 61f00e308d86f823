"""Throw-away databases for the benchmarks: a migrated SQLite file, and a migrated
PostgreSQL database of its own when the server of `RATMAS_BENCH_POSTGRES_URL` (else
`RATMAS_TEST_POSTGRES_URL`, else the tests' default) is reachable.

Each is dropped afterwards. `backends()` yields (label, url) for every one available,
so a benchmark runs the same measurement on each.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ratmas.persistence.db import migrate

POSTGRES_SERVER_URL = os.environ.get(
    "RATMAS_BENCH_POSTGRES_URL",
    os.environ.get("RATMAS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"),
)


def asyncpg_url(url: str) -> str:
    return "postgresql" + url[len("postgres") :] if url.startswith("postgres://") else url


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(asyncpg_url(POSTGRES_SERVER_URL), timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="ratmas-bench-") as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite'}"
        await migrate(url)
        yield url


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """A migrated database of its own, or None when the server is unreachable."""
    name = f"ratmas_bench_{uuid.uuid4().hex[:12]}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError, TimeoutError):
        yield None
        return
    url = urlunsplit(urlsplit(POSTGRES_SERVER_URL)._replace(path=f"/{name}"))
    try:
        await migrate(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def database(backend: str) -> AsyncIterator[str | None]:
    """`sqlite` or `postgres` (None when PostgreSQL is unreachable)."""
    if backend == "sqlite":
        async with sqlite_database() as url:
            yield url
    else:
        async with postgres_database() as maybe_url:
            yield maybe_url


BACKENDS = ("sqlite", "postgres")
LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
