"""SIGTERM and SIGINT stop `ratmas run` cleanly within STOP_SECONDS, whatever it is doing:
starting up, reconciling thousands of events, or in the middle of a DM blast."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from ratmas.sandbox import Sandbox
from tests.cli.bot_process import (
    add_future_events,
    add_overdue_event,
    bot_process,
    environment,
    ratmas,
    write_config,
)

pytestmark = [pytest.mark.e2e]
EVENTS = 8_000  # 24,000 date jobs at startup: more wake-ups than the loop's pipe holds


async def test_sigterm_during_the_startup_reconcile_of_thousands_of_events_stops_the_bot(
    tmp_path: Path,
) -> None:
    async with Sandbox() as sb:
        database = tmp_path / "ratmas.sqlite"
        env = environment(sb, f"sqlite://{database}", write_config(sb, tmp_path))
        status, _, err = await ratmas("migrate", env=env, cwd=tmp_path)
        assert status == 0, err
        add_future_events(database, EVENTS)
        async with bot_process(env, tmp_path) as bot:
            await sb.wait_ready(timeout=30)
            # The first READY starts the scheduler and the reconcile of every event,
            # which schedules three jobs per event: stop it right then.
            await _wait_for_log(bot.log_file, f"scheduling {3 * EVENTS} phase jobs")
            assert await bot.stop(signal.SIGTERM) == 0, bot.log()
        log = bot.log()
    assert "stopping" in log
    assert log.rstrip().endswith("stopped"), log[-2000:]
    assert "signal wakeup fd" not in log
    assert "Traceback" not in log, log


async def test_sigint_during_migration_stops_the_bot(tmp_path: Path) -> None:
    async with Sandbox() as sb:
        env = environment(sb, f"sqlite://{tmp_path / 'fresh.sqlite'}", write_config(sb, tmp_path))
        async with bot_process(env, tmp_path) as bot:
            # Sent as soon as the process has its handlers: it may land while the
            # migrations run, or while the bot connects; either way it must stop.
            await _wait_for_log(bot.log_file, "database sqlite://")
            assert await bot.stop(signal.SIGINT) == 0, bot.log()
        assert "Traceback" not in bot.log(), bot.log()


async def _wait_for_log(path: Path, text: str) -> None:
    for _ in range(600):
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


async def test_health_and_sigterm_during_a_dm_blast(tmp_path: Path) -> None:
    """`ratmas health` is 1 before the bot starts, 0 while it runs (here in the middle of
    a DM blast that rate limits slow to a crawl), and 1 after SIGTERM stopped it, which
    it does within the bound though the blast is far from done."""
    async with Sandbox() as sb:
        guild = sb.add_guild("Blast", channels=("ratmas",))
        role = sb.create_role(guild.id, "Ratmas")
        for index in range(30):
            await sb.add_member(guild.id, f"m{index}", roles=(role.id,))
        database = tmp_path / "blast.sqlite"
        env = environment(sb, f"sqlite://{database}", write_config(sb, tmp_path))
        status, out, _ = await ratmas("health", env=env, cwd=tmp_path)
        assert (status, out) == (1, "unhealthy: no heartbeat recorded (not started yet)\n")
        assert list(tmp_path.iterdir()) == [tmp_path / "ratmas.toml"]
        status, _, err = await ratmas("migrate", env=env, cwd=tmp_path)
        assert status == 0, err
        add_overdue_event(database, guild.id, sb.channel(guild.id, "ratmas").id, role.id)
        # Every message is rate limited for a second at a time: the blast crawls.
        sb.rate_limit_next(100_000, retry_after=1.0, path_contains="/messages")
        async with bot_process(env, tmp_path) as bot:
            await sb.wait_ready(timeout=30)
            await _wait_for(lambda: len(sb.requests_to("POST", "/users/@me/channels")) >= 1)
            status, out = await _poll_health(env, tmp_path)
            assert status == 0, out
            assert out.startswith("healthy: gateway connected, scheduler running, last heartbeat")
            assert len(out.splitlines()) == 1
            assert sb.requests_to("POST", "/messages")[-1].status == 429  # still blasting
            assert await bot.stop() == 0, bot.log()
        log = bot.log()
        status, out, _ = await ratmas("health", env=env, cwd=tmp_path)
        assert status == 1
        assert out.startswith("unhealthy: the bot stopped ")
    assert log.rstrip().endswith("stopped"), log[-2000:]
    assert "Traceback" not in log, log


async def _poll_health(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """`ratmas health` until it says healthy (the first beat after READY) or 40 tries."""
    status, out = 1, ""
    for _ in range(40):
        status, out, _ = await ratmas("health", env=env, cwd=cwd)
        if status == 0:
            break
    return status, out


async def _wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(600):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition never held")
