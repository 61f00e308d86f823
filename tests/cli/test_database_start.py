"""Starting on a database that is fresh, unmigrated or shared by processes starting
at the same moment: real `ratmas` processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.inprocess import run_main

RATMAS = [sys.executable, "-m", "ratmas.cli"]


def environment(database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def run(*args: str, cwd: Path, database_url: str | None) -> subprocess.CompletedProcess[str]:
    env = environment(database_url)
    return run_main(*args, cwd=cwd, env=env)


def migrate_three_at_once(cwd: Path, database_url: str | None) -> list[tuple[int, str, str]]:
    processes = [
        subprocess.Popen(
            [*RATMAS, "migrate"],
            cwd=cwd,
            env=environment(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        results.append((process.returncode, out, err))
    return results


def check_one_applied_and_two_up_to_date(results: list[tuple[int, str, str]]) -> None:
    assert [status for status, _, _ in results] == [0, 0, 0], [err for _, _, err in results]
    outputs = sorted(out for _, out, _ in results)
    applied = [out for out in outputs if out.startswith("Applied ")]
    up_to_date = [out for out in outputs if out.startswith("No pending migrations")]
    assert len(applied) == 1, outputs
    assert len(up_to_date) == 2, outputs


def test_three_processes_migrate_a_fresh_sqlite_database_at_once(tmp_path: Path) -> None:
    check_one_applied_and_two_up_to_date(migrate_three_at_once(tmp_path, None))
    assert (tmp_path / "data" / "ratmas.sqlite").is_file()


@pytest.mark.postgres
def test_three_processes_migrate_a_fresh_postgres_database_at_once(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    check_one_applied_and_two_up_to_date(migrate_three_at_once(tmp_path, fresh_postgres_url))


@pytest.mark.parametrize("command", [["jobs"], ["export", "--guild", "1"], ["backup", "b.db"]])
def test_reading_a_never_migrated_sqlite_database_says_migrate_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    result = run(*command, cwd=tmp_path, database_url=None)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "run `ratmas migrate`" in line
    assert "sqlite://data/ratmas.sqlite" in line
    assert list(tmp_path.iterdir()) == []


def test_an_empty_sqlite_file_is_not_a_migrated_database(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite").touch()
    result = run("jobs", cwd=tmp_path, database_url="file:./empty.sqlite")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("ratmas: The database at sqlite://./empty.sqlite has no Ratmas schema")
    assert "run `ratmas migrate`" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite"]


@pytest.mark.postgres
def test_reading_a_never_migrated_postgres_database_says_migrate(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    result = run("jobs", cwd=tmp_path, database_url=fresh_postgres_url)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "has no Ratmas schema yet" in line
    assert "run `ratmas migrate`" in line
    assert "Traceback" not in result.stderr


def test_an_in_memory_database_is_migrated_for_a_throwaway_run(tmp_path: Path) -> None:
    result = run("jobs", cwd=tmp_path, database_url="sqlite://:memory:")
    assert result.returncode == 0, result.stderr
    assert "(none)" in result.stdout or "No live events" in result.stdout, result.stdout
    assert list(tmp_path.iterdir()) == []
