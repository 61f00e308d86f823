"""`ratmas run` as an operator starts it: a real process, talking to the loopback
Discord (`ratmas.sandbox`) that runs in the test's own event loop.

The process is started with `asyncio.create_subprocess_exec`, so the sandbox keeps
answering while the test waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ratmas.sandbox import Sandbox

RATMAS = [sys.executable, "-m", "ratmas.cli"]
# How long a stop may take: the bound the bot promises operators (and Docker's
# default stop timeout).
STOP_SECONDS = 10.0


def write_config(sb: Sandbox, folder: Path, **scheduler: int) -> Path:
    config = folder / "ratmas.toml"
    lines = ["[discord]", f'api_base_url = "{sb.api_base}"', "[scheduler]"]
    lines += [f"{key} = {value}" for key, value in scheduler.items()]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def environment(sb: Sandbox, database_url: str, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
    env.update(DISCORD_TOKEN=sb.token, DATABASE_URL=database_url, RATMAS_CONFIG=str(config))
    return env


async def ratmas(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run a short `ratmas` command to completion (the sandbox keeps serving)."""
    process = await asyncio.create_subprocess_exec(
        *RATMAS,
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        """Send `signum`; the exit status once it stopped, or fail after STOP_SECONDS."""
        self.process.send_signal(signum)
        try:
            return await asyncio.wait_for(self.process.wait(), STOP_SECONDS)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(
                f"ratmas run did not stop within {STOP_SECONDS} s of signal {signum}; "
                f"its log ends with:\n{self.log()[-3000:]}"
            ) from None


@contextlib.asynccontextmanager
async def bot_process(env: dict[str, str], cwd: Path) -> AsyncIterator[BotProcess]:
    """`ratmas run`, killed on the way out if the test did not stop it."""
    log_file = cwd / "bot.log"
    with log_file.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *RATMAS, "run", cwd=cwd, env=env, stdout=sink, stderr=sink
        )
    bot = BotProcess(process, log_file)
    try:
        yield bot
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def add_future_events(database: Path, count: int, *, first_guild: int = 10**17) -> None:
    """`count` scheduled events, each in a guild of its own, all three dates in the
    coming hours: inside the scheduler's horizon, so every phase gets a date job."""
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        start = now + timedelta(hours=1, seconds=index)
        guild = first_guild + index
        rows.append(
            (
                guild,
                "scheduled",
                guild,
                _sqlite_time(start),
                _sqlite_time(start + timedelta(hours=1)),
                _sqlite_time(start + timedelta(hours=2)),
                "UTC",
                _sqlite_time(now),
                _sqlite_time(now),
            )
        )
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        connection.executemany(
            "INSERT INTO ratmas_event (guild_id, status, live_guild_id, starts_at, "
            "purchase_deadline, reveal_at, timezone, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(sep=" ")


def add_overdue_event(database: Path, guild_id: int, channel_id: int, role_id: int) -> None:
    """A scheduled event whose start passed a minute ago: the startup reconcile draws
    and DMs every santa at once."""
    now = datetime.now(UTC)
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        connection.execute(
            "INSERT INTO ratmas_event (guild_id, status, live_guild_id, starts_at, "
            "purchase_deadline, reveal_at, timezone, announcement_channel_id, "
            "participant_role_id, created_at, updated_at) "
            "VALUES (?, 'scheduled', ?, ?, ?, ?, 'UTC', ?, ?, ?, ?)",
            (
                guild_id,
                guild_id,
                _sqlite_time(now - timedelta(minutes=1)),
                _sqlite_time(now + timedelta(days=1)),
                _sqlite_time(now + timedelta(days=2)),
                channel_id,
                role_id,
                _sqlite_time(now - timedelta(days=1)),
                _sqlite_time(now - timedelta(days=1)),
            ),
        )
