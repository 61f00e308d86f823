"""Exactly once across crashes: the real bot, as a process of its own, is SIGKILLed again
and again in the middle of its santa blast — each time right after the sandbox stored a
DM and before the bot got the answer, the worst moment — and restarted. Every santa must
end with exactly one assignment DM, also when the restart comes after the nonce of the
DMs in flight expired (the history of their DM channels decides)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sqlite3
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ratmas.domain.model import EventDates, NewEvent
from ratmas.persistence.db import close_db, init_db, migrate
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.sandbox import Message, Sandbox, User
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


def _outbox(path: Path) -> dict[int, tuple[str, int | None, int | None]]:
    """Outbox row id -> (state, DM channel, Discord's message id)."""
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT id, state, dm_channel_id, message_id FROM ratmas_outbox")
        return {int(i): (str(s), c and int(c), m and int(m)) for i, s, c, m in found}


def _assignments_by_santa(sb: Sandbox, santas: list[User]) -> dict[int, list[Message]]:
    by_santa: dict[int, list[Message]] = {s.id: [] for s in santas}
    for m in sb.state.messages.values():
        if ASSIGNMENT in m.content and not m.deleted:
            by_santa[sb.state.channels[m.channel_id].recipient_id or 0].append(m)
    return by_santa


MARKER = re.compile(r"^-# ref ratmas-(\d+)$", re.MULTILINE)


async def test_dms_stored_before_a_kill_are_found_in_history_once_their_nonce_expired(
    tmp_path: Path,
) -> None:
    """Killed right after Discord stored a DM; by the restart both the bot's nonce window
    and Discord's have passed, so only the DM channels' history can tell which of the
    DMs in flight arrived. Each santa still ends with exactly one assignment DM, and each
    row records the very message Discord holds."""
    path = tmp_path / "ratmas.sqlite"
    url = f"sqlite://{path}"
    window = 1  # the bot's nonce window, in (real) seconds: the subprocess's clock
    async with Sandbox(patch_nextcord=False) as sb:
        guild = sb.add_guild("History Nest", channels=("ratmas",))
        role = sb.create_role(guild.id, "Ratmas")
        santas = [await sb.add_member(guild.id, f"h{n:02d}", roles=(role.id,)) for n in range(8)]
        await _scheduled_event(url, guild.id, sb.channel(guild.id, "ratmas").id, role.id)

        process: asyncio.subprocess.Process | None = None
        killed_at: float | None = None

        def after_store(message: Message) -> None:
            nonlocal killed_at
            if ASSIGNMENT in message.content and process is not None and killed_at is None:
                killed_at = time.monotonic()
                os.kill(process.pid, signal.SIGKILL)  # Discord has it; the bot never learns

        sb.faults.after_store = after_store
        runner = [
            *(sys.executable, "-m", "tests.e2e.crash_runner"),
            *(url, sb.api_base, sb.token, str(window)),
        ]
        async with asyncio.timeout(TIMEOUT):
            process = await asyncio.create_subprocess_exec(*runner, cwd=Path.cwd())
            await process.wait()
            assert killed_at is not None
            # Discord forgets the nonces (its clock moves past its window) and the
            # bot's own window passes in real time: no nonce protects any more.
            sb.clock.fast_forward(sb.clock.now() + timedelta(minutes=10))
            await asyncio.sleep(max(0.0, killed_at + window + 0.2 - time.monotonic()))
            in_flight = {i: row for i, row in _outbox(path).items() if row[0] == "sending"}
            arrived = {
                int(found.group(1)): m.id
                for m in sb.state.messages.values()
                for found in [MARKER.search(m.content)]
                if found is not None and int(found.group(1)) in in_flight
            }
            assert arrived  # at least the DM stored right before the kill
            before = len(sb.state.requests)

            process = await asyncio.create_subprocess_exec(*runner, cwd=Path.cwd())
            while _undelivered(path) != 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 0.2)
                assert process.returncode is None
            process.send_signal(signal.SIGTERM)
            await process.wait()

    assert {s: len(dms) for s, dms in _assignments_by_santa(sb, santas).items()} == {
        s.id: 1 for s in santas
    }
    rows = _outbox(path)
    for row_id, message_id in arrived.items():
        assert rows[row_id] == ("delivered", in_flight[row_id][1], message_id)
    read = {
        int(r.path.split("/")[2])
        for r in sb.state.requests[before:]
        if r.method == "GET" and r.path.endswith("/messages")
    }
    assert {in_flight[i][1] for i in arrived} <= read  # looked up, not resent
    for dms in _assignments_by_santa(sb, santas).values():
        [dm] = dms
        found = MARKER.search(dm.content)
        assert found is not None
        assert rows[int(found.group(1))][2] == dm.id
