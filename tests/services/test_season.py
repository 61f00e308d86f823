"""The draw, the santa DMs, the announcements and the participants' and organisers'
use cases over the in-memory repository (and the real databases for the crash/resume
path) with a recording Discord."""

from __future__ import annotations

import asyncio
import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from ratmas.domain.errors import (
    AlreadyJoined,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PairingImpossible,
)
from ratmas.domain.model import Event, EventDates, Member, NewEvent
from ratmas.domain.pairing import loops
from ratmas.domain.status import EventStatus
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services import messages
from ratmas.services.container import ServiceOptions, Services, build_services
from ratmas.services.errors import MembersIntentMissing, RoleChangeFailed, SignUpsClosed
from ratmas.services.ports import EventRepository, Message, SentMessage
from tests.fakes import FixedClock, InMemoryEventRepository, RecordingJobScheduler
from tests.services.fake_discord import DiscordCrash, RecordingDiscord

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START = NOW + timedelta(days=1)
DEADLINE = NOW + timedelta(days=10)
REVEAL = NOW + timedelta(days=20)
GUILD = 900_000_000_000_000_001
CHANNEL = 800_000_000_000_000_001
ROLE = 700_000_000_000_000_001
ADMIN = 600_000_000_000_000_001
TIMESTAMP = re.compile(r"<t:\d+:F>")


class World:
    def __init__(self, repo: EventRepository | None = None, *, max_concurrent_dms: int = 5) -> None:
        self.repo: EventRepository = repo or InMemoryEventRepository()
        self.clock = FixedClock(NOW)
        self.discord = RecordingDiscord()
        seeds = iter(range(1000))
        self.s: Services = build_services(
            self.repo,
            self.discord,
            self.clock,
            RecordingJobScheduler(),
            ServiceOptions(
                max_concurrent_dms=max_concurrent_dms, rng=lambda: random.Random(next(seeds))
            ),
        )

    async def event(
        self,
        *people: int,
        status: EventStatus = EventStatus.SCHEDULED,
        role: int | None = ROLE,
        names: dict[int, str] | None = None,
    ) -> Event:
        event = await self.repo.create_event(
            NewEvent(
                guild_id=GUILD,
                dates=EventDates(START, DEADLINE, REVEAL),
                timezone="Europe/London",
                announcement_channel_id=CHANNEL,
                participant_role_id=role,
                created_by=ADMIN,
            ),
            now=NOW,
        )
        for user_id in people:
            name = (names or {}).get(user_id, f"user{user_id}")
            await self.repo.add_participant(event.id, Member(user_id, name), now=NOW)
        if status is not EventStatus.SCHEDULED:
            assert await self.repo.set_status(
                event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW
            )
        if status not in (EventStatus.SCHEDULED, EventStatus.ACTIVE):
            assert await self.repo.set_status(event.id, EventStatus.ACTIVE, status, now=NOW)
        return await self.get(event.id)

    async def drawn(self, *people: int, plan: dict[int, int] | None = None) -> Event:
        """An active event whose draw is stored and every santa told."""
        event = await self.event(*people, status=EventStatus.ACTIVE)
        await self.s.draw.store_draw(event, plan or (await self.s.draw.plan_draw(event)).pairings)
        report = await self.s.delivery.deliver_pending(event)
        assert len(report.sent) == len(people)
        self.discord.dms.clear()
        self.discord.posts.clear()
        return event

    async def get(self, event_id: int) -> Event:
        event = await self.repo.get_event(event_id)
        assert event is not None
        return event

    async def draw(self, event_id: int) -> dict[int, int]:
        return {p.santa_id: p.recipient_id for p in await self.repo.list_pairings(event_id)}


@pytest.fixture
def world() -> World:
    return World()


def ring(*people: int) -> dict[int, int]:
    return {p: people[(k + 1) % len(people)] for k, p in enumerate(people)}


# --- sync and draw -----------------------------------------------------------------------


async def test_sync_makes_the_participants_the_role_holders(world: World) -> None:
    event = await world.event(1, 2, 3)
    world.discord.roles[ROLE] = [Member(2, "two renamed"), Member(3, "user3"), Member(4, "four")]
    result = await world.s.draw.sync_participants(event)
    assert (result.added, result.removed, result.renamed) == ((4,), (1,), (2,))
    names = {p.user_id: p.display_name for p in await world.repo.list_participants(event.id)}
    assert names == {2: "two renamed", 3: "user3", 4: "four"}


async def test_without_a_participant_role_the_table_is_the_truth(world: World) -> None:
    event = await world.event(1, 2, role=None)
    assert not (await world.s.draw.sync_participants(event)).changed
    assert len(await world.repo.list_participants(event.id)) == 2


async def test_a_missing_members_intent_propagates(world: World) -> None:
    event = await world.event(1, 2)
    world.discord.intent_missing = True
    with pytest.raises(MembersIntentMissing):
        await world.s.draw.sync_participants(event)


async def test_the_draw_honours_exclusions_and_avoids_last_years_pairs(world: World) -> None:
    last = await world.event(1, 2, 3, 4, status=EventStatus.ACTIVE)
    await world.repo.replace_pairings(last.id, ring(1, 2, 3, 4))
    await world.repo.set_status(last.id, EventStatus.ACTIVE, EventStatus.CANCELLED, now=NOW)
    event = await world.event(1, 2, 3, 4)
    await world.repo.add_exclusion(event.id, 1, 3)
    for _ in range(20):
        plan = (await world.s.draw.plan_draw(event)).pairings
        assert plan[1] != 3
        assert all(plan[s] != r for s, r in ring(1, 2, 3, 4).items())
    await world.s.draw.store_draw(event, plan)
    assert all(p.pending and p.attempts == 0 for p in await world.repo.list_pairings(event.id))


# --- santa DMs -----------------------------------------------------------------------------


async def test_every_santa_gets_a_dm_with_name_mention_wishlist_and_timestamps(
    world: World,
) -> None:
    event = await world.event(1, 2, 3, status=EventStatus.ACTIVE, names={2: "Bea"})
    await world.repo.set_wishlist(event.id, 2, "https://example.com/bea")
    await world.s.draw.store_draw(event, ring(1, 2, 3))
    report = await world.s.delivery.deliver_pending(event)
    assert report.sent == (1, 2, 3)
    assert report.still_pending == 0
    [dm] = world.discord.dms_to(1)
    assert "**Bea** (<@2>)" in dm.content
    assert "<https://example.com/bea>" in dm.content
    assert TIMESTAMP.findall(dm.content) == [
        f"<t:{int(DEADLINE.timestamp())}:F>",
        f"<t:{int(REVEAL.timestamp())}:F>",
    ]
    assert "not set a wishlist yet" in world.discord.dms_to(2)[0].content
    assert all(not p.pending for p in await world.repo.list_pairings(event.id))
    assert world.discord.posts == []  # nothing to tell admins when all went through


async def test_retry_sends_only_the_santas_own_pending_dm(world: World) -> None:
    event = await world.event(1, 2, 3, 4, status=EventStatus.ACTIVE)
    await world.s.draw.store_draw(event, ring(1, 2, 3, 4))
    world.discord.closed_dms = {2, 3}
    await world.s.delivery.deliver_pending(event)
    world.discord.dms.clear()
    world.discord.posts.clear()

    still_closed = await world.s.participants.retry_own(GUILD, 2)
    assert (still_closed.delivered, still_closed.dms_closed) == (False, True)
    assert world.discord.posts == []  # the santa reads the answer on the button
    world.discord.closed_dms = {3}
    done = await world.s.participants.retry_own(GUILD, 2)
    assert done.delivered
    assert [user for user, _ in world.discord.dms] == [2]  # 3 is still pending, untouched
    assert "user3" in world.discord.dms[0][1].content  # 2 gives to 3
    again = await world.s.participants.retry_own(GUILD, 2)
    assert again.already
    assert len(world.discord.dms) == 1
    with pytest.raises(NotFound):
        await world.s.participants.retry_own(GUILD, 99)
    pending = [p.santa_id for p in await world.repo.pending_pairings(event.id)]
    assert pending == [3]


async def test_retry_before_the_draw_is_refused(world: World) -> None:
    await world.event(1, 2, 3)
    with pytest.raises(InvalidTransition):
        await world.s.participants.retry_own(GUILD, 1)


async def test_closed_dms_are_recorded_pinged_without_secrets_and_summarised(
    world: World,
) -> None:
    event = await world.event(1, 2, 3, 4, status=EventStatus.ACTIVE)
    await world.s.draw.store_draw(event, ring(1, 2, 3, 4))
    world.discord.closed_dms = {2}
    report = await world.s.delivery.deliver_pending(event)

    assert report.sent == (1, 3, 4)
    assert report.dms_closed == (2,)
    assert report.still_pending == 1
    failed = next(p for p in await world.repo.list_pairings(event.id) if p.santa_id == 2)
    assert (failed.pending, failed.attempts, failed.last_error_code) == (True, 1, 50007)

    ping, summary = world.discord.posted(CHANNEL)
    assert ping.mention_user_ids == (2,)
    assert "<@2>" in ping.content
    assert "<@3>" not in ping.content
    assert "user3" not in ping.content  # 2 drew 3: nothing about the recipient
    assert messages.RETRY_HINT in ping.content
    assert ping.retry_button
    assert summary.mention_user_ids == ()
    assert "3 sent" in summary.content
    assert "1 with closed DMs" in summary.content
    assert [m.content for m in world.discord.dms_to(ADMIN)] == [summary.content]


async def test_failed_santas_are_not_hammered_and_an_explicit_retry_pings_again(
    world: World,
) -> None:
    event = await world.event(1, 2, 3, status=EventStatus.ACTIVE)
    await world.s.draw.store_draw(event, ring(1, 2, 3))
    world.discord.closed_dms = {2}
    await world.s.delivery.deliver_pending(event)
    attempts = world.discord.attempts
    posts = len(world.discord.posts)

    # The reconcile's resume: failed pairings are left alone, nobody is pinged again.
    again = await world.s.delivery.deliver_pending(event)
    assert again.sent == again.dms_closed == ()
    assert world.discord.attempts == attempts
    assert len(world.discord.posts) == posts

    # Retry asked for by a person: tried again, pinged again.
    retried = await world.s.delivery.deliver_pending(event, retry_failed=True)
    assert retried.dms_closed == (2,)
    assert world.discord.posted(CHANNEL)[posts].mention_user_ids == (2,)

    world.discord.closed_dms = set()
    fixed = await world.s.delivery.deliver_pending(event, retry_failed=True)
    assert fixed.sent == (2,)
    assert fixed.still_pending == 0


async def test_other_refusals_are_recorded_and_do_not_stop_the_rest(world: World) -> None:
    event = await world.event(1, 2, 3, 4, status=EventStatus.ACTIVE)
    await world.s.draw.store_draw(event, ring(1, 2, 3, 4))
    world.discord.unknown_users = {1}
    report = await world.s.delivery.deliver_pending(event)
    assert report.failed == (1,)
    assert report.sent == (2, 3, 4)
    assert not any(m.mention_user_ids for m in world.discord.posted())  # no ping for those


async def test_slow_down_stops_at_once_and_keeps_the_rest_untried(world: World) -> None:
    people = tuple(range(1, 21))
    event = await world.event(*people, status=EventStatus.ACTIVE)
    await world.s.draw.store_draw(event, ring(*people))
    world.discord.slow_down_after = 6
    report = await world.s.delivery.deliver_pending(event)

    assert report.stopped
    assert len(report.sent) == 6
    assert report.still_pending == 14
    assert report.dms_closed == report.failed == ()
    # Stopped at once: at most the DMs already in flight were attempted after the 40003
    # (plus the summary DM to the event's creator).
    assert world.discord.attempts <= 6 + 5 + 1
    pending = await world.repo.pending_pairings(event.id)
    assert all(p.attempts == 0 and p.last_error_code is None for p in pending)
    assert "slow down" in world.discord.posted(CHANNEL)[-1].content

    world.discord.slow_down_after = None
    later = await world.s.delivery.deliver_pending(event)  # the next reconcile tick
    assert sorted(report.sent + later.sent) == list(people)
    assert later.still_pending == 0
    assert sorted(world.discord.dm_targets()) == list(people)  # nobody twice


async def crash_then_resume(world: World, event: Event, people: tuple[int, ...]) -> None:
    await world.s.draw.store_draw(event, ring(*people))
    world.discord.crash_at = 4
    with pytest.raises(DiscordCrash):
        await world.s.delivery.deliver_pending(event)
    first = world.discord.dm_targets()
    pending = {p.santa_id for p in await world.repo.pending_pairings(event.id)}
    assert set(first) == set(people) - pending  # every DM that went out is marked
    assert 3 <= len(first) < len(people)

    report = await world.s.delivery.deliver_pending(event)  # the resume
    assert sorted(report.sent) == sorted(pending)
    assert report.still_pending == 0
    assert sorted(world.discord.dm_targets()) == list(people)  # each santa exactly once


async def test_a_crash_mid_send_is_resumed_without_sending_anything_twice(world: World) -> None:
    people = tuple(range(1, 13))
    await crash_then_resume(world, await world.event(*people, status=EventStatus.ACTIVE), people)


async def test_a_crash_mid_send_is_resumed_on_a_real_database(database: str) -> None:
    world = World(TortoiseEventRepository())
    people = tuple(range(1, 13))
    await crash_then_resume(world, await world.event(*people, status=EventStatus.ACTIVE), people)


async def test_sends_are_bounded_by_max_concurrent_dms() -> None:
    world = World(max_concurrent_dms=2)
    in_flight = 0
    peak = 0
    send = world.discord.send_dm

    async def counting(
        user_id: int, message: Message, *, nonce: str | None = None, channel_id: int | None = None
    ) -> SentMessage:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await send(user_id, message, nonce=nonce, channel_id=channel_id)
        finally:
            in_flight -= 1

    world.discord.send_dm = counting  # type: ignore[method-assign]
    people = tuple(range(1, 11))
    event = await world.event(*people, status=EventStatus.ACTIVE)
    await world.s.draw.store_draw(event, ring(*people))
    await world.s.delivery.deliver_pending(event)
    assert peak == 2


# --- announcements and admins -------------------------------------------------------------


async def test_each_status_has_its_announcement(world: World) -> None:
    event = await world.event(1, 2, 3)
    await world.s.announcer.announce(event)
    [created] = world.discord.posted(CHANNEL)
    assert created.join_buttons_event_id == event.id

    await world.repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    await world.s.draw.store_draw(event, ring(1, 2, 3))
    await world.s.announcer.announce(await world.get(event.id))
    assert "Names are drawn" in world.discord.posted(CHANNEL)[-1].content
    assert "3 santas" in world.discord.posted(CHANNEL)[-1].content

    for status in (EventStatus.PURCHASE_CLOSED, EventStatus.REVEALED, EventStatus.ARCHIVED):
        current = await world.get(event.id)
        await world.repo.set_status(event.id, current.status, status, now=NOW)
        before = len(world.discord.posts)
        await world.s.announcer.announce(await world.get(event.id))
        if status is EventStatus.ARCHIVED:
            assert len(world.discord.posts) == before
    reveal = world.discord.posted(CHANNEL)[-1].content
    assert "**user1** (<@1>) → **user2** (<@2>)" in reveal
    assert all(m.mention_user_ids == () for m in world.discord.posted())


async def test_the_cancellation_says_why(world: World) -> None:
    event = await world.event(1, 2)
    await world.repo.set_status(
        event.id, EventStatus.SCHEDULED, EventStatus.CANCELLED, now=NOW, cancel_reason="snow"
    )
    await world.s.announcer.announce(await world.get(event.id))
    assert "snow" in world.discord.posted(CHANNEL)[-1].content


async def test_mention_injection_in_names_never_pings(world: World) -> None:
    names = {1: "@everyone", 2: "<@&123>", 3: "@here **boom**"}
    event = await world.event(1, 2, 3, status=EventStatus.ACTIVE, names=names)
    await world.s.draw.store_draw(event, ring(1, 2, 3))
    world.discord.closed_dms = {3}
    await world.s.delivery.deliver_pending(event)
    current = await world.get(event.id)
    await world.repo.set_status(event.id, current.status, EventStatus.PURCHASE_CLOSED, now=NOW)
    await world.repo.set_status(
        event.id, EventStatus.PURCHASE_CLOSED, EventStatus.REVEALED, now=NOW
    )
    await world.s.announcer.announce(await world.get(event.id))
    everything = [m for _, m in world.discord.dms] + world.discord.posted()
    for message in everything:
        assert "@everyone" not in message.content
        assert "@here" not in message.content
        assert "<@&123>" not in message.content
        assert set(message.mention_user_ids) <= {3}  # only the closed-DM santa's ping


async def test_remind_undelivered_pings_pending_santas_and_tells_admins(world: World) -> None:
    event = await world.event(1, 2, 3, status=EventStatus.ACTIVE)
    await world.s.draw.store_draw(event, ring(1, 2, 3))
    world.discord.closed_dms = {1}
    await world.s.delivery.deliver_pending(event)
    world.discord.posts.clear()
    await world.s.announcer.remind_undelivered(event)
    reminder, notice = world.discord.posted(CHANNEL)
    assert reminder.mention_user_ids == (1,)
    assert "<@2>" not in reminder.content
    assert "1 santa(s) never received" in notice.content
    assert notice.mention_user_ids == ()


async def test_telling_admins_survives_closed_dms_and_a_refused_channel(world: World) -> None:
    event = await world.event(1, 2)
    world.discord.closed_dms = {ADMIN}
    world.discord.refuse_posts = True
    await world.s.announcer.tell_admins(event, "hello")  # does not raise
    assert world.discord.dms == []


# --- joining and leaving ----------------------------------------------------------------------


async def test_join_enrols_and_grants_the_role_once(world: World) -> None:
    event = await world.event()
    result = await world.s.participants.join(GUILD, 5, "Five")
    assert (result.event_id, result.participant.display_name, result.role_granted) == (
        event.id,
        "Five",
        True,
    )
    assert world.discord.role_changes == [("add", GUILD, 5, ROLE)]
    with pytest.raises(AlreadyJoined, match="already joined"):
        await world.s.participants.join(GUILD, 5, "Five")


async def test_join_after_the_draw_is_closed_and_a_refused_role_undoes_it(
    world: World,
) -> None:
    with pytest.raises(NotFound, match="no Ratmas running"):
        await world.s.participants.join(GUILD, 5, "Five")
    event = await world.event()
    world.discord.refuse_roles = True
    with pytest.raises(RoleChangeFailed):
        await world.s.participants.join(GUILD, 5, "Five")
    assert await world.repo.get_participant(event.id, 5) is None
    await world.repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    with pytest.raises(SignUpsClosed, match="Sign-ups are closed"):
        await world.s.participants.join(GUILD, 6, "Six")


async def test_a_sign_up_whose_role_is_still_being_granted_survives_the_start_sync(
    world: World,
) -> None:
    event = await world.event()
    granting = asyncio.Event()
    release = asyncio.Event()
    add_role = world.discord.add_role

    async def slow_add_role(guild_id: int, user_id: int, role_id: int) -> None:
        granting.set()
        await release.wait()  # Discord answers slowly (a 429 being waited out)
        await add_role(guild_id, user_id, role_id)
        world.discord.roles.setdefault(role_id, []).append(Member(user_id, "Five"))

    world.discord.add_role = slow_add_role  # type: ignore[method-assign]
    joining = asyncio.create_task(world.s.participants.join(GUILD, 5, "Five"))
    await granting.wait()
    syncing = asyncio.create_task(world.s.draw.sync_participants(event))
    await asyncio.sleep(0)
    release.set()
    await joining
    await syncing
    assert await world.repo.get_participant(event.id, 5) is not None


async def test_leaving_before_the_draw_removes_the_row_and_the_role(world: World) -> None:
    event = await world.event(1, 2, 3)
    result = await world.s.participants.leave(GUILD, 2)
    assert not result.after_draw
    assert await world.repo.get_participant(event.id, 2) is None
    assert world.discord.role_changes == [("remove", GUILD, 2, ROLE)]
    with pytest.raises(NotFound):
        await world.s.participants.leave(GUILD, 2)


async def test_a_leaver_after_the_draw_is_spliced_out_and_their_santa_dmed(
    world: World,
) -> None:
    event = await world.drawn(1, 2, 3, 4, 5, 6, plan=ring(1, 2, 3, 4, 5, 6))
    result = await world.s.participants.member_left(GUILD, 3)
    assert result is not None
    assert result.after_draw
    assert result.reassigned == (2,)
    draw = await world.draw(event.id)
    assert draw == {1: 2, 2: 4, 4: 5, 5: 6, 6: 1}
    assert len(loops(draw)) == 1
    [dm] = world.discord.dms_to(2)
    assert dm.content.startswith(messages.CHANGED_NOTE)
    assert "(<@4>)" in dm.content
    assert world.discord.dm_targets() == [2]
    pairings = await world.repo.list_pairings(event.id)
    assert all(not p.pending for p in pairings)  # untouched pairs stay notified
    assert await world.repo.get_participant(event.id, 3) is None
    audit = await world.repo.list_audit(event.id)
    assert audit[-1].action == "leave"
    # Idempotent: a second notice for the same member changes nothing.
    assert await world.s.participants.member_left(GUILD, 3) is None
    assert world.discord.dm_targets() == [2]


async def test_a_leaver_in_a_loop_of_two_is_swapped_into_another_loop(world: World) -> None:
    event = await world.drawn(1, 2, 3, 4, 5, plan={1: 2, 2: 1, 3: 4, 4: 5, 5: 3})
    result = await world.s.participants.role_removed(GUILD, 2, ROLE)
    assert result is not None
    draw = await world.draw(event.id)
    assert len(loops(draw)) == 1  # the swap merged the loops
    assert set(draw) == {1, 3, 4, 5}
    assert sorted(world.discord.dm_targets()) == sorted(result.reassigned)
    assert 1 in result.reassigned


async def test_leave_after_the_draw_takes_the_role_and_splices(world: World) -> None:
    event = await world.drawn(1, 2, 3, plan=ring(1, 2, 3))
    result = await world.s.participants.leave(GUILD, 1)
    assert result.reassigned == (3,)
    assert await world.draw(event.id) == {2: 3, 3: 2}
    assert ("remove", GUILD, 1, ROLE) in world.discord.role_changes
    # The role change comes back as a gateway event: nothing left to do.
    assert await world.s.participants.role_removed(GUILD, 1, ROLE) is None


async def test_fewer_than_two_left_tells_admins_and_does_not_crash(world: World) -> None:
    event = await world.drawn(1, 2, plan=ring(1, 2))
    result = await world.s.participants.member_left(GUILD, 1)
    assert result is not None
    assert result.warning is not None
    assert "organisers have been told" in result.warning
    notice = world.discord.posted(CHANNEL)[-1]
    assert "cancel" in notice.content
    # The reason (which could hint at who drew whom) goes to the organiser only.
    assert "at least 2" not in notice.content
    (dm,) = world.discord.dms_to(ADMIN)
    assert "at least 2" in dm.content
    assert await world.repo.get_participant(event.id, 1) is None


async def test_other_roles_and_unknown_members_are_ignored(world: World) -> None:
    await world.drawn(1, 2, 3)
    assert await world.s.participants.role_removed(GUILD, 1, ROLE + 1) is None
    assert await world.s.participants.member_left(GUILD, 99) is None
    assert world.discord.dms == []


# --- wishlists ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/list",
        "javascript:alert(1)",
        "example.com/list",
        "https://",
        "https://exa mple.com",
        "https://example.com/<@everyone>",
        "https://example.com/" + "x" * 600,
        "https://\u202eexample.com",
        "https://example.com/\u200bwish",
        "https://example.com/a|b",
        "https://shop.example@evil.example/list",
        "data:text/html,<b>hi</b>",
    ],
)
async def test_wishlists_must_be_short_http_links(world: World, url: str) -> None:
    await world.event(1, 2)
    with pytest.raises(InvalidInput) as raised:
        await world.s.participants.set_wishlist(GUILD, 1, url)
    assert raised.value.field == "wishlist"
    assert "http://" in raised.value.problem


async def test_wishlist_set_and_cleared_before_the_draw_tells_nobody(world: World) -> None:
    event = await world.event(1, 2)
    result = await world.s.participants.set_wishlist(GUILD, 1, "  https://example.com/a  ")
    assert result.participant.wishlist_url == "https://example.com/a"
    assert not result.santa_told
    assert (
        await world.s.participants.set_wishlist(GUILD, 1, None)
    ).participant.wishlist_url is None
    assert world.discord.dms == []
    with pytest.raises(NotFound, match="not joined"):
        await world.s.participants.set_wishlist(GUILD, 9, "https://example.com/a")
    assert event.id == result.event_id


async def test_a_wishlist_change_after_the_draw_dms_the_santa(world: World) -> None:
    await world.drawn(1, 2, 3, plan=ring(1, 2, 3))
    result = await world.s.participants.set_wishlist(GUILD, 2, "https://example.com/two")
    assert result.santa_told
    [dm] = world.discord.dms_to(1)  # 1 gives to 2
    assert "<https://example.com/two>" in dm.content
    assert "(<@2>)" in dm.content


# --- admins ------------------------------------------------------------------------------------


async def test_an_admin_adds_someone_after_the_draw_and_both_santas_are_dmed(
    world: World,
) -> None:
    event = await world.drawn(1, 2, 3, 4, plan=ring(1, 2, 3, 4))
    result = await world.s.roster.add_participant(event.id, ADMIN, 9, "Nine")
    assert result.after_draw
    newcomer, santa = result.reassigned
    assert newcomer == 9
    draw = await world.draw(event.id)
    assert draw[santa] == 9
    assert len(loops(draw)) == 1
    assert sorted(world.discord.dm_targets()) == sorted([9, santa])
    assert world.discord.dms_to(santa)[0].content.startswith(messages.JOINED_NOTE)
    assert not world.discord.dms_to(9)[0].content.startswith(messages.JOINED_NOTE)
    assert ("add", GUILD, 9, ROLE) in world.discord.role_changes
    assert (await world.repo.list_audit(event.id))[-1].actor_id == ADMIN
    with pytest.raises(AlreadyJoined):
        await world.s.roster.add_participant(event.id, ADMIN, 9, "Nine")


async def test_an_admin_adds_someone_before_the_draw(world: World) -> None:
    event = await world.event(1, 2)
    result = await world.s.roster.add_participant(event.id, ADMIN, 3, "Three")
    assert not result.after_draw
    assert len(await world.repo.list_participants(event.id)) == 3


async def test_exclusions_refuse_oneself_and_warn_when_the_draw_becomes_impossible(
    world: World,
) -> None:
    event = await world.event(1, 2, 3, 4)
    with pytest.raises(InvalidInput) as raised:
        await world.s.roster.exclude(event.id, ADMIN, 1, 1, both_ways=False)
    assert raised.value.field == "other"

    fine = await world.s.roster.exclude(event.id, ADMIN, 1, 2, both_ways=True)
    assert fine.changed == ((1, 2), (2, 1))
    assert fine.warning is None
    assert (await world.s.roster.exclude(event.id, ADMIN, 1, 3, both_ways=False)).warning is None
    # Stored all the same: someone may still join before the start.
    stuck = await world.s.roster.exclude(event.id, ADMIN, 1, 4, both_ways=False)
    assert stuck.changed == ((1, 4),)
    assert stuck.warning is not None
    assert "no draw is possible" in stuck.warning
    with pytest.raises(PairingImpossible):
        await world.s.draw.plan_draw(event)

    lifted = await world.s.roster.unexclude(event.id, ADMIN, 1, 4, both_ways=True)
    assert lifted.changed == ((1, 4),)
    await world.s.draw.plan_draw(event)
    actions = [a.action for a in await world.repo.list_audit(event.id)]
    assert actions == ["exclude", "exclude", "exclude", "unexclude"]


@pytest.mark.parametrize(
    ("other", "facts", "field", "reason"),
    [
        (9, {}, "recipient", "has not joined this Ratmas"),
        (2, {"bots": [2]}, "recipient", "is a bot"),
        (2, {"outside_guild": [2]}, "recipient", "not a member of this server"),
    ],
    ids=["non-participant", "bot", "not-in-guild"],
)
async def test_exclusions_are_only_between_participants_of_the_guild(
    world: World, other: int, facts: dict[str, list[int]], field: str, reason: str
) -> None:
    event = await world.event(1, 2, 3)
    with pytest.raises(InvalidInput) as raised:
        await world.s.roster.exclude(event.id, ADMIN, 1, other, both_ways=True, **facts)
    assert raised.value.field == field
    assert reason in str(raised.value)
    assert await world.repo.list_exclusions(event.id) == []
    assert [a.action for a in await world.repo.list_audit(event.id)] == []


async def test_an_exclusion_after_the_draw_warns_that_the_draw_is_unchanged(
    world: World,
) -> None:
    event = await world.drawn(1, 2, 3, plan=ring(1, 2, 3))
    result = await world.s.roster.exclude(event.id, ADMIN, 1, 2, both_ways=False)
    assert result.warning is not None
    assert "redraw" in result.warning
    assert await world.draw(event.id) == ring(1, 2, 3)


async def test_the_roster_lists_participants_exclusions_and_progress(world: World) -> None:
    event = await world.drawn(1, 2, 3)
    await world.repo.add_exclusion(event.id, 1, 2)
    roster = await world.s.roster.participants(event.id)
    assert [p.user_id for p in roster.participants] == [1, 2, 3]
    assert [(x.user_id, x.excluded_user_id) for x in roster.exclusions] == [(1, 2)]
    assert (roster.pairings_told, roster.pairings_pending) == (3, 0)
    with pytest.raises(NotFound):
        await world.s.roster.participants(999)


async def test_leaving_a_revealed_event_is_refused(world: World) -> None:
    await world.event(1, 2, status=EventStatus.REVEALED)
    with pytest.raises(InvalidTransition):
        await world.s.participants.leave(GUILD, 1)


async def test_a_leaver_half_removed_by_a_crash_is_spliced_out_on_the_next_notice(
    world: World,
) -> None:
    event = await world.drawn(1, 2, 3, 4, plan=ring(1, 2, 3, 4))
    await world.repo.remove_participant(event.id, 3)  # the row went, the draw did not
    result = await world.s.participants.member_left(GUILD, 3)
    assert result is not None
    assert result.reassigned == (2,)
    assert await world.draw(event.id) == {1: 2, 2: 4, 4: 1}


async def test_member_view_shows_only_the_members_own_recipient(world: World) -> None:
    event = await world.drawn(1, 2, 3, plan=ring(1, 2, 3))
    mine = await world.s.participants.member_view(event.id, 1)
    assert mine.participant is not None
    assert mine.recipient is not None
    assert mine.recipient.user_id == 2
    outsider = await world.s.participants.member_view(event.id, 99)
    assert (outsider.participant, outsider.recipient) == (None, None)
    other = World()
    before_draw = await other.event(1, 2, 3)
    assert (await other.s.participants.member_view(before_draw.id, 1)).recipient is None
