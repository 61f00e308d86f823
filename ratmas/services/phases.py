"""The phase engine: moves events through their season on time, exactly once.

The dated phases are `start`, `purchase_deadline` and `reveal`; each moves the event
along one row of the lifecycle's transition table (`ratmas.domain.lifecycle`:
`phase_source` -> `phase_target`), and the status stored is always the one the
machine returns.

Reconcile (at startup, on every scheduler job and safety tick, after every change):
for each live, unheld event of this process's guilds, the overdue phases are performed
in order, then the scheduler's jobs are made exactly the upcoming ones. A phase is
claimed with the repository's compare-and-set on the status; only the caller that wins
performs its side effects, so a double fire, a restart or a second process does nothing.
A process that was down across all three dates performs all three, once each, in order.

Driving one event, in order: finish the current phase's work if it stopped halfway
(`ratmas.services.resumption`; the next phase waits until it is finished), send (or
skip) its due reminder (`ratmas.services.reminders`), then perform the next overdue
phase, and again. Each phase ends with its announcement, claimed once by whoever wins
(`Announcer.announce_status`).

If the start's guard fails (too few participants, no Server Members intent, a deleted
participant role, no valid draw) the event is held: admins are told once (the hold is
a compare-and-set too) and the event waits in `scheduled` with no job, visibly, until
an admin reschedules, advances or cancels it.

The engine's in-flight state lives here: the events it is moving on right now
(`in_flight`). A reconcile that finds an event already being moved on here leaves it
alone but is not lost: the run on it drives it again for the later time before
letting go, so a phase that came due meanwhile is performed at once. (Which events
stopped halfway here is the resumer's state.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from ratmas.domain.dates import format_local
from ratmas.domain.errors import InvalidTransition, PairingImpossible
from ratmas.domain.lifecycle import PHASE_TRIGGERS, Lifecycle, Trigger
from ratmas.domain.model import Event
from ratmas.domain.status import (
    DRAWN_STATUSES,
    PHASE_LABELS,
    PHASE_ORDER,
    EventStatus,
    Phase,
    Reminder,
)
from ratmas.services.announcements import Announcer
from ratmas.services.delivery import SantaDelivery
from ratmas.services.draw import DrawPlan, DrawService
from ratmas.services.errors import MembersIntentMissing, PhaseInProgress, RoleMissing
from ratmas.services.ports import Clock, DeliveryProgress, EventRepository, JobScheduler
from ratmas.services.records import AuditTrail, require_event
from ratmas.services.reminders import ReminderSender, due_reminders
from ratmas.services.resumption import UNKNOWN, PhaseResumer, UnknownProgress, unfinished_work
from ratmas.services.schedule import EventSchedule, pending_phases, schedules, within

# Phases due within this are held as scheduler jobs (`ratmas run`); later ones are
# brought in by the safety tick, which must run more often than this.
DEFAULT_HORIZON: Final = timedelta(hours=6)
# Reconcile lets the event loop serve others after this many events in a row.
_YIELD_EVERY: Final = 64
# "No horizon": every live event with a dated phase is due before this.
_FAR_FUTURE: Final = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class ReconcileReport:
    """What one reconcile did (for logs and tests)."""

    performed: list[tuple[int, Phase]] = field(default_factory=list)  # claimed here
    resumed: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    reminded: list[tuple[int, Reminder]] = field(default_factory=list)  # DMs queued
    skipped: list[tuple[int, Reminder]] = field(default_factory=list)  # came too late


@dataclass(frozen=True, slots=True)
class StartPlan:
    """A start that may be claimed: the draw to store and the status the machine gave."""

    draw: DrawPlan
    status: EventStatus


class PhaseEngine:
    """Reconcile, drive events, perform phases and hold starts; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        scheduler: JobScheduler,
        *,
        draw: DrawService,
        delivery: SantaDelivery,
        announcer: Announcer,
        audit: AuditTrail,
        resumer: PhaseResumer,
        reminders: ReminderSender,
        min_participants: int,
        guild_filter: Callable[[int], bool] | None = None,
        horizon: timedelta | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        if min_participants < 2:
            raise ValueError(f"min_participants must be at least 2, got {min_participants}")
        self._repo = repo
        self._clock = clock
        self._scheduler = scheduler
        self._draw = draw
        self._delivery = delivery
        self._announcer = announcer
        self._audit = audit
        self._resumer = resumer
        self._reminders = reminders
        self.min_participants = min_participants
        self._ours = guild_filter or (lambda _guild_id: True)
        # Jobs are only held for phases due within this (None: every phase); the
        # safety tick brings later ones in as they come within reach.
        self.horizon = horizon
        self._log = log or logging.getLogger(__name__)
        self._busy: set[int] = set()
        # Events a reconcile found busy, with the latest time it ran for: whoever is on
        # the event drives it again for that time once done (see `_reconcile_event`).
        self._again: dict[int, datetime] = {}

    # === in-flight state ================================================================

    @contextmanager
    def in_flight(self, event_id: int) -> Iterator[None]:
        """Mark the event as being moved on by an admin; `PhaseInProgress` if it already is."""
        if event_id in self._busy:
            raise PhaseInProgress("This Ratmas is being moved on right now; try again in a moment.")
        self._busy.add(event_id)
        try:
            yield
        finally:
            self._busy.discard(event_id)

    # === reconcile ======================================================================

    async def reconcile(
        self, now: datetime | None = None, event_id: int | None = None
    ) -> ReconcileReport:
        """Perform every overdue phase of the live events of this process's guilds, in
        order, resume interrupted ones, and make the scheduler's jobs the upcoming ones
        (those due within the horizon).

        With `event_id`, only that event (and only its jobs). Never raises for one
        event's failure: it is logged and the other events go on."""
        at = now or self._clock.now()
        if event_id is not None:
            return await self._reconcile_one(event_id, at)
        report = ReconcileReport()
        until = None if self.horizon is None else at + self.horizon
        # Only the events that may need something before the horizon are read: with
        # nothing due, a tick costs one query whatever the number of live events.
        candidates = [
            e
            for e in await self._repo.events_to_reconcile(due_before=until or _FAR_FUTURE)
            if self._ours(e.guild_id)
        ]
        progress = await self._repo.delivery_progress(
            [e.id for e in candidates if e.status in DRAWN_STATUSES]
        )
        unsent = await self._repo.with_unsent_notices([e.id for e in candidates])
        current: list[Event] = []
        for count, event in enumerate(candidates, start=1):
            if self._needs_driving(event, at, progress.get(event.id)):
                await self._reconcile_event(event, at, report, progress.get(event.id))
                moved = await self._repo.get_event(event.id)
                if moved is not None:
                    current.append(moved)
            else:
                if event.id in unsent:  # notices or wishlist DMs a crash left unsent
                    await self._send_notices(event, report)
                current.append(event)
            if count % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let interactions in between chunks
        self._sync(within(schedules(current, at), until), None)
        return report

    async def _reconcile_one(self, event_id: int, at: datetime) -> ReconcileReport:
        report = ReconcileReport()
        for event in await self._events_in_scope(event_id):
            if event.status.is_live:
                at = await self._reconcile_event(event, at, report)
        current = await self._events_in_scope(event_id)
        until = None if self.horizon is None else at + self.horizon
        self._sync(within(schedules(current, at), until), {event_id})
        return report

    def _sync(self, upcoming: list[EventSchedule], event_ids: set[int] | None) -> None:
        try:
            self._scheduler.sync(upcoming, event_ids=event_ids)
        except Exception:
            self._log.exception("the scheduler's jobs could not be updated")

    def _needs_driving(
        self, event: Event, now: datetime, progress: DeliveryProgress | None
    ) -> bool:
        """Whether `_drive` could do anything for the event (it re-checks everything)."""
        if event.held_reason is not None:
            return False
        pending = pending_phases(event, now)
        return (
            bool(pending and pending[0].overdue)
            or bool(due_reminders(event, now))
            or unfinished_work(event, progress) is not None
        )

    async def _events_in_scope(self, event_id: int) -> list[Event]:
        one = await self._repo.get_event(event_id)
        return [one] if one is not None and self._ours(one.guild_id) else []

    async def _send_notices(self, event: Event, report: ReconcileReport) -> None:
        try:
            await self._delivery.send_notices(event)
        except Exception:
            report.failed.append(event.id)
            self._log.exception(
                "event %s (guild %s): its notices could not be sent; retried on the next tick",
                event.id,
                event.guild_id,
            )

    async def _reconcile_event(
        self,
        event: Event,
        now: datetime,
        report: ReconcileReport,
        progress: DeliveryProgress | UnknownProgress | None = UNKNOWN,
    ) -> datetime:
        """Drive the event for `now`, unless this engine is already on it.

        A run that finds the event busy cannot leave its work to the run in progress
        as it is: that one reads the time once, when it starts, so a phase that came
        due since (a clock skipped ahead, a job firing while the previous phase is
        still being announced) is neither performed by it nor given a job (an overdue
        phase has none), and would wait for the next safety tick. So it notes its
        time, and the run in progress drives the event again for it before letting go.
        Returns the latest time the event was driven for."""
        if event.id in self._busy:
            self._again[event.id] = max(now, self._again.get(event.id, now))
            return now
        self._busy.add(event.id)
        # A note left while an admin held the event (`in_flight`) is covered by this run.
        now = max(now, self._again.pop(event.id, now))
        try:
            while True:
                await self._drive(event, now, report, progress)
                # Notices and wishlist DMs a crash left unsent (assignments are the phases').
                await self._delivery.send_notices(event)
                later = self._again.pop(event.id, None)
                if later is None:
                    break
                now = max(now, later)
                current = await self._repo.get_event(event.id)
                if current is None or not current.status.is_live:
                    break
                event, progress = current, UNKNOWN
        except Exception:
            report.failed.append(event.id)
            self._log.exception(
                "event %s (guild %s, status %s): reconcile failed; it is retried on the next tick",
                event.id,
                event.guild_id,
                event.status,
            )
        finally:
            self._busy.discard(event.id)
            # After a failure the next tick retries; nothing waits on a note any more.
            self._again.pop(event.id, None)
        return now

    async def _drive(
        self,
        event: Event,
        now: datetime,
        report: ReconcileReport,
        progress: DeliveryProgress | UnknownProgress | None = UNKNOWN,
    ) -> None:
        """Finish the current phase, then perform overdue phases in order.

        `progress` is the event's delivery progress when the caller has just read it."""
        performed_here = False
        for _ in range(len(PHASE_ORDER) + 1):
            if event.held_reason is not None:
                return
            # Work left by a phase performed in this very call (e.g. Discord asked to
            # slow down) waits for the next tick.
            caught = await self._resumer.catch_up(event, now, progress, wait=performed_here)
            if caught.resumed:
                report.resumed.append(event.id)
            if not caught.finished:
                return
            reminded = await self._reminders.send_due(caught.event, now)
            report.reminded.extend((event.id, reminder) for reminder in reminded.sent)
            report.skipped.extend((event.id, reminder) for reminder in reminded.skipped)
            event = reminded.event
            pending = pending_phases(event, now)
            if not pending or not pending[0].overdue:
                return
            phase = pending[0].phase
            if not await self._perform(event, phase, now, report):
                return
            performed_here = True
            event = await require_event(self._repo, event.id)
            progress = UNKNOWN

    async def _perform(
        self, event: Event, phase: Phase, now: datetime, report: ReconcileReport
    ) -> bool:
        due = format_local(event.dates.due(phase), event.timezone)
        detail = f"{PHASE_LABELS[phase]} performed (due {due})"
        if phase is not Phase.START:
            return await self.run_phase(event, phase, now, None, "phase", detail, report)
        try:
            plan = await self.prepare_start(event)
        except (
            InvalidTransition,
            PairingImpossible,
            MembersIntentMissing,
            RoleMissing,
        ) as blocked:
            if await self._hold(event, str(blocked), now):
                report.held.append(event.id)
            return False
        return await self.run_start(event, plan, now, None, "phase", detail, report)

    # === phases =========================================================================

    async def prepare_start(self, event: Event) -> StartPlan:
        """Sync participants, check the guard and plan the draw, before any claim."""
        await self._draw.sync_participants(event)
        count = len(await self._repo.list_participants(event.id))
        status = Lifecycle(
            event.status, participant_count=count, min_participants=self.min_participants
        ).fire(Trigger.START)
        return StartPlan(await self._draw.plan_draw(event), status)

    async def run_start(
        self,
        event: Event,
        plan: StartPlan,
        now: datetime,
        actor_id: int | None,
        action: str,
        detail: str,
        report: ReconcileReport | None = None,
    ) -> bool:
        """Claim the start; the winner stores the draw, DMs the santas, announces."""
        if not await self._repo.set_status(event.id, event.status, plan.status, now=now):
            return False
        if report is not None:
            report.performed.append((event.id, Phase.START))
        try:
            if event.held_reason is not None:
                await self._repo.set_hold(event.id, None, now=now)
            note = plan.draw.note
            await self._audit.record(
                event.id, actor_id, action, detail + (f"; {note}" if note else "")
            )
            active = await require_event(self._repo, event.id)
            await self._draw.store_draw(active, plan.draw.pairings)
            delivered = await self._delivery.deliver_pending(active)
            if delivered.stopped:
                self._resumer.interrupted(event.id)
            await self._announcer.announce_status(await require_event(self._repo, event.id))
            if note:
                await self._announcer.tell_admins(active, f"The draw {note}.")
        except Exception:
            self._resumer.interrupted(event.id)
            raise
        return True

    async def run_phase(
        self,
        event: Event,
        phase: Phase,
        now: datetime,
        actor_id: int | None,
        action: str,
        detail: str,
        report: ReconcileReport | None = None,
    ) -> bool:
        """Claim the purchase deadline or the reveal; the winner announces it."""
        status = Lifecycle(event.status, min_participants=self.min_participants).fire(
            PHASE_TRIGGERS[phase]
        )
        if not await self._repo.set_status(event.id, event.status, status, now=now):
            return False
        if report is not None:
            report.performed.append((event.id, phase))
        try:
            await self._audit.record(event.id, actor_id, action, detail)
            await self._announcer.announce_status(await require_event(self._repo, event.id))
        except Exception:
            self._resumer.interrupted(event.id)
            raise
        return True

    async def _hold(self, event: Event, reason: str, now: datetime) -> bool:
        """Hold a start that cannot happen; whoever sets the hold tells the admins once."""
        current = await require_event(self._repo, event.id)
        if current.status is not EventStatus.SCHEDULED:
            return False  # someone else has just started it
        text = (
            f"The Ratmas could not start: {reason} It waits until an admin reschedules, "
            "advances or cancels it."
        )
        # The creator's DM is stored with the hold: whoever sets it tells them, even if
        # this process dies right after (the next reconcile sends it).
        draft = self._announcer.notice_dm(current, text)
        outbox = [draft] if draft is not None else []
        if not await self._repo.set_hold(event.id, reason, now=now, outbox=outbox):
            return False
        self._log.warning("event %s (guild %s): start held: %s", event.id, event.guild_id, reason)
        await self._audit.record(event.id, None, "hold", reason)
        await self._announcer.tell_admins(current, text, queued=True)
        return True
