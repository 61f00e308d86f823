"""Anonymous messages between a santa and their giftee, both ways, and their replies.

`/ratmas message to:giftee` (a santa writes to the member they give to) and
`to:santa` (a giftee writes to their santa) work from the draw until the event is
archived. The other side gets a DM saying only what the sender is *to them* ("From
your Secret Santa" / "From your giftee"), with a Reply button that answers along the
same pairing the other way.

What keeps it anonymous and private:

- The DM names nobody, pings nobody (mentions are disabled on it and neutralised in
  the text) and carries the sender nowhere: the Reply button's custom id holds only the
  outbox row's id, which the database resolves to the two people when it is pressed,
  and only the addressee may press it.
- The text is stored in the message's outbox row alone, with the record of the
  message in the same transaction, and erased when the DM is delivered (or finally
  refused, or the event ends first). The record keeps who, to whom and when, never the
  text: it is what the per-day limit counts. Nothing here logs the text.
- A DM that cannot be delivered (closed DMs) tells the sender just that, by a notice
  stored with the refusal (`ratmas.services.delivery`).

The per-day limit is a rolling 24 hours per sender and event: the `max_per_day`-th
newest message of the last 24 hours decides when the next one may go.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from ratmas.domain.dates import discord_timestamp
from ratmas.domain.errors import InvalidInput, InvalidTransition, NotFound, RatmasError
from ratmas.domain.model import (
    AnonymousMessage,
    Event,
    MessageDirection,
    OutboxKind,
    OutboxState,
)
from ratmas.domain.status import MESSAGE_STATUSES, STATUS_PHRASES, EventStatus
from ratmas.services import messages
from ratmas.services.delivery import SantaDelivery
from ratmas.services.locks import EventLocks
from ratmas.services.ports import Clock, EventRepository

MAX_MESSAGE_LENGTH: Final = 1500
DEFAULT_MAX_PER_DAY: Final = 20
MAX_PER_DAY_RANGE: Final = (1, 1000)
WINDOW: Final = timedelta(hours=24)
DIRECTIONS: Final = ", ".join(d.value for d in MessageDirection)
# Line breaks and tabs are text; other control characters are not.
_ALLOWED_CONTROLS: Final = frozenset("\n\t")


class TooManyMessages(RatmasError):
    """The sender reached the per-day limit; `next_at` is when the next one may go."""

    def __init__(self, limit: int, next_at: datetime) -> None:
        super().__init__(
            f"You have sent {limit} anonymous messages in the last 24 hours, the most "
            f"allowed. Your next one can go {discord_timestamp(next_at, 'R')} "
            f"({discord_timestamp(next_at, 'f')})."
        )
        self.limit = limit
        self.next_at = next_at


@dataclass(frozen=True, slots=True)
class MessageResult:
    """What sending one anonymous message did (for the sender's ephemeral answer)."""

    event_id: int
    direction: MessageDirection
    delivered: bool
    dms_closed: bool = False  # the addressee does not accept DMs: not delivered, erased
    failed: bool = False  # Discord refused for another reason: not delivered, erased
    remaining: int = 0  # how many more may go within the current 24 hours

    @property
    def queued(self) -> bool:
        """Stored but not sent yet (Discord asked to slow down): it goes out shortly."""
        return not (self.delivered or self.dms_closed or self.failed)


def parse_direction(to: object) -> MessageDirection:
    """`to:` as typed: `giftee` or `santa`; `InvalidInput("to", ...)` otherwise."""
    if isinstance(to, MessageDirection):
        return to
    text = to.strip().lower() if isinstance(to, str) else ""
    try:
        return MessageDirection(text)
    except ValueError:
        raise InvalidInput("to", f"must be one of {DIRECTIONS}; got {to!r:.40}") from None


def validate_message_text(text: object) -> str:
    """An anonymous message as it will be sent: line breaks made `\\n`, surrounding
    whitespace stripped, 1 to 1,500 characters, no control characters but line breaks
    and tabs. `InvalidInput("text", ...)` otherwise; the error never quotes the text."""
    allowed = f"must be 1 to {MAX_MESSAGE_LENGTH} characters of text"
    if not isinstance(text, str):
        raise InvalidInput("text", f"{allowed}; got {type(text).__name__}")
    clean = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not clean:
        raise InvalidInput("text", f"{allowed}; it is empty")
    if len(clean) > MAX_MESSAGE_LENGTH:
        raise InvalidInput("text", f"{allowed}; this one has {len(clean)}")
    if any(unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS for c in clean):
        raise InvalidInput("text", f"{allowed}, without control characters")
    return clean


def validate_max_per_day(value: int) -> int:
    low, high = MAX_PER_DAY_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"max_per_day must be an integer from {low} to {high}, got {value!r}")
    return value


class AnonymousMessageService:
    """Sends anonymous messages and their replies; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        clock: Clock,
        *,
        delivery: SantaDelivery,
        max_per_day: int = DEFAULT_MAX_PER_DAY,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._delivery = delivery
        self._max_per_day = validate_max_per_day(max_per_day)
        # One sender's messages one at a time, so two at once cannot both pass the limit.
        self._senders = EventLocks()
        self._log = log or logging.getLogger(__name__)

    @property
    def max_per_day(self) -> int:
        return self._max_per_day

    async def send(self, guild_id: int, sender_id: int, to: object, text: object) -> MessageResult:
        """`/ratmas message to:… text:…` in a guild: to the sender's giftee or santa
        in the guild's live event."""
        direction = parse_direction(to)
        clean = validate_message_text(text)
        event = await self._repo.get_live_event(guild_id)
        if event is None:
            raise NotFound(
                "There is no Ratmas running on this server right now: anonymous messages "
                "open when the names are drawn and close when the event is archived."
            )
        return await self._send(event, sender_id, direction, clean)

    async def reply_direction(self, outbox_id: int, presser_id: int) -> MessageDirection:
        """Whom a Reply pressed on the DM of outbox row `outbox_id` answers (checked
        before the reply's form opens): refused unless the presser received that DM,
        can still write along that pairing and is within the per-day limit."""
        original, event = await self._replying(outbox_id, presser_id)
        # Refused before they type, when it would be refused after.
        await self._within_limit(event, presser_id)
        return original.direction.reverse

    async def reply(self, outbox_id: int, presser_id: int, text: object) -> MessageResult:
        """The Reply form sent: the text goes back along the same pairing, the other way."""
        clean = validate_message_text(text)
        original, event = await self._replying(outbox_id, presser_id)
        return await self._send(
            event, presser_id, original.direction.reverse, clean, to=original.sender_id
        )

    # === helpers ========================================================================

    async def _replying(self, outbox_id: int, presser_id: int) -> tuple[AnonymousMessage, Event]:
        original = await self._repo.message_for_outbox(outbox_id)
        if original is None or original.addressee_id != presser_id:
            # Not theirs, or gone with its event: say nothing about whose it is.
            raise NotFound("This conversation is not available to you.")
        event = await self._repo.get_event(original.event_id)
        if event is None:
            raise NotFound("This conversation is not available any more.")
        self._require_open(event)
        return original, event

    @staticmethod
    def _require_open(event: Event) -> None:
        if event.status in MESSAGE_STATUSES:
            return
        if event.status is EventStatus.SCHEDULED:
            raise InvalidTransition(
                "The names are not drawn yet: anonymous messages open when they are."
            )
        raise InvalidTransition(
            f"This Ratmas is {STATUS_PHRASES[event.status]}: anonymous messages are closed."
        )

    async def _addressee(
        self, event: Event, sender_id: int, direction: MessageDirection
    ) -> int | None:
        if direction is MessageDirection.TO_GIFTEE:
            pairing = await self._repo.get_pairing(event.id, santa_id=sender_id)
            return None if pairing is None else pairing.recipient_id
        pairing = await self._repo.get_pairing(event.id, recipient_id=sender_id)
        return None if pairing is None else pairing.santa_id

    async def _send(
        self,
        event: Event,
        sender_id: int,
        direction: MessageDirection,
        text: str,
        *,
        to: int | None = None,
    ) -> MessageResult:
        """Store the message with its DM (one transaction), send the DM, and read back
        how it went. `to`: the addressee a reply must reach; refused when the draw no
        longer pairs the two that way (a redraw or a leaver changed it)."""
        self._require_open(event)
        async with self._senders.hold(sender_id):
            addressee = await self._addressee(event, sender_id, direction)
            if addressee is None or (to is not None and addressee != to):
                raise NotFound(self._no_pairing(direction, reply=to is not None))
            now = self._clock.now()
            recent = await self._within_limit(event, sender_id)
            stored = await self._repo.store_message(
                event.id,
                sender_id=sender_id,
                addressee_id=addressee,
                direction=direction,
                content=messages.anonymous_dm(direction, text).content,
                now=now,
            )
        outcome = await self._delivery.send_queued(
            event, explicit=False, users={addressee}, kinds={OutboxKind.MESSAGE}
        )
        state = next(
            (
                e.state
                for e in await self._repo.list_outbox(event.id, user_id=addressee)
                if e.id == stored.outbox_id
            ),
            OutboxState.PENDING,
        )
        refused = state in (OutboxState.CLOSED, OutboxState.FAILED)
        if refused:
            # The notice stored with the refusal: the sender reads it in their DMs too.
            await self._delivery.send_queued(
                event, explicit=False, users={sender_id}, kinds={OutboxKind.NOTICE}
            )
        if outcome.crash is not None:
            # Stored and not lost: the next delivery round sends it (never twice).
            self._log.warning(
                "event %s: anonymous message %s not sent yet (%s); the next delivery sends it",
                event.id,
                stored.id,
                type(outcome.crash).__name__,
            )
        return MessageResult(
            event.id,
            direction,
            delivered=state is OutboxState.DELIVERED,
            dms_closed=state is OutboxState.CLOSED,
            failed=state is OutboxState.FAILED,
            remaining=max(0, self._max_per_day - len(recent) - 1),
        )

    async def _within_limit(self, event: Event, sender_id: int) -> list[datetime]:
        """The sender's messages of the last 24 hours; `TooManyMessages` at the limit."""
        now = self._clock.now()
        recent = await self._repo.messages_sent_after(event.id, sender_id, now - WINDOW)
        if len(recent) >= self._max_per_day:
            raise TooManyMessages(
                self._max_per_day, recent[len(recent) - self._max_per_day] + WINDOW
            )
        return recent

    @staticmethod
    def _no_pairing(direction: MessageDirection, *, reply: bool) -> str:
        if reply:
            return (
                "The draw has changed since this message: this conversation is closed. "
                "Use `/ratmas message` to write to your current giftee or santa."
            )
        if direction is MessageDirection.TO_GIFTEE:
            return "You have no giftee in this Ratmas: you are not one of its santas."
        return "Nobody gives to you in this Ratmas: you are not one of its giftees."
