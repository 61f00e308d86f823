"""What the bot posts in the event channel, and what it tells the organisers.

`Announcer` posts the announcement of each status (creation with the Join button, the
draw, the purchase deadline, the reveal split to Discord's limits, a cancellation),
pings santas whose DMs are closed or who never got their assignment (never saying
whom they give to), and tells the admins what needs them. Posts never ping @everyone,
@here or roles (see `ratmas.services.messages`). A status is announced once, by
whoever wins the claim on it (`announce_status`: a compare-and-set on the event's
`announced_status`); *when* is the phase engine's call (`ratmas.services.phases`),
after each phase it performs and when it resumes one (`ratmas.services.resumption`).

A notice for the admins is posted in the channel and DMed to the event's creator. The
DM, like every DM that matters, is an outbox row (kind `notice`) sent by the delivery
worker with its nonce and marker: the row is written when the notice is decided (or,
for a hold, by the caller in the same transaction as the hold) and the worker is asked
to send it at once; a row a crash left behind is sent by the next reconcile.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from ratmas.domain.model import Event, OutboxDraft, OutboxKind
from ratmas.domain.status import ANNOUNCED_STATUSES, EventStatus
from ratmas.services import messages
from ratmas.services.errors import DeliveryError
from ratmas.services.ports import Clock, Discord, EventRepository, Message


class Announcer:
    """Posts in the event channel and DMs the event's creator; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        discord: Discord,
        clock: Clock,
        *,
        log: logging.Logger | None = None,
    ) -> None:
        self._repo = repo
        self._discord = discord
        self._clock = clock
        self._log = log or logging.getLogger(__name__)
        self._send_notices: Callable[[Event], Awaitable[None]] | None = None

    def send_notices_with(self, send: Callable[[Event], Awaitable[None]]) -> None:
        """How the outbox's notice DMs are sent (the delivery worker, wired afterwards:
        it posts through this announcer)."""
        self._send_notices = send

    async def announce_status(self, event: Event) -> None:
        """Claim and post the announcement of the event's status, once, by whoever wins.

        At the purchase deadline the winner also reminds santas who never got their DM."""
        if event.status is event.announced_status:
            return
        if event.status not in ANNOUNCED_STATUSES and event.status is not EventStatus.CANCELLED:
            return
        if not await self._repo.claim_announcement(event.id, event.announced_status, event.status):
            return
        claimed = replace(event, announced_status=event.status)
        try:
            await self.announce(claimed)
        except DeliveryError as refused:
            # Discord answered and refused (channel gone, permissions): posting again
            # would fail again and must not hold the season back. The admins are told.
            self._log.warning(
                "event %s (guild %s): the %s announcement was refused: %s",
                event.id,
                event.guild_id,
                event.status,
                refused,
            )
            await self.tell_admins(
                claimed,
                f"The announcement for '{event.status}' could not be posted in the event "
                f"channel (Discord said: {refused.text}). Check that the channel exists and "
                "that the bot may post there (`/ratmas-admin setup channel:`).",
            )
        except Exception:
            # The post may not have gone out (network, crash): give the claim back, so
            # the resume of a later tick posts it (a crash between claim and post still
            # loses it rather than posting it twice).
            await self._repo.claim_announcement(event.id, event.status, event.announced_status)
            raise
        if event.status is EventStatus.PURCHASE_CLOSED:
            await self.remind_undelivered(claimed)

    async def announce(self, event: Event) -> None:
        """Post the announcement of `event.status` in the event channel (if it has one).

        `DeliveryError` propagates: the caller decides what a refusal means."""
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

    async def ping_closed_dms(self, event: Event, santa_ids: Sequence[int]) -> None:
        """Ask santas whose DMs are closed to open them (nothing about their recipient)."""
        for message in messages.closed_dms_pings(santa_ids):
            await self.post_quietly(event, message, "closed-DM ping")

    async def remind_undelivered(self, event: Event) -> None:
        """Ping the santas who still have no assignment (no secret) and tell admins."""
        pending = [p.santa_id for p in await self._repo.pending_pairings(event.id)]
        if not pending:
            return
        for message in messages.undelivered_reminder(pending):
            await self.post_quietly(event, message, "undelivered reminder")
        await self.tell_admins(
            event,
            f"{len(pending)} santa(s) never received their assignment by DM: "
            + ", ".join(f"<@{santa}>" for santa in pending[:50])
            + (f" and {len(pending) - 50} more" if len(pending) > 50 else "")
            + f". They were reminded in this channel; `{messages.RETRY_COMMAND}` re-sends.",
        )

    def notice_dm(
        self, event: Event, text: str, *, private: str | None = None
    ) -> OutboxDraft | None:
        """The outbox row of the creator's DM for a notice (None without a creator), for
        a caller that stores it with its own change; then `tell_admins(..., queued=True)`."""
        if event.created_by is None:
            return None
        direct = messages.admin_notice(f"{text}\n{private}" if private else text)
        return OutboxDraft(event.created_by, OutboxKind.NOTICE, content=direct.content)

    async def tell_admins(
        self, event: Event, text: str, *, private: str | None = None, queued: bool = False
    ) -> None:
        """Post for the organisers in the event channel (pinging nobody) and DM the
        event's creator through the outbox (`queued`: the caller already stored the DM,
        see `notice_dm`). `private` is added to the DM only: details that could hint at
        the draw (who was whose santa) never go to the public channel. Never raises for
        Discord's refusals: this is the error path."""
        await self.post_quietly(event, messages.admin_notice(text), "admin notice")
        if not queued:
            draft = self.notice_dm(event, text, private=private)
            if draft is None:
                return
            await self._repo.enqueue(event.id, [draft], now=self._clock.now())
        if self._send_notices is not None:
            await self._send_notices(event)

    async def post_quietly(self, event: Event, message: Message, what: str) -> None:
        """Post in the event channel if it has one; a refusal is logged, not raised."""
        if event.announcement_channel_id is None:
            return
        try:
            await self._discord.post(event.announcement_channel_id, message)
        except DeliveryError as error:
            self._log.warning("event %s: %s could not be posted: %s", event.id, what, error)
