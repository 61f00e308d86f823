"""The end-to-end harness: the real Ratmas app (`ratmas.app.serve`) against the loopback Discord.

A test builds a `World` (a sandbox guild with an announcement channel, a participant role, a
manager with Manage Server and six members), then runs the app with `running(world, url)`:
serve() migrates and connects the database itself, the harness waits for the bot's first READY
and, on the way out, sets the stop event and waits for serve() to close the bot, shut the
scheduler down and release the database. Events are created a few seconds ahead and the
scheduler's date jobs fire on their own. The bot and the sandbox share the sandbox's
`FastForwardClock`: rather than sit through the wait for a date, a test skips the clock to it
(`world.clock.fast_forward(dates.start)`) and APScheduler fires the job at once.

The database is read straight from SQL (`rows`, `snapshot`), never through Tortoise: Tortoise
keeps its connection in the context of the task that initialised it, which is serve()'s.
"""

# Waiting helpers take a `timeout` argument on purpose: tests read better with one call.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from ratmas.app import App, serve
from ratmas.config import BackupConfig, DeliveryConfig, DiscordConfig, SchedulerConfig, Settings
from ratmas.sandbox import Channel, FastForwardClock, Guild, Message, Role, Sandbox, User

# Every e2e test module: `pytestmark = E2E`.
E2E = [pytest.mark.e2e]
MANAGE_GUILD = 1 << 5
MEMBER_NAMES = ("ann", "bob", "cat", "dan", "eve", "fay")
TABLES = (
    "ratmas_event",
    "ratmas_participant",
    "ratmas_pairing",
    "ratmas_exclusion",
    "ratmas_audit",
    "ratmas_guild_settings",
)
# The tests' pace: waiting out the production defaults (5 DMs/s and 40 requests/s,
# conservative on purpose) took the season from 0.3 s to 2.3 s, and the sandbox only
# enforces Discord's limits when a test asks it to. Tests about pacing or progress
# pass a `DeliveryConfig` of their own.
FAST_DELIVERY = DeliveryConfig(dms_per_second=50, requests_per_second=1000)
STARTUP_TIMEOUT = 30.0  # generous: a loaded machine starts slowly; a good run waits far less
SHUTDOWN_TIMEOUT = 10.0


@dataclass
class World:
    """The sandbox and the guild a season is played in."""

    sb: Sandbox
    guild: Guild
    channel: Channel
    participant_role: Role
    manager_role: Role
    manager: User
    members: list[User]
    outsider: User  # a member with no special permissions who does not take part
    log_lines: list[str] = field(default_factory=list)

    @property
    def clock(self) -> FastForwardClock:
        """The time of the sandbox and of the bot: skip it ahead instead of waiting."""
        return self.sb.clock

    def member(self, name: str) -> User:
        return next(m for m in self.members if m.name == name)

    def name_of(self, user_id: int) -> str:
        return self.sb.state.users[user_id].name

    async def run(
        self,
        user: User,
        *path: str,
        options: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> Message:
        """`user` runs `/ratmas <path> <options>`; the reply they finally see."""
        handle = await self.sb.slash(self.guild.id, user.id, "ratmas", *path, options=options)
        return await handle.response(timeout)

    async def admin(
        self,
        user: User,
        *path: str,
        options: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> Message:
        """`user` runs `/ratmas-admin <path> <options>`; the reply they finally see."""
        handle = await self.sb.slash(self.guild.id, user.id, "ratmas-admin", *path, options=options)
        return await handle.response(timeout)

    async def click(self, user: User, message: Message, custom_id: str) -> Message:
        handle = await self.sb.click(self.guild.id, user.id, message.id, custom_id)
        return await handle.response(10.0)

    def channel_posts(self) -> list[Message]:
        """What everyone in the announcement channel sees (not ephemeral replies)."""
        return self.sb.messages(self.channel.id, include_ephemeral=False)

    async def wait_post(
        self, predicate: Callable[[Message], bool], timeout: float = 30.0
    ) -> Message:
        return await self.sb.wait_for_message(
            self.channel.id, lambda m: not m.ephemeral and predicate(m), timeout
        )

    def dms(self, user: User) -> list[Message]:
        return self.sb.messages(user.id)


async def make_world(sb: Sandbox) -> World:
    guild = sb.add_guild("Rat Nest", channels=("general", "ratmas"))
    manager_role = sb.create_role(guild.id, "Elves", permissions=MANAGE_GUILD)
    participant_role = sb.create_role(guild.id, "Ratmas")
    manager = await sb.add_member(guild.id, "manager", roles=(manager_role.id,))
    members = [await sb.add_member(guild.id, name) for name in MEMBER_NAMES]
    outsider = await sb.add_member(guild.id, "lurker")
    return World(
        sb=sb,
        guild=guild,
        channel=sb.channel(guild.id, "ratmas"),
        participant_role=participant_role,
        manager_role=manager_role,
        manager=manager,
        members=members,
        outsider=outsider,
    )


def settings_for(
    sb: Sandbox,
    database_url: str,
    *,
    tick_seconds: int = 60,
    resume_after_seconds: int = 120,
    delivery: DeliveryConfig | None = None,
) -> Settings:
    """The app's settings: the sandbox as Discord, a long safety tick so phases happen
    because their date job fired, not because a tick happened to come by, and a fast
    DM pace (`FAST_DELIVERY`) unless `delivery` says otherwise."""
    return Settings(
        source="<e2e>",
        database_url=database_url,
        discord=DiscordConfig(api_base_url=sb.api_base),
        scheduler=SchedulerConfig(
            tick_seconds=tick_seconds, resume_after_seconds=resume_after_seconds
        ),
        # Snapshots and backups next to the test's database, never in the checkout.
        backup=BackupConfig(dir=str(Path(tempfile.mkdtemp(prefix="ratmas-e2e-backups-")))),
        delivery=delivery or FAST_DELIVERY,
    )


@contextlib.asynccontextmanager
async def running(settings: Settings, sb: Sandbox) -> AsyncIterator[App]:
    """serve() in a task until the block ends; yields the app once the bot is ready."""
    stop = asyncio.Event()
    started: asyncio.Future[App] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(
            settings,
            sb.token,
            stop=stop,
            clock=sb.clock,
            guild_ready_timeout=0.05,
            started=started,
        )
    )
    try:
        either: set[asyncio.Future[Any]] = {task, started}
        done, _ = await asyncio.wait(
            either, timeout=STARTUP_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            task.result()  # serve() failed before the app was built: raise its error
            raise AssertionError("serve() returned before it started")
        if not done:
            raise AssertionError("serve() did not build the app in time")
        app = started.result()
        async with asyncio.timeout(STARTUP_TIMEOUT):
            await app.bot.wait_until_ready()
        yield app
    finally:
        stop.set()
        try:
            async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                await task
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


# --- dates ------------------------------------------------------------------------------------


def whole_seconds_from_now(clock: FastForwardClock, seconds: float) -> datetime:
    """A UTC instant `seconds` ahead on `clock`, rounded up to the whole second (dates are
    typed so)."""
    ahead = clock.now() + timedelta(seconds=seconds)
    return ahead.replace(microsecond=0) + timedelta(seconds=math.ceil(ahead.microsecond / 1e6))


def typed(moment: datetime) -> str:
    """How a manager types a date (in the event's timezone, UTC here)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Dates:
    start: datetime
    purchase_deadline: datetime
    reveal: datetime

    def options(self) -> dict[str, str]:
        return {
            "start": typed(self.start),
            "purchase_deadline": typed(self.purchase_deadline),
            "reveal": typed(self.reveal),
            "timezone": "UTC",
        }


def dates_from_now(
    clock: FastForwardClock, start: float, purchase_deadline: float, reveal: float
) -> Dates:
    """Dates this many seconds ahead on `clock` (the world's)."""
    return Dates(
        whole_seconds_from_now(clock, start),
        whole_seconds_from_now(clock, purchase_deadline),
        whole_seconds_from_now(clock, reveal),
    )


# --- the database, read directly --------------------------------------------------------------


def _postgres(url: str) -> str:
    return "postgresql" + url[len("postgres") :] if url.startswith("postgres://") else url


async def rows(url: str, table: str) -> list[dict[str, Any]]:
    """Every row of a table, as dicts, in primary-key order."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table}")
    order = "guild_id" if table == "ratmas_guild_settings" else "id"
    query = f"SELECT * FROM {table} ORDER BY {order}"  # the table name is one of TABLES
    if url.startswith("sqlite://"):
        connection = sqlite3.connect(url[len("sqlite://") :])
        try:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(query)]
        finally:
            connection.close()
    pg = await asyncpg.connect(_postgres(url), timeout=5)
    try:
        return [dict(row) for row in await pg.fetch(query)]
    finally:
        await pg.close()


async def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Everything Ratmas stores, to compare before and after an action."""
    return {table: await rows(url, table) for table in TABLES}


async def pairings(url: str) -> dict[int, int]:
    """santa -> recipient of the (only) event."""
    return {int(r["santa_id"]): int(r["recipient_id"]) for r in await rows(url, "ratmas_pairing")}


async def participant_ids(url: str) -> set[int]:
    return {int(r["user_id"]) for r in await rows(url, "ratmas_participant")}


def is_single_loop(mapping: Mapping[int, int], people: set[int]) -> bool:
    """The pairings form one cycle through exactly `people` (nobody gives to themselves)."""
    if set(mapping) != people or set(mapping.values()) != people or not people:
        return False
    start = next(iter(people))
    seen = {start}
    current = mapping[start]
    while current != start:
        if current in seen:
            return False
        seen.add(current)
        current = mapping[current]
    return seen == people


# --- reading messages -------------------------------------------------------------------------


def assignment_dm(message: Message) -> bool:
    return "you are the Secret Santa of" in message.content


def recipient_of(message: Message, people: list[User]) -> User:
    """Whom a santa DM names (by mention)."""
    named = [p for p in people if f"<@{p.id}>" in message.content]
    assert len(named) == 1, f"expected one recipient in {message.content!r}"
    return named[0]


def never_pings_everyone_or_roles(message: Message) -> bool:
    allowed = message.allowed_mentions
    if allowed is None:
        return False
    parse = allowed.get("parse", [])
    return (
        "everyone" not in parse
        and "roles" not in parse
        and not allowed.get("roles")
        and not message.mentions_everyone
        and not message.mentioned_role_ids()
    )
