"""Stopping the bot within a bound, whatever it is doing.

`ratmas run` promises to stop within about ten seconds of SIGTERM/SIGINT (Docker's
default stop timeout): the scheduler's running reconciles get `GRACE_SECONDS` to finish,
then the bot's own event handlers (the startup reconcile runs in `on_ready`, a DM blast
may be under way, nextcord syncs the slash commands in `on_connect`) get as long again,
still connected; whatever is still running is cancelled, and only then is the bot
closed (a handler cut off from Discord would end in a traceback). A phase cut
short is resumed by the next start (each DM is marked right after its own success).

nextcord's HTTP client reopens its session for any request made after `close()`, so the
session is closed once more when the last handler is done; otherwise the process ends
with "Unclosed client session".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final, Protocol

GRACE_SECONDS: Final = 3.0
# How long the connection task may take to end after close().
RUNNER_SECONDS: Final = 1.0
# nextcord names the task of every event handler it dispatches "nextcord: <event>".
HANDLER_TASK_PREFIX: Final = "nextcord:"

log = logging.getLogger("ratmas")


class ClosableHttp(Protocol):
    async def close(self) -> None: ...


class Bot(Protocol):
    """What of a `nextcord.Client` the stop needs (nextcord stays in ratmas.bot/app)."""

    @property
    def http(self) -> ClosableHttp: ...

    async def close(self) -> None: ...


async def stop_bot(
    bot: Bot, runner: asyncio.Task[Any], grace_seconds: float = GRACE_SECONDS
) -> None:
    """Give the bot's running event handlers `grace_seconds` while Discord is still
    connected, cancel what is left, close the bot, wait for its connection task (a stop
    during login or a reconnect ends it with an error: it is over either way) and close
    the HTTP session last."""
    await _settle(_handler_tasks(), grace_seconds)
    await bot.close()
    # A stop during login leaves nextcord logging in on a fresh session (every request
    # reopens it) and then connecting: the connection task is cancelled if it does not
    # end by itself.
    await asyncio.wait({runner}, timeout=RUNNER_SECONDS)
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    await _settle(_handler_tasks(), 0)  # any dispatched while closing
    await bot.http.close()


def _handler_tasks() -> list[asyncio.Task[Any]]:
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_name().startswith(HANDLER_TASK_PREFIX) and not task.done()
    ]


async def _settle(tasks: list[asyncio.Task[Any]], grace_seconds: float) -> None:
    if not tasks:
        return
    late: set[asyncio.Task[Any]] = set(tasks)
    if grace_seconds > 0:
        _, late = await asyncio.wait(tasks, timeout=grace_seconds)
    for task in late:
        if grace_seconds > 0:
            log.warning("cancelled %s, still running at shutdown", task.get_name())
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
