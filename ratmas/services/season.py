"""The season's side effects (the `Season` port) and the participants' use cases.

`SeasonService` syncs participants from the event's role, draws and stores names,
DMs santas, posts announcements, and handles the people who join, leave or change
their wishlist — before and after the draw. The lifecycle service decides *when*
each phase happens; this service decides *how*, over the repository and Discord ports.

Delivery of santa DMs, and why it is shaped this way (see DESIGN.md, Discord facts):

- Only pending pairings are sent, each marked notified right after its own DM went
  through, so a crash re-sends at most the DMs that were in flight
  (`max_concurrent_dms`).
- Sends run concurrently but bounded by a semaphore-like pool of workers; nextcord
  itself waits out 429s.
- 50007 (closed DMs) is recorded on the pairing (it stays pending), the santa is asked
  in the event channel to open their DMs — once per failure streak, or again when a
  retry was asked for explicitly — and the admins get a sent/failed summary. Failed
  pairings are only re-sent with `retry_failed`, so a reconcile tick never hammers
  closed DMs (10,000 refused requests in 10 minutes earn a temporary ban).
- 40003 / the anti-spam quarantine stop the blast at once; the rest stay pending and
  untried, and the next reconcile tick sends them.
- Any other refusal is recorded and the rest go on; an unexpected exception (a lost
  database connection, a bug) stops the blast, lets the DMs in flight finish, and is
  raised again for the caller to log and resume.

Changes to the draw (leavers spliced out, newcomers spliced in) and deliveries hold
a per-event lock in this process, so a DM never goes out for a pairing that was
replaced meanwhile. Use cases take Discord ids, return frozen dataclasses and raise
`RatmasError`s whose messages are meant for the member who caused them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from ratmas.domain.errors import (
    AlreadyJoined,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PairingImpossible,
    RatmasError,
)
from ratmas.domain.model import (
    AuditEntry,
    Event,
    Exclusion,
    Member,
    Pairing,
    Participant,
    SyncResult,
)
from ratmas.domain.pairing import draw_pairings, splice_in, splice_out
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from ratmas.services.ports import (
    Clock,
    DeliveryError,
    DeliveryFailure,
    DeliveryReport,
    Discord,
    EventRepository,
    Message,
)

MAX_WISHLIST_LENGTH: Final = 512
DEFAULT_MAX_CONCURRENT_DMS: Final = 5
# Statuses in which a draw exists (or is being made) and changes must splice it.
_DRAWN: Final = frozenset({EventStatus.ACTIVE, EventStatus.PURCHASE_CLOSED})


class SignUpsClosed(RatmasError):
    """The event no longer takes sign-ups (names are drawn, or it is over)."""


class RoleChangeFailed(RatmasError):
    """Discord refused to give or take the participant role."""


def _fresh_rng() -> random.Random:
    return random.Random(secrets.randbits(128))


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinResult:
    event_id: int
    participant: Participant
    role_granted: bool


@dataclass(frozen=True, slots=True)
class LeaveResult:
    """What taking someone out did.

    `after_draw`: the draw was changed (or had to be); `reassigned`: santas whose
    recipient changed (each was DMed their new assignment, or it is pending); `warning`:
    something the admins were told about (e.g. fewer than 2 participants remain)."""

    event_id: int
    user_id: int
    after_draw: bool
    reassigned: tuple[int, ...] = ()
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class MemberView:
    """What one member may see of an event: whether they are in, and whom they give to."""

    participant: Participant | None
    recipient: Participant | None  # only once drawn, and only to their santa


@dataclass(frozen=True, slots=True)
class RetryResult:
    """What a santa's Retry did."""

    event_id: int
    delivered: bool
    already: bool = False  # it had been delivered before
    dms_closed: bool = False
    slow_down: bool = False


@dataclass(frozen=True, slots=True)
class WishlistResult:
    event_id: int
    participant: Participant
    santa_told: bool  # their santa (already told their assignment) got a DM about it


@dataclass(frozen=True, slots=True)
class AddResult:
    event_id: int
    participant: Participant
    after_draw: bool
    reassigned: tuple[int, ...] = ()  # santas DMed a new assignment (the newcomer first)
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class ExclusionResult:
    """The exclusion rows added or removed, and a warning when the draw is affected."""

    event_id: int
    changed: tuple[tuple[int, int], ...]
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class Roster:
    """Everything an admin sees about who takes part."""

    event: Event
    participants: tuple[Participant, ...]
    exclusions: tuple[Exclusion, ...]
    pairings_told: int = 0  # santas already DMed their assignment
    pairings_pending: int = 0


@dataclass(slots=True)
class _Round:
    """The outcome of one round of sends (mutable while the workers run)."""

    sent: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    to_ping: list[int] = field(default_factory=list)
    stopped: bool = False
    crash: BaseException | None = None


# --- validation -------------------------------------------------------------------------


def validate_wishlist(url: str | None) -> str | None:
    """A wishlist link as stored: http(s), a host, no spaces, at most 512 characters.

    None or blank clears the wishlist. Raises `InvalidInput("wishlist", ...)`."""
    if url is None or not url.strip():
        return None
    text = url.strip()
    allowed = (
        f"must be an http:// or https:// link of at most {MAX_WISHLIST_LENGTH} characters "
        "without spaces"
    )
    if len(text) > MAX_WISHLIST_LENGTH:
        raise InvalidInput("wishlist", f"{allowed}; this one has {len(text)} characters")
    if any(c.isspace() or c in "<>" or ord(c) < 32 for c in text):
        raise InvalidInput("wishlist", f"{allowed}, < or >")
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        raise InvalidInput("wishlist", allowed) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise InvalidInput("wishlist", f"{allowed}, e.g. https://example.com/my-list")
    return text


# --- the service ------------------------------------------------------------------------


class SeasonService:
    """Implements `Season` and the participants' use cases over the ports."""

    def __init__(
        self,
        repo: EventRepository,
        discord: Discord,
        clock: Clock,
        *,
        rng: Callable[[], random.Random] = _fresh_rng,
        max_concurrent_dms: int = DEFAULT_MAX_CONCURRENT_DMS,
        log: logging.Logger | None = None,
    ) -> None:
        if max_concurrent_dms < 1:
            raise ValueError(f"max_concurrent_dms must be at least 1, got {max_concurrent_dms}")
        self._repo = repo
        self._discord = discord
        self._clock = clock
        self._rng = rng
        self._max_concurrent = max_concurrent_dms
        self._log = log or logging.getLogger(__name__)
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, event_id: int) -> asyncio.Lock:
        return self._locks.setdefault(event_id, asyncio.Lock())

    # === Season: sync and draw ============================================================

    async def sync_participants(self, event: Event) -> SyncResult:
        """Participants := the members holding the event's participant role.

        Without a participant role the participants table is the truth: nothing changes.
        `MembersIntentMissing` propagates."""
        if event.participant_role_id is None:
            return SyncResult()
        # Under the event's lock: a sign-up whose role grant is still in flight would
        # otherwise be read as "not holding the role" and removed again.
        async with self._lock(event.id):
            members = await self._discord.role_members(event.guild_id, event.participant_role_id)
            result = await self._repo.sync_participants(event.id, members, now=self._clock.now())
        if result.changed:
            self._log.info(
                "event %s: participants synced (+%d, -%d, %d renamed)",
                event.id,
                len(result.added),
                len(result.removed),
                len(result.renamed),
            )
        return result

    async def plan_draw(self, event: Event) -> dict[int, int]:
        """Draw over the participants with the event's exclusions, avoiding last year's
        pairs of the guild where possible. `PairingImpossible` propagates."""
        people = [p.user_id for p in await self._repo.list_participants(event.id)]
        exclusions = await self._exclusion_pairs(event.id)
        avoid = await self._repo.previous_pairings(event.guild_id, event.id)
        return draw_pairings(people, exclusions=exclusions, avoid=avoid, rng=self._rng())

    async def store_draw(self, event: Event, pairings: Mapping[int, int]) -> None:
        """Store a planned draw; every pairing starts pending."""
        async with self._lock(event.id):
            await self._repo.replace_pairings(event.id, pairings)

    # === Season: santa DMs ================================================================

    async def deliver_pending(self, event: Event, *, retry_failed: bool = False) -> DeliveryReport:
        """DM the pending santas (never-tried ones; failed ones too with `retry_failed`).

        Admins get a summary when anything did not go through."""
        async with self._lock(event.id):
            pending = await self._repo.pending_pairings(event.id)
            todo = [p for p in pending if retry_failed or p.attempts == 0]
            outcome = await self._send_assignments(event, todo, explicit=retry_failed)
            still = len(await self._repo.pending_pairings(event.id))
        report = DeliveryReport(
            sent=tuple(sorted(outcome.sent)),
            dms_closed=tuple(sorted(outcome.closed)),
            failed=tuple(sorted(outcome.failed)),
            stopped=outcome.stopped,
            still_pending=still,
        )
        self._log.info("event %s: %s", event.id, messages.delivery_summary(report))
        if report.dms_closed or report.failed or report.stopped:
            await self.tell_admins(event, messages.delivery_summary(report))
        if outcome.crash is not None:
            raise outcome.crash
        return report

    async def _send_assignments(
        self,
        event: Event,
        pairings: Sequence[Pairing],
        *,
        explicit: bool,
        notes: Mapping[int, str] | None = None,
    ) -> _Round:
        """Send each pairing's DM with bounded concurrency; see the module docstring.

        The caller holds the event's lock. Closed-DM santas are pinged in the channel
        here; an unexpected exception is returned in `crash`, not raised."""
        outcome = _Round()
        if not pairings:
            return outcome
        people = {p.user_id: p for p in await self._repo.list_participants(event.id)}
        queue = iter(pairings)

        async def worker() -> None:
            for pairing in queue:
                if outcome.stopped or outcome.crash is not None:
                    return
                try:
                    await self._send_one(event, pairing, people, outcome, explicit, notes)
                except Exception as exc:  # the blast stops; the caller re-raises
                    if outcome.crash is None:
                        outcome.crash = exc

        workers = min(self._max_concurrent, len(pairings))
        await asyncio.gather(*(worker() for _ in range(workers)))
        if outcome.to_ping and event.announcement_channel_id is not None:
            for message in messages.closed_dms_pings(sorted(outcome.to_ping)):
                await self._post_quietly(event, message, "closed-DM ping")
        return outcome

    async def _send_one(
        self,
        event: Event,
        pairing: Pairing,
        people: Mapping[int, Participant],
        outcome: _Round,
        explicit: bool,
        notes: Mapping[int, str] | None,
    ) -> None:
        recipient = people.get(pairing.recipient_id)
        if recipient is None or pairing.santa_id not in people:
            # A leaver whose splice could not be stored: the admins were told; a
            # redraw replaces this pairing.
            self._log.warning(
                "event %s: pairing %s -> %s names a non-participant; not sent",
                event.id,
                pairing.santa_id,
                pairing.recipient_id,
            )
            return
        message = messages.santa_dm(event, recipient, note=(notes or {}).get(pairing.santa_id))
        try:
            await self._discord.send_dm(pairing.santa_id, message)
        except DeliveryError as error:
            if error.kind is DeliveryFailure.SLOW_DOWN:
                # Not an attempt that failed: the pairing stays untried for the next tick.
                outcome.stopped = True
                self._log.warning(
                    "event %s: Discord asked to slow down (%s); stopping the DMs",
                    event.id,
                    error,
                )
                return
            await self._repo.record_delivery_failure(
                event.id, pairing.santa_id, error.code, error.text, self._clock.now()
            )
            if error.kind is DeliveryFailure.DMS_CLOSED:
                outcome.closed.append(pairing.santa_id)
                # Ping once per failure streak: a pairing whose last attempt already
                # failed was pinged then, unless someone asked for this retry.
                if explicit or pairing.last_error_text is None:
                    outcome.to_ping.append(pairing.santa_id)
            else:
                outcome.failed.append(pairing.santa_id)
                self._log.warning(
                    "event %s: DM to santa %s failed: %s", event.id, pairing.santa_id, error
                )
            return
        await self._repo.mark_notified(event.id, pairing.santa_id, self._clock.now())
        outcome.sent.append(pairing.santa_id)

    # === Season: announcements ============================================================

    async def announce(self, event: Event) -> None:
        """Post the announcement of `event.status` in the event channel (if it has one).

        `DeliveryError` propagates: the caller logs it."""
        if event.announcement_channel_id is None:
            self._log.warning(
                "event %s: no announcement channel; %s not announced", event.id, event.status
            )
            return
        for message in await self._announcement(event):
            await self._discord.post(event.announcement_channel_id, message)

    async def _announcement(self, event: Event) -> list[Message]:
        match event.status:
            case EventStatus.SCHEDULED:
                return [messages.creation_announcement(event)]
            case EventStatus.ACTIVE:
                count = len(await self._repo.list_pairings(event.id))
                if count == 0:
                    count = len(await self._repo.list_participants(event.id))
                return [messages.drawn_announcement(event, count)]
            case EventStatus.PURCHASE_CLOSED:
                return [messages.purchase_closed_announcement(event)]
            case EventStatus.REVEALED:
                return messages.reveal_messages(await self._reveal_pairs(event.id))
            case EventStatus.CANCELLED:
                return [messages.cancelled_announcement(event)]
            case EventStatus.ARCHIVED:
                return []

    async def _reveal_pairs(self, event_id: int) -> list[messages.RevealPair]:
        names = {p.user_id: p.display_name for p in await self._repo.list_participants(event_id)}
        return [
            messages.RevealPair(
                p.santa_id, names.get(p.santa_id), p.recipient_id, names.get(p.recipient_id)
            )
            for p in await self._repo.list_pairings(event_id)
        ]

    async def remind_undelivered(self, event: Event) -> None:
        """Ping the santas who still have no assignment (no secret) and tell admins."""
        pending = [p.santa_id for p in await self._repo.pending_pairings(event.id)]
        if not pending:
            return
        if event.announcement_channel_id is not None:
            for message in messages.undelivered_reminder(pending):
                await self._post_quietly(event, message, "undelivered reminder")
        await self.tell_admins(
            event,
            f"{len(pending)} santa(s) never received their assignment by DM: "
            + ", ".join(f"<@{santa}>" for santa in pending[:50])
            + (f" and {len(pending) - 50} more" if len(pending) > 50 else "")
            + f". They were reminded in this channel; `{messages.RETRY_COMMAND}` re-sends.",
        )

    async def tell_admins(self, event: Event, text: str, *, private: str | None = None) -> None:
        """Post for the organisers in the event channel (pinging nobody) and DM the
        event's creator. `private` is added to the DM only: details that could hint at
        the draw (who was whose santa) never go to the public channel. Never raises for
        Discord's refusals: this is the error path."""
        message = messages.admin_notice(text)
        if event.announcement_channel_id is not None:
            await self._post_quietly(event, message, "admin notice")
        if event.created_by is not None:
            direct = messages.admin_notice(f"{text}\n{private}") if private else message
            try:
                await self._discord.send_dm(event.created_by, direct)
            except DeliveryError as error:
                self._log.warning(
                    "event %s: could not DM the creator %s: %s", event.id, event.created_by, error
                )

    async def _post_quietly(self, event: Event, message: Message, what: str) -> None:
        if event.announcement_channel_id is None:
            return
        try:
            await self._discord.post(event.announcement_channel_id, message)
        except DeliveryError as error:
            self._log.warning("event %s: %s could not be posted: %s", event.id, what, error)

    # === participants =====================================================================

    async def join(self, guild_id: int, user_id: int, display_name: str) -> JoinResult:
        """Sign up for the guild's live event while it is still scheduled.

        Grants the participant role when the event has one (the role is what the start
        syncs from, so a refused role undoes the sign-up)."""
        event = await self._live_event(guild_id)
        # The row and the role are added under the event's lock, which the start's sync
        # takes too, so a sign-up racing the start is either in the draw or refused.
        async with self._lock(event.id):
            event = await self._event(event.id)
            if event.status is not EventStatus.SCHEDULED:
                raise SignUpsClosed(
                    f"Sign-ups are closed: this Ratmas is {_status_words(event.status)}. "
                    "An organiser can still add you."
                )
            participant = await self._enrol(event, user_id, display_name)
        return JoinResult(event.id, participant, event.participant_role_id is not None)

    async def leave(self, guild_id: int, user_id: int) -> LeaveResult:
        """Leave the guild's live event: before the draw simply, after it by handing
        your recipient to your santa. Refused once the gifts are revealed."""
        event = await self._live_event(guild_id)
        if event.status is EventStatus.REVEALED:
            raise InvalidTransition(
                "This Ratmas has already been revealed; there is nothing to leave."
            )
        if await self._repo.get_participant(event.id, user_id) is None:
            raise NotFound("You have not joined this Ratmas.")
        await self._take_role(event, user_id)
        return await self._remove(event, user_id, actor_id=user_id, why="left")

    async def member_left(self, guild_id: int, user_id: int) -> LeaveResult | None:
        """A member left the guild: take them out of its live event, if they were in it."""
        event = await self._repo.get_live_event(guild_id)
        if event is None or event.status not in (EventStatus.SCHEDULED, *_DRAWN):
            return None
        return await self._remove_if_present(event, user_id, why="left the server")

    async def role_removed(self, guild_id: int, user_id: int, role_id: int) -> LeaveResult | None:
        """A member lost a role: if it is the live event's participant role, they leave."""
        event = await self._repo.get_live_event(guild_id)
        if (
            event is None
            or event.participant_role_id != role_id
            or event.status not in (EventStatus.SCHEDULED, *_DRAWN)
        ):
            return None
        return await self._remove_if_present(event, user_id, why="lost the participant role")

    async def member_view(self, event_id: int, user_id: int) -> MemberView:
        """The member's own part of an event (for their ephemeral status)."""
        me = await self._repo.get_participant(event_id, user_id)
        if me is None:
            return MemberView(None, None)
        pairing = next(
            (p for p in await self._repo.list_pairings(event_id) if p.santa_id == user_id), None
        )
        recipient = (
            await self._repo.get_participant(event_id, pairing.recipient_id) if pairing else None
        )
        return MemberView(me, recipient)

    async def retry_own(self, guild_id: int, user_id: int) -> RetryResult:
        """A santa asks for their assignment DM again (the Retry button).

        Only their own pairing, and only while it is pending: nobody can make the bot
        DM someone else, and a delivered assignment is not sent twice."""
        event = await self._live_event(guild_id)
        if event.status not in _DRAWN:
            raise InvalidTransition(
                f"There is no assignment to send: this Ratmas is {_status_words(event.status)}."
            )
        async with self._lock(event.id):
            pairing = next(
                (p for p in await self._repo.list_pairings(event.id) if p.santa_id == user_id),
                None,
            )
            if pairing is None:
                raise NotFound("You are not a santa in this Ratmas.")
            if not pairing.pending:
                return RetryResult(event.id, delivered=True, already=True)
            # The santa sees the answer on the button: no new ping in the channel.
            outcome = await self._send_assignments(event, [pairing], explicit=False)
        if outcome.crash is not None:
            raise outcome.crash
        return RetryResult(
            event.id,
            delivered=user_id in outcome.sent,
            dms_closed=user_id in outcome.closed,
            slow_down=outcome.stopped,
        )

    async def set_wishlist(self, guild_id: int, user_id: int, url: str | None) -> WishlistResult:
        """Set (or clear, with None) your wishlist link; after the draw your santa is
        told right away if they already know they give to you."""
        clean = validate_wishlist(url)
        event = await self._live_event(guild_id)
        if event.status is EventStatus.REVEALED:
            raise InvalidTransition("This Ratmas has already been revealed; wishlists are closed.")
        if await self._repo.get_participant(event.id, user_id) is None:
            raise NotFound("You have not joined this Ratmas yet: press Join first.")
        participant = await self._repo.set_wishlist(event.id, user_id, clean)
        santa_told = False
        if event.status in _DRAWN:
            santa = next(
                (p for p in await self._repo.list_pairings(event.id) if p.recipient_id == user_id),
                None,
            )
            # A santa still pending gets the new wishlist in their assignment DM.
            if santa is not None and not santa.pending:
                try:
                    await self._discord.send_dm(
                        santa.santa_id, messages.wishlist_changed_dm(participant)
                    )
                    santa_told = True
                except DeliveryError as error:
                    self._log.warning(
                        "event %s: santa %s not told of a wishlist change: %s",
                        event.id,
                        santa.santa_id,
                        error,
                    )
        return WishlistResult(event.id, participant, santa_told)

    # === admins ===========================================================================

    async def add_participant_by_admin(
        self, event_id: int, actor_id: int, user_id: int, display_name: str
    ) -> AddResult:
        """Add a member, even after sign-ups closed.

        After the draw the newcomer is spliced in: one santa now gives to them and they
        give to that santa's former recipient; both are DMed."""
        event = await self._event(event_id)
        if event.status not in (EventStatus.SCHEDULED, *_DRAWN):
            raise InvalidTransition(
                f"Participants cannot be added: this Ratmas is {_status_words(event.status)}."
            )
        async with self._lock(event.id):
            pairings = {p.santa_id: p for p in await self._repo.list_pairings(event.id)}
            existing = await self._repo.get_participant(event.id, user_id)
            if existing is not None and (not pairings or user_id in pairings):
                raise AlreadyJoined(f"{existing.display_name} is already taking part.")
            participant = existing or await self._enrol(event, user_id, display_name)
            if event.status is EventStatus.SCHEDULED or not pairings:
                await self._audit(event.id, actor_id, "add_participant", f"added <@{user_id}>")
                return AddResult(event.id, participant, after_draw=False)
            old = {s: p.recipient_id for s, p in pairings.items()}
            try:
                new = splice_in(
                    old, user_id, rng=self._rng(), exclusions=await self._exclusion_pairs(event.id)
                )
                stored = await self._repo.replace_pairings(event.id, new, keep_notified=True)
            except RatmasError as error:  # PairingImpossible, or a draw left stale
                warning = (
                    f"<@{user_id}> was added but could not join the draw: {error} "
                    "Redraw to include them."
                )
                await self._audit(event.id, actor_id, "add_participant", warning)
                await self.tell_admins(
                    event,
                    f"<@{user_id}> was added but could not join the draw; redraw to include them.",
                    private=f"Why: {error}",
                )
                return AddResult(event.id, participant, after_draw=True, warning=warning)
            changed = [user_id, *(s for s in old if new[s] != old[s])]
            notes = {
                s: messages.JOINED_NOTE
                for s in changed
                if s in pairings and not pairings[s].pending
            }
            todo = sorted(
                (p for p in stored if p.santa_id in changed and p.pending),
                key=lambda p: changed.index(p.santa_id),
            )
            outcome = await self._send_assignments(event, todo, explicit=False, notes=notes)
        await self._audit(
            event.id,
            actor_id,
            "add_participant",
            f"added <@{user_id}> after the draw; new assignments for "
            + ", ".join(f"<@{s}>" for s in changed)
            + _outcome_words(outcome),
        )
        if outcome.crash is not None:
            raise outcome.crash
        return AddResult(event.id, participant, after_draw=True, reassigned=tuple(changed))

    async def exclude(
        self, event_id: int, actor_id: int, user_id: int, other_id: int, *, both_ways: bool
    ) -> ExclusionResult:
        """`user_id` must not draw `other_id` (and the other way round with `both_ways`).

        Choice: an exclusion that makes the draw impossible is *stored* with a warning
        rather than refused: before the draw the participants can still change (someone
        joins, an exclusion is lifted) and the start holds the event with the reason if
        it is still impossible then. After the draw the current pairings stay; the
        warning says when they use an excluded pair (a redraw applies it)."""
        event = await self._event(event_id)
        pairs = self._exclusion_request(user_id, other_id, both_ways)
        if event.status.is_final or event.status is EventStatus.REVEALED:
            raise InvalidTransition(
                f"Exclusions cannot change: this Ratmas is {_status_words(event.status)}."
            )
        added = tuple([p for p in pairs if await self._repo.add_exclusion(event.id, *p)])
        warning = await self._exclusion_warning(event, pairs)
        await self._audit(
            event.id,
            actor_id,
            "exclude",
            ", ".join(f"<@{a}> may not draw <@{b}>" for a, b in pairs)
            + ("" if added else " (already so)")
            + (f"; warning: {warning}" if warning else ""),
        )
        return ExclusionResult(event.id, added, warning)

    async def unexclude(
        self, event_id: int, actor_id: int, user_id: int, other_id: int, *, both_ways: bool
    ) -> ExclusionResult:
        """Lift an exclusion (both directions with `both_ways`)."""
        event = await self._event(event_id)
        pairs = self._exclusion_request(user_id, other_id, both_ways)
        removed = tuple([p for p in pairs if await self._repo.remove_exclusion(event.id, *p)])
        await self._audit(
            event.id,
            actor_id,
            "unexclude",
            ", ".join(f"<@{a}> may draw <@{b}> again" for a, b in pairs)
            + ("" if removed else " (there was no such exclusion)"),
        )
        return ExclusionResult(event.id, removed)

    async def participants(self, event_id: int) -> Roster:
        """The participants, exclusions and delivery progress, for admins."""
        event = await self._event(event_id)
        pairings = await self._repo.list_pairings(event.id)
        return Roster(
            event=event,
            participants=tuple(await self._repo.list_participants(event.id)),
            exclusions=tuple(await self._repo.list_exclusions(event.id)),
            pairings_told=sum(1 for p in pairings if not p.pending),
            pairings_pending=sum(1 for p in pairings if p.pending),
        )

    # === helpers ==========================================================================

    async def _event(self, event_id: int) -> Event:
        event = await self._repo.get_event(event_id)
        if event is None:
            raise NotFound(f"There is no Ratmas event {event_id}.")
        return event

    async def _live_event(self, guild_id: int) -> Event:
        event = await self._repo.get_live_event(guild_id)
        if event is None:
            raise NotFound("There is no Ratmas running on this server right now.")
        return event

    async def _exclusion_pairs(self, event_id: int) -> list[tuple[int, int]]:
        return [(e.user_id, e.excluded_user_id) for e in await self._repo.list_exclusions(event_id)]

    async def _enrol(self, event: Event, user_id: int, display_name: str) -> Participant:
        """Add the participant row, then the role; a refused role undoes the row."""
        existing = await self._repo.get_participant(event.id, user_id)
        if existing is not None:
            raise AlreadyJoined("You have already joined this Ratmas! 🎁")
        name = display_name.strip()[:100] or str(user_id)
        try:
            participant = await self._repo.add_participant(
                event.id, Member(user_id, name), now=self._clock.now()
            )
        except AlreadyJoined:
            raise AlreadyJoined("You have already joined this Ratmas! 🎁") from None
        if event.participant_role_id is not None:
            try:
                await self._discord.add_role(event.guild_id, user_id, event.participant_role_id)
            except DeliveryError as error:
                await self._repo.remove_participant(event.id, user_id)
                raise RoleChangeFailed(
                    "Could not give the participant role (Discord said: "
                    f"{error.text or error.kind}); ask an organiser to check the bot's "
                    "Manage Roles permission and that its role is above the participant role."
                ) from error
        return participant

    async def _take_role(self, event: Event, user_id: int) -> None:
        """Take the participant role first: while they hold it the next sync would
        bring them back. A member who is gone has no role to take."""
        if event.participant_role_id is None:
            return
        try:
            await self._discord.remove_role(event.guild_id, user_id, event.participant_role_id)
        except DeliveryError as error:
            if error.kind is DeliveryFailure.UNKNOWN_USER:
                return
            raise RoleChangeFailed(
                "Could not take the participant role (Discord said: "
                f"{error.text or error.kind}); ask an organiser to remove it."
            ) from error

    async def _remove_if_present(
        self, event: Event, user_id: int, *, why: str
    ) -> LeaveResult | None:
        if await self._repo.get_participant(event.id, user_id) is None:
            paired = any(p.santa_id == user_id for p in await self._repo.list_pairings(event.id))
            if not paired:
                return None
        return await self._remove(event, user_id, actor_id=None, why=why)

    async def _remove(
        self, event: Event, user_id: int, *, actor_id: int | None, why: str
    ) -> LeaveResult:
        """Remove a participant; after the draw splice them out of it first.

        Safe to repeat after a crash: the draw is the truth about who is still in it."""
        if event.status not in _DRAWN:
            await self._repo.remove_participant(event.id, user_id)
            await self._audit(event.id, actor_id, "leave", f"<@{user_id}> {why} before the draw")
            return LeaveResult(event.id, user_id, after_draw=False)
        async with self._lock(event.id):
            pairings = {p.santa_id: p for p in await self._repo.list_pairings(event.id)}
            old = {s: p.recipient_id for s, p in pairings.items()}
            if user_id not in old:
                await self._repo.remove_participant(event.id, user_id)
                await self._audit(event.id, actor_id, "leave", f"<@{user_id}> {why}")
                return LeaveResult(event.id, user_id, after_draw=bool(old))
            try:
                new = splice_out(
                    old, user_id, exclusions=await self._exclusion_pairs(event.id), rng=self._rng()
                )
            except PairingImpossible as error:
                await self._repo.remove_participant(event.id, user_id)
                warning = (
                    "The draw could not be mended without them; the organisers have been "
                    "told and will redraw or cancel."
                )
                detail = (
                    f"<@{user_id}> {why} after the draw and the draw cannot be mended: "
                    f"{error} Add participants and redraw, or cancel this Ratmas."
                )
                await self._audit(event.id, actor_id, "leave", detail)
                await self.tell_admins(
                    event,
                    f"<@{user_id}> {why} after the draw and the draw cannot be mended "
                    "automatically: add participants and redraw, or cancel this Ratmas.",
                    private=f"Why: {error}",
                )
                return LeaveResult(event.id, user_id, after_draw=True, warning=warning)
            # The row goes first: the pairings must be a permutation of the participants.
            await self._repo.remove_participant(event.id, user_id)
            stored = await self._repo.replace_pairings(event.id, new, keep_notified=True)
            changed = sorted(s for s in new if new[s] != old[s])
            notes = {s: messages.CHANGED_NOTE for s in changed if not pairings[s].pending}
            todo = [p for p in stored if p.santa_id in changed and p.pending]
            outcome = await self._send_assignments(event, todo, explicit=False, notes=notes)
        await self._audit(
            event.id,
            actor_id,
            "leave",
            f"<@{user_id}> {why} after the draw; new assignments for "
            + ", ".join(f"<@{s}>" for s in changed)
            + _outcome_words(outcome),
        )
        if outcome.crash is not None:
            raise outcome.crash
        return LeaveResult(event.id, user_id, after_draw=True, reassigned=tuple(changed))

    @staticmethod
    def _exclusion_request(
        user_id: int, other_id: int, both_ways: bool
    ) -> tuple[tuple[int, int], ...]:
        if user_id == other_id:
            raise InvalidInput(
                "other",
                "pick someone else: nobody ever draws themselves, so there is nothing to exclude",
            )
        return ((user_id, other_id), (other_id, user_id)) if both_ways else ((user_id, other_id),)

    async def _exclusion_warning(
        self, event: Event, pairs: Sequence[tuple[int, int]]
    ) -> str | None:
        if event.status in _DRAWN:
            current = {
                (p.santa_id, p.recipient_id) for p in await self._repo.list_pairings(event.id)
            }
            used = [p for p in pairs if p in current]
            if used:
                return (
                    "the current draw already uses this pair and is not changed; "
                    "redraw to apply the exclusion"
                )
            return None
        people = [p.user_id for p in await self._repo.list_participants(event.id)]
        if len(people) < 2:
            return None
        try:
            draw_pairings(people, exclusions=await self._exclusion_pairs(event.id), rng=self._rng())
        except PairingImpossible as error:
            return f"with the current participants no draw is possible any more: {error}"
        return None

    async def _audit(self, event_id: int, actor_id: int | None, action: str, detail: str) -> None:
        await self._repo.add_audit(
            AuditEntry(event_id, actor_id, action, detail, self._clock.now())
        )


def _status_words(status: EventStatus) -> str:
    return {
        EventStatus.SCHEDULED: "open for sign-ups",
        EventStatus.ACTIVE: "under way (names are drawn)",
        EventStatus.PURCHASE_CLOSED: "past its purchase deadline",
        EventStatus.REVEALED: "already revealed",
        EventStatus.ARCHIVED: "archived",
        EventStatus.CANCELLED: "cancelled",
    }[status]


def _outcome_words(outcome: _Round) -> str:
    parts = []
    if outcome.sent:
        parts.append(f"{len(outcome.sent)} DMed")
    if outcome.closed:
        parts.append(f"{len(outcome.closed)} with closed DMs")
    if outcome.failed:
        parts.append(f"{len(outcome.failed)} failed")
    if outcome.stopped:
        parts.append("Discord asked to slow down; the rest later")
    return f" ({', '.join(parts)})" if parts else ""
