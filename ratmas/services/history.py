"""A guild's past seasons, for its members (`/ratmas history`).

Every event of the guild is listed, newest first, with its dates, status and number of
participants. Who gave to whom is shown only for events that are revealed or
archived: a live event's draw (or a cancelled one's, which was never revealed) is the
secret the whole season keeps, and this command is open to every member.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ratmas.domain.model import Event
from ratmas.domain.status import EventStatus
from ratmas.services.ports import EventRepository

# The statuses whose draw everybody has seen.
REVEALED_STATUSES: Final = frozenset({EventStatus.REVEALED, EventStatus.ARCHIVED})


@dataclass(frozen=True, slots=True)
class GivenGift:
    """One pair of a revealed season, with the names the participants had then."""

    santa_id: int
    santa_name: str | None  # None: no longer a participant
    recipient_id: int
    recipient_name: str | None


@dataclass(frozen=True, slots=True)
class Season:
    """One event as the history shows it; `pairs` is empty unless it was revealed."""

    event: Event
    participants: int
    pairs: tuple[GivenGift, ...] = ()

    @property
    def revealed(self) -> bool:
        return self.event.status in REVEALED_STATUSES


class HistoryService:
    """The guild's seasons; see the module docstring."""

    def __init__(self, repo: EventRepository) -> None:
        self._repo = repo

    async def seasons(self, guild_id: int) -> list[Season]:
        """Every event of the guild, newest first; pairs for revealed ones only."""
        found: list[Season] = []
        for event in await self._repo.list_events(guild_id):
            people = await self._repo.list_participants(event.id)
            pairs: tuple[GivenGift, ...] = ()
            if event.status in REVEALED_STATUSES:
                names = {p.user_id: p.display_name for p in people}
                pairs = tuple(
                    GivenGift(
                        p.santa_id, names.get(p.santa_id), p.recipient_id, names.get(p.recipient_id)
                    )
                    for p in await self._repo.list_pairings(event.id)
                )
            found.append(Season(event, len(people), pairs))
        return found
