"""`ratmas import-legacy` as an operator runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from ratmas.persistence.db import connected
from tests.cli.test_cli import run
from tests.legacy_file import GUILD_A, realistic
from tests.properties import dump


def database_dump(url: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        async with connected(url):
            return await dump()

    return asyncio.run(read())


def test_a_dry_run_then_the_import_then_nothing(tmp_path: Path, database_url: str) -> None:
    legacy = realistic().write(tmp_path / "old.sqlite")
    env = {"DATABASE_URL": database_url}
    empty = database_dump(database_url)

    dry = run("import-legacy", str(legacy), "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "(dry run: nothing is stored)" in dry.stdout
    assert f"guild {GUILD_A}:" in dry.stdout
    assert "notified -> active" in dry.stdout
    assert "2 to DM at the next reconcile" in dry.stdout
    assert "Would import 4 event(s); 0 already imported before." in dry.stdout
    assert database_dump(database_url) == empty

    real = run("import-legacy", str(legacy), cwd=tmp_path, env=env)
    assert real.returncode == 0, real.stderr
    assert real.stdout.count("imported as event") == 4
    stored = database_dump(database_url)
    assert len(stored["ratmas_event"]) == 4
    assert len(stored["ratmas_pairing"]) == 11

    again = run("import-legacy", str(legacy), cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "Imported 0 event(s); 4 already imported before." in again.stdout
    assert database_dump(database_url) == stored


def test_a_bad_row_is_one_line_exit_2_and_stores_nothing(tmp_path: Path, database_url: str) -> None:
    file = realistic()
    file.pairings[-1]["recipientId"] = "not-a-participant"
    legacy = file.write(tmp_path / "old.sqlite")
    before = database_dump(database_url)
    result = run("import-legacy", str(legacy), cwd=tmp_path, env={"DATABASE_URL": database_url})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "RatmasPairing row ckq1a2025live-x4: column recipientId" in result.stderr
    assert database_dump(database_url) == before


def test_a_file_that_is_not_the_original_bots_is_one_line(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    other.write_bytes(b"not a database at all" * 100)
    result = run("import-legacy", str(other), "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert str(other) in result.stderr


def test_a_deleted_legacy_event_restored_twice_is_stored_once_and_keeps_its_legacy_id(
    tmp_path: Path, database_url: str
) -> None:
    """`ratmas restore` of the same snapshot twice: one event, the second run says it
    was already restored; the restored event keeps its legacy id, so import-legacy of
    the same file afterwards stores nothing again."""
    legacy = realistic().write(tmp_path / "old.sqlite")
    env = {"DATABASE_URL": database_url}
    assert run("import-legacy", str(legacy), cwd=tmp_path, env=env).returncode == 0
    (archived,) = [
        dict(row)["id"]
        for row in database_dump(database_url)["ratmas_event"]
        if ("legacy_id", "ckq1a2024done") in row
    ]
    deleted = run("delete-event", archived, "--yes", cwd=tmp_path, env=env)
    assert deleted.returncode == 0, deleted.stderr
    snapshot = deleted.stdout.strip().rsplit(" ", 1)[-1]

    first = run("restore", snapshot, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "as a new event" in first.stdout
    restored = first.stdout.split()[2]
    stored = database_dump(database_url)
    assert len(stored["ratmas_event"]) == 4
    assert [
        dict(row)["legacy_id"] for row in stored["ratmas_event"] if ("id", restored) in row
    ] == ["ckq1a2024done"]

    again = run("restore", snapshot, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"Already restored as event {restored} of guild {GUILD_A}")
    assert "nothing changed" in again.stdout
    assert database_dump(database_url) == stored

    after = run("import-legacy", str(legacy), cwd=tmp_path, env=env)
    assert after.returncode == 0, after.stderr
    assert "Imported 0 event(s); 4 already imported before." in after.stdout
    assert database_dump(database_url) == stored
