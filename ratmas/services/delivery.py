"""Santa DMs: every santa told their assignment, once, without hammering Discord.

Why it is shaped this way (see DESIGN.md, Discord facts):

- Only pending pairings are sent, each marked notified right after its own DM went
  through, so a crash re-sends at most the DMs that were in flight
  (`max_concurrent_dms`).
- Sends run concurrently but bounded by a pool of workers; nextcord itself waits out
  429s.
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

Callers that change the draw hold the event's lock (`EventLocks`) around both the
change and `send_assignments`; `deliver_pending` takes it itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ratmas.domain.model import Event, Pairing, Participant
from ratmas.services import messages
from ratmas.services.announcements import Announcer
from ratmas.services.errors import DeliveryError, DeliveryFailure
from ratmas.services.locks import EventLocks
from ratmas.services.ports import Clock, DeliveryReport, Discord, EventRepository

DEFAULT_MAX_CONCURRENT_DMS: Final = 5


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
    """Sends santas their assignment by DM; see the module docstring."""

    def __init__(
        self,
        repo: EventRepository,
        discord: Discord,
        clock: Clock,
        announcer: Announcer,
        locks: EventLocks,
        *,
        max_concurrent_dms: int = DEFAULT_MAX_CONCURRENT_DMS,
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
        self._log = log or logging.getLogger(__name__)

    async def deliver_pending(self, event: Event, *, retry_failed: bool = False) -> DeliveryReport:
        """DM the pending santas: never-tried ones, and failed ones too with
        `retry_failed` (an admin's retry; resuming a phase must not hammer closed DMs).

        Admins get a summary when anything did not go through."""
        async with self._locks.hold(event.id):
            pending = await self._repo.pending_pairings(event.id)
            todo = [p for p in pending if retry_failed or p.attempts == 0]
            outcome = await self.send_assignments(event, todo, explicit=retry_failed)
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

    async def send_assignments(
        self,
        event: Event,
        pairings: Sequence[Pairing],
        *,
        explicit: bool,
        notes: Mapping[int, str] | None = None,
    ) -> Round:
        """Send each pairing's DM with bounded concurrency (`notes` by santa id are
        added to their DM, e.g. why the assignment changed).

        The caller holds the event's lock. Closed-DM santas are pinged in the channel
        here; an unexpected exception is returned in `crash`, not raised."""
        outcome = Round()
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
        if outcome.to_ping:
            await self._announcer.ping_closed_dms(event, sorted(outcome.to_ping))
        return outcome

    async def send_changed(
        self,
        event: Event,
        stored: Sequence[Pairing],
        changed: Sequence[int],
        before: Mapping[int, Pairing],
        *,
        note: str,
    ) -> Round:
        """After a splice: DM the santas in `changed` (in that order) whose new pairing is
        pending; those who had been told their old assignment get `note` with it.

        The caller holds the event's lock, as for `send_assignments`."""
        order = {santa: index for index, santa in enumerate(changed)}
        notes = {s: note for s in changed if s in before and not before[s].pending}
        todo = sorted(
            (p for p in stored if p.santa_id in order and p.pending),
            key=lambda p: order[p.santa_id],
        )
        return await self.send_assignments(event, todo, explicit=False, notes=notes)

    async def _send_one(
        self,
        event: Event,
        pairing: Pairing,
        people: Mapping[int, Participant],
        outcome: Round,
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
