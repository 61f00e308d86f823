"""Questions about events, changing nothing: `/ratmas status`, finding a guild's
event from a command's options, and listing a guild's events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from ratmas.domain.errors import InvalidInput, NotFound
from ratmas.domain.model import AuditEntry, Event, GiftCounts
from ratmas.services.delivery import DeliveryCounts, delivery_counts
from ratmas.services.ports import BlastProgress, Clock, EventRepository
from ratmas.services.records import require_event
from ratmas.services.schedule import PendingPhase, pending_phases

RECENT_OVERRIDES: Final = 5


@dataclass(frozen=True, slots=True)
class EventStatusReport:
    """Everything `/ratmas status` shows about one event."""

    event: Event
    pending: tuple[PendingPhase, ...]
    participants: int
    delivery: DeliveryCounts
    overrides: tuple[AuditEntry, ...]  # the last few admin actions, oldest first
    blast: BlastProgress | None = None  # a DM blast running in this process right now
    gifts: GiftCounts = field(default_factory=GiftCounts)  # the members' gift marks (counts only)

    @property
    def held_reason(self) -> str | None:
        return self.event.held_reason


class StatusService:
    """Read-only queries over events; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        *,
        blast: Callable[[int], BlastProgress | None] | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._blast = blast or (lambda _event_id: None)

    async def status(
        self, event_id: int | None = None, *, guild_id: int | None = None
    ) -> EventStatusReport:
        """The event (by id, or the guild's live or else latest one) with its pending
        phases, hold, DM progress and last overrides."""
        if guild_id is not None:
            event = await self.find_event(guild_id, event_id, latest=True)
        elif event_id is not None:
            event = await require_event(self._repo, event_id)
        else:
            raise InvalidInput("event", "give an event id or a guild id")
        audit = await self._repo.list_audit(event.id)
        overrides = tuple(a for a in audit if a.actor_id is not None)[-RECENT_OVERRIDES:]
        return EventStatusReport(
            event=event,
            pending=pending_phases(event, self._clock.now()),
            participants=len(await self._repo.list_participants(event.id)),
            delivery=delivery_counts(await self._repo.list_pairings(event.id)),
            overrides=overrides,
            blast=self._blast(event.id),
            gifts=await self._repo.gift_counts(event.id),
        )

    async def find_event(
        self, guild_id: int, event_id: int | None = None, *, latest: bool = False
    ) -> Event:
        """The guild's event `event_id`, else its live one (else, with `latest`, its
        most recent one). `NotFound` with a message for the member otherwise; an event
        of another guild is "not found" too."""
        if event_id is not None:
            event = await self._repo.get_event(event_id)
            if event is None or event.guild_id != guild_id:
                raise NotFound(f"This server has no event {event_id}.")
            return event
        live = await self._repo.get_live_event(guild_id)
        if live is not None:
            return live
        if latest:
            events = await self._repo.list_events(guild_id)
            if events:
                return events[0]
            raise NotFound("This server has no Ratmas yet.")
        raise NotFound(
            "This server has no Ratmas in progress; a manager can `/ratmas-admin create`."
        )

    async def events(self, guild_id: int) -> list[Event]:
        """Every event of the guild, newest first."""
        return await self._repo.list_events(guild_id)
