"""`ratmas import` on a real database, SQLite and PostgreSQL: a file is stored whole or
not at all, and a refused file leaves every table exactly as it was (a dump of the
database before and after is compared), whatever hypothesis does to the file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from ratmas.domain.errors import RatmasError
from ratmas.domain.model import EventDates, NewEvent
from ratmas.persistence.db import connected, migrate
from ratmas.persistence.models import AuditRow
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.import_checks import read_json
from ratmas.services.imports import import_file, read_export_file
from ratmas.services.snapshots import Restored, SnapshotService
from tests.conftest import _run_in_own_loop, _truncate
from tests.fakes import FixedClock, InMemorySnapshots
from tests.properties import dump, mutated
from tests.services.test_import_properties import GUILD, NOW, valid_export, valid_guild_file

LIVE_GUILD = "900000000000000050"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database holding one live event (of `LIVE_GUILD`)."""
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'ratmas.sqlite'}"
        _run_in_own_loop(lambda: migrate(url))
    else:
        url = request.getfixturevalue("postgres_url")
        _run_in_own_loop(lambda: _truncate(url))

    async def seed() -> None:
        async with connected(url):
            from datetime import UTC, datetime, timedelta

            now = datetime(2026, 11, 20, tzinfo=UTC)
            await TortoiseEventRepository().create_event(
                NewEvent(
                    int(LIVE_GUILD),
                    EventDates(
                        now + timedelta(days=1), now + timedelta(days=2), now + timedelta(3)
                    ),
                    "UTC",
                ),
                now=now,
            )

    _run_in_own_loop(seed)
    return url


async def attempt(url: str, text: str) -> tuple[bool, dict[str, Any], dict[str, Any]]:
    """Import `text` as `ratmas import` does: (stored?, dump before, dump after)."""
    async with connected(url):
        before = await dump()
        try:
            file = read_export_file(read_json(text), now=NOW)
            await import_file(TortoiseEventRepository(), file)
        except RatmasError as refused:
            message = str(refused)
        else:
            return True, before, await dump()
        assert "\n" not in message
        return False, before, await dump()


def test_a_file_whose_second_event_fails_stores_nothing(migrated_url: str) -> None:
    clash = valid_export(guild=LIVE_GUILD, event_id=9, status="active")
    text = json.dumps({"format": "ratmas-export/1", "events": [valid_export(), clash]})
    stored, before, after = asyncio.run(attempt(migrated_url, text))
    assert not stored
    assert after == before


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=mutated(valid_guild_file()))
def test_a_refused_import_leaves_the_database_unchanged(
    migrated_url: str, data: dict[str, Any]
) -> None:
    # Half the files also carry a live event of the guild that already has one.
    if len(json.dumps(data)) % 2:
        events = data.get("events")
        if isinstance(events, list):
            events.append(valid_export(guild=LIVE_GUILD, event_id=99, status="scheduled"))
    text = json.dumps(data, ensure_ascii=False, allow_nan=True)
    stored, before, after = asyncio.run(attempt(migrated_url, text))
    if stored:
        assert len(after["ratmas_event"]) >= len(before["ratmas_event"])
        # Unchanged only by a file without events whose households an earlier example
        # already stored (the database is shared by the examples): they are kept as is.
        events = data.get("events")
        assert after != before or (events == [] and after["ratmas_household"])
    else:
        assert after == before


def test_the_guild_of_the_valid_file_is_the_one_imported(migrated_url: str) -> None:
    stored, before, after = asyncio.run(attempt(migrated_url, json.dumps(valid_guild_file())))
    assert stored
    assert len(after["ratmas_event"]) == len(before["ratmas_event"]) + 2
    assert any(GUILD in str(row) for row in after["ratmas_event"])
    assert len(after["ratmas_household"]) == len(before["ratmas_household"]) + 2
    assert len(after["ratmas_household_member"]) == len(before["ratmas_household_member"]) + 5
    assert all(GUILD in str(row) for row in after["ratmas_household"])


def test_a_household_clash_stores_no_event_and_no_household(migrated_url: str) -> None:
    """A member of the file's second household is already in one of the guild's."""

    async def seed() -> None:
        async with connected(migrated_url):
            await TortoiseEventRepository().add_household(
                int(GUILD), [int(GUILD) + 21, int(GUILD) + 30], created_by=None, now=NOW
            )

    _run_in_own_loop(seed)
    stored, before, after = asyncio.run(attempt(migrated_url, json.dumps(valid_guild_file())))
    assert not stored
    assert after == before
    assert len(after["ratmas_household"]) == 1


def test_a_restore_stopped_midway_stores_nothing_and_the_next_run_stores_once(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first `ratmas restore` dies after the event, its participants and pairings
    are written but before its transaction ends: nothing of it is left. Run again, it
    stores the event once; a third run finds it and changes nothing."""
    text = json.dumps(valid_export(event_id=7, legacy_id="ckq1a2024done"))

    async def stopped(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process was killed")

    async def restore() -> Restored:
        service = SnapshotService(TortoiseEventRepository(), FixedClock(NOW), InMemorySnapshots())
        return await service.restore(text)

    async def scenario() -> None:
        async with connected(migrated_url):
            before = await dump()
            with monkeypatch.context() as patch:
                patch.setattr(AuditRow, "bulk_create", stopped)
                with pytest.raises(RuntimeError, match="killed"):
                    await restore()
            assert await dump() == before
            first = await restore()
            assert not first.already
            assert first.event.legacy_id == "ckq1a2024done"
            stored = await dump()
            assert len(stored["ratmas_event"]) == len(before["ratmas_event"]) + 1
            assert len(stored["ratmas_pairing"]) == len(before["ratmas_pairing"]) + 3
            again = await restore()
            assert again.already
            assert again.event == first.event
            assert await dump() == stored

    asyncio.run(scenario())
