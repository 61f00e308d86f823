"""Persistent buttons: Join/Leave, Retry, the gift buttons in DMs, and an anonymous
message's Reply.

The custom ids are stable and carry no event id: a click is resolved against the
guild's live event when it happens, so the buttons on an announcement keep working
after a restart (the view is registered once at startup with `timeout=None`). The
gift buttons live in DMs, where there is no guild: a press is resolved from who
pressed it and the DM it is under, never from the custom id, which says nothing of
who gives to whom.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import nextcord

from ratmas.bot.errors import Inter, answer_error, reply
from ratmas.domain.model import MessageDirection
from ratmas.services.anonymous import MAX_MESSAGE_LENGTH
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


# --- anonymous messages: Reply --------------------------------------------------------
#
# The Reply button's custom id carries the outbox id of the DM it sits under, and the
# form's custom id the same: nothing else, so neither names anybody, and the database
# says who is who when they are used. nextcord 3.2 matches a persistent view's custom
# ids exactly (it has no templated items), so these are not views held in memory but a
# router the bot consults for every interaction (`ReplyRouter.route`), from startup on:
# a Reply pressed on a DM sent before a restart works the same.

REPLY_PREFIX = "ratmas:reply:"
REPLY_FORM_PREFIX = "ratmas:reply-form:"
REPLY_TEXT_ID = "text"
REPLY_TITLES = {
    MessageDirection.TO_SANTA: "Reply to your Secret Santa",
    MessageDirection.TO_GIFTEE: "Reply to your giftee",
}
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5

# (outbox id, presser id) -> whom their reply goes to; refuses with a RatmasError.
ReplyCheck = Callable[[int, int], Awaitable[MessageDirection]]
# (outbox id, presser id, text) -> the answer to show them.
ReplySend = Callable[[int, int, str], Awaitable[str]]


def reply_custom_id(outbox_id: int) -> str:
    return f"{REPLY_PREFIX}{outbox_id}"


def _outbox_id(custom_id: object, prefix: str) -> int | None:
    if not isinstance(custom_id, str) or not custom_id.startswith(prefix):
        return None
    digits = custom_id.removeprefix(prefix)
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 20 else None


class ReplyButtonView(nextcord.ui.View):
    """The Reply button under one anonymous message (rendered only; see the router)."""

    def __init__(self, outbox_id: int) -> None:
        super().__init__(timeout=None)
        self.add_item(
            nextcord.ui.Button(
                label="Reply",
                emoji="↩️",
                style=nextcord.ButtonStyle.blurple,
                custom_id=reply_custom_id(outbox_id),
            )
        )


class ReplyForm(nextcord.ui.Modal):
    """The form Reply opens: one text of at most 1,500 characters.

    Its submission is handled by the router, not by this object (which a restart would
    lose): the callback only lets nextcord forget it."""

    def __init__(self, outbox_id: int, direction: MessageDirection) -> None:
        super().__init__(
            REPLY_TITLES[direction],
            custom_id=f"{REPLY_FORM_PREFIX}{outbox_id}",
            auto_defer=False,
            timeout=15 * 60,
        )
        self.add_item(
            nextcord.ui.TextInput(
                label="Your anonymous reply",
                custom_id=REPLY_TEXT_ID,
                style=nextcord.TextInputStyle.paragraph,
                min_length=1,
                max_length=MAX_MESSAGE_LENGTH,
                required=True,
                placeholder="They will not learn who wrote it.",
            )
        )

    async def callback(self, interaction: Inter) -> None:
        self.stop()


def _form_text(data: Mapping[str, Any]) -> str:
    """The text input's value in a form submission (Discord nests it in action rows)."""
    for row in data.get("components") or []:
        for item in row.get("components") or []:
            if item.get("custom_id") == REPLY_TEXT_ID:
                return str(item.get("value") or "")
    return ""


class ReplyRouter:
    """Answers Reply presses and Reply forms, whatever their outbox id."""

    def __init__(self, check: ReplyCheck, send: ReplySend) -> None:
        self._check = check
        self._send = send

    async def route(self, interaction: Inter) -> bool:
        """Handle the interaction if it is a Reply press or form; whether it was."""
        data: Mapping[str, Any] = interaction.data or {}
        kind = interaction.type.value if interaction.type is not None else None
        if kind == MESSAGE_COMPONENT:
            outbox_id = _outbox_id(data.get("custom_id"), REPLY_PREFIX)
            if outbox_id is None:
                return False
            await self._guarded(interaction, self._open(interaction, outbox_id))
            return True
        if kind == MODAL_SUBMIT:
            outbox_id = _outbox_id(data.get("custom_id"), REPLY_FORM_PREFIX)
            if outbox_id is None:
                return False
            await self._guarded(interaction, self._submit(interaction, outbox_id, data))
            return True
        return False

    async def _open(self, interaction: Inter, outbox_id: int) -> None:
        if interaction.user is None:  # pragma: no cover - Discord always sends one
            return
        # Checked before the form opens: nobody types a reply that cannot be sent.
        direction = await self._check(outbox_id, interaction.user.id)
        await interaction.response.send_modal(ReplyForm(outbox_id, direction))

    async def _submit(self, interaction: Inter, outbox_id: int, data: Mapping[str, Any]) -> None:
        if interaction.user is None:  # pragma: no cover
            return
        await interaction.response.defer(ephemeral=True)
        text = await self._send(outbox_id, interaction.user.id, _form_text(data))
        await reply(interaction, text)

    @staticmethod
    async def _guarded(interaction: Inter, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as error:  # answered like a command's error, never a traceback
            await answer_error(interaction, error)
