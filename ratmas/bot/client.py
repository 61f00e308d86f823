"""The nextcord client: intents, the persistent view, member events and error replies.

It decides nothing: member events are handed to the participant service, interactions to
the cog, and the first READY to `on_first_ready` (the app starts the scheduler and
reconciles there, once the bot can actually deliver messages).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import nextcord
from nextcord.ext import commands

from ratmas.bot import render
from ratmas.bot.admin_cog import RatmasAdminCog
from ratmas.bot.cog import RatmasCog
from ratmas.bot.discord_port import nonce_in
from ratmas.bot.errors import answer_error, lost_race
from ratmas.bot.services import BotServices
from ratmas.bot.views import GiftReceivedView, GiftSentView, JoinLeaveView, RetryView
from ratmas.domain.model import GiftMark, outbox_id_of
from ratmas.services.ports import Message

log = logging.getLogger("ratmas.bot")


def intents(members: bool) -> nextcord.Intents:
    value = nextcord.Intents.default()
    value.members = members
    return value


class RatmasBot(commands.Bot):
    """The Ratmas client."""

    def __init__(
        self,
        *,
        members_intent: bool,
        guild_ready_timeout: float = 2.0,
        **options: Any,
    ) -> None:
        super().__init__(
            intents=intents(members_intent),
            guild_ready_timeout=guild_ready_timeout,
            **options,
        )
        self._services: BotServices | None = None
        self._on_first_ready: Callable[[], Awaitable[None]] | None = None
        self._ready_once = False
        self.join_view = JoinLeaveView(self._join, self._leave)
        self.retry_view = RetryView(self._retry)
        self.gift_sent_view = GiftSentView(self._gift_sent)
        self.gift_received_view = GiftReceivedView(self._gift_received)

    def attach(
        self,
        services: BotServices,
        *,
        on_first_ready: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Give the bot its services (they need the bot first, as their Discord port)."""
        self._services = services
        self._on_first_ready = on_first_ready
        self.add_view(self.join_view)
        self.add_view(self.retry_view)
        self.add_view(self.gift_sent_view)
        self.add_view(self.gift_received_view)
        self.add_cog(RatmasCog(services))
        self.add_cog(RatmasAdminCog(services))

    @property
    def services(self) -> BotServices:
        if self._services is None:
            raise RuntimeError("RatmasBot.attach() was not called")
        return self._services

    def view_for(self, message: Message) -> nextcord.ui.View | None:
        """The persistent view a message asks for (the same instances every time)."""
        if message.join_buttons_event_id is not None:
            return self.join_view
        if message.retry_button:
            return self.retry_view
        if message.gift_button is GiftMark.SENT:
            return self.gift_sent_view
        if message.gift_button is GiftMark.RECEIVED:
            return self.gift_received_view
        return None

    async def _join(self, guild_id: int, user_id: int, name: str) -> str:
        return render.joined(await self.services.season.participants.join(guild_id, user_id, name))

    async def _retry(self, guild_id: int, user_id: int, name: str) -> str:
        return render.retried(await self.services.season.participants.retry_own(guild_id, user_id))

    async def _gift_sent(self, user_id: int, dm_text: str) -> str:
        return await self._gift(user_id, dm_text, GiftMark.SENT)

    async def _gift_received(self, user_id: int, dm_text: str) -> str:
        return await self._gift(user_id, dm_text, GiftMark.RECEIVED)

    async def _gift(self, user_id: int, dm_text: str, mark: GiftMark) -> str:
        """A gift button in a DM: the DM's reference line names its outbox row."""
        dm_id = outbox_id_of(nonce_in(dm_text))
        gifts = self.services.season.gifts
        return render.gift_marked(await gifts.mark_from_dm(user_id, dm_id, mark))

    async def _leave(self, guild_id: int, user_id: int, name: str) -> str:
        return render.left(await self.services.season.participants.leave(guild_id, user_id))

    async def on_ready(self) -> None:
        log.info("connected as %s to %d guild(s)", self.user, len(self.guilds))
        if self._ready_once:
            return
        self._ready_once = True
        if self._on_first_ready is not None:
            await self._on_first_ready()

    async def on_member_remove(self, member: nextcord.Member) -> None:
        await self._guarded(
            "member left", self.services.season.participants.member_left(member.guild.id, member.id)
        )

    async def on_member_update(self, before: nextcord.Member, after: nextcord.Member) -> None:
        lost = {role.id for role in before.roles} - {role.id for role in after.roles}
        for role_id in lost:
            await self._guarded(
                "role removed",
                self.services.season.participants.role_removed(after.guild.id, after.id, role_id),
            )

    async def _guarded(self, what: str, work: Awaitable[object]) -> None:
        try:
            await work
        except Exception as error:
            why = lost_race(error)
            if why is not None:
                log.info("%s: %s; nothing to do", what, why)
                return
            log.exception("%s: handling the member event failed", what)

    async def on_application_command_error(
        self, interaction: nextcord.Interaction[Any], exception: BaseException
    ) -> None:
        await answer_error(interaction, exception)
