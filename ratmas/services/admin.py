"""The organisers' overrides of the season: create, reschedule, change the budget,
advance, cancel, redraw, retry the DMs and archive.

Every use case takes ids, returns an `OverrideResult`, raises a `RatmasError` with a
message for the admin, records who did what in the audit trail, and ends with a
reconcile of that event so the scheduler's jobs follow the database. Moving an event
goes through the lifecycle machine (`ratmas.domain.lifecycle`), whose answer is the
status stored, and through the phase engine, which performs phases exactly once
(after the resumer has finished the current one).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from ratmas.domain.dates import (
    DATE_FIELDS,
    check_dates,
    format_local,
    local_to_utc,
    parse_event_dates,
)
from ratmas.domain.errors import InvalidInput, InvalidTransition
from ratmas.domain.lifecycle import Lifecycle, Trigger, performed_phases, waiting_for
from ratmas.domain.limits import MAX_BUDGET_LENGTH, validate_budget
from ratmas.domain.model import NO_REMINDERS, Event, EventDates, NewEvent, ReminderDays
from ratmas.domain.reminders import check_reminder_days
from ratmas.domain.status import PHASE_LABELS, PHASE_ORDER, EventStatus, Phase
from ratmas.services import messages
from ratmas.services.announcements import Announcer
from ratmas.services.delivery import SantaDelivery
from ratmas.services.draw import DrawService
from ratmas.services.errors import DeliveryError, NothingToRetry, PhaseInProgress, RedrawRefused
from ratmas.services.messages import safe_text
from ratmas.services.phases import PhaseEngine
from ratmas.services.ports import Clock, DeliveryReport, EventRepository
from ratmas.services.records import AuditTrail, require_event, require_unfinished_event
from ratmas.services.resumption import PhaseResumer
from ratmas.services.snapshots import SnapshotService

MAX_REASON_LENGTH: Final = 500


@dataclass(frozen=True, slots=True)
class OverrideResult:
    """What an admin's command did: the event as it is now and the audit line written."""

    event: Event
    action: str
    detail: str
    report: DeliveryReport | None = None
    warning: str | None = None  # something the admin should fix (shown with the result)


def _report_text(report: DeliveryReport) -> str:
    text = (
        f"sent {len(report.sent)}, DMs closed {len(report.dms_closed)}, "
        f"failed {len(report.failed)}, still pending {report.still_pending}"
    )
    return text + (" (Discord asked us to slow down)" if report.stopped else "")


def describe_dates(dates: EventDates, timezone: str) -> str:
    """ "start 1 Dec 18:00 …, purchase deadline …, reveal …" in the event's timezone."""
    return ", ".join(
        f"{PHASE_LABELS[phase]} {format_local(dates.due(phase), timezone)}" for phase in PHASE_ORDER
    )


class AdminService:
    """The organisers' overrides; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        *,
        engine: PhaseEngine,
        resumer: PhaseResumer,
        draw: DrawService,
        delivery: SantaDelivery,
        announcer: Announcer,
        audit: AuditTrail,
        snapshots: SnapshotService | None = None,
        reminder_days: Callable[[int], Awaitable[ReminderDays]] | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        """`reminder_days(guild_id)`: the reminder days a new event of the guild takes
        when the caller gives none (none at all without it)."""
        self._repo = repo
        self._clock = clock
        # Destructive changes write the event to a snapshot first (none: not kept).
        self._snapshots = snapshots
        self._engine = engine
        self._resumer = resumer
        self._draw = draw
        self._delivery = delivery
        self._announcer = announcer
        self._audit = audit
        self._reminder_days = reminder_days
        self._log = log or logging.getLogger(__name__)

    async def create_event(
        self,
        guild_id: int,
        actor_id: int,
        starts_at: str,
        purchase_deadline: str,
        reveal_at: str,
        timezone: str,
        *,
        announcement_channel_id: int | None = None,
        participant_role_id: int | None = None,
        manager_role_id: int | None = None,
        reminder_days: ReminderDays | None = None,
        budget: str | None = None,
    ) -> OverrideResult:
        """Schedule a new season from local wall-clock times in `timezone`, with an
        optional budget (free text, `validate_budget`) shown to everyone.

        `reminder_days`: the event's reminders (default: the guild's settings). A
        reminder whose moment would come before the event exists is not scheduled
        (`ratmas.domain.reminders`). A live event that is already revealed is archived
        first; any other live event makes this `EventAlreadyLive`."""
        now = self._clock.now()
        dates = parse_event_dates(
            starts_at, purchase_deadline, reveal_at, timezone=timezone, now=now
        )
        if reminder_days is None:
            reminder_days = (
                await self._reminder_days(guild_id)
                if self._reminder_days is not None
                else NO_REMINDERS
            )
        check_reminder_days(reminder_days.wishlist, "wishlist_reminder_days")
        check_reminder_days(reminder_days.gift, "gift_reminder_days")
        clean_budget = validate_budget(budget)
        live = await self._repo.get_live_event(guild_id)
        if live is not None and live.status is EventStatus.REVEALED:
            await self._archive(live, actor_id, "archive", "archived to make room for a new Ratmas")
        event = await self._repo.create_event(
            NewEvent(
                guild_id=guild_id,
                dates=dates,
                timezone=timezone,
                announcement_channel_id=announcement_channel_id,
                participant_role_id=participant_role_id,
                manager_role_id=manager_role_id,
                created_by=actor_id,
                reminder_days=reminder_days,
                budget=clean_budget,
            ),
            now=now,
        )
        detail = f"created: {describe_dates(event.dates, event.timezone)}"
        if event.budget:
            detail += f"; budget {safe_text(event.budget, MAX_BUDGET_LENGTH)}"
        await self._audit.record(event.id, actor_id, "create", detail)
        # The creation post carries the Join button. It is not part of any phase: if it
        # cannot be posted the season still runs, and members can `/ratmas join`.
        warning = None
        try:
            if await self._repo.claim_announcement(event.id, None, EventStatus.SCHEDULED):
                await self._announcer.announce(
                    replace(event, announced_status=EventStatus.SCHEDULED)
                )
        except Exception as failed:
            self._log.exception(
                "event %s (guild %s): the creation could not be announced", event.id, guild_id
            )
            reason = failed.text if isinstance(failed, DeliveryError) else "an unexpected error"
            warning = (
                f"The announcement with the Join button could not be posted ({reason}); "
                "check the channel and the bot's permissions there. Members can still use "
                "`/ratmas join`."
            )
        await self._engine.reconcile(event_id=event.id)
        return OverrideResult(
            await require_event(self._repo, event.id), "create", detail, warning=warning
        )

    async def reschedule(
        self,
        event_id: int,
        actor_id: int,
        *,
        starts_at: str | None = None,
        purchase_deadline: str | None = None,
        reveal_at: str | None = None,
    ) -> OverrideResult:
        """Move the dates still ahead of a live event (None keeps a date) and lift a hold.

        Dates of phases already performed cannot move; the order is checked; a new date
        must be in the future, an unchanged one may have passed."""
        event = await require_unfinished_event(self._repo, event_id)
        texts = dict(zip(DATE_FIELDS, (starts_at, purchase_deadline, reveal_at), strict=True))
        if all(text is None for text in texts.values()):
            raise InvalidInput("dates", "give at least one new date")
        done = performed_phases(event.status)
        values: dict[str, datetime] = {}
        for name, phase in zip(DATE_FIELDS, PHASE_ORDER, strict=True):
            old = event.dates.due(phase)
            text = texts[name]
            new = old if text is None else local_to_utc(text, event.timezone, field=name)
            if phase in done and new != old:
                raise InvalidInput(
                    name,
                    f"the {PHASE_LABELS[phase]} has already happened (the event is "
                    f"{event.status}); it stays at {format_local(old, event.timezone)}",
                )
            values[name] = new
        now = self._clock.now()
        dates = check_dates(
            EventDates(**values), now=now, timezone=event.timezone, previous=event.dates
        )
        updated = await self._repo.update_dates(event.id, dates, now=now)
        detail = (
            f"from {describe_dates(event.dates, event.timezone)} "
            f"to {describe_dates(updated.dates, event.timezone)}"
        )
        if event.held_reason is not None:
            detail += f"; hold lifted ({event.held_reason})"
        await self._audit.record(event.id, actor_id, "reschedule", detail)
        self._resumer.settled(event.id)
        await self._engine.reconcile(event_id=event.id)
        return OverrideResult(await require_event(self._repo, event.id), "reschedule", detail)

    async def set_budget(self, event_id: int, actor_id: int, budget: str | None) -> OverrideResult:
        """Change (or remove, with None or blank) the budget of an event not yet revealed.

        Santas already told keep the budget of their assignment DM; the change is posted
        in the event channel once the event has been announced there."""
        clean = validate_budget(budget)
        event = await require_unfinished_event(self._repo, event_id)
        if event.status is EventStatus.REVEALED:
            raise InvalidTransition(
                "The gifts have already been revealed; the budget can no longer change."
            )
        shown = safe_text(clean, MAX_BUDGET_LENGTH) if clean else "none"
        if clean == event.budget:
            return OverrideResult(event, "budget", f"the budget was already {shown}")
        before = safe_text(event.budget, MAX_BUDGET_LENGTH) if event.budget else "none"
        updated = await self._repo.set_budget(event.id, clean, now=self._clock.now())
        detail = f"budget from {before} to {shown}"
        await self._audit.record(event.id, actor_id, "budget", detail)
        if updated.announced_status is not None:
            await self._announcer.post_quietly(
                updated, messages.budget_changed_announcement(updated), "budget update"
            )
        return OverrideResult(updated, "budget", detail)

    async def advance(self, event_id: int, actor_id: int) -> OverrideResult:
        """Perform the event's next phase now, held or not (a revealed event is archived).

        The start's guard still applies: too few participants, no members intent or
        an impossible draw refuse with the reason. The previous phase must be finished."""
        event = await require_unfinished_event(self._repo, event_id)
        if event.status is EventStatus.REVEALED:
            return await self._archive(event, actor_id, "advance", "archived now")
        phase = waiting_for(event.status)
        if phase is None:  # pragma: no cover - every live status but revealed waits
            raise InvalidTransition(f"The event is {event.status}; there is no next phase.")
        with self._engine.in_flight(event.id):
            now = self._clock.now()
            event = await self._resumer.finish_or_refuse(event, now)
            due = format_local(event.dates.due(phase), event.timezone)
            detail = f"performed the {PHASE_LABELS[phase]} now (it was due {due})"
            if event.held_reason is not None:
                detail += f"; hold lifted ({event.held_reason})"
            if phase is Phase.START:
                plan = await self._engine.prepare_start(event)
                won = await self._engine.run_start(event, plan, now, actor_id, "advance", detail)
            else:
                won = await self._engine.run_phase(event, phase, now, actor_id, "advance", detail)
        if not won:
            current = await require_event(self._repo, event.id)
            raise PhaseInProgress(
                f"This Ratmas was just moved on by someone else; it is now {current.status}."
            )
        await self._engine.reconcile(event_id=event.id)
        return OverrideResult(await require_event(self._repo, event.id), "advance", detail)

    async def cancel(self, event_id: int, actor_id: int, reason: str) -> OverrideResult:
        """Cancel a live event, with a reason that is posted with the announcement."""
        text = (reason or "").strip()
        if not text:
            raise InvalidInput(
                "reason", "say why the Ratmas is cancelled; it is posted with the announcement"
            )
        if len(text) > MAX_REASON_LENGTH:
            raise InvalidInput("reason", f"at most {MAX_REASON_LENGTH} characters")
        event = await require_event(self._repo, event_id)
        self._machine(event).fire(Trigger.CANCEL)  # refused before any snapshot
        await self._snapshot(event.id, "cancel")
        for _ in range(3):
            event = await require_event(self._repo, event_id)
            status = self._machine(event).fire(Trigger.CANCEL)
            now = self._clock.now()
            if await self._repo.set_status(
                event.id, event.status, status, now=now, cancel_reason=text
            ):
                break
        else:
            raise PhaseInProgress("This Ratmas kept changing while being cancelled; try again.")
        detail = f"cancelled while {event.status}: {text}"
        await self._audit.record(event.id, actor_id, "cancel", detail)
        self._resumer.settled(event.id)
        cancelled = await require_event(self._repo, event.id)
        try:
            await self._announcer.announce_status(cancelled)
        except Exception:
            self._log.exception(
                "event %s (guild %s): the cancellation could not be announced",
                event.id,
                event.guild_id,
            )
        await self._engine.reconcile(event_id=event.id)
        return OverrideResult(await require_event(self._repo, event.id), "cancel", detail)

    async def redraw(self, event_id: int, actor_id: int, *, force: bool = False) -> OverrideResult:
        """Draw names again while the event is active.

        Refused once any santa has been told, unless `force`: then every santa gets a
        new DM with their new recipient."""
        event = await require_event(self._repo, event_id)
        if event.status is not EventStatus.ACTIVE:
            raise InvalidTransition(
                "Names can only be redrawn while the Ratmas is active (after the start, "
                f"before the purchase deadline); the event is {event.status}."
            )
        told = [p for p in await self._repo.list_pairings(event.id) if not p.pending]
        if told and not force:
            raise RedrawRefused(
                f"{len(told)} santa(s) already know who they drew. Redraw with force to "
                "draw again anyway: every santa then gets a new DM."
            )
        await self._draw.sync_participants(event)
        count = len(await self._repo.list_participants(event.id))
        if count < self._engine.min_participants:
            raise InvalidTransition(
                f"Cannot redraw now: needs at least {self._engine.min_participants} "
                f"participants, has {count}."
            )
        plan = await self._draw.plan_draw(event)
        if await self._repo.list_pairings(event.id):
            await self._snapshot(event.id, "redraw")
        await self._draw.store_draw(event, plan.pairings)
        report = await self._delivery.deliver_pending(await require_event(self._repo, event.id))
        if report.stopped:
            self._resumer.interrupted(event.id)
        detail = (
            f"{'forced ' if force else ''}redraw of {len(plan.pairings)} participants"
            f"{f' ({len(told)} had been told)' if told else ''}; DMs: {_report_text(report)}"
            + (f"; {plan.note}" if plan.note else "")
        )
        await self._audit.record(event.id, actor_id, "redraw", detail)
        await self._engine.reconcile(event_id=event.id)
        return OverrideResult(await require_event(self._repo, event.id), "redraw", detail, report)

    async def retry_dms(self, event_id: int, actor_id: int) -> OverrideResult:
        """Send the santas' DMs that are still pending again, failed ones included."""
        event = await require_event(self._repo, event_id)
        if event.status not in (EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED):
            raise InvalidTransition(
                "DMs can only be retried between the start and the reveal; "
                f"the event is {event.status}."
            )
        pending = await self._repo.pending_pairings(event.id)
        if not pending:
            raise NothingToRetry("Every santa has already received their DM; nothing to retry.")
        report = await self._delivery.deliver_pending(event, retry_failed=True)
        detail = f"retried {len(pending)} pending DM(s): {_report_text(report)}"
        await self._audit.record(event.id, actor_id, "retry_dms", detail)
        await self._engine.reconcile(event_id=event.id)
        return OverrideResult(
            await require_event(self._repo, event.id), "retry_dms", detail, report
        )

    async def archive(self, event_id: int, actor_id: int) -> OverrideResult:
        """Archive a revealed event (frees the guild for a new one)."""
        event = await require_event(self._repo, event_id)
        return await self._archive(event, actor_id, "archive", "archived")

    async def _archive(
        self, event: Event, actor_id: int, action: str, detail: str
    ) -> OverrideResult:
        status = self._machine(event).fire(Trigger.ARCHIVE)
        await self._snapshot(event.id, "archive")
        now = self._clock.now()
        if not await self._repo.set_status(event.id, event.status, status, now=now):
            current = await require_event(self._repo, event.id)
            raise PhaseInProgress(
                f"This Ratmas was just changed by someone else; it is now {current.status}."
            )
        await self._audit.record(event.id, actor_id, action, detail)
        self._resumer.settled(event.id)
        await self._engine.reconcile(event_id=event.id)
        return OverrideResult(await require_event(self._repo, event.id), action, detail)

    async def _snapshot(self, event_id: int, reason: str) -> None:
        if self._snapshots is not None:
            await self._snapshots.take(event_id, reason)

    def _machine(self, event: Event) -> Lifecycle:
        return Lifecycle(event.status, min_participants=self._engine.min_participants)
