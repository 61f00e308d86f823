"""One bot process for the engine and admin tests: the real services, built with
`build_services`, over an in-memory (or real) repository, a fixed clock, a recording
scheduler and the recording Discord fake.

Everything the season does is observed the way Discord and the database would see it:
santa DMs are the DMs rendered by `messages.santa_dm`, announcements are the posts in
the event channel equal to the `messages` renderer of their status, admin notices are
posts and creator DMs rendered by `messages.admin_notice`.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Final

from ratmas.domain.model import (
    NO_REMINDERS,
    Event,
    EventDates,
    Member,
    NewEvent,
    Pairing,
    ReminderDays,
)
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from ratmas.services.container import ServiceOptions, Services, build_services
from ratmas.services.ports import EventRepository, Message
from tests.fakes import FixedClock, InMemoryEventRepository, RecordingJobScheduler
from tests.services.fake_discord import RecordingDiscord

NOW: Final = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START: Final = NOW + timedelta(days=1)
DEADLINE: Final = NOW + timedelta(days=10)
REVEAL: Final = NOW + timedelta(days=20)
GUILD: Final = 900_000_000_000_000_001
OTHER_GUILD: Final = 900_000_000_000_000_002
CHANNEL: Final = 800_000_000_000_000_001
OTHER_CHANNEL: Final = 800_000_000_000_000_002
ROLE: Final = 700_000_000_000_000_001
ADMIN: Final = 600_000_000_000_000_001
TICK: Final = timedelta(minutes=1)

ADMIN_PREFIX: Final = messages.admin_notice("").content
# Kinds of channel posts that are not a status announcement.
PING: Final = "closed-DM ping"
REMINDER: Final = "undelivered reminder"
NOTICE: Final = "admin notice"


def people(*ids: int) -> list[Member]:
    return [Member(i, f"user{i}") for i in ids]


def is_santa_dm(message: Message) -> bool:
    """An assignment DM (`messages.santa_dm`): its assignment line starts with 🎁."""
    return any(line.startswith("🎁") for line in message.content.splitlines())


class StoreCrash(RuntimeError):
    """The scripted failure while the draw is being stored (a lost connection)."""


class CrashingRepository(InMemoryEventRepository):
    """The in-memory repository whose next `replace_pairings` raises once when armed."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_next_store = False

    async def replace_pairings(
        self,
        event_id: int,
        pairings: Mapping[int, int],
        *,
        keep_notified: bool = False,
        notes: Mapping[int, str] | None = None,
        now: datetime | None = None,
    ) -> list[Pairing]:
        if self.crash_next_store:
            self.crash_next_store = False
            raise StoreCrash(f"scripted crash in store_draw of event {event_id}")
        return await super().replace_pairings(
            event_id, pairings, keep_notified=keep_notified, notes=notes, now=now
        )


class World:
    """One process: repository, clock, Discord, scheduler and the services over them."""

    def __init__(
        self,
        repo: EventRepository | None = None,
        *,
        discord: RecordingDiscord | None = None,
        clock: FixedClock | None = None,
        guild_filter: Callable[[int], bool] | None = None,
        max_concurrent_dms: int = 5,
        horizon: timedelta | None = None,
        progress: tuple[float, float, Callable[[], float]] | None = None,
    ) -> None:
        """`progress`: (progress_after, progress_every, monotonic) of the blasts."""
        self.repo: EventRepository = repo if repo is not None else InMemoryEventRepository()
        self.clock = clock if clock is not None else FixedClock(NOW)
        self.discord = (
            discord if discord is not None else RecordingDiscord(roles={ROLE: people(1, 2, 3, 4)})
        )
        self.scheduler = RecordingJobScheduler()
        self.max_concurrent_dms = max_concurrent_dms
        seeds = itertools.count()
        options = ServiceOptions(
            min_participants=3,
            guild_filter=guild_filter,
            max_concurrent_dms=max_concurrent_dms,
            horizon=horizon,
            rng=lambda: random.Random(next(seeds)),
        )
        if progress is not None:
            after, every, monotonic = progress
            options = replace(
                options, progress_after=after, progress_every=every, monotonic=monotonic
            )
        self.services: Services = build_services(
            self.repo, self.discord, self.clock, self.scheduler, options
        )
        self.engine = self.services.engine
        self.admin = self.services.admin
        self.status = self.services.status

    def sharing(self) -> World:
        """Another process over the same database, Discord and clock."""
        return World(
            self.repo,
            discord=self.discord,
            clock=self.clock,
            max_concurrent_dms=self.max_concurrent_dms,
        )

    # --- arranging -------------------------------------------------------------------
    def members(self, *ids: int) -> None:
        """The members holding the participant role from now on."""
        self.discord.roles[ROLE] = people(*ids)

    async def event(
        self,
        guild: int = GUILD,
        timezone: str = "Europe/London",
        reminder_days: ReminderDays = NO_REMINDERS,
    ) -> Event:
        return await self.repo.create_event(
            NewEvent(
                guild_id=guild,
                dates=EventDates(START, DEADLINE, REVEAL),
                timezone=timezone,
                announcement_channel_id=CHANNEL if guild == GUILD else OTHER_CHANNEL,
                participant_role_id=ROLE,
                created_by=ADMIN,
                reminder_days=reminder_days,
            ),
            now=NOW,
        )

    async def get(self, event_id: int) -> Event:
        event = await self.repo.get_event(event_id)
        assert event is not None
        return event

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    # --- observing: DMs --------------------------------------------------------------
    def told(self) -> list[int]:
        """The santas who received an assignment DM, in order (once per DM)."""
        return [target for target, message in self.discord.dms if is_santa_dm(message)]

    def received(self) -> dict[int, list[Message]]:
        """Every assignment DM, by santa."""
        result: dict[int, list[Message]] = {}
        for target, message in self.discord.dms:
            if is_santa_dm(message):
                result.setdefault(target, []).append(message)
        return result

    async def stored_assignments(self, event_id: int) -> dict[int, Message]:
        """The DM each notified santa of the stored draw must have received."""
        event = await self.get(event_id)
        names = {p.user_id: p for p in await self.repo.list_participants(event_id)}
        return {
            p.santa_id: messages.santa_dm(event, names[p.recipient_id])
            for p in await self.repo.list_pairings(event_id)
            if not p.pending
        }

    async def told_once_each(self, event_id: int) -> dict[int, list[Message]]:
        """What `received()` is when the draw was stored once and each notified santa
        of it got exactly one DM, naming their stored recipient."""
        return {santa: [dm] for santa, dm in (await self.stored_assignments(event_id)).items()}

    def dms_saying(self, content: str) -> list[int]:
        """Who received a DM with exactly this content, in order (once per DM)."""
        return [target for target, message in self.discord.dms if message.content == content]

    def admin_dms(self) -> list[str]:
        """Admin notices DMed to the event's creator, without the notice prefix."""
        return [
            message.content.removeprefix(ADMIN_PREFIX)
            for target, message in self.discord.dms
            if target == ADMIN and message.content.startswith(ADMIN_PREFIX)
        ]

    # --- observing: the event channel ------------------------------------------------
    async def channel(self, event_id: int) -> list[str]:
        """The kind of each post in the event's channel: the status whose announcement
        it is (compared with the `messages` renderers), or PING, REMINDER, NOTICE."""
        event = await self.get(event_id)
        pairings = await self.repo.list_pairings(event_id)
        participants = await self.repo.list_participants(event_id)
        names = {p.user_id: p.display_name for p in participants}
        reveal = messages.reveal_messages(
            [
                messages.RevealPair(
                    p.santa_id, names.get(p.santa_id), p.recipient_id, names.get(p.recipient_id)
                )
                for p in pairings
            ]
        )
        announcements = [
            (messages.creation_announcement(event), EventStatus.SCHEDULED),
            (
                messages.drawn_announcement(event, len(pairings) or len(participants)),
                EventStatus.ACTIVE,
            ),
            (messages.purchase_closed_announcement(event), EventStatus.PURCHASE_CLOSED),
            (reveal[0], EventStatus.REVEALED),
            (messages.cancelled_announcement(event), EventStatus.CANCELLED),
        ]
        kinds: list[str] = []
        for message in self.discord.posted(event.announcement_channel_id):
            pinged = list(message.mention_user_ids)
            status = next((s for m, s in announcements if m == message), None)
            if status is not None:
                kinds.append(status)
            elif message.content.startswith(ADMIN_PREFIX):
                kinds.append(NOTICE)
            elif pinged and messages.undelivered_reminder(pinged) == [message]:
                kinds.append(REMINDER)
            elif pinged and messages.closed_dms_pings(pinged) == [message]:
                kinds.append(PING)
            else:
                raise AssertionError(f"unexpected post in the event channel: {message}")
        return kinds

    async def announcements(self, event_id: int) -> list[EventStatus]:
        """The statuses announced in the event channel, in order."""
        statuses = {str(s) for s in EventStatus}
        return [EventStatus(k) for k in await self.channel(event_id) if k in statuses]

    def reminded(self, channel: int = CHANNEL) -> list[tuple[int, ...]]:
        """The santas pinged by each undelivered-DM reminder in the channel."""
        return [
            m.mention_user_ids
            for m in self.discord.posted(channel)
            if m.mention_user_ids and messages.undelivered_reminder(list(m.mention_user_ids)) == [m]
        ]

    def activity(self) -> tuple[int, int, int, int, int]:
        """Counters that move whenever anything reaches Discord (or is attempted):
        DMs, posts, DM attempts, post attempts, role member lookups."""
        return (
            len(self.discord.dms),
            len(self.discord.posts),
            self.discord.attempts,
            self.discord.post_attempts,
            self.discord.role_member_calls,
        )
