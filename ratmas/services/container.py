"""Every service of the season, built over the ports in one place.

The composition root (`ratmas.app`) gives it the adapters — a repository, Discord, a
clock and a scheduler — and the tests give it fakes of the same ports, so both run
the very same services wired the very same way.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from ratmas.domain.model import GuildSettings, ReminderDays
from ratmas.domain.reminders import DEFAULT_REMINDER_DAYS
from ratmas.services.admin import AdminService
from ratmas.services.announcements import Announcer
from ratmas.services.anonymous import DEFAULT_MAX_PER_DAY, AnonymousMessageService
from ratmas.services.delivery import (
    DEFAULT_MAX_CONCURRENT_DMS,
    DEFAULT_NONCE_WINDOW,
    SantaDelivery,
)
from ratmas.services.draw import DEFAULT_AVOID_PREVIOUS_EVENTS, DrawService, fresh_rng
from ratmas.services.gifts import GiftService
from ratmas.services.guild_settings import GuildSettingsService
from ratmas.services.history import HistoryService
from ratmas.services.households import HouseholdService
from ratmas.services.locks import EventLocks
from ratmas.services.participants import ParticipantService
from ratmas.services.phases import PhaseEngine
from ratmas.services.ports import Clock, Discord, EventRepository, JobScheduler
from ratmas.services.progress import DEFAULT_PROGRESS_AFTER, DEFAULT_PROGRESS_EVERY
from ratmas.services.records import AuditTrail
from ratmas.services.reminders import ReminderSender
from ratmas.services.resumption import DEFAULT_RESUME_AFTER, PhaseResumer
from ratmas.services.roster import RosterService
from ratmas.services.snapshots import (
    DEFAULT_KEEP_SNAPSHOTS,
    NoSnapshots,
    SnapshotService,
    SnapshotStore,
)
from ratmas.services.status import StatusService


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    """How the services behave (from config.toml; the defaults are the documented ones)."""

    min_participants: int = 3
    avoid_previous_events: int = DEFAULT_AVOID_PREVIOUS_EVENTS
    guild_filter: Callable[[int], bool] | None = None
    resume_after: timedelta = DEFAULT_RESUME_AFTER
    # Hold scheduler jobs only for phases due within this (None: all; `ratmas run`
    # sets `DEFAULT_HORIZON`).
    horizon: timedelta | None = None
    max_concurrent_dms: int = DEFAULT_MAX_CONCURRENT_DMS
    nonce_window: timedelta = DEFAULT_NONCE_WINDOW
    progress_after: float = DEFAULT_PROGRESS_AFTER
    progress_every: float = DEFAULT_PROGRESS_EVERY
    monotonic: Callable[[], float] = time.monotonic  # how long a blast has run
    declared_guilds: Mapping[int, GuildSettings] = field(default_factory=dict)
    default_timezone: str = "UTC"
    rng: Callable[[], random.Random] = fresh_rng
    keep_snapshots: int = DEFAULT_KEEP_SNAPSHOTS
    # Anonymous messages one sender may send per event within 24 hours (`[messages]`).
    max_messages_per_day: int = DEFAULT_MAX_PER_DAY
    # The reminder days of a guild that sets none (config.toml's [reminders]).
    reminder_days: ReminderDays = DEFAULT_REMINDER_DAYS


@dataclass(frozen=True, slots=True)
class Services:
    """The use cases the bot, the jobs and the CLI call."""

    clock: Clock
    engine: PhaseEngine
    admin: AdminService
    participants: ParticipantService
    roster: RosterService
    status: StatusService
    guild_settings: GuildSettingsService
    gifts: GiftService
    draw: DrawService
    delivery: SantaDelivery
    announcer: Announcer
    locks: EventLocks
    snapshots: SnapshotService
    households: HouseholdService
    history: HistoryService
    anonymous: AnonymousMessageService


def build_services(
    repo: EventRepository,
    discord: Discord,
    clock: Clock,
    scheduler: JobScheduler,
    options: ServiceOptions | None = None,
    snapshot_store: SnapshotStore | None = None,
) -> Services:
    """Wire every service over the given ports (without a snapshot store, destructive
    changes keep no snapshot)."""
    opts = options or ServiceOptions()
    snapshots = SnapshotService(
        repo, clock, snapshot_store or NoSnapshots(), keep=opts.keep_snapshots
    )
    locks = EventLocks()
    audit = AuditTrail(repo, clock)
    announcer = Announcer(repo, discord, clock)
    draw = DrawService(
        repo, discord, clock, locks, rng=opts.rng, avoid_previous_events=opts.avoid_previous_events
    )
    delivery = SantaDelivery(
        repo,
        discord,
        clock,
        announcer,
        locks,
        max_concurrent_dms=opts.max_concurrent_dms,
        nonce_window=opts.nonce_window,
        progress_after=opts.progress_after,
        progress_every=opts.progress_every,
        monotonic=opts.monotonic,
    )
    announcer.send_notices_with(delivery.send_notices)
    resumer = PhaseResumer(
        repo,
        draw=draw,
        delivery=delivery,
        announcer=announcer,
        audit=audit,
        resume_after=opts.resume_after,
    )
    engine = PhaseEngine(
        repo,
        clock,
        scheduler,
        draw=draw,
        delivery=delivery,
        announcer=announcer,
        audit=audit,
        resumer=resumer,
        reminders=ReminderSender(repo, audit=audit),
        min_participants=opts.min_participants,
        guild_filter=opts.guild_filter,
        horizon=opts.horizon,
    )
    guild_settings = GuildSettingsService(
        repo,
        clock,
        declared=opts.declared_guilds,
        default_timezone=opts.default_timezone,
        default_reminder_days=opts.reminder_days,
        event_changed=lambda event_id: engine.reconcile(event_id=event_id),
    )
    participants = ParticipantService(
        repo,
        discord,
        clock,
        locks=locks,
        draw=draw,
        delivery=delivery,
        announcer=announcer,
        audit=audit,
    )
    return Services(
        clock=clock,
        engine=engine,
        admin=AdminService(
            repo,
            clock,
            engine=engine,
            resumer=resumer,
            draw=draw,
            delivery=delivery,
            announcer=announcer,
            audit=audit,
            snapshots=snapshots,
            reminder_days=guild_settings.reminder_days,
        ),
        participants=participants,
        roster=RosterService(
            repo,
            clock,
            locks=locks,
            draw=draw,
            delivery=delivery,
            announcer=announcer,
            participants=participants,
            audit=audit,
        ),
        status=StatusService(repo, clock, blast=delivery.progress),
        guild_settings=guild_settings,
        gifts=GiftService(repo, clock, delivery=delivery),
        draw=draw,
        delivery=delivery,
        announcer=announcer,
        locks=locks,
        snapshots=snapshots,
        households=HouseholdService(repo, clock, draw=draw, audit=audit),
        history=HistoryService(repo),
        anonymous=AnonymousMessageService(
            repo, clock, delivery=delivery, max_per_day=opts.max_messages_per_day
        ),
    )
