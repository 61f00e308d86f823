"""The `Discord` port implemented with nextcord.

Translates Discord's refusals into `DeliveryError` kinds the services act on:
50007 (the user does not accept our DMs) -> DMS_CLOSED; 40003 ("opening direct
messages too fast") or the anti-spam quarantine message -> SLOW_DOWN; an unknown
user or member -> UNKNOWN_USER. Every message goes out with `AllowedMentions` that
can ping only the users the service named: never @everyone, @here or a role.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import nextcord

from ratmas.domain.model import Member
from ratmas.services.errors import (
    DeliveryError,
    DeliveryFailure,
    MembersIntentMissing,
    RoleMissing,
)
from ratmas.services.ports import Message

log = logging.getLogger(__name__)

CANNOT_MESSAGE_USER = 50007
OPENING_DMS_TOO_FAST = 40003
UNKNOWN_MEMBER = 10007
UNKNOWN_USER = 10013
SPAM_MARKERS = ("spam", "quarantine", "too fast")

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


def delivery_error(exc: nextcord.HTTPException) -> DeliveryError:
    """Classify a refusal from Discord."""
    code = getattr(exc, "code", None) or None
    text = (getattr(exc, "text", "") or str(exc))[:500]
    if code == CANNOT_MESSAGE_USER:
        kind = DeliveryFailure.DMS_CLOSED
    elif code == OPENING_DMS_TOO_FAST or any(marker in text.lower() for marker in SPAM_MARKERS):
        kind = DeliveryFailure.SLOW_DOWN
    elif code in (UNKNOWN_MEMBER, UNKNOWN_USER) or isinstance(exc, nextcord.NotFound):
        kind = DeliveryFailure.UNKNOWN_USER
    else:
        kind = DeliveryFailure.OTHER
    return DeliveryError(kind, code, text)


class NextcordDiscord:
    """`Discord` over a connected nextcord client."""

    def __init__(self, client: nextcord.Client, views: ViewFactory | None = None) -> None:
        self.client = client
        self.views = views

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

    async def send_dm(self, user_id: int, message: Message) -> None:
        try:
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            channel = user.dm_channel or await user.create_dm()
            await self._send(channel, message)
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc

    async def post(self, channel_id: int, message: Message) -> None:
        try:
            channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(
                channel_id
            )
            if not isinstance(channel, nextcord.abc.Messageable):
                raise DeliveryError(
                    DeliveryFailure.OTHER, None, f"channel {channel_id} cannot take messages"
                )
            await self._send(channel, message)
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        await self._change_role(guild_id, user_id, role_id, add=True)

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        await self._change_role(guild_id, user_id, role_id, add=False)

    async def _change_role(self, guild_id: int, user_id: int, role_id: int, *, add: bool) -> None:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            raise DeliveryError(DeliveryFailure.OTHER, None, f"guild {guild_id} is not available")
        role = nextcord.Object(id=role_id)
        try:
            member = guild.get_member(user_id) or await guild.fetch_member(user_id)
            if add:
                await member.add_roles(role, reason="Ratmas sign-up")
            else:
                await member.remove_roles(role, reason="Ratmas sign-up")
        except nextcord.HTTPException as exc:
            raise delivery_error(exc) from exc

    async def _send(self, channel: nextcord.abc.Messageable, message: Message) -> None:
        view = self.views(message) if self.views is not None else None
        content = message.content or None
        embeds = to_embeds(message)
        mentions = allowed_mentions(message)
        # nextcord sends an empty multipart body for `files=[]`: pass files only when
        # there is one.
        if message.file_name and message.file_content is not None:
            file = nextcord.File(io.BytesIO(message.file_content), filename=message.file_name)
            await channel.send(
                content=content, embeds=embeds, file=file, allowed_mentions=mentions, view=view
            )
        else:
            await channel.send(content=content, embeds=embeds, allowed_mentions=mentions, view=view)
