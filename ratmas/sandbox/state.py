"""The loopback Discord's world: snowflakes, guilds, users, roles, channels, members and messages.

Everything the REST routes and the gateway serve lives here, as plain dataclasses with a
``payload()`` method that renders the object the way Discord's API v10 documents it. The state does
no I/O; the server module wires it to HTTP and websockets.
"""

# Waiting helpers take a `timeout` argument on purpose: tests read better with one call.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits used by the sandbox itself (Discord's documented values).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_ROLES = 1 << 28
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_DEFAULT = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
) | USE_APPLICATION_COMMANDS

EPHEMERAL = 1 << 6
LOADING = 1 << 7

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

JSON = dict[str, Any]


class SnowflakeGenerator:
    """Hands out increasing Discord snowflakes whose timestamp part is the current time."""

    def __init__(self) -> None:
        self._counter = itertools.count()
        self._last = 0

    def __call__(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = (millis << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
        # Keep ids strictly increasing even when two are made in the same millisecond.
        self._last = max(value, self._last + 1)
        return self._last


def iso(moment: datetime) -> str:
    """Discord's ISO-8601 timestamp rendering."""
    return moment.isoformat()


def now() -> datetime:
    """The current aware UTC time (the sandbox's only clock)."""
    return datetime.now(UTC)


@dataclass
class User:
    """A Discord user (a person or the bot)."""

    id: int
    name: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True

    def payload(self) -> JSON:
        """The documented user object."""
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass
class Role:
    """A guild role with a permission bitfield; the @everyone role shares the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False

    def payload(self) -> JSON:
        """The documented role object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": self.hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass
class Channel:
    """A guild text channel (type 0) or a DM channel (type 1)."""

    id: int
    name: str | None
    type: int = 0
    guild_id: int | None = None
    position: int = 0
    recipient_id: int | None = None
    topic: str | None = None
    last_message_id: int | None = None

    def payload(self, state: SandboxState) -> JSON:
        """The documented channel object."""
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "flags": 0,
        }
        if self.type == 1:
            recipient = state.users[self.recipient_id] if self.recipient_id else None
            data["recipients"] = [recipient.payload()] if recipient else []
        else:
            data.update(
                {
                    "guild_id": str(self.guild_id),
                    "name": self.name,
                    "position": self.position,
                    "permission_overwrites": [],
                    "topic": self.topic,
                    "nsfw": False,
                    "rate_limit_per_user": 0,
                    "parent_id": None,
                }
            )
        return data


@dataclass
class Member:
    """A user's membership of a guild: nickname, roles and join date."""

    user_id: int
    guild_id: int
    nick: str | None = None
    role_ids: list[int] = field(default_factory=list)
    joined_at: datetime = field(default_factory=now)

    def payload(self, state: SandboxState, *, with_user: bool = True) -> JSON:
        """The documented guild member object (``with_user=False`` for resolved data)."""
        data: JSON = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.role_ids],
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = state.users[self.user_id].payload()
        return data


@dataclass
class Guild:
    """A guild: its roles (the @everyone role included), channels and members."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        """The @everyone role (its id is the guild id)."""
        return self.roles[self.id]

    def permissions_of(self, user_id: int) -> int:
        """Guild-level permissions of a member: owner and administrators get everything."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members.get(user_id)
        value = self.everyone.permissions
        if member is not None:
            for role_id in member.role_ids:
                role = self.roles.get(role_id)
                if role is not None:
                    value |= role.permissions
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return value

    def top_position(self, user_id: int) -> int:
        """The position of the member's highest role (0 is @everyone)."""
        member = self.members.get(user_id)
        if member is None:
            return 0
        return max((self.roles[r].position for r in member.role_ids if r in self.roles), default=0)

    def payload(self, state: SandboxState, *, members: bool = True) -> JSON:
        """The GUILD_CREATE form of the guild (members only when the bot may see them)."""
        shown = list(self.members.values())
        if not members:
            shown = [m for m in shown if m.user_id == state.bot.id]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "preferred_locale": "en-US",
            "features": [],
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "joined_at": iso(state.now()),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [m.payload(state) for m in shown],
            "channels": [c.payload(state) for c in self.channels.values()],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "application_id": None,
        }


@dataclass
class Attachment:
    """A file sent with a message; the bytes are kept so tests can read exported files."""

    id: int
    filename: str
    content: bytes
    content_type: str | None = None
    description: str | None = None

    def payload(self, base_url: str) -> JSON:
        """The documented attachment object."""
        return {
            "id": str(self.id),
            "filename": self.filename,
            "description": self.description,
            "content_type": self.content_type,
            "size": len(self.content),
            "url": f"{base_url}/attachments/{self.id}/{self.filename}",
            "proxy_url": f"{base_url}/attachments/{self.id}/{self.filename}",
        }


@dataclass
class Message:
    """A message as the sandbox recorded it, with what each field means to a reader."""

    id: int
    channel_id: int
    author_id: int
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    allowed_mentions: JSON | None = None
    flags: int = 0
    guild_id: int | None = None
    interaction_id: int | None = None
    type: int = 0
    created_at: datetime = field(default_factory=now)
    edited_at: datetime | None = None
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees this message."""
        return bool(self.flags & EPHEMERAL)

    @property
    def custom_ids(self) -> list[str]:
        """The custom ids of every component (buttons, selects) on the message."""
        return [cid for cid, _ in _walk_components(self.components)]

    @property
    def text(self) -> str:
        """Content plus embed titles, descriptions and fields: what a reader sees, as text."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            for key in ("title", "description"):
                if embed.get(key):
                    parts.append(str(embed[key]))
            for item in embed.get("fields", []):
                parts.append(f"{item.get('name', '')}: {item.get('value', '')}")
            footer = embed.get("footer")
            if isinstance(footer, dict) and footer.get("text"):
                parts.append(str(footer["text"]))
        return "\n".join(parts)

    def mentioned_user_ids(self) -> list[int]:
        """Users this message actually pings, after applying ``allowed_mentions``."""
        found = [int(m) for m in _USER_MENTION.findall(self.content)]
        allowed = self.allowed_mentions
        if allowed is None:
            return found
        if "users" in allowed.get("parse", []):
            return found
        permitted = {int(u) for u in allowed.get("users", [])}
        return [u for u in found if u in permitted]

    def mentioned_role_ids(self) -> list[int]:
        """Roles this message actually pings, after applying ``allowed_mentions``."""
        found = [int(m) for m in _ROLE_MENTION.findall(self.content)]
        allowed = self.allowed_mentions
        if allowed is None or "roles" in allowed.get("parse", []):
            return found
        permitted = {int(r) for r in allowed.get("roles", [])}
        return [r for r in found if r in permitted]

    @property
    def mentions_everyone(self) -> bool:
        """Whether ``@everyone``/``@here`` in the content would ping."""
        if "@everyone" not in self.content and "@here" not in self.content:
            return False
        allowed = self.allowed_mentions
        return allowed is None or "everyone" in allowed.get("parse", [])

    def payload(self, state: SandboxState) -> JSON:
        """The documented message object."""
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": state.users[self.author_id].payload(),
            "content": self.content,
            "timestamp": iso(self.created_at),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False,
            "mention_everyone": self.mentions_everyone,
            "mentions": [
                state.users[u].payload() for u in self.mentioned_user_ids() if u in state.users
            ],
            "mention_roles": [str(r) for r in self.mentioned_role_ids()],
            "attachments": [a.payload(state.base_url) for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.interaction_id is not None:
            data["webhook_id"] = str(state.bot.id)
            data["application_id"] = str(state.bot.id)
        return data


def _walk_components(components: list[JSON]) -> list[tuple[str, JSON]]:
    found: list[tuple[str, JSON]] = []
    for component in components:
        if "custom_id" in component:
            found.append((str(component["custom_id"]), component))
        found.extend(_walk_components(component.get("components", [])))
    return found


def find_component(message: Message, custom_id: str) -> JSON | None:
    """The component with this custom id on the message, if any."""
    for cid, component in _walk_components(message.components):
        if cid == custom_id:
            return component
    return None


@dataclass
class InteractionRecord:
    """An interaction the sandbox dispatched and what the bot answered to it so far.

    ``original_id`` is the message ``@original`` refers to; ``final_id`` is set once the user can
    see a reply (an immediate message, a deferred reply's edit or first followup, an update of the
    clicked message); ``choices`` holds an autocomplete answer and ``modal`` a modal.
    """

    id: int
    token: str
    type: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: JSON
    message_id: int | None = None
    callback_type: int | None = None
    callback_data: JSON | None = None
    original_id: int | None = None
    final_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    choices: list[JSON] | None = None
    modal: JSON | None = None
    # Monotonic seconds: when the sandbox dispatched it and when the bot acknowledged it.
    dispatched_at: float = field(default_factory=time.monotonic)
    acknowledged_at: float | None = None

    @property
    def ack_seconds(self) -> float | None:
        """How long the bot took to acknowledge (Discord allows 3 seconds)."""
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.dispatched_at

    @property
    def answered(self) -> bool:
        """Whether the user sees an answer (message, update, choices or modal)."""
        return self.final_id is not None or self.choices is not None or self.modal is not None


class ChangeFeed:
    """Lets tests wait for a condition on the state instead of sleeping.

    Every mutation calls ``notify()``; ``wait_until`` re-checks its condition after each one.
    """

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake every waiter so it re-checks its condition."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until[T](self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        """Return the first non-None result of ``check``; TimeoutError naming ``what`` otherwise."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    value = check()
                    if value is not None:
                        return value
                    waiter = asyncio.get_running_loop().create_future()
                    self._waiters.add(waiter)
                    await waiter
        except TimeoutError:
            raise TimeoutError(f"sandbox: timed out after {timeout}s waiting for {what}") from None


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the bot made, as the sandbox received it."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int
    at: float


class SandboxState:
    """All objects of the loopback Discord, indexed by id."""

    def __init__(
        self,
        *,
        bot_name: str = "Ratmas",
        token: str = "sandbox-token",
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.snowflake = SnowflakeGenerator()
        # What time it is in this Discord: message timestamps, join dates.
        self.now = clock
        self.token = token
        self.base_url = "http://127.0.0.1"
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.dm_channels: dict[int, int] = {}
        self.commands: dict[int | None, dict[int, JSON]] = {}
        # Server Settings → Integrations: per guild and command name, the roles and
        # users a server admin let use a command despite its default_member_permissions.
        self.command_overrides: dict[tuple[int, str], set[int]] = {}
        self.requests: list[RecordedRequest] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.feed = ChangeFeed()
        self.message_listeners: list[Callable[[Message, bool], None]] = []
        self.bot = self.add_user(bot_name, bot=True)

    @property
    def application_id(self) -> int:
        """The bot's application id (the same as its user id, as for real bots)."""
        return self.bot.id

    def add_user(
        self, name: str, *, user_id: int | None = None, bot: bool = False, dms_open: bool = True
    ) -> User:
        """Create (or return the existing) user."""
        if user_id is not None and user_id in self.users:
            return self.users[user_id]
        user = User(
            id=user_id or self.snowflake(), name=name, global_name=name, bot=bot, dms_open=dms_open
        )
        self.users[user.id] = user
        return user

    def guild(self, guild_id: int) -> Guild:
        """The guild with this id (KeyError when unknown)."""
        return self.guilds[guild_id]

    def dm_channel(self, user_id: int) -> Channel:
        """The DM channel between the bot and this user, created on first use."""
        channel_id = self.dm_channels.get(user_id)
        if channel_id is None:
            channel = Channel(id=self.snowflake(), name=None, type=1, recipient_id=user_id)
            self.channels[channel.id] = channel
            self.dm_channels[user_id] = channel.id
            return channel
        return self.channels[channel_id]

    def posted(self, message: Message, *, edited: bool) -> None:
        """Tell listeners (e.g. the demo's transcript) about a new or edited message."""
        for listener in self.message_listeners:
            listener(message, edited)
        self.feed.notify()

    def where(self, message: Message) -> str:
        """A reader's name for the message's place: ``#general`` or ``DM @alice``."""
        channel = self.channels[message.channel_id]
        if channel.type == 1 and channel.recipient_id in self.users:
            return f"DM @{self.users[channel.recipient_id].name}"
        return f"#{channel.name}"

    def channel_messages(self, channel_id: int) -> list[Message]:
        """Messages of a channel in posting order, deleted ones excluded."""
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]
