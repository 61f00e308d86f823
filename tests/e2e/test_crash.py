"""Exactly once across crashes: the real bot, as a process of its own, is SIGKILLed again
and again in the middle of its santa blast — each time right after the sandbox stored a
DM and before the bot got the answer, the worst moment — and restarted. Every santa must
end with exactly one assignment DM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ratmas.domain.model import EventDates, NewEvent
from ratmas.persistence.db import close_db, init_db, migrate
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.sandbox import Message, Sandbox
from tests.e2e.harness import E2E

pytestmark = E2E

SANTAS = 40
KILL_EVERY = 6  # stored assignment DMs between two kills
MAX_KILLS = 6
TIMEOUT = 120.0
ASSIGNMENT = "you are the Secret Santa of"


async def _scheduled_event(url: str, guild_id: int, channel_id: int, role_id: int) -> None:
    """An event whose start is already due: the bot's first reconcile starts it."""
    await migrate(url)
    await init_db(url)
    try:
        now = datetime.now(UTC)
        repo = TortoiseEventRepository()
        await repo.create_event(
            NewEvent(
                guild_id,
                EventDates(
                    now - timedelta(seconds=5), now + timedelta(days=1), now + timedelta(days=2)
                ),
                "UTC",
                announcement_channel_id=channel_id,
                participant_role_id=role_id,
            ),
            now=now,
        )
    finally:
        await close_db()


def _undelivered(path: Path) -> int:
    with sqlite3.connect(path) as db:
        pairings = db.execute("SELECT COUNT(*) FROM ratmas_pairing").fetchone()[0]
        pending = db.execute(
            "SELECT COUNT(*) FROM ratmas_pairing WHERE notified_at IS NULL"
        ).fetchone()[0]
    return int(pending) if pairings else -1


async def test_sigkill_mid_blast_again_and_again_leaves_one_dm_per_santa(tmp_path: Path) -> None:
    path = tmp_path / "ratmas.sqlite"
    url = f"sqlite://{path}"
    async with Sandbox(patch_nextcord=False) as sb:
        guild = sb.add_guild("Crash Nest", channels=("ratmas",))
        role = sb.create_role(guild.id, "Ratmas")
        santas = [
            await sb.add_member(guild.id, f"s{n:02d}", roles=(role.id,)) for n in range(SANTAS)
        ]
        await _scheduled_event(url, guild.id, sb.channel(guild.id, "ratmas").id, role.id)

        process: asyncio.subprocess.Process | None = None
        stored = 0
        kills = 0

        def after_store(message: Message) -> None:
            nonlocal stored, kills
            if ASSIGNMENT not in message.content:
                return
            stored += 1
            if process is not None and kills < MAX_KILLS and stored % KILL_EVERY == 0:
                kills += 1
                os.kill(process.pid, signal.SIGKILL)  # Discord has it; the bot never learns

        sb.faults.after_store = after_store
        runner = [sys.executable, "-m", "tests.e2e.crash_runner", url, sb.api_base, sb.token]
        starts = 0
        async with asyncio.timeout(TIMEOUT):
            while _undelivered(path) != 0:
                process = await asyncio.create_subprocess_exec(*runner, cwd=Path.cwd())
                starts += 1
                while process.returncode is None and _undelivered(path) != 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(process.wait(), 0.2)
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await process.wait()

    per_santa = Counter(
        m.channel_id and sb.state.channels[m.channel_id].recipient_id
        for m in sb.state.messages.values()
        if ASSIGNMENT in m.content and not m.deleted
    )
    counts = sorted(set(per_santa.values()))
    print(f"\ncrash test: {kills} kills, {starts} starts, DMs per santa: {counts}")
    assert kills >= 5
    assert starts == kills + 1
    assert {s.id: per_santa.get(s.id, 0) for s in santas} == {s.id: 1 for s in santas}
    with sqlite3.connect(path) as db:
        states = db.execute(
            "SELECT state, COUNT(*), COUNT(message_id) FROM ratmas_outbox GROUP BY state"
        ).fetchall()
    assert states == [("delivered", SANTAS, SANTAS)]
