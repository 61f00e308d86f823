"""Santa DMs: every DM that matters sent from the outbox, exactly once, paced.

Why it is shaped this way (see DESIGN.md, Discord facts):

- **The outbox is the truth.** Every DM that matters (an assignment, a change of
  assignment, a wishlist update, a notice for the event's creator, and whatever later
  issues add) is an outbox row the
  repository writes in the same transaction as the change that causes it. This worker
  only sends rows; it never decides that a DM should exist.
- **Exactly once across crashes.** An attempt is recorded (`sending`, with the DM
  channel) *before* the request; the request carries the row's nonce (`ratmas-<id>`)
  with `enforce_nonce`, and the Discord adapter ends the message with a marker line
  holding the same reference (history does not promise to return nonces). Once
  Discord has it, the row is stored as delivered with its message id, in the same
  transaction as the pairing marked notified. A row still `sending` after a crash has
  no known outcome: within `nonce_window` it is sent again with the same nonce (Discord
  returns the earlier message instead of making a second one); after it, the DM
  channel's recent history is searched for the marker first.
- **Pacing** lives in the Discord adapter (rate limits are enforced before each
  request there); here a small pool of workers keeps a few requests in flight, taking
  rows in order.
- 50007 (closed DMs) marks the row `closed` and counts a failed attempt on the pairing
  (it stays pending); the santa is asked in the event channel to open their DMs, once
  per failure streak or again when a retry was asked for explicitly, and the admins
  get a summary. Closed and failed rows are only sent again on an explicit retry
  (`retry_failed`, the Retry button), so a reconcile tick never hammers closed DMs.
- 40003 / the anti-spam quarantine stop the blast at once; the rows go back to
  `pending` (untried), and the next reconcile tick sends them.
- An anonymous message (kind `message`) carries its text only until it is delivered:
  delivery erases it in the same transaction. A refusal other than slow-down is final
  for it (never retried, text erased), and its sender is told by a notice stored in
  that same transaction — that it was not delivered, nothing about the addressee.
- Any other refusal marks the row `failed` and the rest go on; an unexpected
  exception (a lost database connection, a bug) stops the blast, lets the DMs in
  flight finish, and is raised again for the caller to log and resume.
- **Visible progress.** A blast that runs longer than `progress_after` keeps one
  message in the event channel (no pings) up to date every `progress_every`; the
  final summary replaces it (`ratmas.services.progress`).

Callers that change the draw hold the event's lock (`EventLocks`) around both the
change and `send_queued`; `deliver_pending` takes it itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from ratmas.domain.model import (
    Event,
    OutboxDraft,
    OutboxEntry,
    OutboxKind,
    OutboxState,
    Pairing,
    Participant,
)
from ratmas.services import messages
from ratmas.services.announcements import Announcer
from ratmas.services.errors import DeliveryError, DeliveryFailure
from ratmas.services.locks import EventLocks
from ratmas.services.ports import (
    BlastProgress,
    Clock,
    DeliveryReport,
    Discord,
    EventRepository,
    Message,
)
from ratmas.services.progress import (
    DEFAULT_PROGRESS_AFTER,
    DEFAULT_PROGRESS_EVERY,
    ProgressReporter,
)

DEFAULT_MAX_CONCURRENT_DMS: Final = 5
# Discord keeps an enforced nonce "for a few minutes"; resend on trust only well inside.
DEFAULT_NONCE_WINDOW: Final = timedelta(seconds=60)
HISTORY_LIMIT: Final = 50
# The DMs whose text is stored with them, i.e. every kind but the assignment.
STORED_TEXT_KINDS: Final = frozenset(OutboxKind) - {OutboxKind.ASSIGNMENT}
# What a round for the santas sends (and reports): not the organisers' notices.
SANTA_KINDS: Final = frozenset(OutboxKind) - {OutboxKind.NOTICE}
# A DM whose outcome is not known yet (never tried, or tried with no answer seen).
UNSETTLED: Final = frozenset({OutboxState.PENDING, OutboxState.SENDING})


@dataclass(slots=True)
class Round:
    """The outcome of one round of sends (mutable while the workers run)."""

    sent: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    to_ping: list[int] = field(default_factory=list)
    stopped: bool = False
    crash: BaseException | None = None

    def words(self) -> str:
        """ " (2 DMed, 1 with closed DMs)" for audit lines; empty when nothing was sent."""
        parts = []
        if self.sent:
            parts.append(f"{len(self.sent)} DMed")
        if self.closed:
            parts.append(f"{len(self.closed)} with closed DMs")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.stopped:
            parts.append("Discord asked to slow down; the rest later")
        return f" ({', '.join(parts)})" if parts else ""


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """How far the santas' DMs have got."""

    total: int = 0
    notified: int = 0
    untried: int = 0  # pending, never attempted (a resume will send them)
    failed: int = 0  # pending after at least one failed attempt (closed DMs, ...)

    @property
    def pending(self) -> int:
        return self.total - self.notified


def delivery_counts(pairings: Sequence[Pairing]) -> DeliveryCounts:
    return DeliveryCounts(
        total=len(pairings),
        notified=sum(1 for p in pairings if not p.pending),
        untried=sum(1 for p in pairings if p.pending and p.attempts == 0),
        failed=sum(1 for p in pairings if p.pending and p.attempts > 0),
    )


class SantaDelivery:
    """Sends the outbox's DMs; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        discord: Discord,
        clock: Clock,
        announcer: Announcer,
        locks: EventLocks,
        *,
        max_concurrent_dms: int = DEFAULT_MAX_CONCURRENT_DMS,
        nonce_window: timedelta = DEFAULT_NONCE_WINDOW,
        progress_after: float = DEFAULT_PROGRESS_AFTER,
        progress_every: float = DEFAULT_PROGRESS_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
        log: logging.Logger | None = None,
    ) -> None:
        if max_concurrent_dms < 1:
            raise ValueError(f"max_concurrent_dms must be at least 1, got {max_concurrent_dms}")
        self._repo = repo
        self._discord = discord
        self._clock = clock
        self._announcer = announcer
        self._locks = locks
        self._max_concurrent = max_concurrent_dms
        self._nonce_window = nonce_window
        self._log = log or logging.getLogger(__name__)
        self._progress = ProgressReporter(
            discord,
            progress_after=progress_after,
            progress_every=progress_every,
            monotonic=monotonic,
            log=self._log,
        )
        self._sending: set[int] = set()  # outbox rows a worker of this process has in hand

    def progress(self, event_id: int) -> BlastProgress | None:
        """The blast this process is running for the event right now, if any."""
        return self._progress.current(event_id)

    async def deliver_pending(self, event: Event, *, retry_failed: bool = False) -> DeliveryReport:
        """Send the event's open DMs: pending ones and those whose last attempt has no
        known outcome, and closed/failed ones too with `retry_failed` (an admin's retry;
        resuming a phase must not hammer closed DMs).

        Admins get a summary when anything did not go through."""
        async with self._locks.hold(event.id):
            await self._repo.enqueue_missing_assignments(event.id, now=self._clock.now())
            outcome = await self.send_queued(
                event, explicit=retry_failed, retry_failed=retry_failed, blast=True
            )
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
            await self._announcer.tell_admins(event, messages.delivery_summary(report))
        if outcome.crash is not None:
            raise outcome.crash
        return report

    async def send_queued(
        self,
        event: Event,
        *,
        explicit: bool,
        users: Collection[int] | None = None,
        kinds: Collection[OutboxKind] | None = None,
        retry_failed: bool = False,
        blast: bool = False,
    ) -> Round:
        """Send the event's open outbox rows in order (only those to `users` if given,
        and of `kinds`, by default the santas' DMs), with bounded concurrency;
        closed/failed ones only with `retry_failed`. A row another task of this
        process is sending is skipped.

        The caller holds the event's lock. Closed-DM santas are pinged in the channel
        here (`explicit`: even when already pinged for this failure streak); an
        unexpected exception is returned in `crash`, not raised. A `blast` shows its
        progress in the event channel when it runs long."""
        outcome = Round()
        states = {OutboxState.PENDING, OutboxState.SENDING}
        if retry_failed:
            states |= {OutboxState.CLOSED, OutboxState.FAILED}
        only = next(iter(users)) if users is not None and len(users) == 1 else None
        rows = [
            e
            for e in await self._repo.list_outbox(event.id, states=states, user_id=only)
            if (users is None or e.user_id in users)
            and e.kind in (kinds or SANTA_KINDS)
            # A refused anonymous message is final: its text is gone.
            and (e.kind is not OutboxKind.MESSAGE or e.state in UNSETTLED)
        ]
        if not rows:
            return outcome
        people: dict[int, Participant] = {}
        if any(e.kind is OutboxKind.ASSIGNMENT for e in rows):
            # An assignment is only sent while its pairing waits for it: a santa already
            # told this very assignment (e.g. by a process that died right after) is not
            # told again.
            waiting = {
                (p.santa_id, p.recipient_id) for p in await self._repo.pending_pairings(event.id)
            }
            rows = [
                e
                for e in rows
                if e.kind is not OutboxKind.ASSIGNMENT or (e.user_id, e.recipient_id) in waiting
            ]
            if not rows:
                return outcome
            people = {p.user_id: p for p in await self._repo.list_participants(event.id)}
        queue = iter(rows)
        done = 0

        async def worker() -> None:
            nonlocal done
            for entry in queue:
                if outcome.stopped or outcome.crash is not None:
                    return
                if entry.id not in self._sending:
                    self._sending.add(entry.id)
                    try:
                        await self._send_one(event, entry, people, outcome, explicit)
                    except Exception as exc:  # the blast stops; the caller re-raises
                        if outcome.crash is None:
                            outcome.crash = exc
                    finally:
                        self._sending.discard(entry.id)
                done += 1

        shown: contextlib.AbstractAsyncContextManager[None] = (
            self._progress.shown(event, outcome, len(rows), lambda: done)
            if blast
            else contextlib.nullcontext()
        )
        async with shown:
            workers = min(self._max_concurrent, len(rows))
            await asyncio.gather(*(worker() for _ in range(workers)))
        if outcome.to_ping:
            await self._announcer.ping_closed_dms(event, sorted(outcome.to_ping))
        return outcome

    async def send_notices(self, event: Event) -> None:
        """Send the event's open DMs that are not assignments (notices for the admins,
        wishlist updates): those just written, and any a crash left behind.

        Takes no event lock: these DMs change no draw, and their nonces make a send that
        races another process's harmless. A refusal is logged (this is the error path
        of telling the admins); an unexpected exception is raised."""
        outcome = await self.send_queued(event, explicit=False, kinds=STORED_TEXT_KINDS)
        for user_id in outcome.closed + outcome.failed:
            self._log.warning("event %s: could not DM %s a notice", event.id, user_id)
        if outcome.crash is not None:
            raise outcome.crash

    # === one row ========================================================================

    def _render(
        self, event: Event, entry: OutboxEntry, people: Mapping[int, Participant]
    ) -> Message | None:
        if entry.kind is OutboxKind.MESSAGE:
            # The Reply button carries this row's id; whom it answers stays in the database.
            return Message(entry.content, reply_button_outbox_id=entry.id)
        if entry.kind is not OutboxKind.ASSIGNMENT:
            return Message(entry.content, gift_button=entry.gift_button)
        recipient = people.get(entry.recipient_id or 0)
        if recipient is None or entry.user_id not in people:
            # A leaver whose splice could not be stored: the admins were told; a
            # redraw replaces this row.
            self._log.warning(
                "event %s: DM %s (%s -> %s) names a non-participant; not sent",
                event.id,
                entry.id,
                entry.user_id,
                entry.recipient_id,
            )
            return None
        # Rendered now, from current data: a santa still waiting gets today's wishlist.
        return messages.santa_dm(event, recipient, note=entry.note)

    async def _send_one(
        self,
        event: Event,
        entry: OutboxEntry,
        people: Mapping[int, Participant],
        outcome: Round,
        explicit: bool,
    ) -> None:
        message = self._render(event, entry, people)
        if message is None:
            return
        if await self._found_earlier(entry):
            outcome.sent.append(entry.user_id)
            return
        try:
            channel = entry.dm_channel_id or await self._discord.open_dm(entry.user_id)
            if not await self._repo.outbox_sending(
                entry.id, dm_channel_id=channel, at=self._clock.now()
            ):
                return  # delivered or superseded meanwhile
            sent = await self._discord.send_dm(
                entry.user_id, message, nonce=entry.nonce, channel_id=channel
            )
        except DeliveryError as error:
            await self._refused(event, entry, error, outcome, explicit)
            return
        await self._repo.outbox_delivered(
            entry.id,
            dm_channel_id=sent.channel_id,
            message_id=sent.message_id,
            at=self._clock.now(),
        )
        outcome.sent.append(entry.user_id)

    async def _found_earlier(self, entry: OutboxEntry) -> bool:
        """A row whose last attempt has no known outcome, too old for its nonce to be
        trusted: is our message already in the DM channel? Then it is delivered."""
        if (
            entry.state is not OutboxState.SENDING
            or entry.dm_channel_id is None
            or entry.attempt_started_at is None
            or self._clock.now() - entry.attempt_started_at < self._nonce_window
        ):
            return False
        try:
            found = await self._discord.find_own_dm(
                entry.dm_channel_id, entry.nonce, limit=HISTORY_LIMIT
            )
        except DeliveryError as error:
            self._log.info("DM %s: history not readable (%s); sending", entry.id, error)
            return False
        if found is None:
            return False
        self._log.info("DM %s: found in the DM channel's history; not sent again", entry.id)
        await self._repo.outbox_delivered(
            entry.id,
            dm_channel_id=entry.dm_channel_id,
            message_id=found,
            at=self._clock.now(),
        )
        return True

    async def _refused(
        self,
        event: Event,
        entry: OutboxEntry,
        error: DeliveryError,
        outcome: Round,
        explicit: bool,
    ) -> None:
        now = self._clock.now()
        if error.kind is DeliveryFailure.SLOW_DOWN:
            # Not an attempt that failed: the row stays untried for the next tick.
            await self._repo.outbox_refused(
                entry.id, OutboxState.PENDING, error.code, error.text, at=now
            )
            outcome.stopped = True
            self._log.warning(
                "event %s: Discord asked to slow down (%s); stopping the DMs", event.id, error
            )
            return
        closed = error.kind is DeliveryFailure.DMS_CLOSED
        tell = await self._tell_sender(entry, dms_closed=closed)
        if closed:
            await self._repo.outbox_refused(
                entry.id, OutboxState.CLOSED, error.code, error.text, at=now, outbox=tell
            )
            outcome.closed.append(entry.user_id)
            # Ping once per failure streak: a row whose last attempt already failed
            # was pinged then, unless someone asked for this retry.
            if entry.kind is OutboxKind.ASSIGNMENT and (explicit or entry.last_error_text is None):
                outcome.to_ping.append(entry.user_id)
            return
        await self._repo.outbox_refused(
            entry.id, OutboxState.FAILED, error.code, error.text, at=now, outbox=tell
        )
        outcome.failed.append(entry.user_id)
        self._log.warning("event %s: DM to %s failed: %s", event.id, entry.user_id, error)

    async def _tell_sender(self, entry: OutboxEntry, *, dms_closed: bool) -> list[OutboxDraft]:
        """For a refused anonymous message, the notice its sender gets (stored with the
        refusal, so it is written exactly once): that it was not delivered, nothing more."""
        if entry.kind is not OutboxKind.MESSAGE:
            return []
        sent = await self._repo.message_for_outbox(entry.id)
        if sent is None:
            return []
        text = messages.message_undelivered(sent.direction, dms_closed=dms_closed).content
        return [OutboxDraft(sent.sender_id, OutboxKind.NOTICE, content=text)]
