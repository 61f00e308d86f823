"""How failures reach a Discord user: never as a traceback.

A `RatmasError` is the user's to fix: its message is shown as it is, ephemerally.
Anything else is ours: it is logged with an error id and the command's context, and
the user gets a short apology quoting that id so an admin can find the log line.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import nextcord

from ratmas.domain.errors import RatmasError
from ratmas.services.errors import ConcurrentChange
from ratmas.services.messages import CONTENT_LIMIT

log = logging.getLogger("ratmas.bot")

# Interactions of any client: the handlers here serve the bot and its views alike.
type Inter = nextcord.Interaction[Any]


# Discord: "Interaction has already been acknowledged" — another process answered it.
ALREADY_ACKNOWLEDGED = 40060


def lost_race(error: BaseException) -> str | None:
    """Why this failure only means another process got there first (None otherwise):
    such a failure is an INFO line, never an ERROR with a traceback, and changes nothing."""
    if isinstance(error, nextcord.HTTPException) and error.code == ALREADY_ACKNOWLEDGED:
        return "the interaction was already acknowledged (by another process)"
    if isinstance(error, ConcurrentChange):
        return "another process made the same change first"
    return None


def new_error_id() -> str:
    return secrets.token_hex(4)


def describe(interaction: Inter) -> str:
    """Where an interaction came from, for the log (no secrets, no message content)."""
    data: dict[str, Any] = dict(interaction.data or {})
    name = data.get("name") or data.get("custom_id") or "?"
    options: list[Any] = list(data.get("options") or [])
    first: dict[str, Any] = options[0] if options and isinstance(options[0], dict) else {}
    # A subcommand (type 1) or group (type 2) is the first option.
    command = f"{name} {first['name']}" if first.get("type") in (1, 2) else str(name)
    return (
        f"command={command!r} guild={interaction.guild_id} channel={interaction.channel_id} "
        f"user={interaction.user.id if interaction.user else None}"
    )


def unwrap(error: BaseException) -> BaseException:
    """The exception a command really raised (nextcord wraps it)."""
    original = getattr(error, "original", None)
    return original if isinstance(original, BaseException) else error


async def reply(interaction: Inter, content: str, *, ephemeral: bool = True) -> None:
    """Answer whether or not the interaction was already acknowledged (deferred)."""
    mentions = nextcord.AllowedMentions.none()
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=ephemeral, allowed_mentions=mentions)
    else:
        await interaction.response.send_message(
            content, ephemeral=ephemeral, allowed_mentions=mentions
        )


async def answer_error(interaction: Inter, error: BaseException) -> None:
    """Turn any exception raised while handling an interaction into a safe reply."""
    error = unwrap(error)
    why = lost_race(error)
    if why is not None:
        log.info("%s: %s; nothing to do", describe(interaction), why)
        return
    if isinstance(error, RatmasError):
        text = str(error)
    else:
        error_id = new_error_id()
        log.error(
            "unexpected error %s while handling %s",
            error_id,
            describe(interaction),
            exc_info=(type(error), error, error.__traceback__),
        )
        text = (
            f"Sorry, something went wrong on our side (error id `{error_id}`). "
            "Nothing was changed unless the event's status says so; an admin can look the id "
            "up in the bot's log."
        )
    try:
        await reply(interaction, text[:CONTENT_LIMIT])
    except nextcord.HTTPException:
        log.warning("could not deliver an error reply for %s", describe(interaction))
