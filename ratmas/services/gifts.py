"""Gift tracking: a santa marks the gift for their giftee sent, a giftee marks theirs
received, and the other side is told by DM.

- **Where it is allowed.** From the draw until the event is archived (`GIFT_STATUSES`),
  and only on one's own pairing: the santa marks the pairing they give in, the giftee
  the one they receive in. Received may come without sent (the santa forgot): the santa
  is told all the same.
- **Exactly once.** The mark is a compare-and-set on the pairing (santa, recipient):
  only the first one counts and only it stores the other side's DM, in the same
  transaction, through the outbox. A second press answers "already marked" and DMs
  nobody. A redraw or splice replaces the pairing and its marks with it.
- **Anonymity.** The giftee's DM ("your Secret Santa says your gift is on its way")
  never names the santa; the santa's DM names the giftee, whom they know.
- **Buttons in DMs.** A button pressed under one of our DMs carries no event id and no
  pairing: the DM's reference line names its outbox row, which must be the presser's
  own; the row names the event, and the database the pairing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ratmas.domain.errors import InvalidTransition, NotFound
from ratmas.domain.model import (
    Event,
    GiftMark,
    OutboxDraft,
    OutboxEntry,
    OutboxKind,
    Pairing,
)
from ratmas.domain.status import GIFT_STATUSES, STATUS_PHRASES
from ratmas.services import messages
from ratmas.services.delivery import SantaDelivery
from ratmas.services.errors import ConcurrentChange
from ratmas.services.ports import Clock, EventRepository
from ratmas.services.records import require_event

UNKNOWN_DM = (
    "I cannot tell which Ratmas this message belongs to; use `/ratmas gift {mark}` in the "
    "server instead."
)


@dataclass(frozen=True, slots=True)
class GiftResult:
    """What marking a gift did."""

    event_id: int
    mark: GiftMark
    already: bool = False  # marked before: nothing changed, nobody was DMed again
    other_told: bool = False  # the other side got their DM now (else it waits or DMs are closed)


class GiftService:
    """The members' gift marks; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        *,
        delivery: SantaDelivery,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._delivery = delivery
        self._log = log or logging.getLogger(__name__)

    async def mark(self, guild_id: int, user_id: int, mark: GiftMark) -> GiftResult:
        """`/ratmas gift sent|received`: mark the member's own gift in the guild's
        current event (its live one, else its latest, whose status then explains why
        not)."""
        event = await self._repo.get_live_event(guild_id)
        if event is None:
            events = await self._repo.list_events(guild_id)
            if not events:
                raise NotFound("This server has no Ratmas yet.")
            event = events[0]
        return await self._mark(event, user_id, mark)

    async def mark_from_dm(self, user_id: int, dm_id: int | None, mark: GiftMark) -> GiftResult:
        """A gift button pressed under one of our DMs; `dm_id` is the outbox row its
        reference line names (None: the line is missing)."""
        entry = await self._repo.get_outbox_entry(dm_id) if dm_id is not None else None
        if entry is None or entry.user_id != user_id or not _carries(entry, mark):
            raise NotFound(UNKNOWN_DM.format(mark=mark.value))
        event = await require_event(self._repo, entry.event_id)
        # "Gift sent" under an assignment DM counts only for that assignment.
        expected = entry.recipient_id if mark is GiftMark.SENT else None
        return await self._mark(event, user_id, mark, expected_recipient=expected)

    async def _mark(
        self,
        event: Event,
        user_id: int,
        mark: GiftMark,
        *,
        expected_recipient: int | None = None,
    ) -> GiftResult:
        if event.status not in GIFT_STATUSES:
            raise InvalidTransition(
                "Gifts can be marked from the draw until the Ratmas is archived; this "
                f"Ratmas is {STATUS_PHRASES[event.status]}."
            )
        pairing = await self._own_pairing(event.id, user_id, mark)
        if expected_recipient is not None and pairing.recipient_id != expected_recipient:
            raise InvalidTransition(
                "This assignment has been replaced since: use the button on your latest "
                "assignment DM, or `/ratmas gift sent` in the server."
            )
        if _marked(pairing, mark):
            return GiftResult(event.id, mark, already=True)
        draft = await self._other_side_dm(event.id, pairing, mark)
        won = await self._repo.mark_gift(
            event.id,
            pairing.santa_id,
            pairing.recipient_id,
            mark,
            at=self._clock.now(),
            outbox=[draft],
        )
        if not won:
            # Lost to a second press (already marked) or to a redraw (another pair now).
            again = await self._own_pairing(event.id, user_id, mark)
            same = (again.santa_id, again.recipient_id) == (pairing.santa_id, pairing.recipient_id)
            if same and _marked(again, mark):
                return GiftResult(event.id, mark, already=True)
            raise ConcurrentChange(
                "The draw changed while your gift was being marked; nothing was marked. Try again."
            )
        self._log.info("event %s: a gift was marked %s", event.id, mark.value)
        # No event lock: a notice changes no draw, and its nonce makes a send that races
        # another process's harmless (as `SantaDelivery.send_notices`).
        outcome = await self._delivery.send_queued(
            event, explicit=False, users={draft.user_id}, kinds={OutboxKind.NOTICE}
        )
        if outcome.crash is not None:
            self._log.warning(
                "event %s: gift DM not sent yet (%s); the next delivery sends it",
                event.id,
                outcome.crash,
            )
        return GiftResult(event.id, mark, other_told=draft.user_id in outcome.sent)

    async def _own_pairing(self, event_id: int, user_id: int, mark: GiftMark) -> Pairing:
        pairings = await self._repo.list_pairings(event_id)
        if mark is GiftMark.SENT:
            found = next((p for p in pairings if p.santa_id == user_id), None)
            if found is None:
                raise NotFound("You are not a santa in this Ratmas, so you have no gift to send.")
        else:
            found = next((p for p in pairings if p.recipient_id == user_id), None)
            if found is None:
                raise NotFound("Nobody gives you a gift in this Ratmas: you have no santa.")
        return found

    async def _other_side_dm(self, event_id: int, pairing: Pairing, mark: GiftMark) -> OutboxDraft:
        if mark is GiftMark.SENT:
            return OutboxDraft(
                pairing.recipient_id,
                OutboxKind.NOTICE,
                content=messages.gift_on_its_way_dm().content,
                gift_button=GiftMark.RECEIVED,
            )
        giftee = await self._repo.get_participant(event_id, pairing.recipient_id)
        name = giftee.display_name if giftee is not None else None
        text = messages.gift_received_dm(pairing.recipient_id, name).content
        return OutboxDraft(pairing.santa_id, OutboxKind.NOTICE, content=text)


def _marked(pairing: Pairing, mark: GiftMark) -> bool:
    at = pairing.gift_sent_at if mark is GiftMark.SENT else pairing.gift_received_at
    return at is not None


def _carries(entry: OutboxEntry, mark: GiftMark) -> bool:
    """Whether the DM is one that shows this gift button."""
    if mark is GiftMark.SENT:
        return entry.kind is OutboxKind.ASSIGNMENT
    return entry.kind is OutboxKind.NOTICE and entry.gift_button is GiftMark.RECEIVED
