"""The phase engine over the real draw, delivery and announcement services: reconcile
with a moved clock, holds, its in-flight state and concurrent reconcilers (resuming
after an interruption is in `test_resume.py`)."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from ratmas.domain.errors import InvalidTransition, PairingImpossible
from ratmas.domain.lifecycle import PHASE_TRIGGERS, Lifecycle, Trigger, phase_target
from ratmas.domain.pairing import draw_pairings
from ratmas.domain.sharding import shard_filter
from ratmas.domain.status import EventStatus, Phase
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.locks import EventLocks
from ratmas.services.ports import Message, SentMessage
from tests.services.fake_discord import RecordingDiscord
from tests.services.world import (
    ADMIN,
    DEADLINE,
    GUILD,
    NOTICE,
    NOW,
    OTHER_GUILD,
    PING,
    REMINDER,
    REVEAL,
    ROLE,
    START,
    TICK,
    CrashingRepository,
    World,
    people,
)


@pytest.fixture
def world() -> World:
    return World()


# --- reconcile with a moved clock -------------------------------------------------------


async def test_before_the_start_nothing_happens_and_all_three_jobs_are_scheduled(
    world: World,
) -> None:
    event = await world.event()
    report = await world.engine.reconcile()
    assert report.performed == []
    assert world.activity() == (0, 0, 0, 0, 0)  # no DM, no post, no role lookup
    assert await world.repo.list_pairings(event.id) == []
    assert world.scheduler.ids() == [
        f"ratmas:{event.id}:purchase_deadline",
        f"ratmas:{event.id}:reveal",
        f"ratmas:{event.id}:start",
    ]
    job = world.scheduler.live[f"ratmas:{event.id}:start"]
    assert job.run_time == START
    assert str(job.run_time.tzinfo) == "Europe/London"


async def test_each_phase_is_performed_when_the_clock_reaches_it(world: World) -> None:
    # Santa 5's DMs are closed: the purchase deadline has someone to remind.
    world.members(1, 2, 3, 4, 5)
    world.discord.closed_dms = {5}
    event = await world.event()
    world.at(START)
    report = await world.engine.reconcile()
    assert report.performed == [(event.id, Phase.START)]
    active = await world.get(event.id)
    assert active.status is EventStatus.ACTIVE
    assert active.announced_status is EventStatus.ACTIVE
    assert len(await world.repo.list_pairings(event.id)) == 5
    assert sorted(world.told()) == [1, 2, 3, 4]
    assert await world.announcements(event.id) == [EventStatus.ACTIVE]
    assert world.reminded() == []
    assert world.scheduler.ids() == [
        f"ratmas:{event.id}:purchase_deadline",
        f"ratmas:{event.id}:reveal",
    ]

    world.at(DEADLINE + timedelta(seconds=1))
    assert (await world.engine.reconcile()).performed == [(event.id, Phase.PURCHASE_DEADLINE)]
    assert world.reminded() == [(5,)]
    assert world.scheduler.ids() == [f"ratmas:{event.id}:reveal"]

    world.at(REVEAL)
    assert (await world.engine.reconcile()).performed == [(event.id, Phase.REVEAL)]
    assert (await world.get(event.id)).status is EventStatus.REVEALED
    assert world.scheduler.ids() == []
    assert await world.announcements(event.id) == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    assert world.reminded() == [(5,)]
    phases = [a.detail.split(" performed")[0] for a in await world.repo.list_audit(event.id)]
    assert phases == ["start", "purchase deadline", "reveal"]


async def test_down_across_all_three_dates_performs_all_three_once_each_in_order(
    world: World,
) -> None:
    world.members(1, 2, 3, 4, 5)
    world.discord.closed_dms = {5}
    event = await world.event()
    world.at(REVEAL + timedelta(days=2))
    report = await world.engine.reconcile()
    assert report.performed == [
        (event.id, Phase.START),
        (event.id, Phase.PURCHASE_DEADLINE),
        (event.id, Phase.REVEAL),
    ]
    # One sync; the draw stored once and every santa DMed once (5 was tried once);
    # then the three announcements, the reminder right after the deadline's.
    assert world.discord.role_member_calls == 1
    assert world.received() == await world.told_once_each(event.id)
    assert sorted(world.discord.attempted) == [1, 2, 3, 4, 5, ADMIN, ADMIN]
    assert await world.channel(event.id) == [
        PING,  # santa 5, while the DMs went out
        NOTICE,  # the DM summary
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        REMINDER,
        NOTICE,  # who was reminded
        EventStatus.REVEALED,
    ]
    before = world.activity()
    for _ in range(3):
        world.clock.advance(TICK)
        assert (await world.engine.reconcile()).performed == []
    assert world.activity() == before
    assert world.scheduler.ids() == []


async def test_a_double_fire_in_one_process_performs_the_phase_once(world: World) -> None:
    event = await world.event()
    world.at(START)
    await asyncio.gather(
        world.engine.reconcile(event_id=event.id),
        world.engine.reconcile(),
        world.engine.reconcile(event_id=event.id),
    )
    assert world.received() == await world.told_once_each(event.id)  # stored once
    assert await world.announcements(event.id) == [EventStatus.ACTIVE]
    assert sorted(world.told()) == [1, 2, 3, 4]


class HeldDeadlinePost(RecordingDiscord):
    """A recording Discord whose purchase deadline post waits until released."""

    def __init__(self) -> None:
        super().__init__(roles={ROLE: people(1, 2, 3, 4)})
        self.posting = asyncio.Event()
        self.release = asyncio.Event()

    async def post(self, channel_id: int, message: Message) -> SentMessage:
        if message.content.startswith("🛍️ **The purchase deadline has passed**"):
            self.posting.set()
            await self.release.wait()
        return await super().post(channel_id, message)


@pytest.mark.parametrize("woken_by", ["its job", "the tick"])
async def test_a_phase_due_while_the_previous_one_is_announced_is_performed_at_once(
    woken_by: str,
) -> None:
    """The clock passes the reveal while the deadline's run is still announcing it (the
    reveal's job fires then, or a tick comes by): that second reconcile finds the event
    busy and leaves it, and the reveal, overdue, gets no job. The run on the event must
    perform it before it lets go, not leave it to the next safety tick."""
    world = World(discord=HeldDeadlinePost())
    discord = world.discord
    assert isinstance(discord, HeldDeadlinePost)
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    world.at(DEADLINE)
    deadline = asyncio.create_task(world.engine.reconcile(event_id=event.id))
    await asyncio.wait_for(discord.posting.wait(), timeout=10)

    world.at(REVEAL)
    second = world.engine.reconcile(event_id=event.id if woken_by == "its job" else None)
    assert (await second).performed == []
    assert (await world.get(event.id)).status is EventStatus.PURCHASE_CLOSED
    discord.release.set()

    report = await asyncio.wait_for(deadline, timeout=10)
    assert report.performed == [(event.id, Phase.PURCHASE_DEADLINE), (event.id, Phase.REVEAL)]
    assert (await world.get(event.id)).status is EventStatus.REVEALED
    assert await world.announcements(event.id) == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    assert world.scheduler.ids() == []


async def test_two_reconcilers_sharing_a_database_perform_each_phase_once() -> None:
    first = World()
    first.members(1, 2, 3, 4, 5)
    first.discord.closed_dms = {5}
    second = first.sharing()
    event = await first.event()
    for moment in (START, DEADLINE, REVEAL + timedelta(hours=1)):
        first.at(moment)
        await asyncio.gather(first.engine.reconcile(), second.engine.reconcile())
    # A phase claimed by one reconciler is finished by it; the other leaves it alone.
    assert first.received() == await first.told_once_each(event.id)
    assert sorted(first.told()) == [1, 2, 3, 4]
    assert await first.announcements(event.id) == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    assert first.reminded() == [(5,)]
    assert len(await first.repo.list_audit(event.id)) == 3


async def test_only_the_guilds_of_this_process_are_reconciled() -> None:
    ours = World(guild_filter=lambda guild_id: guild_id == GUILD)
    mine = await ours.event(GUILD)
    other = await ours.event(OTHER_GUILD)
    ours.at(START)
    report = await ours.engine.reconcile()
    assert report.performed == [(mine.id, Phase.START)]
    assert (await ours.get(other.id)).status is EventStatus.SCHEDULED
    assert all(job.event_id == mine.id for job in ours.scheduler.jobs())
    await ours.engine.reconcile(event_id=other.id)
    assert (await ours.get(other.id)).status is EventStatus.SCHEDULED


def test_shard_filter_uses_discords_formula() -> None:
    guild = (12345 << 22) | 99  # shard of (guild >> 22) % 4 == 1
    assert shard_filter(4, (1,))(guild)
    assert not shard_filter(4, (0, 2, 3))(guild)


async def test_a_failing_event_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    repo = CrashingRepository()
    world = World(repo)
    broken = await world.event(GUILD)
    fine = await world.event(OTHER_GUILD)
    repo.crash_next_store = True  # the first event's draw cannot be stored
    world.at(START)
    report = await world.engine.reconcile()
    assert report.failed == [broken.id]
    assert report.performed == [(broken.id, Phase.START), (fine.id, Phase.START)]
    assert (await world.get(broken.id)).announced_status is None  # claimed, unfinished
    assert (await world.get(fine.id)).announced_status is EventStatus.ACTIVE
    assert f"event {broken.id} (guild {GUILD}, status scheduled)" in caplog.text
    assert f"scripted crash in store_draw of event {broken.id}" in caplog.text


# --- the guard: held, told once, lifted by an admin ------------------------------------


async def test_too_few_participants_holds_the_event_and_tells_admins_once(world: World) -> None:
    world.members(1, 2)
    event = await world.event()
    world.at(START)
    report = await world.engine.reconcile()
    assert report.held == [event.id]
    held = await world.get(event.id)
    assert held.status is EventStatus.SCHEDULED
    assert held.held_reason is not None
    assert "needs at least 3 participants, has 2" in held.held_reason
    assert world.scheduler.ids() == []
    for _ in range(30):
        world.clock.advance(TICK)
        await world.engine.reconcile()
    assert await world.channel(event.id) == [NOTICE]
    assert len(world.admin_dms()) == 1
    assert "needs at least 3 participants, has 2" in world.admin_dms()[0]
    assert world.discord.role_member_calls == 1  # no retry loop
    status = await world.status.status(guild_id=GUILD)
    assert status.held_reason == held.held_reason
    assert status.pending == ()
    audit = await world.repo.list_audit(event.id)
    assert [(a.actor_id, a.action) for a in audit] == [(None, "hold")]

    # An admin reschedules: the hold is lifted, the jobs are back, the start happens.
    world.members(1, 2, 3)
    result = await world.admin.reschedule(event.id, ADMIN, starts_at="2026-11-22 09:00")
    assert result.event.held_reason is None
    assert "hold lifted" in result.detail
    assert f"ratmas:{event.id}:start" in world.scheduler.ids()
    world.at(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    assert (await world.engine.reconcile()).performed == [(event.id, Phase.START)]


async def test_a_reschedule_that_keeps_a_passed_start_retries_it_at_once(world: World) -> None:
    world.members(1, 2)
    event = await world.event()
    world.at(START + timedelta(hours=1))
    await world.engine.reconcile()
    world.members(1, 2, 3)
    await world.admin.reschedule(event.id, ADMIN, reveal_at="2026-12-11 18:00")
    assert (await world.get(event.id)).status is EventStatus.ACTIVE


async def test_a_missing_members_intent_holds_with_that_reason(world: World) -> None:
    world.discord.intent_missing = True
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    held = await world.get(event.id)
    assert held.held_reason is not None
    assert "Server Members intent" in held.held_reason
    assert len(world.admin_dms()) == 1
    assert await world.channel(event.id) == [NOTICE]


async def test_a_deleted_participant_role_holds_and_tells_the_admins_once(
    world: World,
) -> None:
    world.discord.role_missing = True
    event = await world.event()
    world.at(START)
    for _ in range(3):
        await world.engine.reconcile()
        world.clock.advance(TICK)
    held = await world.get(event.id)
    assert held.status is EventStatus.SCHEDULED
    assert held.held_reason is not None
    assert "participant role" in held.held_reason
    assert f"<@&{ROLE}>" in held.held_reason
    assert "/ratmas-admin setup participant_role:" in held.held_reason
    assert len(world.admin_dms()) == 1
    assert await world.channel(event.id) == [NOTICE]


async def test_an_impossible_draw_holds_with_its_message_before_any_claim(world: World) -> None:
    event = await world.event()
    excluded = [(1, 2), (1, 3), (1, 4)]  # user1 has excluded everyone else
    for user, other in excluded:
        assert await world.repo.add_exclusion(event.id, user, other)
    with pytest.raises(PairingImpossible) as impossible:
        draw_pairings([1, 2, 3, 4], exclusions=excluded, rng=random.Random(0))
    world.at(START)
    await world.engine.reconcile()
    held = await world.get(event.id)
    assert held.status is EventStatus.SCHEDULED
    assert held.held_reason == str(impossible.value)
    assert await world.repo.list_pairings(event.id) == []


async def test_advance_lifts_a_hold_once_the_guard_passes(world: World) -> None:
    world.members(1, 2)
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    with pytest.raises(InvalidTransition, match=r"needs at least 3 participants, has 2"):
        await world.admin.advance(event.id, ADMIN)
    assert (await world.get(event.id)).held_reason is not None
    world.members(1, 2, 3)
    result = await world.admin.advance(event.id, ADMIN)
    assert result.event.status is EventStatus.ACTIVE
    assert result.event.held_reason is None
    assert world.scheduler.ids() == [
        f"ratmas:{event.id}:purchase_deadline",
        f"ratmas:{event.id}:reveal",
    ]


# --- the engine's own state ----------------------------------------------------------------


@dataclass
class LockPeekingDiscord(RecordingDiscord):
    """Records how many event locks exist whenever a DM goes out or a role changes."""

    locks: EventLocks | None = None
    seen: list[int] = field(default_factory=list)

    def _peek(self) -> None:
        assert self.locks is not None
        self.seen.append(len(self.locks))

    async def send_dm(
        self,
        user_id: int,
        message: Message,
        *,
        nonce: str | None = None,
        channel_id: int | None = None,
    ) -> SentMessage:
        self._peek()
        return await super().send_dm(user_id, message, nonce=nonce, channel_id=channel_id)

    async def add_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        self._peek()
        await super().add_role(guild_id, user_id, role_id)


async def test_the_event_locks_are_released_once_unused() -> None:
    discord = LockPeekingDiscord(roles={ROLE: people(1, 2, 3, 4)})
    world = World(discord=discord)
    discord.locks = world.services.locks
    event = await world.event()
    await world.services.participants.join(GUILD, 5, "user5")
    assert discord.seen == [1]  # the role is granted under the event's lock
    assert len(world.services.locks) == 0
    await world.services.participants.leave(GUILD, 5)
    assert len(world.services.locks) == 0
    world.at(START)
    await world.engine.reconcile()
    assert sorted(world.told()) == [1, 2, 3, 4]
    assert discord.seen[1:] == [1, 1, 1, 1]  # the blast holds the lock
    assert len(world.services.locks) == 0
    assert (await world.get(event.id)).status is EventStatus.ACTIVE


async def test_the_stored_status_is_the_one_the_lifecycle_machine_returns(world: World) -> None:
    event = await world.event()
    for moment, phase in (
        (START, Phase.START),
        (DEADLINE, Phase.PURCHASE_DEADLINE),
        (REVEAL, Phase.REVEAL),
    ):
        before = await world.get(event.id)
        machine = Lifecycle(before.status, participant_count=4, min_participants=3)
        expected = machine.fire(PHASE_TRIGGERS[phase])
        world.at(moment)
        assert (await world.engine.reconcile()).performed == [(event.id, phase)]
        assert (await world.get(event.id)).status is expected is phase_target(phase)
    archived = Lifecycle(EventStatus.REVEALED).fire(Trigger.ARCHIVE)
    assert (await world.admin.archive(event.id, ADMIN)).event.status is archived
    other = await world.event()
    cancelled = Lifecycle(EventStatus.SCHEDULED).fire(Trigger.CANCEL)
    assert (await world.admin.cancel(other.id, ADMIN, "no")).event.status is cancelled


# --- reconcilers on PostgreSQL -------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.parametrize("downtime", [False, True], ids=["on-time", "after-downtime"])
async def test_concurrent_reconcilers_on_postgres_perform_each_phase_once(
    database: str, downtime: bool, caplog: pytest.LogCaptureFixture
) -> None:
    first = World(TortoiseEventRepository())
    first.members(1, 2, 3, 4, 5, 6)
    first.discord.closed_dms = {6}  # someone to remind at the deadline
    worlds = [
        first,
        *(
            World(TortoiseEventRepository(), discord=first.discord, clock=first.clock)
            for _ in range(2)
        ),
    ]
    event = await first.event()
    # Participants joined before the start (concurrent first inserts of the same
    # members would make all but one sync fail, which only delays that reconciler).
    await first.repo.sync_participants(event.id, people(1, 2, 3, 4, 5, 6), now=NOW)
    moments = [REVEAL + timedelta(hours=1)] if downtime else [START, DEADLINE, REVEAL]
    for moment in moments:
        first.at(moment)
        for _ in range(3):
            await asyncio.gather(*(w.engine.reconcile() for w in worlds))
            first.clock.advance(TICK)

    final = await first.repo.get_event(event.id)
    assert final is not None
    assert final.status is EventStatus.REVEALED
    assert final.announced_status is EventStatus.REVEALED
    assert first.received() == await first.told_once_each(event.id)  # stored once
    assert sorted(first.told()) == [1, 2, 3, 4, 5]
    assert first.discord.attempted.count(6) == 1
    assert await first.announcements(event.id) == [
        EventStatus.ACTIVE,
        EventStatus.PURCHASE_CLOSED,
        EventStatus.REVEALED,
    ]
    assert first.reminded() == [(6,)]
    audit = await first.repo.list_audit(event.id)
    assert [a.detail.split(" performed")[0] for a in audit] == [
        "start",
        "purchase deadline",
        "reveal",
    ]
    pairings = await first.repo.list_pairings(event.id)
    assert all(p.notified_at is not None for p in pairings if p.santa_id != 6)
    assert [p.attempts for p in pairings if p.santa_id == 6] == [1]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
