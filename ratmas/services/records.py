"""Looking events up for a use case, and the audit trail of who did what.

Shared by every service: an unknown event is a `NotFound` with a message for the
person who asked, and every change made by someone (or by the bot, actor None) is one
audit row.
"""

from __future__ import annotations

from ratmas.domain.errors import InvalidTransition, NotFound
from ratmas.domain.model import AuditEntry, Event
from ratmas.services.ports import Clock, EventRepository


async def require_event(repo: EventRepository, event_id: int) -> Event:
    """The event, or `NotFound`."""
    event = await repo.get_event(event_id)
    if event is None:
        raise NotFound(f"There is no Ratmas event {event_id}.")
    return event


async def require_unfinished_event(repo: EventRepository, event_id: int) -> Event:
    """The event while it can still change (not archived or cancelled)."""
    event = await require_event(repo, event_id)
    if event.status.is_final:
        raise InvalidTransition(
            f"The event is {event.status}, which is final: it can no longer be changed."
        )
    return event


async def require_live_event(repo: EventRepository, guild_id: int) -> Event:
    """The guild's live event, or `NotFound` with a message for members."""
    event = await repo.get_live_event(guild_id)
    if event is None:
        raise NotFound("There is no Ratmas running on this server right now.")
    return event


class AuditTrail:
    """Writes one audit row per change, stamped by the injected clock."""

    def __init__(self, repo: EventRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock

    async def record(self, event_id: int, actor_id: int | None, action: str, detail: str) -> None:
        await self._repo.add_audit(
            AuditEntry(
                event_id=event_id,
                actor_id=actor_id,
                action=action,
                detail=detail,
                at=self._clock.now(),
            )
        )
