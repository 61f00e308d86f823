"""What the bot's cog and client call: the season's services plus two views of the
running process that only the composition root can build (`ratmas.app`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ratmas.services.container import Services


@dataclass(frozen=True, slots=True)
class BotServices:
    """The services, wired by `ratmas.app`."""

    season: Services
    # The live scheduler's jobs compared with the database, rendered for admins.
    jobs_report: Callable[[int], Awaitable[str]]
    # An event as JSON (`ratmas.services.export`).
    export: Callable[[int], Awaitable[str]]
    members_intent: bool
