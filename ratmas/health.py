"""Heartbeats and `ratmas health`.

The running bot writes a heartbeat row for its shard (0 when unsharded): whether the
gateway is connected and the scheduler running, at least every `BEAT_SECONDS`, and at
once when either changes; a clean stop writes a last beat saying so. `ratmas health`
reads them: exit status 0 and one line when the bot is connected, scheduling and its
last beat is younger than `--max-age`; 1 and a line naming what is stale or missing
otherwise (one line per shard when sharded). It is the Docker image's HEALTHCHECK.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO

from ratmas.config import Settings
from ratmas.domain.errors import ConfigError, DatabaseUnavailable

if TYPE_CHECKING:  # the CLI imports this module; the database layer only when used
    from ratmas.persistence.heartbeat import Heartbeat

BEAT_SECONDS: Final = 5.0
# How often the recorder looks at the bot; a change is written at once.
LOOK_SECONDS: Final = 0.5
DEFAULT_MAX_AGE: Final = 30
MAX_AGE_RANGE: Final = (1, 86_400)

log = logging.getLogger("ratmas")


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
        *,
        shard_id: int = 0,
        shard_count: int = 1,
        beat_seconds: float = BEAT_SECONDS,
    ) -> None:
        self._bot = bot
        self._scheduler = scheduler
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
        await self._record(False, False, stopped=True)

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
        from ratmas.persistence.heartbeat import Heartbeat, record_heartbeat

        beat = Heartbeat(
            shard_id=self._shard_id,
            shard_count=self._shard_count,
            gateway_connected=gateway,
            scheduler_running=scheduler,
            stopped=stopped,
            host=socket.gethostname(),
            pid=os.getpid(),
            beat_at=datetime.now(UTC),
        )
        try:
            await record_heartbeat(beat)
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


def max_age_seconds(value: str) -> int:
    low, high = MAX_AGE_RANGE
    try:
        seconds = int(value, 10)
    except ValueError:
        seconds = -1
    if not low <= seconds <= high:
        raise ConfigError(f"--max-age = {value!r}: expected whole seconds from {low} to {high}")
    return seconds


def shards_to_check(settings: Settings, only: int | None) -> list[int]:
    count = settings.discord.shard_count or 1
    if only is not None:
        if not 0 <= only < count:
            raise ConfigError(f"--shard = {only}: expected a shard from 0 to {count - 1}")
        return [only]
    return list(range(count))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-age",
        metavar="SECONDS",
        default=str(DEFAULT_MAX_AGE),
        help=f"how old the last heartbeat may be (default {DEFAULT_MAX_AGE}; "
        f"{MAX_AGE_RANGE[0]} to {MAX_AGE_RANGE[1]})",
    )
    parser.add_argument(
        "--shard", type=int, metavar="N", help="check only shard N (default: every shard)"
    )


async def health_command(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """`ratmas health`: 0 when every checked shard is healthy, else 1."""
    from ratmas.persistence.db import NotMigrated, connected
    from ratmas.persistence.heartbeat import read_heartbeats

    max_age = max_age_seconds(args.max_age)
    shards = shards_to_check(settings, args.shard)
    beats: list[Heartbeat] = []
    try:
        async with connected(settings.database_url):
            beats = await read_heartbeats()
    except NotMigrated:
        beats = []  # the bot never ran against this database
    except DatabaseUnavailable as exc:
        out.write(f"unhealthy: {exc}\n")
        return 1
    report = assess(beats, shards, datetime.now(UTC), max_age)
    sharded = settings.discord.shard_count is not None and settings.discord.shard_count > 1
    for item in report:
        prefix = f"shard {item.shard_id}: " if sharded or args.shard is not None else ""
        out.write(f"{prefix}{'healthy' if item.healthy else 'unhealthy'}: {item.text}\n")
    return 0 if all(item.healthy for item in report) else 1


def recorder_for(bot: Any, scheduler: Running, settings: Settings) -> HeartbeatRecorder:
    shards = settings.discord
    shard_id = shards.shard_ids[0] if shards.shard_ids else 0
    return HeartbeatRecorder(bot, scheduler, shard_id=shard_id, shard_count=shards.shard_count or 1)
