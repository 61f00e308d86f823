"""Persistent Join/Leave buttons.

The custom ids are stable and carry no event id: a click is resolved against the
guild's live event when it happens, so the buttons on an announcement keep working
after a restart (the view is registered once at startup with `timeout=None`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import nextcord

from ratmas.bot.errors import Inter, answer_error, reply

JOIN_ID = "ratmas:join"
LEAVE_ID = "ratmas:leave"

# (guild_id, user_id, display_name) -> the text to show the member, ephemerally.
ButtonAction = Callable[[int, int, str], Awaitable[str]]


class JoinLeaveView(nextcord.ui.View):
    """The buttons under an event's announcement."""

    def __init__(self, on_join: ButtonAction, on_leave: ButtonAction) -> None:
        super().__init__(timeout=None)
        self._on_join = on_join
        self._on_leave = on_leave

    @nextcord.ui.button(
        label="Join", emoji="🎁", style=nextcord.ButtonStyle.green, custom_id=JOIN_ID
    )
    async def join(self, button: nextcord.ui.Button[JoinLeaveView], interaction: Inter) -> None:
        await self._press(interaction, self._on_join)

    @nextcord.ui.button(label="Leave", style=nextcord.ButtonStyle.grey, custom_id=LEAVE_ID)
    async def leave(self, button: nextcord.ui.Button[JoinLeaveView], interaction: Inter) -> None:
        await self._press(interaction, self._on_leave)

    async def _press(self, interaction: Inter, action: ButtonAction) -> None:
        if interaction.guild_id is None or interaction.user is None:
            await reply(interaction, "These buttons only work inside the server.")
            return
        # Joining grants a role: acknowledge first, Discord allows 3 seconds.
        await interaction.response.defer(ephemeral=True)
        text = await action(interaction.guild_id, interaction.user.id, _name(interaction.user))
        await reply(interaction, text)

    async def on_error(
        self,
        error: Exception,
        item: nextcord.ui.Item[JoinLeaveView],
        interaction: Inter,
    ) -> None:
        await answer_error(interaction, error)


def _name(user: nextcord.User | nextcord.Member) -> str:
    return user.display_name
