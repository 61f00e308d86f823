"""Recording, scriptable fakes of the `Season` and `JobScheduler` ports.

`RecordingSeason` does the storage part of each side effect for real through the
repository it is given (participants, pairings, delivery state), so the lifecycle
service sees exactly what it would see in production, and records everything that
would have reached Discord. Tests script it: the members the role holds, the plan to
return or the `PairingImpossible` to raise, closed DMs, and one crash to raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from jobs.ids import parse_job_id
from jobs.specs import job_specs
from ratmas.domain.errors import PairingImpossible
from ratmas.domain.model import Event, Member, SyncResult
from ratmas.domain.status import EventStatus
from ratmas.services.ports import (
    Clock,
    DeliveryError,
    DeliveryFailure,
    DeliveryReport,
    EventRepository,
    LiveJob,
    MembersIntentMissing,
    RoleMissing,
)
from ratmas.services.schedule import EventSchedule


class SeasonCrash(RuntimeError):
    """The scripted failure (a lost connection, a killed process)."""


@dataclass
class Crash:
    """Raise once, in `method`, after `after` successful steps of that call."""

    method: str
    after: int = 0


@dataclass
class RecordingSeason:
    repo: EventRepository
    clock: Clock
    members: list[Member] = field(default_factory=list)
    plan: dict[int, int] | None = None  # None: everyone gives to the next user id
    impossible: str | None = None  # raise PairingImpossible with this message
    intent_missing: bool = False
    role_missing: bool = False
    closed_dms: set[int] = field(default_factory=set)
    refused_channel: bool = False  # announcements answered with a Discord refusal
    crash: Crash | None = None
    calls: list[tuple[str, int]] = field(default_factory=list)
    dms: list[tuple[int, int]] = field(default_factory=list)  # (event id, santa id)
    announcements: list[tuple[int, EventStatus]] = field(default_factory=list)
    reminders: list[int] = field(default_factory=list)
    admin_messages: list[tuple[int, str]] = field(default_factory=list)
    announced: asyncio.Event = field(default_factory=asyncio.Event)

    def _maybe_crash(self, method: str, step: int) -> None:
        if self.crash is not None and self.crash.method == method and self.crash.after == step:
            self.crash = None
            raise SeasonCrash(f"scripted crash in {method} after {step} step(s)")

    async def _yield(self) -> None:
        # Let a concurrent reconciler run between steps, as real I/O would.
        await asyncio.sleep(0)

    def count(self, method: str, event_id: int | None = None) -> int:
        return sum(1 for m, e in self.calls if m == method and event_id in (None, e))

    # --- the port ---------------------------------------------------------------------
    async def sync_participants(self, event: Event) -> SyncResult:
        self.calls.append(("sync_participants", event.id))
        await self._yield()
        if self.intent_missing:
            raise MembersIntentMissing("no members intent")
        if self.role_missing:
            raise RoleMissing("the participant role was deleted")
        return await self.repo.sync_participants(event.id, self.members, now=self.clock.now())

    async def plan_draw(self, event: Event) -> dict[int, int]:
        self.calls.append(("plan_draw", event.id))
        await self._yield()
        if self.impossible is not None:
            raise PairingImpossible(self.impossible)
        if self.plan is not None:
            return dict(self.plan)
        ids = [p.user_id for p in await self.repo.list_participants(event.id)]
        return {santa: ids[(i + 1) % len(ids)] for i, santa in enumerate(ids)}

    async def store_draw(self, event: Event, pairings: Mapping[int, int]) -> None:
        self.calls.append(("store_draw", event.id))
        await self._yield()
        self._maybe_crash("store_draw", 0)
        await self.repo.replace_pairings(event.id, pairings)

    async def deliver_pending(self, event: Event, *, retry_failed: bool = False) -> DeliveryReport:
        self.calls.append(("deliver_pending", event.id))
        sent: list[int] = []
        closed: list[int] = []
        for step, pairing in enumerate(await self.repo.pending_pairings(event.id)):
            if pairing.attempts and not retry_failed:
                continue
            await self._yield()
            self._maybe_crash("deliver_pending", step)
            now = self.clock.now()
            if pairing.santa_id in self.closed_dms:
                await self.repo.record_delivery_failure(
                    event.id, pairing.santa_id, 50007, "Cannot send messages to this user", now
                )
                closed.append(pairing.santa_id)
                continue
            await self.repo.mark_notified(event.id, pairing.santa_id, now)
            self.dms.append((event.id, pairing.santa_id))
            sent.append(pairing.santa_id)
        pending = len(await self.repo.pending_pairings(event.id))
        return DeliveryReport(sent=tuple(sent), dms_closed=tuple(closed), still_pending=pending)

    async def announce(self, event: Event) -> None:
        self.calls.append(("announce", event.id))
        await self._yield()
        self._maybe_crash("announce", 0)
        if self.refused_channel:
            raise DeliveryError(DeliveryFailure.OTHER, 10003, "Unknown Channel")
        self.announcements.append((event.id, event.status))
        self.announced.set()

    async def remind_undelivered(self, event: Event) -> None:
        self.calls.append(("remind_undelivered", event.id))
        self.reminders.append(event.id)

    async def tell_admins(self, event: Event, text: str) -> None:
        self.calls.append(("tell_admins", event.id))
        self.admin_messages.append((event.id, text))


class RecordingJobScheduler:
    """`JobScheduler` in a dictionary, with the same specs as the APScheduler adapter."""

    def __init__(self) -> None:
        self.live: dict[str, LiveJob] = {}
        self.syncs = 0

    def sync(
        self, schedules: Sequence[EventSchedule], *, event_ids: Collection[int] | None = None
    ) -> None:
        self.syncs += 1
        wanted = {
            spec.id: LiveJob(spec.id, spec.event_id, spec.phase, spec.run_date)
            for spec in job_specs(schedules)
            if event_ids is None or spec.event_id in event_ids
        }
        for job_id in list(self.live):
            key = parse_job_id(job_id)
            if key is not None and (event_ids is None or key.event_id in event_ids):
                del self.live[job_id]
        self.live.update(wanted)

    def jobs(self) -> list[LiveJob]:
        return sorted(self.live.values(), key=lambda j: (j.run_time, j.id))

    def ids(self) -> list[str]:
        return sorted(self.live)
