"""Hand-written fakes for the service ports.

`InMemoryEventRepository` passes the same contract suite as the Tortoise repository
(`tests/persistence/test_repository_contract.py`), so services tested against it
behave the same on SQLite and PostgreSQL. `FixedClock` is the clock tests move by hand;
`RecordingJobScheduler` keeps the phase jobs in a dictionary, with the same job specs
as the APScheduler adapter.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from jobs.ids import parse_job_id
from jobs.specs import job_specs
from ratmas.domain.errors import AlreadyJoined, EventAlreadyLive, InvalidInput, NotFound
from ratmas.domain.model import (
    LATEST_ONLY_KINDS,
    OPEN_OUTBOX_STATES,
    AnonymousMessage,
    AuditEntry,
    Event,
    EventDates,
    EventSnapshot,
    Exclusion,
    GiftCounts,
    GiftMark,
    GuildSettings,
    Household,
    Member,
    MessageDirection,
    NewEvent,
    OutboxDraft,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Pairing,
    Participant,
    ReminderDays,
    SyncResult,
)
from ratmas.domain.pairing import check_draw
from ratmas.domain.reminders import reminder_due, reminder_pending
from ratmas.domain.status import (
    ANNOUNCED_STATUSES,
    DRAWN_STATUSES,
    REMINDER_ORDER,
    EventStatus,
    Reminder,
)
from ratmas.services.ports import DeliveryProgress, LiveJob
from ratmas.services.schedule import EventSchedule


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime | None = None) -> None:
        self._now = now or datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: Ratmas stores aware datetimes only")
    return value.astimezone(UTC)


def _settled_message(entry: OutboxEntry) -> bool:
    """A refused anonymous message is final (its text is gone), unlike other refused DMs."""
    return entry.kind is OutboxKind.MESSAGE and entry.state in (
        OutboxState.CLOSED,
        OutboxState.FAILED,
    )


class InMemoryEventRepository:
    """`EventRepository` in dictionaries; same semantics as the Tortoise one."""

    def __init__(self) -> None:
        self.events: dict[int, Event] = {}
        self.participants: dict[int, dict[int, Participant]] = {}
        self.exclusions: dict[int, set[tuple[int, int]]] = {}
        self.pairings: dict[int, dict[int, Pairing]] = {}
        self.audit: dict[int, list[AuditEntry]] = {}
        self.guild_settings: dict[int, GuildSettings] = {}
        self.outbox: dict[int, OutboxEntry] = {}  # by id, ids never reused
        self.legacy: dict[str, int] = {}
        self.households: dict[int, Household] = {}  # by id, ids never reused
        self._next_household_id = 1
        self.messages: dict[int, AnonymousMessage] = {}  # by id, ids never reused
        self._next_id = 1
        self._next_outbox_id = 1
        self._next_message_id = 1

    # --- events -----------------------------------------------------------------------
    def _require(self, event_id: int) -> Event:
        event = self.events.get(event_id)
        if event is None:
            raise NotFound(f"There is no event {event_id}.")
        return event

    async def create_event(self, new: NewEvent, *, now: datetime) -> Event:
        live = await self.get_live_event(new.guild_id)
        if live is not None:
            raise EventAlreadyLive(new.guild_id, live.id)
        now = _utc(now)
        event = Event(
            id=self._next_id,
            guild_id=new.guild_id,
            status=EventStatus.SCHEDULED,
            dates=EventDates(
                _utc(new.dates.starts_at),
                _utc(new.dates.purchase_deadline),
                _utc(new.dates.reveal_at),
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
                if due is None or not due < _utc(due_before):
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
                due_at is not None and due_at < _utc(due_before)
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
            updated_at=_utc(now),
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
            self.events[event_id] = replace(event, reminded_wishlist_at=_utc(now))
        else:
            self.events[event_id] = replace(event, reminded_gift_at=_utc(now))
        self._add_outbox(event_id, outbox, _utc(now))
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
                _utc(dates.starts_at), _utc(dates.purchase_deadline), _utc(dates.reveal_at)
            ),
            held_reason=None,
            updated_at=_utc(now),
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
        self.events[event_id] = replace(event, held_reason=reason, updated_at=_utc(now))
        self._add_outbox(event_id, outbox, _utc(now))
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
            updated_at=_utc(now),
        )
        self.events[event_id] = updated
        return updated

    async def set_budget(self, event_id: int, budget: str | None, *, now: datetime) -> Event:
        updated = replace(self._require(event_id), budget=budget, updated_at=_utc(now))
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
        return True

    async def restore_events(
        self,
        snapshots: Sequence[EventSnapshot],
        *,
        replacing: Collection[int] = (),
        households: Sequence[Household] = (),
    ) -> list[Event]:
        # All or nothing: work on a copy and keep it only when every event fits.
        trial = copy.deepcopy(self)
        for event_id in replacing:
            await trial.delete_event(event_id)
        stored = [await trial.restore_event(snapshot) for snapshot in snapshots]
        for household in households:
            try:
                await trial.add_household(
                    household.guild_id,
                    household.members,
                    created_by=household.created_by,
                    now=household.created_at,
                )
            except InvalidInput as taken:
                raise InvalidInput("import", taken.problem) from None
        self.__dict__.update(trial.__dict__)
        return stored

    async def legacy_events(self, legacy_ids: Collection[str]) -> dict[str, int]:
        return {k: v for k, v in self.legacy.items() if k in legacy_ids}

    async def restore_event(self, snapshot: EventSnapshot) -> Event:
        source = snapshot.event
        if snapshot.pairings:
            check_draw(
                {p.santa_id: p.recipient_id for p in snapshot.pairings},
                {p.user_id for p in snapshot.participants},
            )
        if source.status.is_live:
            live = await self.get_live_event(source.guild_id)
            if live is not None:
                raise EventAlreadyLive(source.guild_id, live.id)
        event = replace(
            source,
            id=self._next_id,
            dates=EventDates(
                _utc(source.dates.starts_at),
                _utc(source.dates.purchase_deadline),
                _utc(source.dates.reveal_at),
            ),
            created_at=_utc(source.created_at),
            updated_at=_utc(source.updated_at),
        )
        self._next_id += 1
        if snapshot.legacy_id is not None:
            if snapshot.legacy_id in self.legacy:
                raise InvalidInput("import", f"legacy event {snapshot.legacy_id} is stored already")
            self.legacy[snapshot.legacy_id] = event.id
        self.events[event.id] = event
        self.participants[event.id] = {
            p.user_id: replace(p, event_id=event.id, joined_at=_utc(p.joined_at))
            for p in snapshot.participants
        }
        self.exclusions[event.id] = {(x.user_id, x.excluded_user_id) for x in snapshot.exclusions}
        self.pairings[event.id] = {
            p.santa_id: p._replace(event_id=event.id) for p in snapshot.pairings
        }
        self.audit[event.id] = [
            replace(a, event_id=event.id, at=_utc(a.at)) for a in snapshot.audit
        ]
        return event

    # --- participants -----------------------------------------------------------------
    async def add_participant(self, event_id: int, member: Member, *, now: datetime) -> Participant:
        self._require(event_id)
        if member.user_id in self.participants[event_id]:
            raise AlreadyJoined(f"{member.display_name} has already joined this Ratmas.")
        participant = Participant(
            event_id, member.user_id, member.display_name[:100], None, _utc(now)
        )
        self.participants[event_id][member.user_id] = participant
        return participant

    async def remove_participant(self, event_id: int, user_id: int) -> bool:
        self._drop_exclusions(event_id, {user_id})
        return self.participants.get(event_id, {}).pop(user_id, None) is not None

    def _drop_exclusions(self, event_id: int, users: set[int]) -> None:
        kept = {x for x in self.exclusions.get(event_id, set()) if not users & set(x)}
        self.exclusions[event_id] = kept

    async def get_participant(self, event_id: int, user_id: int) -> Participant | None:
        return self.participants.get(event_id, {}).get(user_id)

    async def list_participants(self, event_id: int) -> list[Participant]:
        return sorted(self.participants.get(event_id, {}).values(), key=lambda p: p.user_id)

    async def sync_participants(
        self, event_id: int, members: Sequence[Member], *, now: datetime
    ) -> SyncResult:
        self._require(event_id)
        current = self.participants[event_id]
        wanted = {m.user_id: m.display_name[:100] for m in members}
        added = sorted(set(wanted) - set(current))
        removed = sorted(set(current) - set(wanted))
        renamed = sorted(
            u for u in set(current) & set(wanted) if current[u].display_name != wanted[u]
        )
        for user_id in removed:
            del current[user_id]
        self._drop_exclusions(event_id, set(removed))
        for user_id in added:
            current[user_id] = Participant(event_id, user_id, wanted[user_id], None, _utc(now))
        for user_id in renamed:
            current[user_id] = replace(current[user_id], display_name=wanted[user_id])
        return SyncResult(tuple(added), tuple(removed), tuple(renamed))

    async def set_wishlist(
        self,
        event_id: int,
        user_id: int,
        url: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        participant = self.participants.get(event_id, {}).get(user_id)
        if participant is None:
            raise NotFound("You have not joined this Ratmas yet.")
        updated = replace(participant, wishlist_url=url)
        self.participants[event_id][user_id] = updated
        self._supersede_older(event_id, outbox)
        self._add_outbox(event_id, outbox, now)
        return updated

    async def set_notes(
        self,
        event_id: int,
        user_id: int,
        notes: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        participant = self.participants.get(event_id, {}).get(user_id)
        if participant is None:
            raise NotFound("You have not joined this Ratmas yet.")
        updated = replace(participant, notes=notes)
        self.participants[event_id][user_id] = updated
        self._supersede_older(event_id, outbox)
        self._add_outbox(event_id, outbox, now)
        return updated

    def _supersede_older(self, event_id: int, drafts: Sequence[OutboxDraft]) -> None:
        replaced = {(d.user_id, d.kind) for d in drafts if d.kind in LATEST_ONLY_KINDS}
        for entry in list(self.outbox.values()):
            if (
                entry.event_id == event_id
                and entry.open
                and (entry.user_id, entry.kind) in replaced
            ):
                self.outbox[entry.id] = replace(entry, state=OutboxState.SUPERSEDED)

    # --- exclusions -------------------------------------------------------------------
    async def add_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        self._require(event_id)
        pair = (user_id, excluded_user_id)
        if pair in self.exclusions[event_id]:
            return False
        self.exclusions[event_id].add(pair)
        return True

    async def remove_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        pairs = self.exclusions.get(event_id, set())
        if (user_id, excluded_user_id) not in pairs:
            return False
        pairs.discard((user_id, excluded_user_id))
        return True

    async def list_exclusions(self, event_id: int) -> list[Exclusion]:
        return [Exclusion(event_id, u, x) for u, x in sorted(self.exclusions.get(event_id, set()))]

    # --- pairings ---------------------------------------------------------------------
    async def replace_pairings(
        self,
        event_id: int,
        pairings: Mapping[int, int],
        *,
        keep_notified: bool = False,
        notes: Mapping[int, str] | None = None,
        now: datetime | None = None,
    ) -> list[Pairing]:
        self._require(event_id)
        check_draw(pairings, set(self.participants[event_id]))
        old = self.pairings[event_id]
        new: dict[int, Pairing] = {}
        for santa, recipient in sorted(pairings.items()):
            previous = old.get(santa)
            if keep_notified and previous is not None and previous.recipient_id == recipient:
                new[santa] = previous
            else:
                new[santa] = Pairing(event_id, santa, recipient, None, None, None, 0)
        kept = {s for s, p in new.items() if old.get(s) is p}
        fresh = [p for s, p in new.items() if s not in kept]
        self._queue_assignments(event_id, fresh, lambda santa: santa not in kept, notes, now)
        self.pairings[event_id] = new
        return await self.list_pairings(event_id)

    def _queue_assignments(
        self,
        event_id: int,
        fresh: Sequence[Pairing],
        supersede: Callable[[int], bool],
        notes: Mapping[int, str] | None,
        now: datetime | None,
    ) -> None:
        for entry in list(self.outbox.values()):
            if (
                entry.event_id == event_id
                and entry.kind is OutboxKind.ASSIGNMENT
                and entry.open
                and supersede(entry.user_id)
            ):
                self.outbox[entry.id] = replace(entry, state=OutboxState.SUPERSEDED)
        drafts = [
            OutboxDraft(
                p.santa_id,
                OutboxKind.ASSIGNMENT,
                recipient_id=p.recipient_id,
                note=(notes or {}).get(p.santa_id),
            )
            for p in fresh
        ]
        self._add_outbox(event_id, drafts, now)

    def _add_outbox(
        self, event_id: int, drafts: Sequence[OutboxDraft], now: datetime | None
    ) -> list[OutboxEntry]:
        added = []
        for d in drafts:
            entry = OutboxEntry(
                id=self._next_outbox_id,
                event_id=event_id,
                user_id=d.user_id,
                kind=d.kind,
                recipient_id=d.recipient_id,
                note=d.note,
                content=d.content,
                state=OutboxState.PENDING,
                attempts=0,
                last_error_code=None,
                last_error_text=None,
                attempt_started_at=None,
                delivered_at=None,
                dm_channel_id=None,
                message_id=None,
                created_at=None if now is None else _utc(now),
                gift_button=d.gift_button,
            )
            self._next_outbox_id += 1
            self.outbox[entry.id] = entry
            added.append(entry)
        return added

    async def list_pairings(self, event_id: int) -> list[Pairing]:
        return [p for _, p in sorted(self.pairings.get(event_id, {}).items())]

    async def get_pairing(
        self, event_id: int, *, santa_id: int | None = None, recipient_id: int | None = None
    ) -> Pairing | None:
        if (santa_id is None) == (recipient_id is None):
            raise ValueError("give exactly one of santa_id and recipient_id")
        return next(
            (
                p
                for p in self.pairings.get(event_id, {}).values()
                if p.santa_id == santa_id or p.recipient_id == recipient_id
            ),
            None,
        )

    async def pending_pairings(self, event_id: int) -> list[Pairing]:
        return [p for p in await self.list_pairings(event_id) if p.pending]

    async def santas_without_gift_sent(self, event_id: int) -> list[int]:
        return [p.santa_id for p in await self.list_pairings(event_id) if p.gift_sent_at is None]

    async def mark_notified(self, event_id: int, santa_id: int, at: datetime) -> bool:
        pairing = self.pairings.get(event_id, {}).get(santa_id)
        if pairing is None or not pairing.pending:
            return False
        self.pairings[event_id][santa_id] = pairing._replace(
            notified_at=_utc(at),
            last_attempt_at=_utc(at),
            attempts=pairing.attempts + 1,
            last_error_code=None,
            last_error_text=None,
        )
        return True

    async def mark_pending(
        self, event_id: int, santa_ids: Collection[int], *, now: datetime | None = None
    ) -> int:
        again = []
        table = self.pairings.get(event_id, {})
        for santa in sorted(santa_ids):
            pairing = table.get(santa)
            if pairing is not None and not pairing.pending:
                table[santa] = pairing._replace(notified_at=None)
                again.append(table[santa])
        chosen = {p.santa_id for p in again}
        self._queue_assignments(event_id, again, lambda santa: santa in chosen, None, now)
        return len(again)

    async def record_delivery_failure(
        self, event_id: int, santa_id: int, code: int | None, text: str, at: datetime
    ) -> bool:
        pairing = self.pairings.get(event_id, {}).get(santa_id)
        if pairing is None or not pairing.pending:
            return False
        self.pairings[event_id][santa_id] = pairing._replace(
            attempts=pairing.attempts + 1,
            last_attempt_at=_utc(at),
            last_error_code=code,
            last_error_text=text[:1000],
        )
        return True

    # --- outbox -----------------------------------------------------------------------
    async def enqueue(
        self, event_id: int, drafts: Sequence[OutboxDraft], *, now: datetime
    ) -> list[OutboxEntry]:
        self._require(event_id)
        return self._add_outbox(event_id, drafts, _utc(now))

    async def enqueue_missing_assignments(self, event_id: int, *, now: datetime) -> int:
        covered = {
            (e.user_id, e.recipient_id)
            for e in self.outbox.values()
            if e.event_id == event_id and e.kind is OutboxKind.ASSIGNMENT and e.open
        }
        missing = [
            OutboxDraft(p.santa_id, OutboxKind.ASSIGNMENT, recipient_id=p.recipient_id)
            for p in await self.pending_pairings(event_id)
            if (p.santa_id, p.recipient_id) not in covered
        ]
        self._add_outbox(event_id, missing, _utc(now))
        return len(missing)

    async def list_outbox(
        self,
        event_id: int,
        *,
        states: Collection[OutboxState] | None = None,
        user_id: int | None = None,
    ) -> list[OutboxEntry]:
        return [
            e
            for _, e in sorted(self.outbox.items())
            if e.event_id == event_id
            and (states is None or e.state in states)
            and (user_id is None or e.user_id == user_id)
        ]

    async def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        return self.outbox.get(entry_id)

    async def outbox_sending(
        self, entry_id: int, *, dm_channel_id: int | None, at: datetime
    ) -> bool:
        entry = self.outbox.get(entry_id)
        if entry is None or not entry.open or _settled_message(entry):
            return False
        self.outbox[entry_id] = replace(
            entry,
            state=OutboxState.SENDING,
            attempts=entry.attempts + 1,
            attempt_started_at=_utc(at),
            dm_channel_id=dm_channel_id if dm_channel_id is not None else entry.dm_channel_id,
        )
        return True

    async def outbox_delivered(
        self, entry_id: int, *, dm_channel_id: int, message_id: int, at: datetime
    ) -> bool:
        entry = self.outbox.get(entry_id)
        if entry is None or entry.state is OutboxState.DELIVERED:
            return False
        self.outbox[entry_id] = replace(
            entry,
            state=OutboxState.DELIVERED,
            delivered_at=_utc(at),
            dm_channel_id=dm_channel_id,
            message_id=message_id,
            last_error_code=None,
            last_error_text=None,
            content="" if entry.kind is OutboxKind.MESSAGE else entry.content,
        )
        pairing = self.pairings.get(entry.event_id, {}).get(entry.user_id)
        if (
            entry.kind is OutboxKind.ASSIGNMENT
            and pairing is not None
            and pairing.recipient_id == entry.recipient_id
        ):
            await self.mark_notified(entry.event_id, entry.user_id, at)
        return True

    async def outbox_refused(
        self,
        entry_id: int,
        state: OutboxState,
        code: int | None,
        text: str,
        *,
        at: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        if state not in (OutboxState.PENDING, OutboxState.CLOSED, OutboxState.FAILED):
            raise ValueError(f"a refused DM is pending, closed or failed, not {state}")
        entry = self.outbox.get(entry_id)
        if entry is None or entry.state not in OPEN_OUTBOX_STATES or _settled_message(entry):
            return False
        erase = entry.kind is OutboxKind.MESSAGE and state is not OutboxState.PENDING
        self.outbox[entry_id] = replace(
            entry,
            state=state,
            last_error_code=code,
            last_error_text=text[:1000],
            content="" if erase else entry.content,
        )
        self._add_outbox(entry.event_id, outbox, _utc(at))
        pairing = self.pairings.get(entry.event_id, {}).get(entry.user_id)
        if (
            state is not OutboxState.PENDING
            and entry.kind is OutboxKind.ASSIGNMENT
            and pairing is not None
            and pairing.recipient_id == entry.recipient_id
        ):
            await self.record_delivery_failure(entry.event_id, entry.user_id, code, text, at)
        return True

    # --- anonymous messages --------------------------------------------------------------
    async def store_message(
        self,
        event_id: int,
        *,
        sender_id: int,
        addressee_id: int,
        direction: MessageDirection,
        content: str,
        now: datetime,
    ) -> AnonymousMessage:
        self._require(event_id)
        (entry,) = self._add_outbox(
            event_id, [OutboxDraft(addressee_id, OutboxKind.MESSAGE, content=content)], _utc(now)
        )
        message = AnonymousMessage(
            id=self._next_message_id,
            event_id=event_id,
            sender_id=sender_id,
            addressee_id=addressee_id,
            direction=direction,
            outbox_id=entry.id,
            sent_at=_utc(now),
        )
        self._next_message_id += 1
        self.messages[message.id] = message
        return message

    async def messages_sent_after(
        self, event_id: int, sender_id: int, since: datetime
    ) -> list[datetime]:
        return sorted(
            m.sent_at
            for m in self.messages.values()
            if m.event_id == event_id and m.sender_id == sender_id and m.sent_at > _utc(since)
        )

    async def message_for_outbox(self, outbox_id: int) -> AnonymousMessage | None:
        return next((m for m in self.messages.values() if m.outbox_id == outbox_id), None)

    async def with_unsent_notices(self, event_ids: Collection[int]) -> set[int]:
        wanted = set(event_ids)
        return {
            e.event_id
            for e in self.outbox.values()
            if e.event_id in wanted
            and e.kind is not OutboxKind.ASSIGNMENT
            and e.state in (OutboxState.PENDING, OutboxState.SENDING)
        }

    async def mark_gift(
        self,
        event_id: int,
        santa_id: int,
        recipient_id: int,
        mark: GiftMark,
        *,
        at: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        pairing = self.pairings.get(event_id, {}).get(santa_id)
        if pairing is None or pairing.recipient_id != recipient_id:
            return False
        if mark is GiftMark.SENT:
            if pairing.gift_sent_at is not None:
                return False
            changed = pairing._replace(gift_sent_at=_utc(at))
        else:
            if pairing.gift_received_at is not None:
                return False
            changed = pairing._replace(gift_received_at=_utc(at))
        self.pairings[event_id][santa_id] = changed
        self._add_outbox(event_id, outbox, _utc(at))
        return True

    async def gift_counts(self, event_id: int) -> GiftCounts:
        pairings = list(self.pairings.get(event_id, {}).values())
        return GiftCounts(
            pairings=len(pairings),
            sent=sum(1 for p in pairings if p.gift_sent_at is not None),
            received=sum(1 for p in pairings if p.gift_received_at is not None),
            neither=sum(
                1 for p in pairings if p.gift_sent_at is None and p.gift_received_at is None
            ),
        )

    async def delivery_progress(self, event_ids: Collection[int]) -> dict[int, DeliveryProgress]:
        found = {}
        for event_id in set(event_ids):
            pairings = list(self.pairings.get(event_id, {}).values())
            if not pairings:
                continue
            attempts = [p.last_attempt_at for p in pairings if p.last_attempt_at is not None]
            found[event_id] = DeliveryProgress(
                event_id,
                len(pairings),
                sum(1 for p in pairings if p.pending and p.attempts == 0),
                max(attempts, default=None),
            )
        return found

    async def previous_pairings(
        self, guild_id: int, before_event_id: int, *, events: int = 1
    ) -> list[tuple[int, int]]:
        earlier = sorted(
            (
                e.id
                for e in self.events.values()
                if e.guild_id == guild_id and e.id < before_event_id and self.pairings.get(e.id)
            ),
            reverse=True,
        )
        pairs: list[tuple[int, int]] = []
        for event_id in earlier[: max(events, 0)]:
            pairs.extend((p.santa_id, p.recipient_id) for p in await self.list_pairings(event_id))
        return pairs

    # --- audit ------------------------------------------------------------------------
    async def add_audit(self, entry: AuditEntry) -> None:
        self._require(entry.event_id)
        self.audit[entry.event_id].append(replace(entry, at=_utc(entry.at)))

    async def list_audit(self, event_id: int) -> list[AuditEntry]:
        return list(self.audit.get(event_id, []))

    # --- households ---------------------------------------------------------------------
    async def add_household(
        self, guild_id: int, members: Sequence[int], *, created_by: int | None, now: datetime
    ) -> Household:
        wanted = tuple(sorted(set(members)))
        for user_id in wanted:
            for household in await self.list_households(guild_id):
                if user_id in household.members:
                    raise InvalidInput(
                        "members",
                        f"<@{user_id}> is already in household {household.id}; a member is "
                        "in one household at most (take them out of it first)",
                    )
        household = Household(self._next_household_id, guild_id, wanted, created_by, _utc(now))
        self._next_household_id += 1
        self.households[household.id] = household
        return household

    async def remove_household(self, guild_id: int, household_id: int) -> Household | None:
        household = self.households.get(household_id)
        if household is None or household.guild_id != guild_id:
            return None
        del self.households[household_id]
        return household

    async def remove_household_member(self, guild_id: int, user_id: int) -> Household | None:
        for household in await self.list_households(guild_id):
            if user_id in household.members:
                if len(household.members) <= 2:
                    del self.households[household.id]
                else:
                    self.households[household.id] = replace(
                        household, members=tuple(m for m in household.members if m != user_id)
                    )
                return household
        return None

    async def list_households(self, guild_id: int) -> list[Household]:
        return [h for _, h in sorted(self.households.items()) if h.guild_id == guild_id]

    # --- guild settings ---------------------------------------------------------------
    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        return self.guild_settings.get(guild_id)

    async def save_guild_settings(self, settings: GuildSettings, *, now: datetime) -> GuildSettings:
        _utc(now)
        self.guild_settings[settings.guild_id] = settings
        return settings


class InMemorySnapshots:
    """`SnapshotStore` in a dictionary: name -> text."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write(self, name: str, text: str) -> str:
        self.files[name] = text
        return name

    def names(self) -> list[str]:
        return sorted(self.files)

    def read(self, name: str) -> str:
        return self.files[name]

    def remove(self, name: str) -> None:
        self.files.pop(name, None)


class RecordingJobScheduler:
    """`JobScheduler` in a dictionary, with the same specs as the APScheduler adapter."""

    def __init__(self) -> None:
        self.live: dict[str, LiveJob] = {}
        self.syncs = 0

    def sync(
        self, schedules: Sequence[EventSchedule], *, event_ids: Collection[int] | None = None
    ) -> None:
        self.syncs += 1
        wanted = {
            spec.id: LiveJob(spec.id, spec.event_id, spec.kind, spec.run_date)
            for spec in job_specs(schedules)
            if event_ids is None or spec.event_id in event_ids
        }
        for job_id in list(self.live):
            key = parse_job_id(job_id)
            if key is not None and (event_ids is None or key.event_id in event_ids):
                del self.live[job_id]
        self.live.update(wanted)

    def jobs(self) -> list[LiveJob]:
        return sorted(self.live.values(), key=lambda j: (j.run_time, j.id))

    def ids(self) -> list[str]:
        return sorted(self.live)
