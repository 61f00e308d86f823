"""The :class:`Sandbox`: a loopback Discord on an ephemeral port, plus the controls tests use.

Usage::

    async with Sandbox() as sb:                      # ephemeral port; Route.BASE now points here
        guild = sb.add_guild("Rat Nest")             # @everyone, owner, #general, the bot's role
        alice = await sb.add_member(guild.id, "alice")
        intents = nextcord.Intents.default()
        intents.members = True
        bot = commands.Bot(intents=intents, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(sb.token))
        await bot.wait_until_ready()
        handle = await sb.slash(guild.id, alice.id, "ratmas", "join", options={"wish": "socks"})
        reply = await handle.response()              # content, embeds, flags, attachments
        await bot.close()                            # close the bot before the sandbox
        await task

``start()`` points ``nextcord.http.Route.BASE`` at the sandbox (restored by ``close()``), so the
real nextcord client, its webhook adapter and interaction responses all talk to it.
"""

# Waiting helpers take a `timeout` argument on purpose: tests read better with one call.
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self

import nextcord.http
from aiohttp import web

from ratmas.sandbox.clock import FastForwardClock
from ratmas.sandbox.controls import InteractionHandle, SandboxError, UserActor
from ratmas.sandbox.gateway import Gateway
from ratmas.sandbox.rest import Faults, Limit, RateLimits, RestApi, set_member_role
from ratmas.sandbox.state import (
    ATTACH_FILES,
    EMBED_LINKS,
    EVERYONE_DEFAULT,
    JSON,
    MANAGE_ROLES,
    MENTION_EVERYONE,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    Channel,
    Guild,
    Member,
    Message,
    RecordedRequest,
    Role,
    SandboxState,
    User,
)

BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MANAGE_ROLES
    | MENTION_EVERYONE
)
BOT_ROLE_POSITION = 100


class Sandbox:
    """A loopback Discord (REST + gateway) with a builder and user-playing controls."""

    def __init__(
        self,
        *,
        token: str = "sandbox-token",
        bot_name: str = "Ratmas",
        patch_nextcord: bool = True,
        clock: FastForwardClock | None = None,
        limits: RateLimits | None = None,
        nonce_window: float = 300.0,
    ) -> None:
        # The time of this Discord; give the bot the same clock (`serve(clock=sb.clock)`).
        self.clock = clock or FastForwardClock()
        self.state = SandboxState(bot_name=bot_name, token=token, clock=self.clock.now)
        self.gateway = Gateway(self.state)
        self.faults = Faults()
        self.limits = limits or RateLimits()
        self._rest = RestApi(
            self.state, self.gateway, self.faults, self.limits, nonce_window=nonce_window
        )
        self._actor = UserActor(self.state, self.gateway)
        self._patch_nextcord = patch_nextcord
        self._previous_base: str | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The bot token the sandbox accepts."""
        return self.state.token

    @property
    def bot_user(self) -> User:
        """The bot's user (its id is also the application id)."""
        return self.state.bot

    @property
    def api_base(self) -> str:
        """What ``nextcord.http.Route.BASE`` must be for a client to use this sandbox."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    async def start(self) -> None:
        """Listen on an ephemeral 127.0.0.1 port and point nextcord at it."""
        app = web.Application(middlewares=[self._rest.middleware])
        app.add_routes(self._rest.routes())
        app.router.add_get("/ws", self.gateway.handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.state.base_url = f"http://127.0.0.1:{self.port}"
        self.gateway.url = f"ws://127.0.0.1:{self.port}/ws"
        if self._patch_nextcord:
            self._previous_base = nextcord.http.Route.BASE
            nextcord.http.Route.BASE = self.api_base

    async def close(self) -> None:
        """Drop every gateway connection, stop listening and restore nextcord's base URL."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._previous_base is not None:
            nextcord.http.Route.BASE = self._previous_base
            self._previous_base = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def wait_ready(self, timeout: float = 15.0) -> None:
        """Wait until a bot has identified (or resumed) on the gateway."""
        await self.gateway.wait_connected(timeout)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to connected bots; nextcord then resumes its session."""
        await self.gateway.request_reconnect()

    async def invalidate_sessions(self) -> None:
        """Send op 9 (not resumable) to connected bots; nextcord then identifies afresh."""
        await self.gateway.invalidate_sessions()

    # --- building the world ---------------------------------------------------------------------

    def add_user(self, name: str, *, user_id: int | None = None, dms_open: bool = True) -> User:
        """A user who is not (yet) in any guild."""
        return self.state.add_user(name, user_id=user_id, dms_open=dms_open)

    def add_guild(
        self,
        name: str,
        *,
        owner: str = "owner",
        channels: Iterable[str] = ("general",),
        everyone_permissions: int = EVERYONE_DEFAULT,
        bot_permissions: int = BOT_PERMISSIONS,
    ) -> Guild:
        """A guild with @everyone, an owner, text channels, and the bot as a member with a role.

        Call before the bot connects, or the bot will not hear of it.
        """
        state = self.state
        guild_id = state.snowflake()
        owner_user = state.add_user(owner)
        guild = Guild(id=guild_id, name=name, owner_id=owner_user.id)
        guild.roles[guild_id] = Role(
            id=guild_id, guild_id=guild_id, name="@everyone", permissions=everyone_permissions
        )
        bot_role = Role(
            id=state.snowflake(),
            guild_id=guild_id,
            name=state.bot.name,
            permissions=bot_permissions,
            position=BOT_ROLE_POSITION,
            managed=True,
        )
        guild.roles[bot_role.id] = bot_role
        state.guilds[guild_id] = guild
        guild.members[owner_user.id] = Member(
            user_id=owner_user.id, guild_id=guild_id, joined_at=state.now()
        )
        guild.members[state.bot.id] = Member(
            user_id=state.bot.id, guild_id=guild_id, role_ids=[bot_role.id], joined_at=state.now()
        )
        for channel_name in channels:
            self.add_channel(guild_id, channel_name)
        state.feed.notify()
        return guild

    def add_channel(self, guild_id: int, name: str) -> Channel:
        """A text channel in the guild."""
        guild = self.state.guild(guild_id)
        channel = Channel(
            id=self.state.snowflake(),
            name=name,
            type=0,
            guild_id=guild_id,
            position=len(guild.channels),
        )
        guild.channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        return channel

    def create_role(
        self, guild_id: int, name: str, *, permissions: int = 0, position: int | None = None
    ) -> Role:
        """A role in the guild, below the bot's role unless a position is given."""
        guild = self.state.guild(guild_id)
        if position is None:
            position = 1 + max(
                (r.position for r in guild.roles.values() if r.position < BOT_ROLE_POSITION),
                default=0,
            )
        role = Role(
            id=self.state.snowflake(),
            guild_id=guild_id,
            name=name,
            permissions=permissions,
            position=position,
        )
        guild.roles[role.id] = role
        return role

    def role(self, guild_id: int, name: str) -> Role:
        """The guild's role with this name."""
        for role in self.state.guild(guild_id).roles.values():
            if role.name == name:
                return role
        raise SandboxError(f"guild {guild_id} has no role {name!r}")

    def channel(self, guild_id: int, name: str) -> Channel:
        """The guild's text channel with this name."""
        for channel in self.state.guild(guild_id).channels.values():
            if channel.name == name:
                return channel
        raise SandboxError(f"guild {guild_id} has no channel {name!r}")

    async def add_member(
        self,
        guild_id: int,
        name: str,
        *,
        user_id: int | None = None,
        roles: Iterable[int] = (),
        nick: str | None = None,
        dms_open: bool = True,
    ) -> User:
        """A user joins the guild (GUILD_MEMBER_ADD when a bot is connected)."""
        user = self.state.add_user(name, user_id=user_id, dms_open=dms_open)
        guild = self.state.guild(guild_id)
        member = Member(
            user_id=user.id,
            guild_id=guild_id,
            nick=nick,
            role_ids=list(roles),
            joined_at=self.state.now(),
        )
        guild.members[user.id] = member
        self.state.feed.notify()
        payload = {"guild_id": str(guild_id), **member.payload(self.state)}
        await self.gateway.dispatch("GUILD_MEMBER_ADD", payload, guild_id=guild_id)
        return user

    async def remove_member(self, guild_id: int, user_id: int) -> None:
        """A member leaves the guild (GUILD_MEMBER_REMOVE)."""
        guild = self.state.guild(guild_id)
        if guild.members.pop(user_id, None) is None:
            raise SandboxError(f"user {user_id} is not in guild {guild_id}")
        self.state.feed.notify()
        payload = {"guild_id": str(guild_id), "user": self.state.users[user_id].payload()}
        await self.gateway.dispatch("GUILD_MEMBER_REMOVE", payload, guild_id=guild_id)

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Someone (not the bot) gives the member a role (GUILD_MEMBER_UPDATE)."""
        await set_member_role(self.state, self.gateway, guild_id, user_id, role_id, present=True)

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Someone (not the bot) takes a role from the member (GUILD_MEMBER_UPDATE)."""
        await set_member_role(self.state, self.gateway, guild_id, user_id, role_id, present=False)

    def member(self, guild_id: int, user_id: int) -> Member | None:
        """The membership, or None when the user is not in the guild."""
        return self.state.guild(guild_id).members.get(user_id)

    # --- faults -----------------------------------------------------------------------------------

    def close_dms(self, user_id: int) -> None:
        """DMs to this user answer 403 with code 50007 from now on."""
        self.state.users[user_id].dms_open = False

    def open_dms(self, user_id: int) -> None:
        """DMs to this user are delivered again."""
        self.state.users[user_id].dms_open = True

    def rate_limit_next(
        self,
        count: int,
        *,
        retry_after: float = 0.1,
        path_contains: str | None = None,
        global_limit: bool = False,
    ) -> None:
        """The next ``count`` API requests (whose path contains ``path_contains``) answer 429."""
        self.faults.rate_limited = count
        self.faults.retry_after = retry_after
        self.faults.rate_limit_path = path_contains
        self.faults.rate_limit_global = global_limit

    def discord_like_limits(self) -> None:
        """Discord's limits as the issue measured them: 50 requests/s global (not
        interactions), opening DM channels 20/s, 5 messages per 5 s per channel."""
        self.limits.global_limit = Limit(50, 1.0)
        self.limits.dm_create = Limit(20, 1.0)
        self.limits.messages_per_channel = Limit(5, 5.0)

    def dm_spam_block(self, count: int = 1) -> None:
        """The next ``count`` DMs answer 403 with code 40003 (opening DMs too fast)."""
        self.faults.dm_spam_blocks = count

    # --- observing --------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request so far, in arrival order."""
        return list(self.state.requests)

    def requests_to(self, method: str, path_contains: str = "") -> list[RecordedRequest]:
        """Recorded requests with this method whose path contains the fragment."""
        return [r for r in self.state.requests if r.method == method and path_contains in r.path]

    def on_message(self, listener: Callable[[Message, bool], None]) -> None:
        """Call ``listener(message, edited)`` for every message the bot posts or edits."""
        self.state.message_listeners.append(listener)

    def where(self, message: Message) -> str:
        """``#channel`` or ``DM @user``: where a message was posted, for transcripts."""
        return self.state.where(message)

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """Application commands registered globally (None) or in a guild."""
        return list(self.state.commands.get(guild_id, {}).values())

    def allow_command(self, guild_id: int, name: str, role_or_user_id: int) -> None:
        """What a server admin does in Server Settings → Integrations: let a role (or a
        user) use the command `name` although it lacks its default_member_permissions."""
        self.state.command_overrides.setdefault((guild_id, name), set()).add(role_or_user_id)

    def _target_channel(self, target: int) -> int:
        if target in self.state.users:
            return self.state.dm_channel(target).id
        if target in self.state.channels:
            return target
        raise SandboxError(f"{target} is neither a user nor a channel")

    def messages(self, target: int, *, include_ephemeral: bool = True) -> list[Message]:
        """Messages in a channel, or in the DM with a user, oldest first."""
        found = self.state.channel_messages(self._target_channel(target))
        return [m for m in found if include_ephemeral or not m.ephemeral]

    async def wait_for_message(
        self,
        target: int,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 15.0,
        *,
        after: int | None = None,
    ) -> Message:
        """The first message in a channel (or a user's DMs) matching ``predicate``.

        Messages already there count, so nothing is missed between an action and the wait; pass
        ``after`` (a message id) to only consider later ones. Edits are re-checked too.
        """
        channel_id = self._target_channel(target)
        check = predicate or (lambda _m: True)

        def match() -> Message | None:
            for message in self.state.channel_messages(channel_id):
                if after is not None and message.id <= after:
                    continue
                if check(message):
                    return message
            return None

        return await self.state.feed.wait_until(match, timeout, f"a message in {target}")

    async def wait_until[T](
        self, check: Callable[[], T | None], timeout: float = 15.0, what: str = "a condition"
    ) -> T:
        """Wait until ``check()`` returns something other than None (re-checked on every change)."""
        return await self.state.feed.wait_until(check, timeout, what)

    # --- playing users --------------------------------------------------------------------------

    async def slash(
        self,
        guild_id: int,
        user_id: int,
        command: str,
        *path: str,
        options: Mapping[str, Any] | None = None,
        channel_id: int | None = None,
    ) -> InteractionHandle:
        """``user_id`` runs ``/command path... options`` (see :class:`UserActor`)."""
        return await self._actor.slash(
            guild_id, user_id, command, *path, options=options, channel_id=channel_id
        )

    async def autocomplete(
        self,
        guild_id: int,
        user_id: int,
        command: str,
        *path: str,
        focused: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        channel_id: int | None = None,
    ) -> InteractionHandle:
        """``user_id`` types ``value`` into option ``focused``; await ``handle.choices()``."""
        return await self._actor.autocomplete(
            guild_id,
            user_id,
            command,
            *path,
            focused=focused,
            value=value,
            options=options,
            channel_id=channel_id,
        )

    async def click(
        self, guild_id: int | None, user_id: int, message_id: int, custom_id: str
    ) -> InteractionHandle:
        """``user_id`` presses a button on a message."""
        return await self._actor.click(guild_id, user_id, message_id, custom_id)

    async def select(
        self, guild_id: int | None, user_id: int, message_id: int, custom_id: str, values: list[str]
    ) -> InteractionHandle:
        """``user_id`` picks values in a select menu on a message."""
        return await self._actor.select(guild_id, user_id, message_id, custom_id, values)
