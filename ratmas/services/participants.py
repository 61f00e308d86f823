"""The members' use cases: join, leave, wishlist, notes for their santa, their own
status and Retry button, and what happens when someone leaves the server or loses the
participant role.

Before the draw a participant is one row (plus the participant role, which the start
syncs from). After it, a leaver is spliced out of the loop: their santa takes over
their recipient and is DMed the new assignment, under the event's lock so no DM goes
out for a pairing that was replaced meanwhile. Use cases take Discord ids, return
frozen dataclasses and raise `RatmasError`s meant for the member who caused them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from ratmas.domain.errors import (
    AlreadyJoined,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PairingImpossible,
)
from ratmas.domain.limits import link_problem, validate_notes
from ratmas.domain.model import Event, Member, OutboxDraft, OutboxKind, Participant
from ratmas.domain.pairing import splice_out
from ratmas.domain.status import DRAWN_STATUSES, STATUS_PHRASES, EventStatus
from ratmas.services import messages
from ratmas.services.announcements import Announcer
from ratmas.services.delivery import SantaDelivery
from ratmas.services.draw import DrawService
from ratmas.services.errors import (
    DeliveryError,
    DeliveryFailure,
    RoleChangeFailed,
    SignUpsClosed,
)
from ratmas.services.locks import EventLocks
from ratmas.services.ports import Clock, Discord, EventRepository, Message
from ratmas.services.records import AuditTrail, require_event, require_live_event

MAX_WISHLIST_LENGTH: Final = 512
MAX_NAME_LENGTH: Final = 100


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
class NotesResult:
    event_id: int
    participant: Participant
    santa_told: bool  # their santa (already told their assignment) got a DM about it


def validate_wishlist(url: object) -> str | None:
    """A wishlist link as stored: http(s), a host, at most 512 characters, nothing a link
    renderer would misread (spaces, invisible or bidirectional-control characters, `|`,
    `<`, `>`, quotes, backticks, credentials before the host).

    None or blank clears the wishlist. Raises `InvalidInput("wishlist", ...)`; imports
    check stored wishlists with this same rule."""
    if url is None:
        return None
    allowed = (
        f"must be an http:// or https:// link of at most {MAX_WISHLIST_LENGTH} characters "
        "without spaces"
    )
    if not isinstance(url, str):
        raise InvalidInput("wishlist", f"{allowed}; got {type(url).__name__} {url!r:.40}")
    if not url.strip():
        return None
    text = url.strip()
    if len(text) > MAX_WISHLIST_LENGTH:
        raise InvalidInput("wishlist", f"{allowed}; this one has {len(text)} characters")
    problem = link_problem(text)
    if problem is not None:
        raise InvalidInput(
            "wishlist", f"{allowed}, invisible characters, quotes, <, >, | or `; {problem}"
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise InvalidInput("wishlist", allowed) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise InvalidInput("wishlist", f"{allowed}, e.g. https://example.com/my-list")
    if "@" in parts.netloc:
        # https://shop.example@evil.example reads as one site and opens another.
        raise InvalidInput("wishlist", f"{allowed}, and without a user name before the host (@)")
    return text


class ParticipantService:
    """The members' use cases over the ports; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        discord: Discord,
        clock: Clock,
        *,
        locks: EventLocks,
        draw: DrawService,
        delivery: SantaDelivery,
        announcer: Announcer,
        audit: AuditTrail,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self._discord = discord
        self._clock = clock
        self._locks = locks
        self._draw = draw
        self._delivery = delivery
        self._announcer = announcer
        self._audit = audit
        self._log = log or logging.getLogger(__name__)

    # === use cases ======================================================================

    async def join(self, guild_id: int, user_id: int, display_name: str) -> JoinResult:
        """Sign up for the guild's live event while it is still scheduled.

        Grants the participant role when the event has one (the role is what the start
        syncs from, so a refused role undoes the sign-up)."""
        event = await require_live_event(self._repo, guild_id)
        # The row and the role are added under the event's lock, which the start's sync
        # takes too, so a sign-up racing the start is either in the draw or refused.
        async with self._locks.hold(event.id):
            event = await require_event(self._repo, event.id)
            if event.status is not EventStatus.SCHEDULED:
                raise SignUpsClosed(
                    f"Sign-ups are closed: this Ratmas is {STATUS_PHRASES[event.status]}. "
                    "An organiser can still add you."
                )
            participant = await self.enrol(event, user_id, display_name)
        return JoinResult(event.id, participant, event.participant_role_id is not None)

    async def leave(self, guild_id: int, user_id: int) -> LeaveResult:
        """Leave the guild's live event: before the draw simply, after it by handing
        your recipient to your santa. Refused once the gifts are revealed."""
        event = await require_live_event(self._repo, guild_id)
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
        if event is None or event.status not in (EventStatus.SCHEDULED, *DRAWN_STATUSES):
            return None
        return await self._remove_if_present(event, user_id, why="left the server")

    async def role_removed(self, guild_id: int, user_id: int, role_id: int) -> LeaveResult | None:
        """A member lost a role: if it is the live event's participant role, they leave."""
        event = await self._repo.get_live_event(guild_id)
        if (
            event is None
            or event.participant_role_id != role_id
            or event.status not in (EventStatus.SCHEDULED, *DRAWN_STATUSES)
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
        event = await require_live_event(self._repo, guild_id)
        if event.status not in DRAWN_STATUSES:
            raise InvalidTransition(
                f"There is no assignment to send: this Ratmas is {STATUS_PHRASES[event.status]}."
            )
        async with self._locks.hold(event.id):
            pairing = next(
                (p for p in await self._repo.list_pairings(event.id) if p.santa_id == user_id),
                None,
            )
            if pairing is None:
                raise NotFound("You are not a santa in this Ratmas.")
            if not pairing.pending:
                return RetryResult(event.id, delivered=True, already=True)
            # Their own assignment DM, even after a failure; the santa sees the answer
            # on the button: no new ping in the channel.
            await self._repo.enqueue_missing_assignments(event.id, now=self._clock.now())
            outcome = await self._delivery.send_queued(
                event, explicit=False, users={user_id}, retry_failed=True
            )
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
        event_id, participant, santa_told = await self._giftee_update(
            guild_id,
            user_id,
            what="wishlists",
            kind=OutboxKind.WISHLIST,
            dm=lambda me: messages.wishlist_changed_dm(replace(me, wishlist_url=clean)),
            store=lambda event_id, outbox, now: self._repo.set_wishlist(
                event_id, user_id, clean, outbox=outbox, now=now
            ),
        )
        return WishlistResult(event_id, participant, santa_told)

    async def set_notes(self, guild_id: int, user_id: int, text: str | None) -> NotesResult:
        """Set (or clear, with None or blank) your notes for your santa: sizes,
        allergies, a delivery hint. Only your santa sees them (assignment DM, their
        status); after the draw they are told right away if they already know they give
        to you. The text is never logged."""
        clean = validate_notes(text)
        event_id, participant, santa_told = await self._giftee_update(
            guild_id,
            user_id,
            what="notes",
            kind=OutboxKind.NOTES,
            dm=lambda me: messages.notes_changed_dm(replace(me, notes=clean)),
            store=lambda event_id, outbox, now: self._repo.set_notes(
                event_id, user_id, clean, outbox=outbox, now=now
            ),
        )
        return NotesResult(event_id, participant, santa_told)

    async def _giftee_update(
        self,
        guild_id: int,
        user_id: int,
        *,
        what: str,
        kind: OutboxKind,
        dm: Callable[[Participant], Message],
        store: Callable[[int, Sequence[OutboxDraft], datetime | None], Awaitable[Participant]],
    ) -> tuple[int, Participant, bool]:
        """Change something a giftee tells their santa (`store`, with the santa's DM
        `dm` of the changed participant in the same transaction, superseding an older one
        not delivered yet), then send that DM: (event id, participant, santa told).

        Before the draw nobody is told; a santa still waiting for their assignment gets
        the change in it instead."""
        event = await require_live_event(self._repo, guild_id)
        if event.status is EventStatus.REVEALED:
            raise InvalidTransition(f"This Ratmas has already been revealed; {what} are closed.")
        if await self._repo.get_participant(event.id, user_id) is None:
            raise NotFound("You have not joined this Ratmas yet: press Join first.")
        if event.status not in DRAWN_STATUSES:
            return event.id, await store(event.id, (), None), False
        # Under the lock: the santa read here is the one the DM is stored for.
        async with self._locks.hold(event.id):
            santa = next(
                (p for p in await self._repo.list_pairings(event.id) if p.recipient_id == user_id),
                None,
            )
            me = await self._repo.get_participant(event.id, user_id)
            # A santa still pending gets the change in their assignment DM.
            drafts = []
            if santa is not None and not santa.pending and me is not None:
                drafts.append(OutboxDraft(santa.santa_id, kind, content=dm(me).content))
            participant = await store(event.id, drafts, self._clock.now())
            santa_told = False
            if drafts and santa is not None:
                outcome = await self._delivery.send_queued(
                    event, explicit=False, users={santa.santa_id}
                )
                santa_told = santa.santa_id in outcome.sent
                if outcome.crash is not None:
                    self._log.warning(
                        "event %s: santa %s not told of a %s change yet (%s); "
                        "the next delivery sends it",
                        event.id,
                        santa.santa_id,
                        kind.value,
                        outcome.crash,
                    )
        return event.id, participant, santa_told

    # === shared with the organisers' roster ============================================

    async def enrol(self, event: Event, user_id: int, display_name: str) -> Participant:
        """Add the participant row, then the role; a refused role undoes the row."""
        existing = await self._repo.get_participant(event.id, user_id)
        if existing is not None:
            raise AlreadyJoined("You have already joined this Ratmas! 🎁")
        name = display_name.strip()[:MAX_NAME_LENGTH] or str(user_id)
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

    # === helpers ========================================================================

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
        if event.status not in DRAWN_STATUSES:
            await self._repo.remove_participant(event.id, user_id)
            await self._audit.record(
                event.id, actor_id, "leave", f"<@{user_id}> {why} before the draw"
            )
            return LeaveResult(event.id, user_id, after_draw=False)
        async with self._locks.hold(event.id):
            pairings = {p.santa_id: p for p in await self._repo.list_pairings(event.id)}
            old = {s: p.recipient_id for s, p in pairings.items()}
            if user_id not in old:
                await self._repo.remove_participant(event.id, user_id)
                await self._audit.record(event.id, actor_id, "leave", f"<@{user_id}> {why}")
                return LeaveResult(event.id, user_id, after_draw=bool(old))
            try:
                new = splice_out(
                    old,
                    user_id,
                    exclusions=await self._draw.exclusion_pairs(event),
                    rng=self._draw.rng(),
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
                await self._audit.record(event.id, actor_id, "leave", detail)
                await self._announcer.tell_admins(
                    event,
                    f"<@{user_id}> {why} after the draw and the draw cannot be mended "
                    "automatically: add participants and redraw, or cancel this Ratmas.",
                    private=f"Why: {error}",
                )
                return LeaveResult(event.id, user_id, after_draw=True, warning=warning)
            # The row goes first: the pairings must be a permutation of the participants.
            await self._repo.remove_participant(event.id, user_id)
            changed = sorted(s for s in new if new[s] != old[s])
            notes = {s: messages.CHANGED_NOTE for s in changed if not pairings[s].pending}
            await self._repo.replace_pairings(
                event.id, new, keep_notified=True, notes=notes, now=self._clock.now()
            )
            outcome = await self._delivery.send_queued(event, explicit=False, users=changed)
        await self._audit.record(
            event.id,
            actor_id,
            "leave",
            f"<@{user_id}> {why} after the draw; new assignments for "
            + ", ".join(f"<@{s}>" for s in changed)
            + outcome.words(),
        )
        if outcome.crash is not None:
            raise outcome.crash
        return LeaveResult(event.id, user_id, after_draw=True, reassigned=tuple(changed))
