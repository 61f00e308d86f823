"""Events in memory: creating, listing, the compare-and-set claims."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from ratmas.domain.errors import EventAlreadyLive
from ratmas.domain.model import (
    Event,
    EventDates,
    NewEvent,
    OutboxDraft,
    OutboxKind,
    OutboxState,
    ReminderDays,
)
from ratmas.domain.reminders import reminder_due, reminder_pending
from ratmas.domain.status import (
    ANNOUNCED_STATUSES,
    DRAWN_STATUSES,
    REMINDER_ORDER,
    EventStatus,
    Reminder,
)
from tests.fakes.repository.state import InMemoryState, utc


class InMemoryEvents(InMemoryState):
    """Events and their claims."""

    async def create_event(self, new: NewEvent, *, now: datetime) -> Event:
        live = await self.get_live_event(new.guild_id)
        if live is not None:
            raise EventAlreadyLive(new.guild_id, live.id)
        now = utc(now)
        event = Event(
            id=self._next_id,
            guild_id=new.guild_id,
            status=EventStatus.SCHEDULED,
            dates=EventDates(
                utc(new.dates.starts_at),
                utc(new.dates.purchase_deadline),
                utc(new.dates.reveal_at),
            ),
            timezone=new.timezone,
            announcement_channel_id=new.announcement_channel_id,
            participant_role_id=new.participant_role_id,
            manager_role_id=new.manager_role_id,
            created_by=new.created_by,
            held_reason=None,
            announced_status=None,
            cancel_reason=None,
            created_at=now,
            updated_at=now,
            reminder_days=new.reminder_days,
            budget=new.budget,
        )
        self._next_id += 1
        self.events[event.id] = event
        self.participants[event.id] = {}
        self.exclusions[event.id] = set()
        self.pairings[event.id] = {}
        self.audit[event.id] = []
        return event

    async def get_event(self, event_id: int) -> Event | None:
        return self.events.get(event_id)

    async def get_live_event(self, guild_id: int) -> Event | None:
        return next(
            (e for e in self.events.values() if e.guild_id == guild_id and e.status.is_live),
            None,
        )

    async def list_live_events(
        self, *, due_before: datetime | None = None, guild_ids: Collection[int] | None = None
    ) -> list[Event]:
        result = []
        for event in sorted(self.events.values(), key=lambda e: e.id):
            if not event.status.is_live:
                continue
            if guild_ids is not None and event.guild_id not in guild_ids:
                continue
            if due_before is not None:
                due = {
                    EventStatus.SCHEDULED: event.dates.starts_at,
                    EventStatus.ACTIVE: event.dates.purchase_deadline,
                    EventStatus.PURCHASE_CLOSED: event.dates.reveal_at,
                }.get(event.status)
                if due is None or not due < utc(due_before):
                    continue
            result.append(event)
        return result

    async def events_to_reconcile(self, *, due_before: datetime) -> list[Event]:
        due = {e.id for e in await self.list_live_events(due_before=due_before)}
        result = []
        for event in sorted(self.events.values(), key=lambda e: e.id):
            if not event.status.is_live:
                continue
            pairings = self.pairings.get(event.id, {}).values()
            unannounced = (
                event.status in ANNOUNCED_STATUSES and event.announced_status is not event.status
            )
            undrawn = event.status is EventStatus.ACTIVE and not pairings
            untried = event.status in DRAWN_STATUSES and any(
                p.pending and p.attempts == 0 for p in pairings
            )
            unsent_notices = any(
                e.event_id == event.id
                and e.kind is not OutboxKind.ASSIGNMENT
                and e.state in (OutboxState.PENDING, OutboxState.SENDING)
                for e in self.outbox.values()
            )
            reminder = any(
                due_at is not None and due_at < utc(due_before)
                for due_at in (
                    reminder_due(event, r) for r in REMINDER_ORDER if reminder_pending(event, r)
                )
            )
            if event.id in due or unannounced or undrawn or untried or unsent_notices or reminder:
                result.append(event)
        return result

    async def list_events(self, guild_id: int | None) -> list[Event]:
        return sorted(
            (e for e in self.events.values() if guild_id in (None, e.guild_id)),
            key=lambda e: -e.id,
        )

    async def set_status(
        self,
        event_id: int,
        expected: EventStatus,
        new: EventStatus,
        *,
        now: datetime,
        cancel_reason: str | None = None,
    ) -> bool:
        event = self.events.get(event_id)
        if event is None or event.status != expected:
            return False
        self.events[event_id] = replace(
            event,
            status=new,
            updated_at=utc(now),
            cancel_reason=cancel_reason if cancel_reason is not None else event.cancel_reason,
        )
        if new.is_final:
            for entry in list(self.outbox.values()):
                if entry.event_id == event_id and entry.kind is OutboxKind.MESSAGE and entry.open:
                    self.outbox[entry.id] = replace(entry, state=OutboxState.SUPERSEDED, content="")
        return True

    async def claim_reminder(
        self,
        event_id: int,
        reminder: Reminder,
        expected: EventStatus,
        *,
        now: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        event = self.events.get(event_id)
        if event is None or event.status != expected or event.reminded_at(reminder) is not None:
            return False
        if reminder is Reminder.WISHLIST:
            self.events[event_id] = replace(event, reminded_wishlist_at=utc(now))
        else:
            self.events[event_id] = replace(event, reminded_gift_at=utc(now))
        self._add_outbox(event_id, outbox, utc(now))
        return True

    async def claim_announcement(
        self, event_id: int, expected: EventStatus | None, new: EventStatus | None
    ) -> bool:
        event = self.events.get(event_id)
        if event is None or event.announced_status != expected:
            return False
        self.events[event_id] = replace(event, announced_status=new)
        return True

    async def update_dates(self, event_id: int, dates: EventDates, *, now: datetime) -> Event:
        event = self._require(event_id)
        updated = replace(
            event,
            dates=EventDates(
                utc(dates.starts_at), utc(dates.purchase_deadline), utc(dates.reveal_at)
            ),
            held_reason=None,
            updated_at=utc(now),
        )
        self.events[event_id] = updated
        return updated

    async def set_hold(
        self,
        event_id: int,
        reason: str | None,
        *,
        now: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        event = self.events.get(event_id)
        if event is None or (event.held_reason is None) == (reason is None):
            return False
        self.events[event_id] = replace(event, held_reason=reason, updated_at=utc(now))
        self._add_outbox(event_id, outbox, utc(now))
        return True

    async def update_event_settings(
        self,
        event_id: int,
        *,
        announcement_channel_id: int | None = None,
        participant_role_id: int | None = None,
        manager_role_id: int | None = None,
        reminder_days: ReminderDays | None = None,
        now: datetime,
    ) -> Event:
        event = self._require(event_id)
        updated = replace(
            event,
            announcement_channel_id=announcement_channel_id or event.announcement_channel_id,
            participant_role_id=participant_role_id or event.participant_role_id,
            manager_role_id=manager_role_id or event.manager_role_id,
            reminder_days=reminder_days if reminder_days is not None else event.reminder_days,
            updated_at=utc(now),
        )
        self.events[event_id] = updated
        return updated

    async def set_budget(self, event_id: int, budget: str | None, *, now: datetime) -> Event:
        updated = replace(self._require(event_id), budget=budget, updated_at=utc(now))
        self.events[event_id] = updated
        return updated

    async def delete_event(self, event_id: int) -> bool:
        if self.events.pop(event_id, None) is None:
            return False
        for table in (self.participants, self.exclusions, self.pairings, self.audit):
            table.pop(event_id, None)
        self.outbox = {k: e for k, e in self.outbox.items() if e.event_id != event_id}
        self.messages = {k: m for k, m in self.messages.items() if m.event_id != event_id}
        self.legacy = {k: v for k, v in self.legacy.items() if v != event_id}
        self.restored = {k: v for k, v in self.restored.items() if v != event_id}
        return True
