"""The organisers' view of who takes part: add a member (even after the draw), who
must not draw whom, and the roster with its DM progress.

A member added after the draw is spliced into the loop: one santa now gives to them
and they give to that santa's former recipient; both are DMed, under the event's
lock. Exclusions never change a draw that exists: they say when the current draw
uses an excluded pair, and a redraw applies them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ratmas.domain.errors import AlreadyJoined, InvalidInput, InvalidTransition, RatmasError
from ratmas.domain.model import Event, Exclusion, Participant
from ratmas.domain.pairing import splice_in
from ratmas.domain.status import DRAWN_STATUSES, STATUS_PHRASES, EventStatus
from ratmas.services import messages
from ratmas.services.announcements import Announcer
from ratmas.services.delivery import SantaDelivery
from ratmas.services.draw import DrawService
from ratmas.services.locks import EventLocks
from ratmas.services.participants import ParticipantService
from ratmas.services.ports import Clock, EventRepository
from ratmas.services.records import AuditTrail, require_event


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
    # Santas who have not marked their gift sent (never whom they give to).
    gift_not_sent: tuple[Participant, ...] = ()


class RosterService:
    """The organisers' participant use cases; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        *,
        locks: EventLocks,
        draw: DrawService,
        delivery: SantaDelivery,
        announcer: Announcer,
        participants: ParticipantService,
        audit: AuditTrail,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._locks = locks
        self._draw = draw
        self._delivery = delivery
        self._announcer = announcer
        self._participants = participants
        self._audit = audit

    async def add_participant(
        self, event_id: int, actor_id: int, user_id: int, display_name: str
    ) -> AddResult:
        """Add a member, even after sign-ups closed (spliced into the draw after it)."""
        event = await require_event(self._repo, event_id)
        if event.status not in (EventStatus.SCHEDULED, *DRAWN_STATUSES):
            raise InvalidTransition(
                f"Participants cannot be added: this Ratmas is {STATUS_PHRASES[event.status]}."
            )
        async with self._locks.hold(event.id):
            pairings = {p.santa_id: p for p in await self._repo.list_pairings(event.id)}
            existing = await self._repo.get_participant(event.id, user_id)
            if existing is not None and (not pairings or user_id in pairings):
                raise AlreadyJoined(f"{existing.display_name} is already taking part.")
            participant = existing or await self._participants.enrol(event, user_id, display_name)
            if event.status is EventStatus.SCHEDULED or not pairings:
                await self._audit.record(
                    event.id, actor_id, "add_participant", f"added <@{user_id}>"
                )
                return AddResult(event.id, participant, after_draw=False)
            old = {s: p.recipient_id for s, p in pairings.items()}
            try:
                new = splice_in(
                    old,
                    user_id,
                    rng=self._draw.rng(),
                    exclusions=await self._draw.exclusion_pairs(event),
                )
                changed = [user_id, *(s for s in old if new[s] != old[s])]
                notes = {
                    s: messages.JOINED_NOTE
                    for s in changed
                    if s in pairings and not pairings[s].pending
                }
                await self._repo.replace_pairings(
                    event.id, new, keep_notified=True, notes=notes, now=self._clock.now()
                )
            except RatmasError as error:  # PairingImpossible, or a draw left stale
                warning = (
                    f"<@{user_id}> was added but could not join the draw: {error} "
                    "Redraw to include them."
                )
                await self._audit.record(event.id, actor_id, "add_participant", warning)
                await self._announcer.tell_admins(
                    event,
                    f"<@{user_id}> was added but could not join the draw; redraw to include them.",
                    private=f"Why: {error}",
                )
                return AddResult(event.id, participant, after_draw=True, warning=warning)
            outcome = await self._delivery.send_queued(event, explicit=False, users=changed)
        await self._audit.record(
            event.id,
            actor_id,
            "add_participant",
            f"added <@{user_id}> after the draw; new assignments for "
            + ", ".join(f"<@{s}>" for s in changed)
            + outcome.words(),
        )
        if outcome.crash is not None:
            raise outcome.crash
        return AddResult(event.id, participant, after_draw=True, reassigned=tuple(changed))

    async def exclude(
        self,
        event_id: int,
        actor_id: int,
        user_id: int,
        other_id: int,
        *,
        both_ways: bool,
        bots: Collection[int] = (),
        outside_guild: Collection[int] = (),
    ) -> ExclusionResult:
        """`user_id` must not draw `other_id` (and the other way round with `both_ways`).

        Choice: an exclusion that makes the draw impossible is *stored* with a warning
        rather than refused: before the draw the participants can still change (someone
        joins, an exclusion is lifted) and the start holds the event with the reason if
        it is still impossible then. After the draw the current pairings stay; the
        warning says when they use an excluded pair (a redraw applies it).

        Both must be participants: not oneself, not a bot, not someone outside the
        guild (`bots` and `outside_guild` are what Discord says about the two users;
        the adapter reads them, the decision is made here)."""
        event = await require_event(self._repo, event_id)
        pairs = _exclusion_request(user_id, other_id, both_ways)
        if event.status.is_final or event.status is EventStatus.REVEALED:
            raise InvalidTransition(
                f"Exclusions cannot change: this Ratmas is {STATUS_PHRASES[event.status]}."
            )
        for field, person in (("santa", user_id), ("recipient", other_id)):
            if person in bots:
                raise InvalidInput(field, f"<@{person}> is a bot; bots never take part in a Ratmas")
            if person in outside_guild:
                raise InvalidInput(field, f"<@{person}> is not a member of this server")
            if await self._repo.get_participant(event.id, person) is None:
                raise InvalidInput(
                    field,
                    f"<@{person}> has not joined this Ratmas; exclusions are only between "
                    "participants",
                )
        added = tuple([p for p in pairs if await self._repo.add_exclusion(event.id, *p)])
        warning = await self._exclusion_warning(event, pairs)
        await self._audit.record(
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
        event = await require_event(self._repo, event_id)
        pairs = _exclusion_request(user_id, other_id, both_ways)
        removed = tuple([p for p in pairs if await self._repo.remove_exclusion(event.id, *p)])
        await self._audit.record(
            event.id,
            actor_id,
            "unexclude",
            ", ".join(f"<@{a}> may draw <@{b}> again" for a, b in pairs)
            + ("" if removed else " (there was no such exclusion)"),
        )
        return ExclusionResult(event.id, removed)

    async def participants(self, event_id: int) -> Roster:
        """The participants, exclusions, delivery progress and the santas who have not
        marked their gift sent (not whom they give to), for admins."""
        event = await require_event(self._repo, event_id)
        pairings = await self._repo.list_pairings(event.id)
        participants = tuple(await self._repo.list_participants(event.id))
        not_sent = {p.santa_id for p in pairings if p.gift_sent_at is None}
        return Roster(
            event=event,
            participants=participants,
            exclusions=tuple(await self._repo.list_exclusions(event.id)),
            pairings_told=sum(1 for p in pairings if not p.pending),
            pairings_pending=sum(1 for p in pairings if p.pending),
            gift_not_sent=tuple(p for p in participants if p.user_id in not_sent),
        )

    async def _exclusion_warning(
        self, event: Event, pairs: Sequence[tuple[int, int]]
    ) -> str | None:
        if event.status in DRAWN_STATUSES:
            current = {
                (p.santa_id, p.recipient_id) for p in await self._repo.list_pairings(event.id)
            }
            if any(p in current for p in pairs):
                return (
                    "the current draw already uses this pair and is not changed; "
                    "redraw to apply the exclusion"
                )
            return None
        reason = await self._draw.impossible_reason(event)
        if reason is not None:
            return f"with the current participants no draw is possible any more: {reason}"
        return None


def _exclusion_request(user_id: int, other_id: int, both_ways: bool) -> tuple[tuple[int, int], ...]:
    if user_id == other_id:
        raise InvalidInput(
            "other",
            "pick someone else: nobody ever draws themselves, so there is nothing to exclude",
        )
    return ((user_id, other_id), (other_id, user_id)) if both_ways else ((user_id, other_id),)
