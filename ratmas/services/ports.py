"""The ports the services depend on: storage, time and Discord.

Adapters live elsewhere (`ratmas.persistence`, `ratmas.bot`, `jobs`); tests use the
hand-written fakes in `tests/fakes/`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

from ratmas.domain.model import (
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
    OutboxState,
    Pairing,
    Participant,
    ReminderDays,
    SyncResult,
)
from ratmas.domain.status import EventStatus, JobKind, Reminder
from ratmas.services.schedule import EventSchedule


class Clock(Protocol):
    """The only source of "now" (aware UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class DeliveryProgress(NamedTuple):
    """How far the santa DMs of one event have got, counted by the database."""

    event_id: int
    pairings: int  # how many are stored
    untried: int  # pending and never attempted
    last_attempt_at: datetime | None  # the latest DM attempt, successful or not


class EventRepository(Protocol):
    """Everything the services persist. Every datetime in and out is aware UTC.

    Multi-row writes are one transaction. Unknown event ids raise `NotFound` where a
    row is needed and return None/False/empty where the question is "is there one".
    """

    # --- events ---------------------------------------------------------------------
    async def create_event(self, new: NewEvent, *, now: datetime) -> Event:
        """Store a new `scheduled` event; `EventAlreadyLive` if the guild has a live one."""
        ...

    async def get_event(self, event_id: int) -> Event | None: ...

    async def get_live_event(self, guild_id: int) -> Event | None:
        """The guild's one live (not archived, not cancelled) event, if any."""
        ...

    async def list_live_events(
        self, *, due_before: datetime | None = None, guild_ids: Collection[int] | None = None
    ) -> list[Event]:
        """Live events, oldest first; optionally only those with a phase date before
        `due_before` (any timezone) and/or in `guild_ids`."""
        ...

    async def events_to_reconcile(self, *, due_before: datetime) -> list[Event]:
        """Live events the phase engine may have to act on before `due_before`, oldest
        first: the phase their status waits for is due before then (held events
        included), or the phase that led to their status may be unfinished — the
        status is not announced yet, an active event has no pairings, or a drawn
        event has santas never tried — or it has notices or wishlist DMs a crash left
        unsent (pending or sending), or a reminder never claimed whose moment (the
        date of the phase the status waits for minus the event's reminder days) is
        before `due_before` (it may return a few more: the caller checks the rules of
        `ratmas.domain.reminders`). One query, however many events are live."""
        ...

    async def list_events(self, guild_id: int | None) -> list[Event]:
        """All events of a guild (None: of every guild), newest first."""
        ...

    async def set_status(
        self,
        event_id: int,
        expected: EventStatus,
        new: EventStatus,
        *,
        now: datetime,
        cancel_reason: str | None = None,
    ) -> bool:
        """Compare-and-set: move to `new` only if the stored status is `expected`.

        Returns whether this caller won. Moving to a final status frees the guild for
        a new live event and, in the same transaction, drops the anonymous messages not
        delivered yet (superseded, text erased)."""
        ...

    async def claim_reminder(
        self,
        event_id: int,
        reminder: Reminder,
        expected: EventStatus,
        *,
        now: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        """Compare-and-set: record `reminder` as claimed at `now` only if it never was
        and the status is still `expected`. Whoever wins also stores `outbox` (the
        reminder DMs; none when it is skipped), in the same transaction."""
        ...

    async def claim_announcement(
        self, event_id: int, expected: EventStatus | None, new: EventStatus | None
    ) -> bool:
        """Compare-and-set on `announced_status`: whoever wins posts the announcement
        (and gives the claim back, to `None` or the previous status, if posting fails)."""
        ...

    async def update_dates(self, event_id: int, dates: EventDates, *, now: datetime) -> Event:
        """Replace the three dates (and clear any hold)."""
        ...

    async def set_hold(
        self,
        event_id: int,
        reason: str | None,
        *,
        now: datetime,
        outbox: Sequence[OutboxDraft] = (),
    ) -> bool:
        """Set or clear the hold; returns False when it was already in that state.
        Whoever changes it also stores `outbox` (e.g. the admins' DM), in the same
        transaction."""
        ...

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
        """Change the given (non-None) channel/role ids and reminder days of an event."""
        ...

    async def set_budget(self, event_id: int, budget: str | None, *, now: datetime) -> Event:
        """Set or clear (None) an event's budget; `NotFound` when there is no such event."""
        ...

    async def delete_event(self, event_id: int) -> bool:
        """Delete an event with its participants, exclusions, pairings and audit."""
        ...

    async def restore_event(self, snapshot: EventSnapshot) -> Event:
        """Store an exported event with everything below it, under a new id, in one
        transaction; `EventAlreadyLive` when it is live and its guild has a live one."""
        ...

    async def restore_events(
        self,
        snapshots: Sequence[EventSnapshot],
        *,
        replacing: Collection[int] = (),
        households: Sequence[Household] = (),
    ) -> list[Event]:
        """Store several exported events, each under a new id, all in one transaction
        or none; the events `replacing` names are deleted in that same transaction
        first. `EventAlreadyLive` (and nothing stored) when a live one meets a live
        event of its guild.

        `households` (a guild export's) are added to their guilds in that same
        transaction, under new ids (theirs are ignored), with their `created_by` and
        `created_at`: `InvalidInput` naming the member, and nothing stored, when one
        of them is already in a household of that guild (or in two of `households`)."""
        ...

    async def legacy_events(self, legacy_ids: Collection[str]) -> dict[str, int]:
        """legacy id -> event id, for those of `legacy_ids` already imported from the
        original bot's database."""
        ...

    async def restored_event(self, digest: str) -> Event | None:
        """The stored event restored from the snapshot file whose digest is `digest`
        (`EventSnapshot.restored_from`), or None: no event holds it (never restored,
        or deleted since)."""
        ...

    # --- participants ---------------------------------------------------------------
    async def add_participant(self, event_id: int, member: Member, *, now: datetime) -> Participant:
        """Enrol one member; `AlreadyJoined` when they already are."""
        ...

    async def remove_participant(self, event_id: int, user_id: int) -> bool: ...

    async def get_participant(self, event_id: int, user_id: int) -> Participant | None: ...

    async def list_participants(self, event_id: int) -> list[Participant]:
        """Participants ordered by user id."""
        ...

    async def sync_participants(
        self, event_id: int, members: Sequence[Member], *, now: datetime
    ) -> SyncResult:
        """Make the participants exactly `members`: add new, remove stale, refresh names.

        Bulk statements in one transaction, whatever the number of members."""
        ...

    async def set_wishlist(
        self,
        event_id: int,
        user_id: int,
        url: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        """Set or clear the wishlist, storing `outbox` (e.g. the santa's DM about it) in
        the same transaction; `NotFound` when they have not joined. A draft of a
        `LATEST_ONLY_KINDS` kind supersedes the open DMs of that kind to its santa."""
        ...

    async def set_notes(
        self,
        event_id: int,
        user_id: int,
        notes: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        """Set or clear a participant's notes for their santa, like `set_wishlist`:
        `outbox` stored in the same transaction, superseding the open DMs of the same
        kind to the same santa; `NotFound` when they have not joined."""
        ...

    # --- exclusions -----------------------------------------------------------------
    async def add_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        """Returns False when the exclusion already existed."""
        ...

    async def remove_exclusion(
        self, event_id: int, user_id: int, excluded_user_id: int
    ) -> bool: ...

    async def list_exclusions(self, event_id: int) -> list[Exclusion]: ...

    # --- pairings -------------------------------------------------------------------
    async def replace_pairings(
        self,
        event_id: int,
        pairings: Mapping[int, int],
        *,
        keep_notified: bool = False,
        notes: Mapping[int, str] | None = None,
        now: datetime | None = None,
    ) -> list[Pairing]:
        """Replace all pairings of an event at once (all or nothing).

        `pairings` maps santa -> recipient and must be a permutation of the current
        participants with no fixed point, else `InvalidPairings` and nothing changes.
        With `keep_notified`, a (santa, recipient) pair that already existed keeps its
        delivery state; every other pair starts pending.

        In the same transaction every santa whose pair starts pending gets an
        assignment DM in the outbox (with their note from `notes`), and the open
        assignment DMs of every other santa who did not keep their pair are
        superseded."""
        ...

    async def list_pairings(self, event_id: int) -> list[Pairing]:
        """Pairings ordered by santa id."""
        ...

    async def get_pairing(
        self, event_id: int, *, santa_id: int | None = None, recipient_id: int | None = None
    ) -> Pairing | None:
        """The pairing whose santa is `santa_id` or whose recipient is `recipient_id`
        (give exactly one), if the event has it."""
        ...

    async def santas_without_gift_sent(self, event_id: int) -> list[int]:
        """The santas of the event's pairings who have not marked their gift sent,
        ascending."""
        ...

    async def pending_pairings(self, event_id: int) -> list[Pairing]:
        """Pairings whose santa has not been told yet, ordered by santa id."""
        ...

    async def mark_notified(self, event_id: int, santa_id: int, at: datetime) -> bool: ...

    async def mark_pending(
        self, event_id: int, santa_ids: Collection[int], *, now: datetime | None = None
    ) -> int:
        """Make these pairings pending again, each with a new assignment DM in the
        outbox (same transaction); returns how many."""
        ...

    async def record_delivery_failure(
        self, event_id: int, santa_id: int, code: int | None, text: str, at: datetime
    ) -> bool:
        """Keep the pairing pending, count the attempt and remember the error and its time."""
        ...

    async def delivery_progress(self, event_ids: Collection[int]) -> dict[int, DeliveryProgress]:
        """The delivery progress of each of these events that has pairings (events
        without any are left out), counted with grouped queries, not one per event."""
        ...

    async def with_unsent_notices(self, event_ids: Collection[int]) -> set[int]:
        """Those of these events with notices or wishlist DMs not sent yet (pending or
        sending), in grouped queries, not one per event."""
        ...

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
        """Compare-and-set: record `mark` on the pairing santa -> recipient only if it
        exists and has no such mark yet (only the first mark counts), storing `outbox`
        (the other side's DM) in the same transaction. Returns whether this call won."""
        ...

    async def gift_counts(self, event_id: int) -> GiftCounts:
        """How many of the event's pairings are marked sent, received, or neither,
        counted by the database."""
        ...

    async def previous_pairings(
        self, guild_id: int, before_event_id: int, *, events: int = 1
    ) -> list[tuple[int, int]]:
        """(santa, recipient) pairs of the guild's `events` most recent earlier events
        that had any (events cancelled before their draw have none), newest event
        first, each event's by santa id."""
        ...

    # --- outbox (the DMs that matter; see `ratmas.services.delivery`) -------------------
    async def enqueue(
        self, event_id: int, drafts: Sequence[OutboxDraft], *, now: datetime
    ) -> list[OutboxEntry]:
        """Store DMs to send, pending, in one transaction."""
        ...

    async def enqueue_missing_assignments(self, event_id: int, *, now: datetime) -> int:
        """An assignment DM for every pending pairing that has no open one for the same
        recipient (events stored before the outbox existed, imports); returns how many."""
        ...

    async def list_outbox(
        self,
        event_id: int,
        *,
        states: Collection[OutboxState] | None = None,
        user_id: int | None = None,
    ) -> list[OutboxEntry]:
        """The event's DMs, oldest first, optionally only in `states` / to `user_id`."""
        ...

    async def get_outbox_entry(self, entry_id: int) -> OutboxEntry | None:
        """One stored DM by its id (a button pressed under it names the event)."""
        ...

    async def outbox_sending(
        self, entry_id: int, *, dm_channel_id: int | None, at: datetime
    ) -> bool:
        """Record an attempt about to be made (before the request): state `sending`,
        one more attempt, its start time and the DM channel. False when the DM is no
        longer open (delivered or superseded meanwhile)."""
        ...

    async def outbox_delivered(
        self, entry_id: int, *, dm_channel_id: int, message_id: int, at: datetime
    ) -> bool:
        """Discord has the message: mark the DM delivered with its ids and, for an
        assignment, its pairing notified, or for an anonymous message erase its text, in
        one transaction. False if it already was."""
        ...

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
        """Discord refused: `pending` (try later: slow-down), `closed` (50007) or
        `failed`; closed/failed also count a failed attempt on an assignment's pairing,
        and erase an anonymous message's text (it is never sent again), in the same
        transaction, which also stores `outbox` (e.g. telling the sender). False, and
        nothing stored, when the DM is no longer open."""
        ...

    # --- anonymous messages (the text only ever lives in the outbox row) ----------------
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
        """Record an anonymous message (who, to whom, which way, when) and store its DM
        to `addressee_id` in the outbox (kind `message`, carrying `content`), in one
        transaction. Delivering that DM, or its final refusal, erases `content`; so
        does the event becoming archived or cancelled before it was delivered."""
        ...

    async def messages_sent_after(
        self, event_id: int, sender_id: int, since: datetime
    ) -> list[datetime]:
        """When `sender_id` sent anonymous messages in the event after `since` (not at
        it), oldest first (what the per-day limit counts)."""
        ...

    async def message_for_outbox(self, outbox_id: int) -> AnonymousMessage | None:
        """The anonymous message whose DM is outbox row `outbox_id`, if there is one."""
        ...

    # --- audit ----------------------------------------------------------------------
    async def add_audit(self, entry: AuditEntry) -> None: ...

    async def list_audit(self, event_id: int) -> list[AuditEntry]:
        """Oldest first."""
        ...

    # --- households (per guild) -------------------------------------------------------
    async def add_household(
        self, guild_id: int, members: Sequence[int], *, created_by: int | None, now: datetime
    ) -> Household:
        """Store a household of `members` (distinct ids), in one transaction;
        `InvalidInput` naming the member when one already is in a household of the guild."""
        ...

    async def remove_household(self, guild_id: int, household_id: int) -> Household | None:
        """Delete a household of the guild with its members; None when there is none."""
        ...

    async def remove_household_member(self, guild_id: int, user_id: int) -> Household | None:
        """Take `user_id` out of their household of the guild, deleting the household
        when fewer than two members would remain; the household as it was, or None."""
        ...

    async def list_households(self, guild_id: int) -> list[Household]:
        """The guild's households, oldest first."""
        ...

    # --- guild settings ---------------------------------------------------------------
    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None: ...

    async def save_guild_settings(self, settings: GuildSettings, *, now: datetime) -> GuildSettings:
        """Store the runtime overrides of a guild (None fields are "not overridden")."""
        ...


# --- Discord -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Embed:
    title: str
    description: str = ""
    fields: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Message:
    """A message to send, already rendered.

    `mention_user_ids` are the only mentions allowed to ping; @everyone, @here and
    roles never ping, whatever the content says. `join_buttons` attaches the event's
    persistent Join/Leave buttons, `gift_button` the persistent "Gift sent" or "Gift
    received" button, `reply_button_outbox_id` an anonymous message's Reply button;
    `file_name`/`file_content` attach one text file."""

    content: str
    mention_user_ids: tuple[int, ...] = ()
    embeds: tuple[Embed, ...] = ()
    join_buttons_event_id: int | None = None
    retry_button: bool = False
    gift_button: GiftMark | None = None
    # An anonymous message's persistent Reply button; its custom id carries only this
    # outbox id, from which the database knows who wrote to whom.
    reply_button_outbox_id: int | None = None
    file_name: str | None = None
    file_content: bytes | None = None


@dataclass(frozen=True, slots=True)
class SentMessage:
    """Where Discord stored a message we sent."""

    channel_id: int
    message_id: int


class Discord(Protocol):
    """What the services need from Discord. The bot implements it with nextcord."""

    async def role_members(self, guild_id: int, role_id: int) -> list[Member]:
        """Members holding the role; `MembersIntentMissing` without that intent,
        `RoleMissing` when the role was deleted (`ratmas.services.errors`)."""
        ...

    async def send_dm(
        self,
        user_id: int,
        message: Message,
        *,
        nonce: str | None = None,
        channel_id: int | None = None,
    ) -> SentMessage:
        """DM one user; `DeliveryError` when Discord refuses.

        With `nonce` (at most 25 characters) Discord enforces it: repeating a nonce
        within a few minutes returns the earlier message instead of a second one; the
        message also carries a marker of the nonce that `find_own_dm` finds. With
        `channel_id` (their DM channel, known from an earlier send) it is not opened
        again."""
        ...

    async def open_dm(self, user_id: int) -> int:
        """The id of the DM channel with a user (opened once, then remembered);
        `DeliveryError` when Discord refuses."""
        ...

    async def find_own_dm(self, channel_id: int, nonce: str, *, limit: int = 50) -> int | None:
        """The id of our own message sent with `nonce` among the last `limit` messages
        of a DM channel, found by its marker (history does not return nonces)."""
        ...

    async def post(self, channel_id: int, message: Message) -> SentMessage:
        """Post in a guild channel; `DeliveryError` when Discord refuses."""
        ...

    async def edit(self, channel_id: int, message_id: int, message: Message) -> None:
        """Replace the content of one of our messages; `DeliveryError` when refused."""
        ...

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Give a member a role; `DeliveryError` when Discord refuses."""
        ...

    async def remove_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Take a role from a member; `DeliveryError` when Discord refuses."""
        ...


# --- results shared by the services and their messages ------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """The outcome of one round of santa DMs."""

    sent: tuple[int, ...] = ()  # santa ids told in this round
    dms_closed: tuple[int, ...] = ()  # santa ids whose DMs are closed (50007)
    failed: tuple[int, ...] = ()  # santa ids that failed for another reason
    stopped: bool = False  # Discord asked us to slow down; the rest stays pending
    still_pending: int = 0  # pairings left pending after this round


@dataclass(frozen=True, slots=True)
class BlastProgress:
    """A running blast as the managers see it (the progress message, `/ratmas status`)."""

    sent: int
    closed: int
    failed: int
    remaining: int
    eta_seconds: float | None  # None until a rate is known


# --- the scheduler -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveJob:
    """An event's job as the running scheduler holds it (`ratmas:<event_id>:<kind>`,
    the kind a phase or a reminder)."""

    id: str
    event_id: int
    kind: JobKind
    run_time: datetime  # aware, in the event's timezone


class JobScheduler(Protocol):
    """Wake-up calls for due phases; the database decides what a wake-up does."""

    def sync(
        self, schedules: Sequence[EventSchedule], *, event_ids: Collection[int] | None = None
    ) -> None:
        """Make the event jobs exactly the upcoming phases and reminders of `schedules`.

        With `event_ids`, only the jobs of those events are added, moved or removed;
        without, every event job not in `schedules` is removed."""
        ...

    def jobs(self) -> list[LiveJob]:
        """The event jobs (phases and reminders) the scheduler holds now, soonest first."""
        ...
