"""Modals against the loopback Discord with a real nextcord bot: a button opens one, the
user fills it in, and the bot receives a MODAL_SUBMIT (type 5) as Discord sends it."""

# nextcord's decorators are untyped.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

import nextcord
import pytest
from nextcord import Interaction

from ratmas.sandbox import SandboxError
from tests.sandbox.support import NEXTCORD_WARNINGS, World, intents, running

pytestmark = [pytest.mark.e2e, *NEXTCORD_WARNINGS]


class NoteForm(nextcord.ui.Modal):
    def __init__(self) -> None:
        super().__init__("Leave a note", custom_id="toy:note-form", timeout=60)
        self.note: nextcord.ui.TextInput[Any] = nextcord.ui.TextInput(
            label="Note",
            custom_id="note",
            style=nextcord.TextInputStyle.paragraph,
            min_length=2,
            max_length=20,
        )
        self.add_item(self.note)

    async def callback(self, interaction: Interaction[Any]) -> None:
        await interaction.response.send_message(f"noted: {self.note.value}", ephemeral=True)


class NoteView(nextcord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @nextcord.ui.button(label="Note", custom_id="toy:note")
    async def note(
        self, button: nextcord.ui.Button[NoteView], interaction: Interaction[Any]
    ) -> None:
        await interaction.response.send_modal(NoteForm())


class ModalBot(nextcord.Client):
    def __init__(self) -> None:
        super().__init__(intents=intents())
        self.submissions: list[dict[str, Any]] = []

    async def on_interaction(self, interaction: Interaction[Any]) -> None:
        if interaction.type is nextcord.InteractionType.modal_submit:
            self.submissions.append(dict(interaction.data or {}))


async def test_a_button_opens_a_modal_and_its_submission_reaches_the_bot(world: World) -> None:
    sb = world.sb
    bot = ModalBot()
    bot.add_view(NoteView())
    async with running(bot, sb):
        channel = bot.get_channel(world.general)
        assert isinstance(channel, nextcord.TextChannel)
        post = await channel.send("Notes here", view=NoteView())
        pressed = await sb.click(world.guild.id, world.alice.id, post.id, "toy:note")
        modal = await pressed.modal()
        assert (modal["title"], modal["custom_id"]) == ("Leave a note", "toy:note-form")
        assert pressed.callback_type == 9

        # What Discord's client would not send is refused by the sandbox.
        with pytest.raises(SandboxError, match="2 to 20 characters"):
            await sb.submit_modal(world.alice.id, pressed, {"note": "x"})
        with pytest.raises(SandboxError, match="no text input"):
            await sb.submit_modal(world.alice.id, pressed, {"other": "hello"})
        with pytest.raises(SandboxError, match="not open for"):
            await sb.submit_modal(world.bob.id, pressed, {"note": "hello"})

        submitted = await sb.submit_modal(world.alice.id, pressed, {"note": "hello"})
        reply = await submitted.response()
        assert (reply.content, reply.ephemeral) == ("noted: hello", True)
        payload = submitted.record.payload
        assert payload["type"] == 5
        assert payload["message"]["id"] == str(post.id)
        assert bot.submissions == [
            {
                "custom_id": "toy:note-form",
                "components": [
                    {"type": 1, "components": [{"type": 4, "custom_id": "note", "value": "hello"}]}
                ],
            }
        ]
