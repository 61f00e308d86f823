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
RETRY_ID = "ratmas:retry"

# (guild_id, user_id, display_name) -> the text to show the member, ephemerally.
ButtonAction = Callable[[int, int, str], Awaitable[str]]


async def _press(interaction: Inter, action: ButtonAction) -> None:
    if interaction.guild_id is None or interaction.user is None:
        await reply(interaction, "These buttons only work inside the server.")
        return
    # Joining grants a role and Retry sends a DM: acknowledge first (3 seconds).
    await interaction.response.defer(ephemeral=True)
    text = await action(interaction.guild_id, interaction.user.id, interaction.user.display_name)
    await reply(interaction, text)


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
        await _press(interaction, self._on_join)

    @nextcord.ui.button(label="Leave", style=nextcord.ButtonStyle.grey, custom_id=LEAVE_ID)
    async def leave(self, button: nextcord.ui.Button[JoinLeaveView], interaction: Inter) -> None:
        await _press(interaction, self._on_leave)

    async def on_error(
        self,
        error: Exception,
        item: nextcord.ui.Item[JoinLeaveView],
        interaction: Inter,
    ) -> None:
        await answer_error(interaction, error)


class RetryView(nextcord.ui.View):
    """The button under a "could not DM you" ping: the santa asks for their DM again."""

    def __init__(self, on_retry: ButtonAction) -> None:
        super().__init__(timeout=None)
        self._on_retry = on_retry

    @nextcord.ui.button(
        label="Retry", emoji="📬", style=nextcord.ButtonStyle.blurple, custom_id=RETRY_ID
    )
    async def retry(self, button: nextcord.ui.Button[RetryView], interaction: Inter) -> None:
        await _press(interaction, self._on_retry)

    async def on_error(
        self,
        error: Exception,
        item: nextcord.ui.Item[RetryView],
        interaction: Inter,
    ) -> None:
        await answer_error(interaction, error)
