"""The `Discord` port implemented with nextcord.

Pacing: every request this adapter makes waits for the global request budget
(`requests_per_second`, safely under Discord's 50/s, leaving room for interaction
answers, which Discord exempts anyway), and opening a DM channel or sending a DM also
waits for `dms_per_second` — both before the request is made, so not even the first
window, before any rate-limit header was seen, is answered with 429. The limiters are
leaky buckets of capacity one: at most `1 + rate * t` requests in any `t` seconds.
DM channels are opened once per user and remembered.

Idempotent DMs: a DM with a nonce goes through nextcord's HTTP client on a route of our
own with `enforce_nonce` (nextcord 3.2 does not expose it), so Discord returns the
earlier message when the same nonce is repeated within a few minutes.

Translates Discord's refusals into `DeliveryError` kinds the services act on:
50007 (the user does not accept our DMs) -> DMS_CLOSED; 40003 ("opening direct
messages too fast") or the anti-spam quarantine message -> SLOW_DOWN; an unknown
user or member -> UNKNOWN_USER. Every message goes out with `AllowedMentions` that
can ping only the users the service named: never @everyone, @here or a role.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from typing import Any

import nextcord
from aiolimiter import AsyncLimiter
from nextcord.http import Route

from ratmas.domain.model import Member
from ratmas.services.errors import (
    DeliveryError,
    DeliveryFailure,
    MembersIntentMissing,
    RoleMissing,
)
from ratmas.services.ports import Message, SentMessage

log = logging.getLogger(__name__)

CANNOT_MESSAGE_USER = 50007
OPENING_DMS_TOO_FAST = 40003
UNKNOWN_MEMBER = 10007
UNKNOWN_USER = 10013
NO_MUTUAL_GUILD = 50278
DEFAULT_DMS_PER_SECOND = 5.0
DEFAULT_REQUESTS_PER_SECOND = 40.0
SPAM_MARKERS = ("spam", "quarantine", "too fast")
CONTENT_LIMIT = 2000

# The persistent view a message asks for (Join/Leave, Retry), if any.
ViewFactory = Callable[[Message], nextcord.ui.View | None]


def allowed_mentions(message: Message) -> nextcord.AllowedMentions:
    """Only the named users may be pinged, whatever the content says."""
    return nextcord.AllowedMentions(
        everyone=False,
        roles=False,
        users=[nextcord.Object(id=user_id) for user_id in message.mention_user_ids],
        replied_user=False,
    )


def to_embeds(message: Message) -> list[nextcord.Embed]:
    embeds = []
    for spec in message.embeds:
        embed = nextcord.Embed(title=spec.title[:256], description=spec.description[:4096])
        for name, value in spec.fields[:25]:
            embed.add_field(name=name[:256], value=value[:1024], inline=False)
        embeds.append(embed)
    return embeds


def nonce_marker(nonce: str) -> str:
    """The last line of a DM sent with a nonce: small grey text we find in history."""
    return f"-# ref {nonce}"


_MARKER_LINE = re.compile(r"^-# ref (\S{1,25})$", re.MULTILINE)


def nonce_in(content: str) -> str | None:
    """The nonce a DM's marker line names (its last one), if it has one."""
    found = _MARKER_LINE.findall(content or "")
    return found[-1] if found else None


def with_marker(content: str, nonce: str) -> str:
    """The content with its marker line, cut so that both fit Discord's 2,000 characters
    (the marker must survive: it is how a restarted bot recognises the DM)."""
    marker = nonce_marker(nonce)
    return f"{content[: CONTENT_LIMIT - len(marker) - 1]}\n{marker}"


def limiter(per_second: float) -> AsyncLimiter:
    """A leaky bucket of capacity one: no burst, `per_second` on average."""
    if per_second <= 0:
        raise ValueError(f"a rate must be positive, got {per_second}")
    return AsyncLimiter(1, 1 / per_second)


def delivery_error(exc: nextcord.HTTPException) -> DeliveryError:
    """Classify a refusal from Discord."""
    code = getattr(exc, "code", None) or None
    text = (getattr(exc, "text", "") or str(exc))[:500]
    if code == CANNOT_MESSAGE_USER:
        kind = DeliveryFailure.DMS_CLOSED
    elif code == OPENING_DMS_TOO_FAST or any(marker in text.lower() for marker in SPAM_MARKERS):
        kind = DeliveryFailure.SLOW_DOWN
    elif code in (UNKNOWN_MEMBER, UNKNOWN_USER, NO_MUTUAL_GUILD) or isinstance(
        exc, nextcord.NotFound
    ):
        kind = DeliveryFailure.UNKNOWN_USER
    else:
        kind = DeliveryFailure.OTHER
    return DeliveryError(kind, code, text)


class NextcordDiscord:
    """`Discord` over a connected nextcord client."""

    def __init__(
        self,
        client: nextcord.Client,
        views: ViewFactory | None = None,
        *,
        dms_per_second: float = DEFAULT_DMS_PER_SECOND,
        requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
    ) -> None:
        self.client = client
        self.views = views
        self._requests = limiter(requests_per_second)
        self._dm_opens = limiter(dms_per_second)
        self._dm_sends = limiter(dms_per_second)
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id

    async def _request(self, route: Route, **kwargs: Any) -> Any:
        await self._requests.acquire()
        return await self.client.http.request(route, **kwargs)

    async def role_members(self, guild_id: int, role_id: int) -> list[Member]:
        if not self.client.intents.members:
            raise MembersIntentMissing()
        guild = self.client.get_guild(guild_id)
        if guild is None:
            raise DeliveryError(DeliveryFailure.OTHER, None, f"guild {guild_id} is not available")
        if not guild.chunked:
            await guild.chunk()
        role = guild.get_role(role_id)
        if role is None:
            raise RoleMissing(role_id)
        return [Member(m.id, m.display_name) for m in role.members if not m.bot]

    async def open_dm(self, user_id: int) -> int:
        known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        await self._dm_opens.acquire()
        try:
            data = await self._request(
                Route("POST", "/users/@me/channels"), json={"recipient_id": str(user_id)}
            )
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc
        channel_id = int(data["id"])
        self._dm_channels[user_id] = channel_id
        return channel_id

    async def send_dm(
        self,
        user_id: int,
        message: Message,
        *,
        nonce: str | None = None,
        channel_id: int | None = None,
    ) -> SentMessage:
        if channel_id is not None:
            self._dm_channels.setdefault(user_id, channel_id)
        channel = channel_id or await self.open_dm(user_id)
        await self._dm_sends.acquire()
        return await self._create_message(channel, message, nonce=nonce)

    async def find_own_dm(self, channel_id: int, nonce: str, *, limit: int = 50) -> int | None:
        marker = nonce_marker(nonce)
        try:
            data = await self._request(
                Route("GET", "/channels/{channel_id}/messages", channel_id=channel_id),
                params={"limit": max(1, min(limit, 100))},
            )
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc
        me = self.client.user.id if self.client.user is not None else None
        for item in data or []:
            author = (item.get("author") or {}).get("id")
            mine = me is None or (author is not None and int(author) == me)
            if marker in str(item.get("content") or "") and mine:
                return int(item["id"])
        return None

    async def post(self, channel_id: int, message: Message) -> SentMessage:
        return await self._create_message(channel_id, message)

    async def edit(self, channel_id: int, message_id: int, message: Message) -> None:
        payload = {
            "content": message.content,
            "embeds": [e.to_dict() for e in to_embeds(message)],
            "allowed_mentions": allowed_mentions(message).to_dict(),
        }
        try:
            await self._request(
                Route(
                    "PATCH",
                    "/channels/{channel_id}/messages/{message_id}",
                    channel_id=channel_id,
                    message_id=message_id,
                ),
                json=payload,
            )
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc

    async def _create_message(
        self, channel_id: int, message: Message, *, nonce: str | None = None
    ) -> SentMessage:
        """POST a message; with a nonce, enforced (see the module docstring)."""
        if message.file_name and message.file_content is not None:
            return await self._send_with_file(channel_id, message)
        payload: dict[str, Any] = {
            "content": message.content or None,
            "embeds": [e.to_dict() for e in to_embeds(message)],
            "allowed_mentions": allowed_mentions(message).to_dict(),
        }
        view = self.views(message) if self.views is not None else None
        if view is not None:
            payload["components"] = view.to_components()
        if nonce is not None:
            payload["nonce"] = nonce
            payload["enforce_nonce"] = True
            payload["content"] = with_marker(message.content, nonce)
        try:
            data = await self._request(
                Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id),
                json=payload,
            )
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc
        return SentMessage(int(data["channel_id"]), int(data["id"]))

    async def _send_with_file(self, channel_id: int, message: Message) -> SentMessage:
        try:
            channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(
                channel_id
            )
            if not isinstance(channel, nextcord.abc.Messageable):
                raise DeliveryError(
                    DeliveryFailure.OTHER, None, f"channel {channel_id} cannot take messages"
                )
            await self._requests.acquire()
            sent = await self._send(channel, message)
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc
        return SentMessage(channel_id, sent.id)

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        await self._change_role(guild_id, user_id, role_id, add=True)

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        await self._change_role(guild_id, user_id, role_id, add=False)

    async def _change_role(self, guild_id: int, user_id: int, role_id: int, *, add: bool) -> None:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            raise DeliveryError(DeliveryFailure.OTHER, None, f"guild {guild_id} is not available")
        role = nextcord.Object(id=role_id)
        await self._requests.acquire()
        try:
            member = guild.get_member(user_id) or await guild.fetch_member(user_id)
            if add:
                await member.add_roles(role, reason="Ratmas sign-up")
            else:
                await member.remove_roles(role, reason="Ratmas sign-up")
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc

    async def _send(self, channel: nextcord.abc.Messageable, message: Message) -> nextcord.Message:
        view = self.views(message) if self.views is not None else None
        content = message.content or None
        embeds = to_embeds(message)
        mentions = allowed_mentions(message)
        # nextcord sends an empty multipart body for `files=[]`: pass files only when
        # there is one.
        if message.file_name and message.file_content is not None:
            file = nextcord.File(io.BytesIO(message.file_content), filename=message.file_name)
            return await channel.send(
                content=content, embeds=embeds, file=file, allowed_mentions=mentions, view=view
            )
        return await channel.send(
            content=content, embeds=embeds, allowed_mentions=mentions, view=view
        )
