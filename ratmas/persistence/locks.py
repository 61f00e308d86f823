"""One migrating process at a time, whatever the backend.

Several `ratmas migrate` / `ratmas run` processes started together on a fresh database
would otherwise all create the same tables at once (PostgreSQL fails one of them with
an IntegrityError on `pg_type_typname_nsp_index`). Each takes its turn under:

- PostgreSQL: a session-level advisory lock on a connection of its own, released when
  the migration is done or, if the process dies, when its session ends;
- SQLite: an exclusive `flock` on `<database file>.lock`, released the same way (an
  in-memory database belongs to one process and needs none).

Waiting polls or awaits, so the event loop stays responsive (a SIGTERM that arrives
while a process waits for its turn is still handled).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from ratmas.config import redact_url
from ratmas.domain.errors import DatabaseUnavailable

# pg_advisory_lock's key: "ratmas" + 0x0001, any constant other programs do not use.
ADVISORY_LOCK_KEY: Final = 0x726174_6D6173_0001
POLL_SECONDS: Final = 0.05


@contextlib.asynccontextmanager
async def migration_lock(url: str) -> AsyncIterator[None]:
    scheme = urlsplit(url).scheme
    if scheme in ("postgres", "postgresql"):
        async with _advisory_lock(url):
            yield
    elif scheme == "sqlite":
        parts = urlsplit(url)
        path = parts.netloc + parts.path
        if path.startswith(":memory:"):
            yield
        else:
            async with _file_lock(Path(f"{path}.lock"), url):
                yield
    else:  # pragma: no cover - config.py admits no other scheme
        yield


@contextlib.asynccontextmanager
async def _advisory_lock(url: str) -> AsyncIterator[None]:
    import asyncpg

    # asyncpg reads libpq URLs; Tortoise's own options (e.g. ?minsize=) are not for it.
    plain = urlunsplit(urlsplit(url)._replace(scheme="postgresql", query="", fragment=""))
    try:
        connection = await asyncio.wait_for(asyncpg.connect(plain), 15)
    except Exception as exc:
        reason = (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]
        raise DatabaseUnavailable(
            f"Cannot reach the database at {redact_url(url)}: {reason}"
        ) from exc
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _file_lock(path: Path, url: str) -> AsyncIterator[None]:
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"Cannot reach the database at {redact_url(url)}: cannot open the lock file "
            f"{path}: {exc.strerror}"
        ) from exc
    try:
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
