"""`/ratmas …`: the members' commands, thin adapters to one service call each.

Every command acknowledges at once (deferred, ephemeral) because sync, draws and
DMs can take longer than Discord's 3 seconds, then answers with a rendered result.
The managers' commands are `/ratmas-admin …` (`ratmas.bot.admin_cog`). Errors are
answered by the client's `on_application_command_error` (see `ratmas.bot.errors`).
"""

from __future__ import annotations

from typing import Any

import nextcord
from nextcord import Interaction, SlashOption

from ratmas.bot import render
from ratmas.bot.errors import reply
from ratmas.bot.interactions import GUILD_ONLY, RatmasCogBase
from ratmas.domain.limits import MAX_NOTES_LENGTH
from ratmas.domain.model import GiftMark


class RatmasCog(RatmasCogBase):
    """The members' commands: join, leave, wishlist, notes, status, gift."""

    # --- the group ------------------------------------------------------------------
    @nextcord.slash_command(
        name="ratmas", description="Secret Santa for this server", contexts=GUILD_ONLY
    )
    async def ratmas(self, interaction: Interaction[Any]) -> None:
        """The members' command group; Discord never invokes it directly."""

    # --- everyone -------------------------------------------------------------------
    @ratmas.subcommand(name="join", description="Sign up for this server's Ratmas")
    async def join(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.participants.join(
            self._guild(interaction), user.id, user.display_name
        )
        await reply(interaction, render.joined(result))

    @ratmas.subcommand(name="leave", description="Leave this server's Ratmas")
    async def leave(self, interaction: Interaction[Any]) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.participants.leave(self._guild(interaction), user.id)
        await reply(interaction, render.left(result))

    @ratmas.subcommand(name="wishlist", description="Set or clear the link to your wishlist")
    async def wishlist(
        self,
        interaction: Interaction[Any],
        url: str | None = SlashOption(
            description="an http(s) link to your wishlist; leave it out to clear it",
            required=False,
            default=None,
        ),
    ) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.participants.set_wishlist(self._guild(interaction), user.id, url)
        await reply(interaction, render.wishlist(result))

    @ratmas.subcommand(name="notes", description="Notes only your Secret Santa will see")
    async def notes(
        self,
        interaction: Interaction[Any],
        text: str | None = SlashOption(
            description="sizes, allergies, a delivery hint; leave it out to clear your notes",
            required=False,
            default=None,
            max_length=MAX_NOTES_LENGTH,
        ),
    ) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.participants.set_notes(self._guild(interaction), user.id, text)
        await reply(interaction, render.notes(result))

    @ratmas.subcommand(name="status", description="Where the Ratmas is, and whom you give to")
    async def status(
        self,
        interaction: Interaction[Any],
        event: int | None = SlashOption(
            description="an earlier event of this server (default: the current one)",
            required=False,
            default=None,
        ),
    ) -> None:
        await self._defer(interaction)
        guild_id = self._guild(interaction)
        report = await self.s.status.status(event, guild_id=guild_id)
        mine = await self.s.participants.member_view(report.event.id, self._user(interaction).id)
        await reply(
            interaction,
            render.status(
                report,
                me_in=mine.participant is not None,
                my_recipient=mine.recipient,
                settings=await self.s.guild_settings.effective(guild_id),
                now=self.s.clock.now(),
                manager=await self._is_manager(interaction),
                me=mine.participant,
            ),
        )

    @status.on_autocomplete("event")
    async def _status_events(self, interaction: Interaction[Any], event: str) -> None:
        await self._complete_events(interaction, event)

    @ratmas.subcommand(name="gift", description="Say how your gift is doing")
    async def gift(self, interaction: Interaction[Any]) -> None:
        """The gift subcommands; Discord never invokes it directly."""

    @gift.subcommand(name="sent", description="You sent the gift for your giftee")
    async def gift_sent(self, interaction: Interaction[Any]) -> None:
        await self._mark_gift(interaction, GiftMark.SENT)

    @gift.subcommand(name="received", description="Your gift from your Secret Santa arrived")
    async def gift_received(self, interaction: Interaction[Any]) -> None:
        await self._mark_gift(interaction, GiftMark.RECEIVED)

    async def _mark_gift(self, interaction: Interaction[Any], mark: GiftMark) -> None:
        await self._defer(interaction)
        user = self._user(interaction)
        result = await self.s.gifts.mark(self._guild(interaction), user.id, mark)
        await reply(interaction, render.gift_marked(result))

    @ratmas.subcommand(
        name="history", description="This server's past seasons, and who gave to whom"
    )
    async def history(
        self,
        interaction: Interaction[Any],
        page: int = SlashOption(
            description="which page (the newest seasons come first)",
            required=False,
            default=1,
            min_value=1,
            max_value=1000,
        ),
    ) -> None:
        await self._defer(interaction)
        seasons = await self.s.history.seasons(self._guild(interaction))
        await reply(interaction, render.history(seasons, page))
