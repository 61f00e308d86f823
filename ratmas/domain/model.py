"""Frozen value objects that every layer passes around.

Repositories return these, services take and return them, the bot renders them.
All datetimes are aware and in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, NamedTuple

from ratmas.domain.status import EventStatus, Phase, Reminder


@dataclass(frozen=True, slots=True)
class EventDates:
    """The three instants of a season, aware UTC, strictly increasing."""

    starts_at: datetime
    purchase_deadline: datetime
    reveal_at: datetime

    def due(self, phase: Phase) -> datetime:
        """When `phase` is due."""
        if phase is Phase.START:
            return self.starts_at
        if phase is Phase.PURCHASE_DEADLINE:
            return self.purchase_deadline
        return self.reveal_at


@dataclass(frozen=True, slots=True)
class ReminderDays:
    """How many whole days (of 24 hours) before the phase it prepares each reminder
    goes out; 0: none. An event keeps the days it was created with (or was given by
    `/ratmas-admin setup` while live)."""

    wishlist: int = 0
    gift: int = 0

    def of(self, reminder: Reminder) -> int:
        return self.wishlist if reminder is Reminder.WISHLIST else self.gift


NO_REMINDERS: Final = ReminderDays()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """What it takes to create an event."""

    guild_id: int
    dates: EventDates
    timezone: str
    announcement_channel_id: int | None = None
    participant_role_id: int | None = None
    manager_role_id: int | None = None
    created_by: int | None = None
    reminder_days: ReminderDays = NO_REMINDERS
    budget: str | None = None  # free text the managers chose, e.g. "€20–30"


@dataclass(frozen=True, slots=True)
class Event:
    """One guild's season, as stored."""

    id: int
    guild_id: int
    status: EventStatus
    dates: EventDates
    timezone: str
    announcement_channel_id: int | None
    participant_role_id: int | None
    manager_role_id: int | None
    created_by: int | None
    # Set when the start phase could not run (too few participants): reconcile leaves
    # the event alone until an admin reschedules, advances or cancels it.
    held_reason: str | None
    # The last status whose announcement was claimed; lags `status` while a phase's
    # side effects are still being performed.
    announced_status: EventStatus | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    # What a gift should cost, as the managers wrote it (`limits.validate_budget`).
    budget: str | None = None
    reminder_days: ReminderDays = NO_REMINDERS
    # When each reminder was claimed (sent, or skipped as too late): at most once.
    reminded_wishlist_at: datetime | None = None
    reminded_gift_at: datetime | None = None
    # The id it had in the original TypeScript bot's database, when it came from there
    # (stored from `EventSnapshot.legacy_id`; unique among the stored events).
    legacy_id: str | None = None

    def reminded_at(self, reminder: Reminder) -> datetime | None:
        """When `reminder` was claimed; None while it is still to come."""
        if reminder is Reminder.WISHLIST:
            return self.reminded_wishlist_at
        return self.reminded_gift_at


@dataclass(frozen=True, slots=True)
class Member:
    """A guild member as seen on Discord, input to participant sync."""

    user_id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class Participant:
    event_id: int
    user_id: int
    display_name: str
    wishlist_url: str | None
    joined_at: datetime
    # Sizes, allergies, a delivery hint: for this participant's santa only
    # (`limits.validate_notes`).
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a participant sync changed, user ids in ascending order."""

    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    renamed: tuple[int, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.renamed)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """`user_id` must not draw `excluded_user_id` (one way; a couple is two rows)."""

    event_id: int
    user_id: int
    excluded_user_id: int


class Pairing(NamedTuple):
    """One santa's assignment and how its delivery went.

    A named tuple rather than a frozen dataclass: a draw stores every pairing at once
    and a tuple is several times cheaper to build (10,000 of them per large draw)."""

    event_id: int
    santa_id: int
    recipient_id: int
    notified_at: datetime | None
    last_error_code: int | None
    last_error_text: str | None
    attempts: int
    last_attempt_at: datetime | None = None
    # The santa said they sent the gift / the recipient said they received it; only
    # the first mark counts, and a new pairing (redraw, splice) starts without them.
    gift_sent_at: datetime | None = None
    gift_received_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.notified_at is None


class GiftMark(StrEnum):
    """What a member says about a gift: their santa's "sent", their own "received"."""

    SENT = "sent"  # marked by the santa
    RECEIVED = "received"  # marked by the recipient


@dataclass(frozen=True, slots=True)
class GiftCounts:
    """How far an event's gifts have got, as the members marked them (counts only)."""

    pairings: int = 0
    sent: int = 0  # marked sent by the santa
    received: int = 0  # marked received by the recipient
    neither: int = 0  # no mark at all


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded override or notable system action."""

    event_id: int
    actor_id: int | None  # None: the system itself
    action: str
    detail: str
    at: datetime


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """Per-guild settings; a None field means "not set here"."""

    guild_id: int
    announcement_channel_id: int | None = None
    participant_role_id: int | None = None
    manager_role_id: int | None = None
    timezone: str | None = None
    wishlist_reminder_days: int | None = None
    gift_reminder_days: int | None = None


@dataclass(frozen=True, slots=True)
class Household:
    """People of one guild who never draw one another (a family, flatmates, a couple).

    It belongs to the guild, not to an event: it holds for every season until removed.
    A member is in at most one household of a guild."""

    id: int
    guild_id: int
    members: tuple[int, ...]  # user ids, ascending
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EventSnapshot:
    """Everything stored about one event, as exported and imported (the event's id is
    the one it had where it was exported; a restore gives it a new one)."""

    event: Event
    participants: tuple[Participant, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    pairings: tuple[Pairing, ...] = ()
    audit: tuple[AuditEntry, ...] = ()
    # The id it had in the original TypeScript bot's database, when it came from there.
    legacy_id: str | None = None
    # For a restore: the digest of the snapshot file it comes from, kept with the
    # restored event so that restoring the same file again is recognised (unique).
    restored_from: str | None = None


class OutboxKind(StrEnum):
    """What an outbox DM is about."""

    ASSIGNMENT = "assignment"  # rendered at send time from the pairing's recipient
    WISHLIST = "wishlist"  # stored text: a giftee changed their wishlist
    NOTES = "notes"  # stored text: a giftee changed their notes for their santa
    NOTICE = "notice"  # stored text: anything else that must reach one member
    # Stored text: an anonymous message between a santa and their giftee; the text is
    # erased once the DM is delivered (or can no longer be) and never logged.
    MESSAGE = "message"


NONCE_PREFIX = "ratmas-"


def outbox_id_of(nonce: str | None) -> int | None:
    """The outbox row a nonce (`OutboxEntry.nonce`) names, or None for anything else."""
    if nonce is None or not nonce.startswith(NONCE_PREFIX):
        return None
    digits = nonce[len(NONCE_PREFIX) :]
    if not digits.isascii() or not digits.isdigit() or len(nonce) > 25:
        return None
    return int(digits)


class OutboxState(StrEnum):
    """Where an outbox DM is. `sending` is an attempt whose outcome nobody saw yet."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    CLOSED = "closed"  # 50007: sent again only when someone asks (Retry, retry-dms)
    FAILED = "failed"  # another refusal: same rule as closed
    SUPERSEDED = "superseded"  # replaced by a newer DM before it was delivered


# A giftee's update to their santa: a newer one of the same kind to the same santa
# supersedes one not delivered yet, so only the latest wishlist or notes are sent.
LATEST_ONLY_KINDS = frozenset({OutboxKind.WISHLIST, OutboxKind.NOTES})

OPEN_OUTBOX_STATES = frozenset(
    {OutboxState.PENDING, OutboxState.SENDING, OutboxState.CLOSED, OutboxState.FAILED}
)


@dataclass(frozen=True, slots=True)
class OutboxDraft:
    """A DM to store in the same transaction as the change that causes it.

    Assignments carry the recipient (rendered when sent, so a santa still waiting gets
    the current wishlist) and an optional note; other kinds carry their text and, at
    most, one gift button."""

    user_id: int
    kind: OutboxKind
    content: str = ""
    recipient_id: int | None = None
    note: str | None = None
    # A stored-text DM may carry the button that makes this mark (the giftee's
    # "Gift received" under "your gift is on its way").
    gift_button: GiftMark | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One stored DM and how its delivery went."""

    id: int
    event_id: int
    user_id: int
    kind: OutboxKind
    recipient_id: int | None
    note: str | None
    content: str
    state: OutboxState
    attempts: int
    last_error_code: int | None
    last_error_text: str | None
    attempt_started_at: datetime | None
    delivered_at: datetime | None
    dm_channel_id: int | None
    message_id: int | None
    created_at: datetime | None  # None: written by an import or a test
    gift_button: GiftMark | None = None

    @property
    def nonce(self) -> str:
        """The idempotency key of every send of this row (Discord allows 25 characters)."""
        return f"{NONCE_PREFIX}{self.id}"

    @property
    def open(self) -> bool:
        return self.state in OPEN_OUTBOX_STATES


class MessageDirection(StrEnum):
    """Which way an anonymous message goes along a pairing (`/ratmas message to:`)."""

    TO_GIFTEE = "giftee"  # a santa writes to the member they give to
    TO_SANTA = "santa"  # a giftee writes to the santa who gives to them

    @property
    def reverse(self) -> MessageDirection:
        """The way a reply goes."""
        if self is MessageDirection.TO_GIFTEE:
            return MessageDirection.TO_SANTA
        return MessageDirection.TO_GIFTEE


@dataclass(frozen=True, slots=True)
class AnonymousMessage:
    """The record of one anonymous message: who wrote to whom and when, never the text.

    It is what the per-day limit counts and what a Reply button (which carries only
    `outbox_id`) is resolved against; the text itself lives only in the outbox row
    `outbox_id` until that DM is delivered."""

    id: int
    event_id: int
    sender_id: int
    addressee_id: int
    direction: MessageDirection
    outbox_id: int
    sent_at: datetime
