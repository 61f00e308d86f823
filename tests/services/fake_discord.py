"""A recording, scriptable fake of the `Discord` port.

Records every DM and post with its `Message`; tests script who holds which role
(or that the role was deleted, or that the members intent is missing), whose DMs are
closed, when Discord asks to slow down (after N sends), when a plain exception (a
crash) is raised (at the k-th DM or post attempt, before Discord stores the DM or, with
`lose_answer_at`, after: Discord has it and the bot never learns), and which channels
are gone.

Like Discord, a repeated nonce returns the earlier message; given a `clock`, only
within `nonce_window` of the first send (without one, forever).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ratmas.domain.model import Member
from ratmas.services.errors import (
    DeliveryError,
    DeliveryFailure,
    MembersIntentMissing,
    RoleMissing,
)
from ratmas.services.ports import Clock, Message, SentMessage


class DiscordCrash(RuntimeError):
    """The scripted unexpected failure (a lost connection, a bug)."""


@dataclass
class RecordingDiscord:
    roles: dict[int, list[Member]] = field(default_factory=dict)  # role id -> holders
    intent_missing: bool = False
    role_missing: bool = False  # every participant role was deleted: RoleMissing
    closed_dms: set[int] = field(default_factory=set)
    unknown_users: set[int] = field(default_factory=set)
    slow_down_after: int | None = None  # successful DMs before 40003 on every later one
    crash_at: int | None = None  # the k-th DM attempt (1-based) raises DiscordCrash, once
    # The k-th DM attempt is stored, then raises DiscordCrash (the answer is lost), once.
    lose_answer_at: int | None = None
    refuse_roles: bool = False
    refuse_posts: bool = False
    unknown_channels: set[int] = field(default_factory=set)  # posts there: 10003
    crash_post_at: int | None = None  # the k-th post attempt (1-based) raises, once
    dms: list[tuple[int, Message]] = field(default_factory=list)  # delivered only
    posts: list[tuple[int, Message]] = field(default_factory=list)
    role_changes: list[tuple[str, int, int, int]] = field(default_factory=list)
    attempts: int = 0  # DM attempts
    attempted: list[int] = field(default_factory=list)  # user id of every DM attempt
    post_attempts: int = 0
    role_member_calls: int = 0
    # Discord's side of idempotent DMs: a repeated nonce returns the earlier message.
    nonces: dict[str, SentMessage] = field(default_factory=dict)
    clock: Clock | None = None  # with a clock, a nonce is only kept for `nonce_window`
    nonce_window: timedelta = timedelta(minutes=5)
    nonce_times: dict[str, datetime] = field(default_factory=dict)
    # channel -> (message id, the nonce it carries a marker of, or "")
    history: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    edits: list[tuple[int, int, Message]] = field(default_factory=list)
    dm_opens: int = 0
    dm_gate: asyncio.Semaphore | None = None  # given, every DM attempt waits for a release
    post_ids: list[int] = field(default_factory=list)  # the message id of each of `posts`
    history_reads: list[tuple[int, str]] = field(default_factory=list)  # (channel, nonce)
    _next_id: int = 10_000

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @staticmethod
    def dm_channel_of(user_id: int) -> int:
        return 5_000_000 + user_id

    # --- the port -------------------------------------------------------------------
    async def role_members(self, guild_id: int, role_id: int) -> list[Member]:
        self.role_member_calls += 1
        if self.intent_missing:
            raise MembersIntentMissing()
        if self.role_missing:
            raise RoleMissing(role_id)
        return list(self.roles.get(role_id, []))

    async def open_dm(self, user_id: int) -> int:
        self.dm_opens += 1
        await asyncio.sleep(0)
        if user_id in self.unknown_users:
            raise DeliveryError(DeliveryFailure.UNKNOWN_USER, 10013, "Unknown User")
        return self.dm_channel_of(user_id)

    async def find_own_dm(self, channel_id: int, nonce: str, *, limit: int = 50) -> int | None:
        self.history_reads.append((channel_id, nonce))
        recent = self.history.get(channel_id, [])[-limit:]
        return next((mid for mid, sent_with in reversed(recent) if sent_with == nonce), None)

    async def send_dm(
        self,
        user_id: int,
        message: Message,
        *,
        nonce: str | None = None,
        channel_id: int | None = None,
    ) -> SentMessage:
        if nonce is not None and nonce in self.nonces and self._nonce_kept(nonce):
            return self.nonces[nonce]
        self.attempts += 1
        self.attempted.append(user_id)
        attempt = self.attempts
        if self.dm_gate is not None:
            await self.dm_gate.acquire()
        await asyncio.sleep(0)  # let the other senders interleave, as real I/O would
        if nonce is not None and nonce in self.nonces and self._nonce_kept(nonce):
            return self.nonces[nonce]  # a concurrent send with this nonce arrived first
        if self.crash_at is not None and attempt == self.crash_at:
            self.crash_at = None
            raise DiscordCrash(f"scripted crash at DM attempt {attempt}")
        if self.slow_down_after is not None and len(self.dms) >= self.slow_down_after:
            raise DeliveryError(DeliveryFailure.SLOW_DOWN, 40003, "You are opening DMs too fast.")
        if user_id in self.closed_dms:
            raise DeliveryError(
                DeliveryFailure.DMS_CLOSED, 50007, "Cannot send messages to this user"
            )
        if user_id in self.unknown_users:
            raise DeliveryError(DeliveryFailure.UNKNOWN_USER, 10013, "Unknown User")
        self.dms.append((user_id, message))
        channel = channel_id or self.dm_channel_of(user_id)
        sent = SentMessage(channel, self._new_id())
        self.history.setdefault(channel, []).append((sent.message_id, nonce or ""))
        if nonce is not None:
            self.nonces[nonce] = sent
            if self.clock is not None:
                self.nonce_times[nonce] = self.clock.now()
        if self.lose_answer_at is not None and attempt == self.lose_answer_at:
            self.lose_answer_at = None
            raise DiscordCrash(f"scripted crash after DM attempt {attempt} was stored")
        return sent

    def _nonce_kept(self, nonce: str) -> bool:
        sent_at = self.nonce_times.get(nonce)
        if self.clock is None or sent_at is None:
            return True
        return self.clock.now() - sent_at < self.nonce_window

    async def post(self, channel_id: int, message: Message) -> SentMessage:
        self.post_attempts += 1
        attempt = self.post_attempts
        await asyncio.sleep(0)
        if self.crash_post_at is not None and attempt == self.crash_post_at:
            self.crash_post_at = None
            raise DiscordCrash(f"scripted crash at post attempt {attempt}")
        if channel_id in self.unknown_channels:
            raise DeliveryError(DeliveryFailure.OTHER, 10003, "Unknown Channel")
        if self.refuse_posts:
            raise DeliveryError(DeliveryFailure.OTHER, 50013, "Missing Permissions")
        self.posts.append((channel_id, message))
        self.post_ids.append(self._new_id())
        return SentMessage(channel_id, self.post_ids[-1])

    async def edit(self, channel_id: int, message_id: int, message: Message) -> None:
        await asyncio.sleep(0)
        self.edits.append((channel_id, message_id, message))

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        self._role("add", guild_id, user_id, role_id)

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        self._role("remove", guild_id, user_id, role_id)

    def _role(self, action: str, guild_id: int, user_id: int, role_id: int) -> None:
        if self.refuse_roles:
            raise DeliveryError(DeliveryFailure.OTHER, 50013, "Missing Permissions")
        self.role_changes.append((action, guild_id, user_id, role_id))

    # --- helpers for assertions -----------------------------------------------------
    def dms_to(self, user_id: int) -> list[Message]:
        return [message for target, message in self.dms if target == user_id]

    def dm_targets(self) -> list[int]:
        return [target for target, _ in self.dms]

    def posted(self, channel_id: int | None = None) -> list[Message]:
        return [m for c, m in self.posts if channel_id in (None, c)]
