"""The lifecycle of events over time: reconcile from the database, and admins' overrides.

Transition table (as built by `ratmas.domain.lifecycle.TRANSITIONS`; `-` = refused):

    status \\ trigger | start         | close_purchases | reveal   | archive  | cancel
    -----------------+---------------+-----------------+----------+----------+----------
    scheduled        | active [1]    | -               | -        | -        | cancelled
    active           | -             | purchase_closed | -        | -        | cancelled
    purchase_closed  | -             | -               | revealed | -        | cancelled
    revealed         | -             | -               | -        | archived | cancelled
    archived         | -             | -               | -        | -        | -
    cancelled        | -             | -               | -        | -        | -

    [1] guarded: at least `min_participants` participants after the participant sync.

The dated phases are `start` (scheduled -> active), `purchase_deadline` (active ->
purchase_closed) and `reveal` (purchase_closed -> revealed).

Reconcile (at startup, on every scheduler job and safety tick, after every change):
for each live, unheld event of this process's guilds, the overdue phases are performed
in order, then the scheduler's jobs are made exactly the upcoming ones. A phase is
claimed with the repository's compare-and-set on the status; only the caller that wins
performs its side effects, so a double fire, a restart or a second process does nothing.
A process that was down across all three dates performs all three, once each, in order.

Each claimed phase leaves a trail that tells whether its work is finished: the start
stores pairings and DMs every santa once, and every phase ends by claiming its
announcement (compare-and-set on `announced_status`). An event whose status has moved
but whose work is not finished is *resumed* on a later reconcile: the draw is stored if
missing, santas never tried are DMed (failed ones are not retried: closed DMs are not
hammered every tick), and the announcement is claimed and posted. The next phase is
only performed once the previous one is finished. Resuming work that another process
may still be doing would duplicate it, so a reconcile resumes only work that this
service itself saw interrupted, or that has shown no progress for `resume_after` (no
status change and no DM attempt: the winner has crashed or is gone).

If the start's guard fails (too few participants, no Server Members intent, no valid
draw) the event is held: admins are told once (the hold is a compare-and-set too) and
the event waits in `scheduled` with no job, visibly, until an admin reschedules,
advances or cancels it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final

from ratmas.domain.dates import (
    DATE_FIELDS,
    check_dates,
    format_local,
    local_to_utc,
    parse_event_dates,
)
from ratmas.domain.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    PairingImpossible,
    RatmasError,
)
from ratmas.domain.lifecycle import PHASE_TRIGGERS, Lifecycle, Trigger
from ratmas.domain.model import AuditEntry, Event, EventDates, NewEvent, Pairing
from ratmas.domain.status import PHASE_ORDER, EventStatus, Phase
from ratmas.services.ports import (
    Clock,
    DeliveryError,
    DeliveryReport,
    EventRepository,
    JobScheduler,
    MembersIntentMissing,
    RoleMissing,
    Season,
)
from ratmas.services.schedule import PendingPhase, pending_phases, schedules, waiting_for

# How long an unfinished phase may show no progress (no status change, no DM attempt)
# before another process takes it over: the winner has crashed or is gone.
DEFAULT_RESUME_AFTER: Final = timedelta(minutes=2)
RECENT_OVERRIDES: Final = 5
MAX_REASON_LENGTH: Final = 500

PHASE_LABELS: Final = {
    Phase.START: "start",
    Phase.PURCHASE_DEADLINE: "purchase deadline",
    Phase.REVEAL: "reveal",
}
_DRAWN: Final = frozenset({EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED})
_ANNOUNCED: Final = frozenset(
    {EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED, EventStatus.REVEALED}
)


class PhaseInProgress(RatmasError):
    """The event is being moved on right now, or its last phase is not finished yet."""


class RedrawRefused(RatmasError):
    """Santas already know who they drew; only a forced redraw may change that."""


class NothingToRetry(RatmasError):
    """Every santa has already received their DM."""


class MembersIntentRequired(RatmasError):
    """The participant role cannot be read without the Server Members intent."""

    def __init__(self) -> None:
        super().__init__(
            "The bot cannot list the members of the participant role: enable the Server "
            "Members intent for the bot, then reschedule or advance this Ratmas."
        )


class ParticipantRoleMissing(RatmasError):
    """The event's participant role was deleted: nobody can be synced from it."""

    def __init__(self, role_id: int | None) -> None:
        super().__init__(
            f"The participant role (<@&{role_id}>) no longer exists: choose one with "
            "`/ratmas setup participant_role:`, then reschedule or advance this Ratmas."
        )


# --- results --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverrideResult:
    """What an admin's command did: the event as it is now and the audit line written."""

    event: Event
    action: str
    detail: str
    report: DeliveryReport | None = None
    warning: str | None = None  # something the admin should fix (shown with the result)


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """How far the santas' DMs have got."""

    total: int = 0
    notified: int = 0
    untried: int = 0  # pending, never attempted (a resume will send them)
    failed: int = 0  # pending after at least one failed attempt (closed DMs, ...)

    @property
    def pending(self) -> int:
        return self.total - self.notified


@dataclass(frozen=True, slots=True)
class EventStatusReport:
    """Everything `/ratmas status` shows about one event."""

    event: Event
    pending: tuple[PendingPhase, ...]
    participants: int
    delivery: DeliveryCounts
    overrides: tuple[AuditEntry, ...]  # the last few admin actions, oldest first

    @property
    def held_reason(self) -> str | None:
        return self.event.held_reason


@dataclass(slots=True)
class ReconcileReport:
    """What one reconcile did (for logs and tests)."""

    performed: list[tuple[int, Phase]] = field(default_factory=list)  # claimed here
    resumed: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


# --- helpers --------------------------------------------------------------------------


def shard_filter(shard_count: int, shard_ids: tuple[int, ...]) -> Callable[[int], bool]:
    """Whether a guild belongs to one of this process's shards (Discord's formula)."""
    owned = frozenset(shard_ids)

    def ours(guild_id: int) -> bool:
        return (guild_id >> 22) % shard_count in owned

    return ours


def guild_filter_for(
    shard_count: int | None, shard_ids: tuple[int, ...] | None
) -> Callable[[int], bool] | None:
    """The guilds of this process when it runs shards of a sharded bot; None (every
    guild) when it is not sharded."""
    return shard_filter(shard_count, shard_ids) if shard_count and shard_ids else None


def delivery_counts(pairings: list[Pairing]) -> DeliveryCounts:
    return DeliveryCounts(
        total=len(pairings),
        notified=sum(1 for p in pairings if not p.pending),
        untried=sum(1 for p in pairings if p.pending and p.attempts == 0),
        failed=sum(1 for p in pairings if p.pending and p.attempts > 0),
    )


def _performed_phases(status: EventStatus) -> frozenset[Phase]:
    nxt = waiting_for(status)
    if nxt is None:
        return frozenset(PHASE_ORDER)
    return frozenset(PHASE_ORDER[: PHASE_ORDER.index(nxt)])


def _report_text(report: DeliveryReport) -> str:
    text = (
        f"sent {len(report.sent)}, DMs closed {len(report.dms_closed)}, "
        f"failed {len(report.failed)}, still pending {report.still_pending}"
    )
    return text + (" (Discord asked us to slow down)" if report.stopped else "")


# --- the service ----------------------------------------------------------------------


class LifecycleService:
    """Moves events through their season on time, exactly once, and applies overrides.

    Every use case takes ids, returns a frozen result, raises `RatmasError` with a
    message for the admin, records who did what in the audit table, and ends with a
    reconcile of that event so the scheduler's jobs follow the database.
    """

    def __init__(
        self,
        repo: EventRepository,
        season: Season,
        clock: Clock,
        scheduler: JobScheduler,
        *,
        min_participants: int,
        guild_filter: Callable[[int], bool] | None = None,
        log: logging.Logger | None = None,
        resume_after: timedelta = DEFAULT_RESUME_AFTER,
    ) -> None:
        if min_participants < 2:
            raise ValueError(f"min_participants must be at least 2, got {min_participants}")
        self._repo = repo
        self._season = season
        self._clock = clock
        self._scheduler = scheduler
        self._min = min_participants
        self._ours = guild_filter or (lambda _guild_id: True)
        self._log = log or logging.getLogger(__name__)
        self._resume_after = resume_after
        # Events this service is working on now (a job and the tick at once), and those
        # whose phase it saw fail halfway: it may resume those without waiting.
        self._busy: set[int] = set()
        self._interrupted: set[int] = set()

    # === use cases ======================================================================

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
    ) -> OverrideResult:
        """Schedule a new season from local wall-clock times in `timezone`.

        A live event that is already revealed is archived first; any other live event
        makes this `EventAlreadyLive`."""
        now = self._clock.now()
        dates = parse_event_dates(
            starts_at, purchase_deadline, reveal_at, timezone=timezone, now=now
        )
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
            ),
            now=now,
        )
        detail = f"created: {self._describe_dates(event.dates, event.timezone)}"
        await self._audit(event.id, actor_id, "create", detail)
        # The creation post carries the Join button. It is not part of any phase: if it
        # cannot be posted the season still runs, and members can `/ratmas join`.
        warning = None
        try:
            if await self._repo.claim_announcement(event.id, None, EventStatus.SCHEDULED):
                await self._season.announce(replace(event, announced_status=EventStatus.SCHEDULED))
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
        await self.reconcile(event_id=event.id)
        return OverrideResult(await self._get(event.id), "create", detail, warning=warning)

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
        event = await self._live(event_id)
        texts = dict(zip(DATE_FIELDS, (starts_at, purchase_deadline, reveal_at), strict=True))
        if all(text is None for text in texts.values()):
            raise InvalidInput("dates", "give at least one new date")
        done = _performed_phases(event.status)
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
            f"from {self._describe_dates(event.dates, event.timezone)} "
            f"to {self._describe_dates(updated.dates, event.timezone)}"
        )
        if event.held_reason is not None:
            detail += f"; hold lifted ({event.held_reason})"
        await self._audit(event.id, actor_id, "reschedule", detail)
        self._interrupted.discard(event.id)
        await self.reconcile(event_id=event.id)
        return OverrideResult(await self._get(event.id), "reschedule", detail)

    async def advance(self, event_id: int, actor_id: int) -> OverrideResult:
        """Perform the event's next phase now, held or not (a revealed event is archived).

        The start's guard still applies: too few participants, no members intent or
        an impossible draw refuse with the reason. The previous phase must be finished."""
        event = await self._live(event_id)
        if event.status is EventStatus.REVEALED:
            return await self._archive(event, actor_id, "advance", "archived now")
        phase = waiting_for(event.status)
        if phase is None:  # pragma: no cover - every live status but revealed waits
            raise InvalidTransition(f"The event is {event.status}; there is no next phase.")
        if event.id in self._busy:
            raise PhaseInProgress("This Ratmas is being moved on right now; try again in a moment.")
        self._busy.add(event.id)
        try:
            now = self._clock.now()
            event = await self._finish_or_refuse(event, now)
            due = format_local(event.dates.due(phase), event.timezone)
            detail = f"performed the {PHASE_LABELS[phase]} now (it was due {due})"
            if event.held_reason is not None:
                detail += f"; hold lifted ({event.held_reason})"
            if phase is Phase.START:
                plan = await self._prepare_start(event)
                won = await self._run_start(event, plan, now, actor_id, "advance", detail)
            else:
                Lifecycle(event.status, min_participants=self._min).fire(PHASE_TRIGGERS[phase])
                won = await self._run_phase(event, phase, now, actor_id, "advance", detail)
        finally:
            self._busy.discard(event.id)
        if not won:
            current = await self._get(event.id)
            raise PhaseInProgress(
                f"This Ratmas was just moved on by someone else; it is now {current.status}."
            )
        await self.reconcile(event_id=event.id)
        return OverrideResult(await self._get(event.id), "advance", detail)

    async def cancel(self, event_id: int, actor_id: int, reason: str) -> OverrideResult:
        """Cancel a live event, with a reason that is posted with the announcement."""
        text = (reason or "").strip()
        if not text:
            raise InvalidInput(
                "reason", "say why the Ratmas is cancelled; it is posted with the announcement"
            )
        if len(text) > MAX_REASON_LENGTH:
            raise InvalidInput("reason", f"at most {MAX_REASON_LENGTH} characters")
        for _ in range(3):
            event = await self._get(event_id)
            Lifecycle(event.status, min_participants=self._min).fire(Trigger.CANCEL)
            now = self._clock.now()
            if await self._repo.set_status(
                event.id, event.status, EventStatus.CANCELLED, now=now, cancel_reason=text
            ):
                break
        else:
            raise PhaseInProgress("This Ratmas kept changing while being cancelled; try again.")
        detail = f"cancelled while {event.status}: {text}"
        await self._audit(event.id, actor_id, "cancel", detail)
        self._interrupted.discard(event.id)
        cancelled = await self._get(event.id)
        try:
            await self._announce(cancelled)
        except Exception:
            self._log.exception(
                "event %s (guild %s): the cancellation could not be announced",
                event.id,
                event.guild_id,
            )
        await self.reconcile(event_id=event.id)
        return OverrideResult(await self._get(event.id), "cancel", detail)

    async def redraw(self, event_id: int, actor_id: int, *, force: bool = False) -> OverrideResult:
        """Draw names again while the event is active.

        Refused once any santa has been told, unless `force`: then every santa gets a
        new DM with their new recipient."""
        event = await self._get(event_id)
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
        await self._sync_participants(event)
        count = len(await self._repo.list_participants(event.id))
        if count < self._min:
            raise InvalidTransition(
                f"Cannot redraw now: needs at least {self._min} participants, has {count}."
            )
        plan = await self._season.plan_draw(event)
        await self._season.store_draw(event, plan)
        report = await self._season.deliver_pending(await self._get(event.id))
        if report.stopped:
            self._interrupted.add(event.id)
        detail = (
            f"{'forced ' if force else ''}redraw of {len(plan)} participants"
            f"{f' ({len(told)} had been told)' if told else ''}; DMs: {_report_text(report)}"
        )
        await self._audit(event.id, actor_id, "redraw", detail)
        await self.reconcile(event_id=event.id)
        return OverrideResult(await self._get(event.id), "redraw", detail, report)

    async def retry_dms(self, event_id: int, actor_id: int) -> OverrideResult:
        """Send the santas' DMs that are still pending again, failed ones included."""
        event = await self._get(event_id)
        if event.status not in (EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED):
            raise InvalidTransition(
                "DMs can only be retried between the start and the reveal; "
                f"the event is {event.status}."
            )
        pending = await self._repo.pending_pairings(event.id)
        if not pending:
            raise NothingToRetry("Every santa has already received their DM; nothing to retry.")
        report = await self._season.deliver_pending(event, retry_failed=True)
        detail = f"retried {len(pending)} pending DM(s): {_report_text(report)}"
        await self._audit(event.id, actor_id, "retry_dms", detail)
        await self.reconcile(event_id=event.id)
        return OverrideResult(await self._get(event.id), "retry_dms", detail, report)

    async def archive(self, event_id: int, actor_id: int) -> OverrideResult:
        """Archive a revealed event (frees the guild for a new one)."""
        return await self._archive(await self._get(event_id), actor_id, "archive", "archived")

    async def status(
        self, event_id: int | None = None, *, guild_id: int | None = None
    ) -> EventStatusReport:
        """The event (by id, or the guild's live or else latest one) with its pending
        phases, hold, DM progress and last overrides."""
        if guild_id is not None:
            event = await self.find_event(guild_id, event_id, latest=True)
        elif event_id is not None:
            event = await self._get(event_id)
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
        raise NotFound("This server has no Ratmas in progress; a manager can `/ratmas create`.")

    async def events(self, guild_id: int) -> list[Event]:
        """Every event of the guild, newest first."""
        return await self._repo.list_events(guild_id)

    # === reconcile ======================================================================

    async def reconcile(
        self, now: datetime | None = None, event_id: int | None = None
    ) -> ReconcileReport:
        """Perform every overdue phase of the live events of this process's guilds, in
        order, resume interrupted ones, and make the scheduler's jobs the upcoming ones.

        With `event_id`, only that event (and only its jobs). Never raises for one
        event's failure: it is logged and the other events go on."""
        at = now or self._clock.now()
        report = ReconcileReport()
        if event_id is not None:
            one = await self._repo.get_event(event_id)
            events = [one] if one is not None and self._ours(one.guild_id) else []
        else:
            events = [e for e in await self._repo.list_live_events() if self._ours(e.guild_id)]
        for event in events:
            if event.status.is_live:
                await self._reconcile_event(event, at, report)
        if event_id is not None:
            fresh = await self._repo.get_event(event_id)
            current = [fresh] if fresh is not None and self._ours(fresh.guild_id) else []
            scope: set[int] | None = {event_id}
        else:
            current = [e for e in await self._repo.list_live_events() if self._ours(e.guild_id)]
            scope = None
        try:
            self._scheduler.sync(schedules(current, at), event_ids=scope)
        except Exception:
            self._log.exception("the scheduler's jobs could not be updated")
        return report

    async def _reconcile_event(self, event: Event, now: datetime, report: ReconcileReport) -> None:
        if event.id in self._busy:
            return  # this service is already on it; that run schedules what is left
        self._busy.add(event.id)
        try:
            await self._drive(event, now, report)
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

    async def _drive(self, event: Event, now: datetime, report: ReconcileReport) -> None:
        """Finish the current phase, then perform overdue phases in order."""
        performed_here = False
        for _ in range(len(PHASE_ORDER) + 1):
            if event.held_reason is not None:
                return
            unfinished = await self._unfinished(event)
            if unfinished is not None:
                # Work left by a phase performed in this very call (e.g. Discord asked
                # to slow down) waits for the next tick.
                if performed_here or not await self._may_resume(event, now):
                    return
                self._log.info(
                    "event %s (guild %s): resuming the unfinished %s (%s)",
                    event.id,
                    event.guild_id,
                    event.status,
                    unfinished,
                )
                await self._resume(event)
                report.resumed.append(event.id)
                event = await self._get(event.id)
                if await self._unfinished(event) is not None:
                    return
            pending = pending_phases(event, now)
            if not pending or not pending[0].overdue:
                return
            phase = pending[0].phase
            if not await self._perform(event, phase, now, report):
                return
            performed_here = True
            event = await self._get(event.id)

    async def _perform(
        self, event: Event, phase: Phase, now: datetime, report: ReconcileReport
    ) -> bool:
        due = format_local(event.dates.due(phase), event.timezone)
        detail = f"{PHASE_LABELS[phase]} performed (due {due})"
        if phase is not Phase.START:
            return await self._run_phase(event, phase, now, None, "phase", detail, report)
        try:
            plan = await self._prepare_start(event)
        except (
            InvalidTransition,
            PairingImpossible,
            MembersIntentRequired,
            ParticipantRoleMissing,
        ) as blocked:
            if await self._hold(event, str(blocked), now):
                report.held.append(event.id)
            return False
        return await self._run_start(event, plan, now, None, "phase", detail, report)

    # === phases =========================================================================

    async def _prepare_start(self, event: Event) -> dict[int, int]:
        """Sync participants, check the guard and plan the draw, before any claim."""
        await self._sync_participants(event)
        count = len(await self._repo.list_participants(event.id))
        Lifecycle(event.status, participant_count=count, min_participants=self._min).fire(
            Trigger.START
        )
        return await self._season.plan_draw(event)

    async def _sync_participants(self, event: Event) -> None:
        try:
            await self._season.sync_participants(event)
        except MembersIntentMissing:
            raise MembersIntentRequired() from None
        except RoleMissing:
            raise ParticipantRoleMissing(event.participant_role_id) from None

    async def _run_start(
        self,
        event: Event,
        plan: dict[int, int],
        now: datetime,
        actor_id: int | None,
        action: str,
        detail: str,
        report: ReconcileReport | None = None,
    ) -> bool:
        """Claim the start; the winner stores the draw, DMs the santas, announces."""
        won = await self._repo.set_status(
            event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=now
        )
        if not won:
            return False
        if report is not None:
            report.performed.append((event.id, Phase.START))
        try:
            if event.held_reason is not None:
                await self._repo.set_hold(event.id, None, now=now)
            await self._audit(event.id, actor_id, action, detail)
            active = await self._get(event.id)
            await self._season.store_draw(active, plan)
            delivered = await self._season.deliver_pending(active)
            if delivered.stopped:
                self._interrupted.add(event.id)
            await self._announce(await self._get(event.id))
        except Exception:
            self._interrupted.add(event.id)
            raise
        return True

    async def _run_phase(
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
        if not await self._repo.set_status(event.id, phase.from_status, phase.to_status, now=now):
            return False
        if report is not None:
            report.performed.append((event.id, phase))
        try:
            await self._audit(event.id, actor_id, action, detail)
            await self._announce(await self._get(event.id))
        except Exception:
            self._interrupted.add(event.id)
            raise
        return True

    async def _announce(self, event: Event) -> None:
        """Claim and post the announcement of the event's status, once, by whoever wins.

        At the purchase deadline the winner also reminds santas who never got their DM."""
        if event.status is event.announced_status:
            return
        if event.status not in _ANNOUNCED and event.status is not EventStatus.CANCELLED:
            return
        if not await self._repo.claim_announcement(event.id, event.announced_status, event.status):
            return
        claimed = replace(event, announced_status=event.status)
        try:
            await self._season.announce(claimed)
        except DeliveryError as refused:
            # Discord answered and refused (channel gone, permissions): posting again
            # would fail again and must not hold the season back. The admins are told.
            self._log.warning(
                "event %s (guild %s): the %s announcement was refused: %s",
                event.id,
                event.guild_id,
                event.status,
                refused,
            )
            await self._season.tell_admins(
                claimed,
                f"The announcement for '{event.status}' could not be posted in the event "
                f"channel (Discord said: {refused.text}). Check that the channel exists and "
                "that the bot may post there (`/ratmas setup channel:`).",
            )
        except Exception:
            # The post may not have gone out (network, crash): give the claim back, so
            # the resume of a later tick posts it (a crash between claim and post still
            # loses it rather than posting it twice).
            await self._repo.claim_announcement(event.id, event.status, event.announced_status)
            raise
        if event.status is EventStatus.PURCHASE_CLOSED:
            await self._season.remind_undelivered(claimed)

    async def _hold(self, event: Event, reason: str, now: datetime) -> bool:
        """Hold a start that cannot happen; whoever sets the hold tells the admins once."""
        current = await self._get(event.id)
        if current.status is not EventStatus.SCHEDULED:
            return False  # someone else has just started it
        if not await self._repo.set_hold(event.id, reason, now=now):
            return False
        self._log.warning("event %s (guild %s): start held: %s", event.id, event.guild_id, reason)
        await self._audit(event.id, None, "hold", reason)
        await self._season.tell_admins(
            current,
            f"The Ratmas could not start: {reason} It waits until an admin reschedules, "
            "advances or cancels it.",
        )
        return True

    # === resume =========================================================================

    async def _unfinished(self, event: Event) -> str | None:
        """What the phase that led to the event's status still has to do, if anything."""
        if event.status in _DRAWN:
            pairings = await self._repo.list_pairings(event.id)
            if not pairings and event.status is EventStatus.ACTIVE:
                return "the draw is not stored"
            # Untried DMs: the start's blast, or a splice's, stopped by a slow-down.
            untried = delivery_counts(pairings).untried
            if untried:
                return f"{untried} santa(s) not DMed yet"
        if event.status in _ANNOUNCED and event.announced_status is not event.status:
            return "not announced yet"
        return None

    async def _may_resume(self, event: Event, now: datetime) -> bool:
        if event.id in self._interrupted:
            return True
        # Every DM attempt is a heartbeat of the process sending them.
        attempts = [
            p.last_attempt_at
            for p in await self._repo.list_pairings(event.id)
            if p.last_attempt_at is not None
        ]
        last_progress = max([event.updated_at, *attempts])
        return now - last_progress >= self._resume_after

    async def _resume(self, event: Event) -> None:
        """Do what the current phase left undone: store the draw, DM untried santas
        (without retrying failed ones), claim and post the announcement."""
        stopped = False
        try:
            if event.status in _DRAWN:
                if event.status is EventStatus.ACTIVE and not await self._repo.list_pairings(
                    event.id
                ):
                    await self._season.store_draw(event, await self._season.plan_draw(event))
                if delivery_counts(await self._repo.list_pairings(event.id)).untried:
                    stopped = (await self._season.deliver_pending(event)).stopped
            await self._announce(await self._get(event.id))
        except Exception:
            self._interrupted.add(event.id)
            raise
        if stopped:
            self._interrupted.add(event.id)
        else:
            self._interrupted.discard(event.id)

    async def _finish_or_refuse(self, event: Event, now: datetime) -> Event:
        """Before an admin moves an event on, its current phase must be finished."""
        unfinished = await self._unfinished(event)
        if unfinished is None:
            return event
        if await self._may_resume(event, now):
            await self._resume(event)
            event = await self._get(event.id)
            unfinished = await self._unfinished(event)
            if unfinished is None:
                return event
        raise PhaseInProgress(
            f"The Ratmas is {event.status} but that step is not finished yet "
            f"({unfinished}); try again in a few minutes."
        )

    # === small helpers ==================================================================

    async def _archive(
        self, event: Event, actor_id: int, action: str, detail: str
    ) -> OverrideResult:
        Lifecycle(event.status, min_participants=self._min).fire(Trigger.ARCHIVE)
        now = self._clock.now()
        if not await self._repo.set_status(
            event.id, EventStatus.REVEALED, EventStatus.ARCHIVED, now=now
        ):
            current = await self._get(event.id)
            raise PhaseInProgress(
                f"This Ratmas was just changed by someone else; it is now {current.status}."
            )
        await self._audit(event.id, actor_id, action, detail)
        self._interrupted.discard(event.id)
        await self.reconcile(event_id=event.id)
        return OverrideResult(await self._get(event.id), action, detail)

    async def _get(self, event_id: int) -> Event:
        event = await self._repo.get_event(event_id)
        if event is None:
            raise NotFound(f"There is no Ratmas event {event_id}.")
        return event

    async def _live(self, event_id: int) -> Event:
        event = await self._get(event_id)
        if event.status.is_final:
            raise InvalidTransition(
                f"The event is {event.status}, which is final: it can no longer be changed."
            )
        return event

    async def _audit(self, event_id: int, actor_id: int | None, action: str, detail: str) -> None:
        await self._repo.add_audit(
            AuditEntry(
                event_id=event_id,
                actor_id=actor_id,
                action=action,
                detail=detail,
                at=self._clock.now(),
            )
        )

    @staticmethod
    def _describe_dates(dates: EventDates, timezone: str) -> str:
        return ", ".join(
            f"{PHASE_LABELS[phase]} {format_local(dates.due(phase), timezone)}"
            for phase in PHASE_ORDER
        )
