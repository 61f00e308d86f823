"""Finishing a phase that stopped halfway: the draw stored, the santas DMed, the
announcement posted.

Each claimed phase leaves a trail that tells whether its work is finished: the start
stores pairings and DMs every santa once, and every phase ends by claiming its
announcement (compare-and-set on `announced_status`). An event whose status has moved
but whose work is not finished is *resumed* on a later reconcile: the draw is stored if
missing, santas never tried are DMed (failed ones are not retried: closed DMs are not
hammered every tick), and the announcement is claimed and posted. The next phase is
only performed once the previous one is finished, and an admin's advance first
finishes the current one or is refused (`finish_or_refuse`).

Resuming work that another process may still be doing would duplicate it, so work is
resumed only when this process itself saw it interrupted (`PhaseResumer.interrupted`:
a blast Discord stopped, a phase that raised), or when it has shown no progress for
`resume_after` (no status change and no DM attempt: the winner has crashed or is gone).
Which events this process saw interrupted is `PhaseResumer`'s state, and only its.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ratmas.domain.model import Event
from ratmas.domain.status import ANNOUNCED_STATUSES, DRAWN_STATUSES, EventStatus
from ratmas.services.announcements import Announcer
from ratmas.services.delivery import SantaDelivery, delivery_counts
from ratmas.services.draw import DrawService
from ratmas.services.errors import PhaseInProgress
from ratmas.services.ports import DeliveryProgress, EventRepository
from ratmas.services.records import AuditTrail, require_event

# How long an unfinished phase may show no progress (no status change, no DM attempt)
# before another process takes it over: the winner has crashed or is gone.
DEFAULT_RESUME_AFTER: Final = timedelta(minutes=2)


class UnknownProgress:
    """Marks a delivery progress not read yet (None means "no pairings")."""


UNKNOWN: Final = UnknownProgress()


def unfinished_work(event: Event, progress: DeliveryProgress | None) -> str | None:
    """What the phase that led to the event's status still has to do, given its
    delivery progress (None: no pairings stored)."""
    if event.status in DRAWN_STATUSES:
        if progress is None and event.status is EventStatus.ACTIVE:
            return "the draw is not stored"
        # Untried DMs: the start's blast, or a splice's, stopped by a slow-down.
        if progress is not None and progress.untried:
            return f"{progress.untried} santa(s) not DMed yet"
    if event.status in ANNOUNCED_STATUSES and event.announced_status is not event.status:
        return "not announced yet"
    return None


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What `PhaseResumer.catch_up` found: the event as it is now, whether its current
    phase is finished (the next one may be performed) and whether it resumed it."""

    event: Event
    finished: bool
    resumed: bool = False


class PhaseResumer:
    """Resumes unfinished phases and remembers which ones stopped here; see the module
    docstring."""

    def __init__(
        self,
        repo: EventRepository,
        *,
        draw: DrawService,
        delivery: SantaDelivery,
        announcer: Announcer,
        audit: AuditTrail,
        resume_after: timedelta = DEFAULT_RESUME_AFTER,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self._draw = draw
        self._delivery = delivery
        self._announcer = announcer
        self._audit = audit
        self._resume_after = resume_after
        self._log = log or logging.getLogger(__name__)
        self._interrupted: set[int] = set()

    def interrupted(self, event_id: int) -> None:
        """The event's current phase stopped halfway here: resume it without waiting."""
        self._interrupted.add(event_id)

    def settled(self, event_id: int) -> None:
        """An admin moved the event on: whatever was interrupted no longer matters."""
        self._interrupted.discard(event_id)

    async def progress(self, event: Event) -> DeliveryProgress | None:
        """The event's delivery progress (None before the draw, or without pairings)."""
        if event.status not in DRAWN_STATUSES:
            return None
        return (await self._repo.delivery_progress([event.id])).get(event.id)

    async def unfinished(self, event: Event) -> str | None:
        """What the phase that led to the event's status still has to do, if anything."""
        return unfinished_work(event, await self.progress(event))

    async def catch_up(
        self,
        event: Event,
        now: datetime,
        progress: DeliveryProgress | UnknownProgress | None = UNKNOWN,
        *,
        wait: bool = False,
    ) -> CatchUp:
        """Resume the event's current phase if it is unfinished and this run may.

        `progress` is the event's delivery progress when the caller has just read it.
        `wait`: the phase was performed in this very run, so what it left (Discord
        asked to slow down) waits for the next tick."""
        if isinstance(progress, UnknownProgress):
            progress = await self.progress(event)
        unfinished = unfinished_work(event, progress)
        if unfinished is None:
            return CatchUp(event, finished=True)
        if wait or not await self._may_resume(event, now, progress):
            return CatchUp(event, finished=False)
        self._log.info(
            "event %s (guild %s): resuming the unfinished %s (%s)",
            event.id,
            event.guild_id,
            event.status,
            unfinished,
        )
        await self._resume(event)
        event = await require_event(self._repo, event.id)
        return CatchUp(event, finished=await self.unfinished(event) is None, resumed=True)

    async def finish_or_refuse(self, event: Event, now: datetime) -> Event:
        """Before an admin moves an event on, its current phase must be finished."""
        unfinished = await self.unfinished(event)
        if unfinished is None:
            return event
        if await self._may_resume(event, now):
            await self._resume(event)
            event = await require_event(self._repo, event.id)
            unfinished = await self.unfinished(event)
            if unfinished is None:
                return event
        raise PhaseInProgress(
            f"The Ratmas is {event.status} but that step is not finished yet "
            f"({unfinished}); try again in a few minutes."
        )

    async def _may_resume(
        self,
        event: Event,
        now: datetime,
        progress: DeliveryProgress | UnknownProgress | None = UNKNOWN,
    ) -> bool:
        if event.id in self._interrupted:
            return True
        if isinstance(progress, UnknownProgress):
            progress = await self.progress(event)
        # Every DM attempt is a heartbeat of the process sending them.
        last_progress = event.updated_at
        if progress is not None and progress.last_attempt_at is not None:
            last_progress = max(last_progress, progress.last_attempt_at)
        return now - last_progress >= self._resume_after

    async def _resume(self, event: Event) -> None:
        """Do what the current phase left undone: store the draw, DM untried santas
        (without retrying failed ones), claim and post the announcement."""
        stopped = False
        try:
            if event.status in DRAWN_STATUSES:
                if event.status is EventStatus.ACTIVE and not await self._repo.list_pairings(
                    event.id
                ):
                    plan = await self._draw.plan_draw(event)
                    await self._draw.store_draw(event, plan.pairings)
                    if plan.note:
                        await self._audit.record(event.id, None, "draw", plan.note)
                if delivery_counts(await self._repo.list_pairings(event.id)).untried:
                    stopped = (await self._delivery.deliver_pending(event)).stopped
            await self._announcer.announce_status(await require_event(self._repo, event.id))
        except Exception:
            self._interrupted.add(event.id)
            raise
        if stopped:
            self._interrupted.add(event.id)
        else:
            self._interrupted.discard(event.id)
