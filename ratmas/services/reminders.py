"""Sending an event's due reminders, at most once whoever fires them.

When a reminder is due, and whether it still helps, is the domain's rule
(`ratmas.domain.reminders`); which one is pending is the schedule's
(`ratmas.services.schedule`). `ReminderSender` acts on an overdue one: it claims the
reminder with a compare-and-set on the event (`claim_reminder`), in the same
transaction as its DMs (outbox notices, sent by the delivery worker), so it goes out
at most once whether the job, the safety tick or another process fires it. One that
comes too late (the phase it prepares is due already: the bot was down) is claimed
without DMs, and an INFO line says it was skipped.

The phase engine (`ratmas.services.phases`) asks for the due reminders of an event
once the current phase's work is finished and before the next phase is performed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from ratmas.domain.dates import format_local
from ratmas.domain.model import Event, OutboxDraft, OutboxKind
from ratmas.domain.reminders import reminder_ready
from ratmas.domain.status import PHASE_LABELS, REMINDER_LABELS, REMINDER_PHASES, Reminder
from ratmas.services import messages
from ratmas.services.ports import EventRepository
from ratmas.services.records import AuditTrail, require_event
from ratmas.services.schedule import PendingReminder, pending_reminders


def due_reminders(event: Event, now: datetime) -> list[PendingReminder]:
    """The event's reminders to claim now: overdue, and the event waits for their phase."""
    return [
        pending
        for pending in pending_reminders(event, now)
        if pending.overdue and reminder_ready(event, pending.reminder)
    ]


@dataclass(slots=True)
class Reminded:
    """What `ReminderSender.send_due` claimed, and the event as it is afterwards."""

    event: Event
    sent: list[Reminder] = field(default_factory=list)  # DMs queued
    skipped: list[Reminder] = field(default_factory=list)  # came too late


class ReminderSender:
    """Claims an event's due reminders with their DMs, or skips them; see the module
    docstring."""

    def __init__(
        self,
        repo: EventRepository,
        *,
        audit: AuditTrail,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self._audit = audit
        self._log = log or logging.getLogger(__name__)

    async def send_due(self, event: Event, now: datetime) -> Reminded:
        """Claim the event's overdue reminder, if any: with its DMs while its phase is
        still ahead, without (skipped, said at INFO) once it is due."""
        done = Reminded(event)
        claimed = False
        for pending in due_reminders(event, now):
            if await self._claim(event, pending, now, done):
                claimed = True
        if claimed:
            done.event = await require_event(self._repo, event.id)
        return done

    async def _claim(
        self, event: Event, pending: PendingReminder, now: datetime, done: Reminded
    ) -> bool:
        reminder = pending.reminder
        label = REMINDER_LABELS[reminder]
        due = format_local(pending.due, event.timezone)
        if not pending.useful:
            if not await self._repo.claim_reminder(event.id, reminder, event.status, now=now):
                return False
            done.skipped.append(reminder)
            phase = PHASE_LABELS[REMINDER_PHASES[reminder]]
            self._log.info(
                "event %s (guild %s): the %s due %s was skipped: the %s is due already",
                event.id,
                event.guild_id,
                label,
                due,
                phase,
            )
            await self._audit.record(
                event.id, None, "reminder", f"{label} (due {due}) skipped: the {phase} came first"
            )
            return True
        if reminder is Reminder.WISHLIST:
            text = messages.wishlist_reminder_dm(event)
            people = [
                p.user_id
                for p in await self._repo.list_participants(event.id)
                if p.wishlist_url is None
            ]
            whom = "participant(s) without a wishlist"
        else:
            text = messages.gift_reminder_dm(event)
            people = await self._repo.santas_without_gift_sent(event.id)
            whom = "santa(s) who have not marked their gift sent"
        drafts = [OutboxDraft(user_id, OutboxKind.NOTICE, text) for user_id in people]
        if not await self._repo.claim_reminder(
            event.id, reminder, event.status, now=now, outbox=drafts
        ):
            return False
        done.sent.append(reminder)
        self._log.info(
            "event %s (guild %s): %s sent to %d %s",
            event.id,
            event.guild_id,
            label,
            len(drafts),
            whom,
        )
        await self._audit.record(
            event.id, None, "reminder", f"{label} (due {due}) sent to {len(drafts)} {whom}"
        )
        return True
