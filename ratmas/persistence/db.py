"""Database lifecycle: Tortoise configuration, connect/close, migrations.

`TORTOISE_ORM` is what the aerich CLI reads (`[tool.tortoise]` in pyproject); the
application builds its configuration from settings with `tortoise_config(url)`.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

from ratmas.config import DEFAULT_DATABASE_URL, redact_url
from ratmas.domain.errors import DatabaseUnavailable, RatmasError
from ratmas.persistence.locks import migration_lock


class NotMigrated(RatmasError):
    """The database has no schema yet, or an older one: `ratmas migrate` is needed."""


MODELS_MODULES = ["ratmas.persistence.models", "aerich.models"]


def _migrations_location() -> str:
    """The directory of the shipped `migrations` package (aerich reads files from it).

    Found through `importlib.resources`, so an installed wheel uses its own copy; a path
    relative to this file would only exist in a source checkout."""
    location = importlib.resources.files("migrations")
    if not isinstance(location, Path) or not (location / "models").is_dir():
        raise RuntimeError(f"the migrations package is not a directory on disk: {location}")
    return str(location)


MIGRATIONS_LOCATION = _migrations_location()


def tortoise_config(url: str) -> dict[str, Any]:
    """The Tortoise configuration for a database URL (aware UTC datetimes)."""
    return {
        "connections": {"default": url},
        "apps": {"models": {"models": MODELS_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite URL (":memory:" for an in-memory one); None for others."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        return None
    path = parts.netloc + parts.path
    return ":memory:" if path.startswith(":memory:") else path


def prepare_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite file on first use.

    `DatabaseUnavailable` when that is impossible (a file stands in the way, no rights)."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        return
    path = parts.netloc + parts.path
    if path in ("", ":memory:") or path.startswith(":memory:"):
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(
            f"Cannot reach the database at {redact_url(url)}: cannot create the directory "
            f"{Path(path).parent}: {exc.strerror}"
        ) from exc


async def init_db(url: str, *, migrate_in_memory: bool = True) -> None:
    """Connect Tortoise to `url` and check that the database answers.

    Call it in the task that later runs the bot (Tortoise keeps its connection in a
    per-task context). `DatabaseUnavailable` names the URL with the password redacted.
    An in-memory SQLite database exists only on this connection, so it is migrated
    here (unless `migrate_in_memory` is False)."""
    prepare_sqlite_directory(url)
    _forget_cached_statements()
    try:
        await Tortoise.init(config=tortoise_config(url))
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), 15)
    except Exception as exc:
        await close_db()
        raise DatabaseUnavailable(
            f"Cannot reach the database at {redact_url(url)}: {_reason(exc)}"
        ) from exc
    if migrate_in_memory and sqlite_path(url) == ":memory:":
        try:
            await _apply_migrations(url)
        except BaseException:
            await close_db()
            raise


@asynccontextmanager
async def connected(url: str, *, migrated: bool = True) -> AsyncIterator[None]:
    """`init_db` for the duration of a block, always closed afterwards.

    With `migrated` (the default, for commands that read the database), a database
    without the current schema is a `NotMigrated` telling the operator to run
    `ratmas migrate`, and a SQLite file that does not exist is not created."""
    if migrated:
        _refuse_missing_sqlite_file(url)
    await init_db(url)
    try:
        if migrated:
            await _require_schema(url)
        yield
    finally:
        await close_db()


def _refuse_missing_sqlite_file(url: str) -> None:
    path = sqlite_path(url)
    if path is not None and path != ":memory:" and not Path(path).is_file():
        raise NotMigrated(
            f"No database at {redact_url(url)} ({path} does not exist): "
            "run `ratmas migrate` first (with the same config and DATABASE_URL)"
        )


async def _require_schema(url: str) -> None:
    """`NotMigrated` unless every shipped migration is recorded as applied."""
    from tortoise.exceptions import BaseORMException

    try:
        rows = await connections.get("default").execute_query_dict(
            "SELECT version FROM aerich WHERE app = 'models'"
        )
    except (BaseORMException, OSError) as exc:
        raise NotMigrated(
            f"The database at {redact_url(url)} has no Ratmas schema yet "
            f"({_reason(exc)}): run `ratmas migrate` first"
        ) from None
    applied = {str(row["version"]) for row in rows}
    pending = [name for name in migration_files() if name not in applied]
    if pending:
        raise NotMigrated(
            f"The database at {redact_url(url)} lacks {len(pending)} migration(s) "
            f"({', '.join(pending)}): run `ratmas migrate` first"
        )


def migration_files() -> list[str]:
    """The shipped migrations, oldest first (the names aerich records)."""
    folder = Path(MIGRATIONS_LOCATION, "models")
    names = [p.name for p in folder.glob("*_*.py") if p.name.split("_", 1)[0].isdigit()]
    return sorted(names, key=lambda n: int(n.split("_", 1)[0]))


async def close_db() -> None:
    """Close every connection (an open aiosqlite thread would keep the process alive)."""
    await Tortoise.close_connections()


async def migrate(url: str) -> list[str]:
    """Apply the pending aerich migrations to `url`; returns the ones applied (maybe none).

    Safe when several processes start at once: they take turns under a lock (a
    PostgreSQL advisory lock, a lock file next to a SQLite database), so one applies
    the migrations and the others find the database up to date."""
    prepare_sqlite_directory(url)
    async with migration_lock(url):
        # Connect (and check the server answers) first, so that any connection problem
        # is the same one-line DatabaseUnavailable as everywhere else; aerich reuses it.
        await init_db(url, migrate_in_memory=False)
        try:
            return await _apply_migrations(url)
        finally:
            await close_db()


async def _apply_migrations(url: str) -> list[str]:
    from aerich import Command

    command = Command(
        tortoise_config=tortoise_config(url), app="models", location=MIGRATIONS_LOCATION
    )
    await command.init()
    applied: list[str] = await command.upgrade(run_in_transaction=True)
    return applied


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _unusable_target(target: Path) -> str | None:
    if target.exists():
        return f"{target} already exists; choose a new file name"
    if not target.parent.is_dir():
        return f"{target.parent} is not a directory"
    return None


def _forget_cached_statements() -> None:
    """Drop Tortoise's per-table SQL cache.

    Tortoise caches each model's INSERT/DELETE text under (connection name, schema,
    table), not under the dialect: a process that switches from SQLite to PostgreSQL
    (tests, `ratmas import`) would otherwise send SQLite's statements to PostgreSQL."""
    EXECUTOR_CACHE.clear()


async def backup(url: str, target: Path) -> Path:
    """A consistent copy of a SQLite database, taken while the bot may be running.

    SQLite's `VACUUM INTO` writes a snapshot of one transaction. PostgreSQL has its own
    tools (`pg_dump`); asking for it here is a `RatmasError` that says so."""
    from ratmas.domain.errors import RatmasError

    parts = urlsplit(url)
    if parts.scheme != "sqlite":
        raise RatmasError(
            f"ratmas backup copies SQLite databases; for {redact_url(url)} use pg_dump."
        )
    if (parts.netloc + parts.path).startswith(":memory:"):
        raise RatmasError("an in-memory SQLite database cannot be backed up")
    problem = _unusable_target(target)
    if problem:
        raise RatmasError(problem)
    async with connected(url):
        await connections.get("default").execute_query("VACUUM INTO ?", [str(target)])
    return target
