"""The `ratmas` command as an operator uses it: real processes, real databases."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ratmas.persistence import db
from tests.cli.inprocess import run_main

RATMAS = [sys.executable, "-m", "ratmas.cli"]


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
    full_env.update(env or {})
    return subprocess.run(
        [*RATMAS, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "migrate" in result.stdout


def test_migrate_twice_on_the_default_sqlite_database(tmp_path: Path) -> None:
    first = run("migrate", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    every = sorted(p.name for p in Path(db.MIGRATIONS_LOCATION, "models").glob("[0-9]*_*.py"))
    assert f"Applied {len(every)} migration(s) to sqlite://data/ratmas.sqlite" in first.stdout
    assert (tmp_path / "data" / "ratmas.sqlite").is_file()
    second = run("migrate", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "No pending migrations" in second.stdout


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://ratmas:topsecret@127.0.0.1:1/x", "postgres://ratmas:***@127.0.0.1:1/x"),
        (
            "postgres://nosuchrole:topsecret@127.0.0.1:5432/test",
            "postgres://nosuchrole:***@127.0.0.1:5432/test",
        ),
        ("postgres://postgres:topsecret@127.0.0.1:5432/nosuchdb", "/nosuchdb"),
    ],
    ids=["nothing-listening", "unknown-role", "unknown-database"],
)
@pytest.mark.parametrize("command", ["migrate", "jobs"])
def test_unreachable_database_is_one_line_and_exit_2(
    tmp_path: Path, url: str, shown: str, command: str
) -> None:
    result = run(command, cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert shown in result.stderr
    assert "topsecret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("[ratmas]\ndefault_timezone = 'Atlantis/Capital'\n", "ratmas.default_timezone"),
        ("[database]\nurl = 'nosuch://x'\n", "database.url"),
        ("[database]\nport = 5\n", "database.port"),
        (b"[ratmas]\ndefault_timezone = 'Europe/Z\xfcrich'\n", "not UTF-8"),
    ],
)
def test_bad_config_exits_2_with_one_line(
    tmp_path: Path, config: str | bytes, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(config if isinstance(config, bytes) else config.encode("utf-8"))
    result = run("migrate", "--config", str(path), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(path) in lines[0]
    assert expected in lines[0]


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = run("migrate", cwd=tmp_path, env={"RATMAS_CONFIG": str(tmp_path / "missing.toml")})
    assert result.returncode == 2
    assert "missing.toml: config file not found" in result.stderr


def test_jobs_lists_pending_phases_in_text_and_json(tmp_path: Path) -> None:
    import asyncio
    import json
    from datetime import UTC, datetime, timedelta

    from ratmas.domain.model import EventDates, NewEvent
    from ratmas.persistence.db import close_db, init_db, migrate
    from ratmas.persistence.repository import TortoiseEventRepository

    url = f"sqlite://{tmp_path / 'jobs.sqlite'}"
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)

    async def prepare() -> int:
        await migrate(url)
        await init_db(url)
        try:
            event = await TortoiseEventRepository().create_event(
                NewEvent(
                    guild_id=4242,
                    dates=EventDates(start, start + timedelta(days=7), start + timedelta(days=14)),
                    timezone="America/New_York",
                ),
                now=datetime.now(UTC),
            )
        finally:
            await close_db()
        return event.id

    event_id = asyncio.run(prepare())
    text = run("jobs", cwd=tmp_path, env={"DATABASE_URL": url})
    assert text.returncode == 0, text.stderr
    assert f"guild 4242  event {event_id}  scheduled  (America/New_York)" in text.stdout
    assert "purchase_deadline" in text.stdout
    assert "UTC" in text.stdout
    machine = run("jobs", "--json", cwd=tmp_path, env={"DATABASE_URL": url})
    data = json.loads(machine.stdout)
    assert data["events"][0]["guild_id"] == "4242"
    phases = data["events"][0]["pending"]
    assert [p["phase"] for p in phases] == ["start", "purchase_deadline", "reveal"]
    assert phases[0]["due_local"].endswith("-05:00")


def test_run_without_a_token_names_the_variable(tmp_path: Path) -> None:
    config = tmp_path / "ratmas.toml"
    config.write_text('[discord]\ntoken_env = "MY_RATMAS_TOKEN"\n', encoding="utf-8")
    result = run("run", "--config", str(config), cwd=tmp_path, env={"MY_RATMAS_TOKEN": ""})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ratmas: no Discord token: set the environment variable MY_RATMAS_TOKEN"
    )


async def test_run_connects_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """`ratmas run` against the loopback Discord: ready, then SIGTERM -> exit 0."""
    import asyncio
    import signal

    from ratmas.sandbox import Sandbox

    async with Sandbox(patch_nextcord=False) as sb:
        sb.add_guild("Rat Nest")
        config = tmp_path / "ratmas.toml"
        config.write_text(
            f'[database]\nurl = "sqlite://{tmp_path / "run.sqlite"}"\n'
            f'[discord]\napi_base_url = "{sb.api_base}"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
        env["DISCORD_TOKEN"] = sb.token
        process = await asyncio.create_subprocess_exec(
            *RATMAS,
            "run",
            "--config",
            str(config),
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await sb.wait_ready(timeout=30)
            await sb.wait_until(
                lambda: sb.commands(None) or None, 10, "the bot to register its commands"
            )
            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert sb.token not in log + stdout.decode()
    assert "stopped" in log


def test_export_and_backup_of_a_sqlite_database(tmp_path: Path) -> None:
    import asyncio
    import json
    import sqlite3
    import stat
    from datetime import UTC, datetime, timedelta

    from ratmas.domain.model import EventDates, Member, NewEvent
    from ratmas.persistence.db import close_db, init_db, migrate
    from ratmas.persistence.repository import TortoiseEventRepository

    url = f"sqlite://{tmp_path / 'live.sqlite'}"
    now = datetime(2026, 11, 20, tzinfo=UTC)

    async def prepare() -> int:
        await migrate(url)
        await init_db(url)
        try:
            repo = TortoiseEventRepository()
            event = await repo.create_event(
                NewEvent(
                    777,
                    EventDates(
                        now + timedelta(days=1), now + timedelta(days=2), now + timedelta(3)
                    ),
                    "UTC",
                ),
                now=now,
            )
            await repo.sync_participants(event.id, [Member(i, f"m{i}") for i in (1, 2, 3)], now=now)
            await repo.replace_pairings(event.id, {1: 2, 2: 3, 3: 1})
        finally:
            await close_db()
        return event.id

    event_id = asyncio.run(prepare())
    env = {"DATABASE_URL": url}

    one = run("export", "--event", str(event_id), cwd=tmp_path, env=env)
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["pairings"][0] == {
        "santa_id": "1",
        "recipient_id": "2",
        "notified_at": None,
        "attempts": 0,
        "last_error_code": None,
        "last_error_text": None,
        "gift_sent_at": None,
        "gift_received_at": None,
    }
    written = run("export", "--guild", "777", "--output", "guild.json", cwd=tmp_path, env=env)
    assert written.returncode == 0, written.stderr
    exported = tmp_path / "guild.json"
    assert [e["event"]["id"] for e in json.loads(exported.read_text())["events"]] == [event_id]
    assert list(json.loads(exported.read_text())) == ["format", "guild_id", "events", "households"]
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    missing = run("export", "--event", "999", cwd=tmp_path, env=env)
    assert missing.returncode == 2
    assert "There is no event 999" in missing.stderr

    copied = run("backup", "copy.sqlite", cwd=tmp_path, env=env)
    assert copied.returncode == 0, copied.stderr
    with sqlite3.connect(tmp_path / "copy.sqlite") as copy:
        assert copy.execute("SELECT count(*) FROM ratmas_pairing").fetchone() == (3,)
    again = run("backup", "copy.sqlite", cwd=tmp_path, env=env)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    postgres = run("backup", "x.sqlite", cwd=tmp_path, env={"DATABASE_URL": "postgres://u:pw@h/db"})
    assert postgres.returncode == 2
    assert "use pg_dump" in postgres.stderr
    assert "pw" not in postgres.stderr.replace("pg_dump", "")


def test_a_guild_moves_from_sqlite_to_another_database_by_export_and_import(
    tmp_path: Path, database_url: str
) -> None:
    """The scale-out path: export a guild from SQLite, import it into the target
    (a fresh SQLite file, or PostgreSQL), and export it again unchanged."""
    import asyncio
    import json
    from datetime import UTC, datetime, timedelta

    from ratmas.domain.model import EventDates, Member, NewEvent
    from ratmas.domain.status import EventStatus
    from ratmas.persistence.db import close_db, init_db, migrate
    from ratmas.persistence.repository import TortoiseEventRepository

    source = f"sqlite://{tmp_path / 'small.sqlite'}"
    now = datetime(2026, 11, 20, tzinfo=UTC)

    async def prepare() -> None:
        await migrate(source)
        await init_db(source)
        try:
            repo = TortoiseEventRepository()
            old = await repo.create_event(
                NewEvent(4242, EventDates(now, now + timedelta(1), now + timedelta(2)), "UTC"),
                now=now,
            )
            await repo.set_status(old.id, EventStatus.SCHEDULED, EventStatus.ARCHIVED, now=now)
            live = await repo.create_event(
                NewEvent(
                    4242,
                    EventDates(now + timedelta(30), now + timedelta(31), now + timedelta(32)),
                    "UTC",
                ),
                now=now,
            )
            await repo.sync_participants(live.id, [Member(i, f"m{i}") for i in (1, 2, 3)], now=now)
            await repo.add_exclusion(live.id, 1, 2)
            await repo.add_household(4242, [1, 3], created_by=77, now=now)
            await repo.add_household(4242, [4, 5, 6], created_by=None, now=now + timedelta(1))
            await repo.add_household(4243, [1, 2], created_by=None, now=now)  # another guild
        finally:
            await close_db()

    asyncio.run(prepare())
    exported = run(
        "export",
        "--guild",
        "4242",
        "--output",
        "guild.json",
        cwd=tmp_path,
        env={"DATABASE_URL": source},
    )
    assert exported.returncode == 0, exported.stderr
    imported = run("import", "guild.json", cwd=tmp_path, env={"DATABASE_URL": database_url})
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.count("Imported event") == 2
    assert "Imported 2 household(s) of guild 4242\n" in imported.stdout
    again = run("import", "guild.json", cwd=tmp_path, env={"DATABASE_URL": database_url})
    # The live event is already there: refused, one line, and nothing stored twice.
    assert again.returncode == 2
    assert "guild 4242 would get a second live event" in again.stderr
    back = run("export", "--guild", "4242", cwd=tmp_path, env={"DATABASE_URL": database_url})
    before = json.loads((tmp_path / "guild.json").read_text())
    after = json.loads(back.stdout)
    for data in (before, after):
        for event in data["events"]:
            event["event"].pop("id")
    assert after["events"] == before["events"]
    # The families moved too, as they were, and only this guild's.
    assert (
        after["households"]
        == before["households"]
        == [
            {"members": ["1", "3"], "created_by": "77", "created_at": now.isoformat()},
            {
                "members": ["4", "5", "6"],
                "created_by": None,
                "created_at": (now + timedelta(1)).isoformat(),
            },
        ]
    )
    other = run("export", "--guild", "4243", cwd=tmp_path, env={"DATABASE_URL": database_url})
    assert json.loads(other.stdout)["households"] == []


def in_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
    return run_main(*args, cwd=cwd, env=env)


@pytest.mark.parametrize("before", [True, False], ids=["before-command", "after-command"])
def test_config_is_accepted_before_or_after_the_command(tmp_path: Path, before: bool) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("[database]\nurl = 'sqlite://chosen/ratmas.sqlite'\n", encoding="utf-8")
    args = ["--config", str(config), "migrate"] if before else ["migrate", "--config", str(config)]
    result = in_process(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sqlite://chosen/ratmas.sqlite" in result.stdout
    assert (tmp_path / "chosen" / "ratmas.sqlite").is_file()
    assert not (tmp_path / "data").exists()


def test_config_after_the_command_wins_over_one_before(tmp_path: Path) -> None:
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text("[database]\nurl = 'sqlite://first/db.sqlite'\n", encoding="utf-8")
    second.write_text("[database]\nurl = 'sqlite://second/db.sqlite'\n", encoding="utf-8")
    result = in_process("--config", str(first), "migrate", "--config", str(second), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sqlite://second/db.sqlite" in result.stdout


def test_the_original_services_database_url_and_path(tmp_path: Path) -> None:
    result = run(
        "migrate",
        cwd=tmp_path,
        env={"DATABASE_URL": "file:./data/ratmas.sqlite", "DATABASE_PATH": "old.sqlite"},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "ratmas.sqlite").is_file()
    assert not (tmp_path / "old.sqlite").exists()
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("ratmas: warning: DATABASE_PATH = 'old.sqlite' is ignored")
    assert "DATABASE_URL" in warning


def test_debug_logging_keeps_nextcords_raw_payloads_out(tmp_path: Path) -> None:
    """At DEBUG nextcord would log every gateway event, members' notes included."""
    config = tmp_path / "debug.toml"
    config.write_text(
        "[logging]\nlevel = 'DEBUG'\n[database]\nurl = 'sqlite://db/ratmas.sqlite'\n",
        encoding="utf-8",
    )
    loggers = [logging.getLogger(name) for name in ("", "ratmas", "nextcord")]
    levels = [logger.level for logger in loggers]
    try:
        # What the configured DEBUG gives a process (pytest's own handlers make the
        # in-process basicConfig a no-op).
        logging.getLogger().setLevel(logging.DEBUG)
        logging.getLogger("ratmas").setLevel(logging.NOTSET)
        logging.getLogger("nextcord").setLevel(logging.NOTSET)
        result = in_process("--config", str(config), "migrate", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert logging.getLogger("ratmas.bot").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("nextcord.gateway").isEnabledFor(logging.DEBUG)
        assert logging.getLogger("nextcord.gateway").isEnabledFor(logging.INFO)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
