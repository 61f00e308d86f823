"""Database lifecycle: migrations, drift, transactions and unreachable servers."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aerich import Command

from ratmas.domain.errors import DatabaseUnavailable
from ratmas.domain.model import EventDates, NewEvent
from ratmas.persistence import db
from ratmas.persistence.repository import TortoiseEventRepository, bulk, pairings
from tests.persistence.test_repository_contract import NOW, event_with, new_event


async def test_migrate_creates_the_sqlite_directory_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'nested' / 'dir' / 'ratmas.sqlite'}"
    applied = await db.migrate(url)
    every = sorted(p.name for p in Path(db.MIGRATIONS_LOCATION, "models").glob("[0-9]*_*.py"))
    assert applied == every
    assert applied[0].startswith("0_")
    assert (tmp_path / "nested" / "dir" / "ratmas.sqlite").is_file()
    assert await db.migrate(url) == []


async def test_models_and_migrations_do_not_drift(tmp_path: Path) -> None:
    """Fails when a model changed without a migration that records the change."""
    location = tmp_path / "migrations"
    shutil.copytree(db.MIGRATIONS_LOCATION, location)
    url = f"sqlite://{tmp_path / 'drift.sqlite'}"
    await db.migrate(url)
    from tortoise import Tortoise

    await Tortoise.init(config=db.tortoise_config(url))
    try:
        command = Command(
            tortoise_config=db.tortoise_config(url), app="models", location=str(location)
        )
        await command.init()
        generated = await command.migrate("drift_check", no_input=True)
    finally:
        await db.close_db()
    assert generated == "", (
        f"the models differ from the last migration; generated {generated}: add a migration "
        "(see README, 'Changing the schema')"
    )


async def test_replace_pairings_rolls_back_whole_when_it_fails_midway(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = TortoiseEventRepository()
    event_id = await event_with(repo, 1, 2, 3, 4)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 4, 4: 1})
    await repo.mark_notified(event_id, 1, NOW)
    before = await repo.list_pairings(event_id)

    real_insert = bulk.insert_fresh

    async def insert_half_then_fail(
        connection: Any, event_id: int, santas: Sequence[int], recipients: Sequence[int]
    ) -> None:
        # The old rows are already gone.
        await real_insert(connection, event_id, santas[:2], recipients[:2])
        raise RuntimeError("connection lost midway")

    # A draw that keeps nothing goes in as fresh rows only.
    monkeypatch.setattr(pairings, "insert_fresh", insert_half_then_fail)
    with pytest.raises(RuntimeError, match="midway"):
        await repo.replace_pairings(event_id, {1: 3, 3: 2, 2: 4, 4: 1})
    monkeypatch.undo()
    assert await repo.list_pairings(event_id) == before


async def test_the_database_refuses_a_second_live_event(database: str) -> None:
    """The unique live_guild_id column holds even when the friendly check is skipped."""
    from tortoise.exceptions import IntegrityError

    from ratmas.persistence.models import EventRow

    repo = TortoiseEventRepository()
    first = await repo.create_event(new_event(), now=NOW)
    with pytest.raises(IntegrityError):
        await EventRow.create(
            guild_id=first.guild_id,
            live_guild_id=first.guild_id,
            status="scheduled",
            starts_at=NOW,
            purchase_deadline=NOW,
            reveal_at=NOW,
            timezone="UTC",
            created_at=NOW,
            updated_at=NOW,
        )


async def test_unreachable_postgres_names_the_url_without_password() -> None:
    url = "postgres://ratmas:s3cret-pass@127.0.0.1:1/ratmas"
    with pytest.raises(DatabaseUnavailable) as caught:
        await db.init_db(url)
    message = str(caught.value)
    assert "postgres://ratmas:***@127.0.0.1:1/ratmas" in message
    assert "s3cret-pass" not in message
    with pytest.raises(DatabaseUnavailable) as caught:
        await db.migrate(url)
    assert "s3cret-pass" not in str(caught.value)


async def test_unusable_sqlite_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailable, match="Cannot reach the database"):
        await db.init_db(f"sqlite://{blocker / 'ratmas.sqlite'}")


def test_new_event_type_is_plain_data() -> None:
    event = NewEvent(1, EventDates(NOW, NOW, NOW), "UTC")
    assert event.created_by is None


async def test_pairings_and_outbox_rows_need_their_event_and_go_with_it(database: str) -> None:
    """A foreign key on SQLite, statement-level triggers on PostgreSQL (migration 4):
    either way a row of a missing event is refused, and deleting an event deletes its
    pairings and outbox rows."""
    from tortoise.exceptions import IntegrityError

    from ratmas.persistence.models import EventRow, OutboxRow, PairingRow

    repo = TortoiseEventRepository()
    event_id = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1}, now=NOW)
    with pytest.raises(IntegrityError):
        await PairingRow.create(event_id=event_id + 1, santa_id=1, recipient_id=2)
    with pytest.raises(IntegrityError):
        await OutboxRow.create(event_id=event_id + 1, user_id=1, kind="assignment")
    other = (await repo.create_event(new_event(guild=1), now=NOW)).id
    with pytest.raises(IntegrityError):
        await PairingRow.filter(event_id=event_id, santa_id=1).update(event_id=other + 1)
    with pytest.raises(IntegrityError):
        await EventRow.filter(id=event_id).update(id=other + 1)
    assert await repo.delete_event(event_id)
    assert await PairingRow.filter(event_id=event_id).count() == 0
    assert await OutboxRow.filter(event_id=event_id).count() == 0
    assert await repo.get_event(other) is not None
