"""Reading the original TypeScript bot's Prisma SQLite file, and whether this database
can take what is read from it.

The file is opened read-only and its three tables are returned row by row, values as
stored (`ratmas.services.legacy` checks and maps them). Text that is not valid UTF-8
is read with its bad bytes escaped, so the check refuses it naming the row instead of
the driver failing halfway. A file that is not such a database is one `InvalidInput`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from tortoise import connections
from tortoise.exceptions import OperationalError

from ratmas.domain.errors import InvalidInput
from ratmas.services.legacy import (
    COLUMNS,
    EVENT_TABLE,
    PAIRING_TABLE,
    PARTICIPANT_TABLE,
    LegacyRows,
)


def read_legacy_file(path: Path) -> LegacyRows:
    """The `RatmasEvent`, `RatmasParticipant` and `RatmasPairing` rows of `path`."""
    if not path.is_file():
        raise InvalidInput("legacy", f"{path}: no such file")
    try:
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise InvalidInput("legacy", f"{path}: cannot be opened: {error}") from None
    connection.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
    connection.row_factory = sqlite3.Row
    try:
        tables = {}
        for table, needed in COLUMNS.items():
            present = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
            if not present:
                raise InvalidInput(
                    "legacy", f"{path}: no table {table}; not a database of the original bot"
                )
            missing = [c for c in needed if c not in present]
            if missing:
                raise InvalidInput(
                    "legacy", f"{path}: table {table} has no column {', '.join(missing)}"
                )
            tables[table] = tuple(
                dict(row) for row in connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
            )
    except sqlite3.Error as error:
        raise InvalidInput("legacy", f"{path}: not a readable SQLite database: {error}") from None
    finally:
        connection.close()
    return LegacyRows(tables[EVENT_TABLE], tables[PARTICIPANT_TABLE], tables[PAIRING_TABLE])


async def schema_knows_legacy_ids() -> bool:
    """Whether the connected database is migrated far enough to remember legacy ids."""
    try:
        await connections.get("default").execute_query(
            'SELECT "legacy_id" FROM "ratmas_event" WHERE 1 = 0'
        )
    except OperationalError:
        return False
    return True
