"""Persistent buttons: Join/Leave, Retry, and the gift buttons in DMs.

The custom ids are stable and carry no event id: a click is resolved against the
guild's live event when it happens, so the buttons on an announcement keep working
after a restart (the view is registered once at startup with `timeout=None`). The
gift buttons live in DMs, where there is no guild: a press is resolved from who
pressed it and the DM it is under, never from the custom id, which says nothing of
who gives to whom.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import nextcord

from ratmas.bot.errors import Inter, answer_error, reply
from ratmas.services.messages import GIFT_RECEIVED_LABEL, GIFT_SENT_LABEL

JOIN_ID = "ratmas:join"
LEAVE_ID = "ratmas:leave"
RETRY_ID = "ratmas:retry"
GIFT_SENT_ID = "ratmas:gift_sent"
GIFT_RECEIVED_ID = "ratmas:gift_received"

# (guild_id, user_id, display_name) -> the text to show the member, ephemerally.
ButtonAction = Callable[[int, int, str], Awaitable[str]]
# (user_id, the text of the DM the button is under) -> the text to show, ephemerally.
DmButtonAction = Callable[[int, str], Awaitable[str]]


async def _press(interaction: Inter, action: ButtonAction) -> None:
    if interaction.guild_id is None or interaction.user is None:
        await reply(interaction, "These buttons only work inside the server.")
        return
    # Joining grants a role and Retry sends a DM: acknowledge first (3 seconds).
    await interaction.response.defer(ephemeral=True)
    text = await action(interaction.guild_id, interaction.user.id, interaction.user.display_name)
    await reply(interaction, text)


async def _press_in_dm(interaction: Inter, action: DmButtonAction) -> None:
    if interaction.user is None:  # pragma: no cover - Discord always sends one
        return
    await interaction.response.defer(ephemeral=True)  # it may DM the other side
    content = interaction.message.content if interaction.message is not None else ""
    await reply(interaction, await action(interaction.user.id, content))


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


class GiftSentView(nextcord.ui.View):
    """The button under a santa's assignment DM."""

    def __init__(self, on_press: DmButtonAction) -> None:
        super().__init__(timeout=None)
        self._on_press = on_press

    @nextcord.ui.button(
        label=GIFT_SENT_LABEL, emoji="📦", style=nextcord.ButtonStyle.green, custom_id=GIFT_SENT_ID
    )
    async def sent(self, button: nextcord.ui.Button[GiftSentView], interaction: Inter) -> None:
        await _press_in_dm(interaction, self._on_press)

    async def on_error(
        self,
        error: Exception,
        item: nextcord.ui.Item[GiftSentView],
        interaction: Inter,
    ) -> None:
        await answer_error(interaction, error)


class GiftReceivedView(nextcord.ui.View):
    """The button under "your gift is on its way", in the giftee's DMs."""

    def __init__(self, on_press: DmButtonAction) -> None:
        super().__init__(timeout=None)
        self._on_press = on_press

    @nextcord.ui.button(
        label=GIFT_RECEIVED_LABEL,
        emoji="🎉",
        style=nextcord.ButtonStyle.green,
        custom_id=GIFT_RECEIVED_ID,
    )
    async def received(
        self, button: nextcord.ui.Button[GiftReceivedView], interaction: Inter
    ) -> None:
        await _press_in_dm(interaction, self._on_press)

    async def on_error(
        self,
        error: Exception,
        item: nextcord.ui.Item[GiftReceivedView],
        interaction: Inter,
    ) -> None:
        await answer_error(interaction, error)
