"""Heartbeats: what a running bot says about itself, and what `ratmas health` makes of it.

The running bot writes a heartbeat for its shard (0 when unsharded): whether the
gateway is connected and the scheduler running, at least every `BEAT_SECONDS`, and at
once when either changes; a clean stop writes a last beat saying so. `assess` reads
them: a shard is healthy when the bot is connected, scheduling and its last beat is
younger than the allowed age; otherwise the text names what is stale or missing.
Where the beats are stored is the composition root's business (`ratmas.app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from ratmas.services.ports import Clock

BEAT_SECONDS: Final = 5.0
# How often the recorder looks at the bot; a change is written at once.
LOOK_SECONDS: Final = 0.5

log = logging.getLogger("ratmas")


@dataclass(frozen=True, slots=True)
class Heartbeat:
    shard_id: int  # 0 when unsharded
    shard_count: int  # 1 when unsharded
    gateway_connected: bool
    scheduler_running: bool
    stopped: bool  # the last beat of a process that stopped cleanly
    host: str
    pid: int
    beat_at: datetime  # aware UTC


class Connected(Protocol):
    def is_ready(self) -> bool: ...
    def is_closed(self) -> bool: ...


class Running(Protocol):
    @property
    def running(self) -> bool: ...


class HeartbeatRecorder:
    """Writes this process's heartbeat while the bot runs (see the module docstring)."""

    def __init__(
        self,
        bot: Connected,
        scheduler: Running,
        write: Callable[[Heartbeat], Awaitable[None]],
        clock: Clock,
        *,
        shard_id: int = 0,
        shard_count: int = 1,
        beat_seconds: float = BEAT_SECONDS,
    ) -> None:
        self._bot = bot
        self._scheduler = scheduler
        self._write = write
        self._clock = clock
        self._shard_id = shard_id
        self._shard_count = shard_count
        self._beat_seconds = beat_seconds
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._failing = False

    def state(self) -> tuple[bool, bool]:
        gateway = self._bot.is_ready() and not self._bot.is_closed()
        return gateway, self._scheduler.running

    def start(self) -> None:
        """Start beating (in the task holding the database connection's context)."""
        self._task = asyncio.create_task(self._beat(), name="ratmas: heartbeat")

    async def aclose(self) -> None:
        """Stop beating (a write under way may finish) and record that this process
        stopped."""
        if self._task is not None:
            self._stop.set()
            done, _ = await asyncio.wait({self._task}, timeout=LOOK_SECONDS * 4)
            if not done:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # Bounded: a stop must not hang on a database that no longer answers.
        try:
            async with asyncio.timeout(LOOK_SECONDS * 4):
                await self._record(False, False, stopped=True)
        except TimeoutError:
            log.warning("could not record that the bot stopped (the database did not answer)")

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        last: tuple[bool, bool] | None = None
        last_at = -math.inf
        while not self._stop.is_set():
            state = self.state()
            due = state != last or loop.time() - last_at >= self._beat_seconds
            if due and await self._record(*state, stopped=False):
                last, last_at = state, loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), LOOK_SECONDS)

    async def _record(self, gateway: bool, scheduler: bool, *, stopped: bool) -> bool:
        beat = Heartbeat(
            shard_id=self._shard_id,
            shard_count=self._shard_count,
            gateway_connected=gateway,
            scheduler_running=scheduler,
            stopped=stopped,
            host=socket.gethostname(),
            pid=os.getpid(),
            beat_at=self._clock.now(),
        )
        try:
            await self._write(beat)
        except Exception as exc:
            if not self._failing:
                log.warning("could not record the heartbeat: %s", exc)
            self._failing = True
            return False
        self._failing = False
        return True


@dataclass(frozen=True, slots=True)
class ShardHealth:
    shard_id: int
    healthy: bool
    text: str


def assess(
    beats: Sequence[Heartbeat], shards: Sequence[int], now: datetime, max_age: int
) -> list[ShardHealth]:
    """The health of each shard in `shards` from the recorded `beats` (pure)."""
    by_shard = {beat.shard_id: beat for beat in beats}
    report = []
    for shard in shards:
        beat = by_shard.get(shard)
        if beat is None:
            report.append(ShardHealth(shard, False, "no heartbeat recorded (not started yet)"))
            continue
        age = max(0, math.floor((now - beat.beat_at).total_seconds()))
        where = f"{beat.host}, pid {beat.pid}"
        problems = []
        if beat.stopped:
            problems.append(f"the bot stopped {age} s ago ({where})")
        elif age > max_age:
            problems.append(f"last heartbeat {age} s ago, more than {max_age} s ({where})")
        else:
            if not beat.gateway_connected:
                problems.append("gateway not connected")
            if not beat.scheduler_running:
                problems.append("scheduler not running")
            if problems:
                problems[-1] += f" (last heartbeat {age} s ago, {where})"
        if problems:
            report.append(ShardHealth(shard, False, "; ".join(problems)))
        else:
            text = f"gateway connected, scheduler running, last heartbeat {age} s ago ({where})"
            report.append(ShardHealth(shard, True, text))
    return report
