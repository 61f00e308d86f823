"""The `EventRepository` contract, run on the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ratmas.domain.errors import (
    AlreadyJoined,
    EventAlreadyLive,
    InvalidInput,
    InvalidPairings,
    NotFound,
)
from ratmas.domain.model import (
    AuditEntry,
    EventDates,
    EventSnapshot,
    GiftCounts,
    GiftMark,
    GuildSettings,
    Household,
    Member,
    NewEvent,
    OutboxDraft,
    OutboxKind,
    OutboxState,
    ReminderDays,
)
from ratmas.domain.status import EventStatus, Reminder
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.ports import DeliveryProgress
from tests.fakes import InMemoryEventRepository

Repo = InMemoryEventRepository | TortoiseEventRepository

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
GUILD = 900_000_000_000_000_001  # snowflakes need 64 bits
OTHER_GUILD = 900_000_000_000_000_002


def dates(start: datetime = NOW + timedelta(days=1)) -> EventDates:
    return EventDates(start, start + timedelta(days=10), start + timedelta(days=20))


def new_event(guild: int = GUILD, start: datetime = NOW + timedelta(days=1)) -> NewEvent:
    return NewEvent(
        guild_id=guild,
        dates=dates(start),
        timezone="Europe/London",
        announcement_channel_id=800_000_000_000_000_001,
        participant_role_id=700_000_000_000_000_001,
        manager_role_id=None,
        created_by=600_000_000_000_000_001,
    )


def members(*ids: int) -> list[Member]:
    return [Member(i, f"user{i}") for i in ids]


async def event_with(repo: Repo, *user_ids: int) -> int:
    event = await repo.create_event(new_event(), now=NOW)
    await repo.sync_participants(event.id, members(*user_ids), now=NOW)
    return event.id


# --- events -----------------------------------------------------------------------------


async def test_create_and_get_event_round_trips_aware_utc(repo: Repo) -> None:
    auckland = ZoneInfo("Pacific/Auckland")
    start = datetime(2026, 12, 1, 9, 30, tzinfo=auckland)
    created = await repo.create_event(new_event(start=start), now=NOW)
    loaded = await repo.get_event(created.id)
    assert loaded == created
    assert loaded.status is EventStatus.SCHEDULED
    assert loaded.guild_id == GUILD
    assert loaded.dates.starts_at == start
    assert loaded.dates.starts_at.utcoffset() == timedelta(0)
    assert loaded.dates.starts_at.tzinfo is not None
    assert loaded.created_at == NOW


async def test_naive_datetimes_are_refused(repo: Repo) -> None:
    naive = datetime(2026, 12, 1, 9, 30)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        await repo.create_event(new_event(start=naive), now=NOW)


async def test_second_live_event_in_a_guild_is_refused(repo: Repo) -> None:
    first = await repo.create_event(new_event(), now=NOW)
    with pytest.raises(EventAlreadyLive) as caught:
        await repo.create_event(new_event(), now=NOW)
    assert caught.value.event_id == first.id
    other = await repo.create_event(new_event(OTHER_GUILD), now=NOW)
    assert other.guild_id == OTHER_GUILD


async def test_a_final_event_frees_the_guild(repo: Repo) -> None:
    first = await repo.create_event(new_event(), now=NOW)
    assert await repo.set_status(
        first.id, EventStatus.SCHEDULED, EventStatus.CANCELLED, now=NOW, cancel_reason="oops"
    )
    assert await repo.get_live_event(GUILD) is None
    second = await repo.create_event(new_event(), now=NOW)
    assert (await repo.get_live_event(GUILD)) == second
    cancelled = await repo.get_event(first.id)
    assert cancelled is not None
    assert cancelled.cancel_reason == "oops"
    assert [e.id for e in await repo.list_events(GUILD)] == [second.id, first.id]


async def test_get_missing_event_is_none(repo: Repo) -> None:
    assert await repo.get_event(12345) is None
    assert await repo.get_live_event(GUILD) is None
    with pytest.raises(NotFound):
        await repo.update_dates(12345, dates(), now=NOW)


async def test_compare_and_set_status(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    assert await repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    assert not await repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    loaded = await repo.get_event(event.id)
    assert loaded is not None
    assert loaded.status is EventStatus.ACTIVE


async def test_two_concurrent_compare_and_sets_exactly_one_wins(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    results = await asyncio.gather(
        *(
            repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
            for _ in range(8)
        )
    )
    assert sorted(results) == [False] * 7 + [True]


async def test_claim_announcement_is_a_compare_and_set(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    assert await repo.claim_announcement(event.id, None, EventStatus.SCHEDULED)
    assert not await repo.claim_announcement(event.id, None, EventStatus.SCHEDULED)
    assert await repo.claim_announcement(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE)
    loaded = await repo.get_event(event.id)
    assert loaded is not None
    assert loaded.announced_status is EventStatus.ACTIVE


async def test_list_live_events_filters_by_due_date_in_any_timezone(repo: Repo) -> None:
    # Starts at 10:00 UTC. In New York that is 05:00 -05:00, whose text sorts *before*
    # 10:00 although the instant is the same: a textual comparison would get this wrong.
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    event = await repo.create_event(new_event(start=start), now=NOW)
    await repo.create_event(new_event(OTHER_GUILD, start=start + timedelta(days=3)), now=NOW)
    new_york = ZoneInfo("America/New_York")
    just_before = datetime(2026, 12, 1, 4, 59, tzinfo=new_york)  # 09:59 UTC
    just_after = datetime(2026, 12, 1, 5, 1, tzinfo=new_york)  # 10:01 UTC
    tokyo_after = datetime(2026, 12, 1, 19, 1, tzinfo=ZoneInfo("Asia/Tokyo"))  # 10:01 UTC
    assert await repo.list_live_events(due_before=just_before) == []
    assert [e.id for e in await repo.list_live_events(due_before=just_after)] == [event.id]
    assert [e.id for e in await repo.list_live_events(due_before=tokyo_after)] == [event.id]
    assert len(await repo.list_live_events()) == 2
    assert [e.guild_id for e in await repo.list_live_events(guild_ids=[OTHER_GUILD])] == [
        OTHER_GUILD
    ]


async def test_due_date_follows_the_status(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    await repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    after_start = event.dates.starts_at + timedelta(hours=1)
    assert await repo.list_live_events(due_before=after_start) == []
    after_deadline = event.dates.purchase_deadline + timedelta(hours=1)
    assert len(await repo.list_live_events(due_before=after_deadline)) == 1


async def test_events_to_reconcile_are_the_due_and_the_unfinished(repo: Repo) -> None:
    later = NOW + timedelta(days=30)
    due = await repo.create_event(new_event(start=NOW + timedelta(hours=1)), now=NOW)
    quiet = await repo.create_event(new_event(OTHER_GUILD, start=later), now=NOW)
    horizon = NOW + timedelta(hours=2)
    assert [e.id for e in await repo.events_to_reconcile(due_before=horizon)] == [due.id]
    assert await repo.events_to_reconcile(due_before=NOW) == []

    # Active without pairings, then drawn but not announced, then santas never tried:
    # each is unfinished work, whatever the dates.
    await repo.sync_participants(quiet.id, members(1, 2, 3), now=NOW)
    await repo.set_status(quiet.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    assert [e.id for e in await repo.events_to_reconcile(due_before=NOW)] == [quiet.id]
    await repo.replace_pairings(quiet.id, {1: 2, 2: 3, 3: 1})
    assert [e.id for e in await repo.events_to_reconcile(due_before=NOW)] == [quiet.id]
    await repo.claim_announcement(quiet.id, None, EventStatus.ACTIVE)
    assert [e.id for e in await repo.events_to_reconcile(due_before=NOW)] == [quiet.id]
    await repo.mark_notified(quiet.id, 1, NOW)
    await repo.record_delivery_failure(quiet.id, 2, 50007, "Cannot send", NOW)
    assert [e.id for e in await repo.events_to_reconcile(due_before=NOW)] == [quiet.id]
    # A failed DM is not retried by reconcile: only never-tried santas count.
    await repo.mark_notified(quiet.id, 3, NOW)
    assert await repo.events_to_reconcile(due_before=NOW) == []
    # A notice a crash left unsent (pending, then sending) is unfinished work too.
    (notice,) = await repo.enqueue(
        quiet.id, [OutboxDraft(600_000_000_000_000_001, OutboxKind.NOTICE, content="hold")], now=NOW
    )
    assert [e.id for e in await repo.events_to_reconcile(due_before=NOW)] == [quiet.id]
    assert await repo.with_unsent_notices([quiet.id, due.id, 999]) == {quiet.id}
    await repo.outbox_sending(notice.id, dm_channel_id=None, at=NOW)
    assert [e.id for e in await repo.events_to_reconcile(due_before=NOW)] == [quiet.id]
    assert await repo.with_unsent_notices([quiet.id]) == {quiet.id}
    await repo.outbox_delivered(notice.id, dm_channel_id=5, message_id=6, at=NOW)
    assert await repo.events_to_reconcile(due_before=NOW) == []
    assert await repo.with_unsent_notices([quiet.id]) == set()
    found = await repo.events_to_reconcile(due_before=later + timedelta(days=11))
    assert [e.id for e in found] == [due.id, quiet.id]
    assert found[1] == await repo.get_event(quiet.id)


async def test_delivery_progress_is_counted_per_event(repo: Repo) -> None:
    first = await event_with(repo, 1, 2, 3)
    second = await repo.create_event(new_event(OTHER_GUILD), now=NOW)
    await repo.sync_participants(second.id, members(4, 5), now=NOW)
    await repo.replace_pairings(first, {1: 2, 2: 3, 3: 1})
    await repo.replace_pairings(second.id, {4: 5, 5: 4})
    await repo.mark_notified(first, 1, NOW)
    await repo.record_delivery_failure(first, 2, 50007, "Cannot send", NOW + timedelta(minutes=1))
    progress = await repo.delivery_progress([first, second.id, 999])
    assert progress == {
        first: DeliveryProgress(first, 3, 1, NOW + timedelta(minutes=1)),
        second.id: DeliveryProgress(second.id, 2, 2, None),
    }
    assert await repo.delivery_progress([]) == {}


async def test_update_dates_and_hold(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    assert await repo.set_hold(event.id, "needs 3 participants, has 2", now=NOW)
    assert not await repo.set_hold(event.id, "again", now=NOW)
    held = await repo.get_event(event.id)
    assert held is not None
    assert held.held_reason == "needs 3 participants, has 2"
    later = dates(NOW + timedelta(days=5))
    moved = await repo.update_dates(event.id, later, now=NOW)
    assert moved.dates == later
    assert moved.held_reason is None
    assert not await repo.set_hold(event.id, None, now=NOW)


async def test_the_hold_stores_its_notice_in_the_same_change_only_when_it_wins(
    repo: Repo,
) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    notice = OutboxDraft(2, OutboxKind.NOTICE, "could not start")
    assert await repo.set_hold(event.id, "needs 3", now=NOW, outbox=[notice])
    assert not await repo.set_hold(event.id, "again", now=NOW, outbox=[notice])
    [entry] = await repo.list_outbox(event.id)
    assert (entry.user_id, entry.kind, entry.content, entry.state) == (
        2,
        OutboxKind.NOTICE,
        "could not start",
        OutboxState.PENDING,
    )


async def test_update_event_settings(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    updated = await repo.update_event_settings(event.id, manager_role_id=42, now=NOW)
    assert updated.manager_role_id == 42
    assert updated.participant_role_id == event.participant_role_id


# --- participants -----------------------------------------------------------------------


async def test_duplicate_enrolment_is_refused(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    await repo.add_participant(event.id, Member(1, "Ann"), now=NOW)
    with pytest.raises(AlreadyJoined):
        await repo.add_participant(event.id, Member(1, "Ann again"), now=NOW)
    assert [p.display_name for p in await repo.list_participants(event.id)] == ["Ann"]


async def test_participants_and_wishlist(repo: Repo) -> None:
    event_id = await event_with(repo, 3, 1, 2)
    assert [p.user_id for p in await repo.list_participants(event_id)] == [1, 2, 3]
    updated = await repo.set_wishlist(event_id, 2, "https://example.com/list")
    assert updated.wishlist_url == "https://example.com/list"
    loaded = await repo.get_participant(event_id, 2)
    assert loaded is not None
    assert loaded.wishlist_url == "https://example.com/list"
    cleared = await repo.set_wishlist(event_id, 2, None)
    assert cleared.wishlist_url is None
    with pytest.raises(NotFound):
        await repo.set_wishlist(event_id, 99, "https://example.com")
    assert await repo.remove_participant(event_id, 3)
    assert not await repo.remove_participant(event_id, 3)


async def test_sync_of_five_thousand_members(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    first = [Member(10**17 + i, f"member {i}") for i in range(5000)]
    result = await repo.sync_participants(event.id, first, now=NOW)
    assert len(result.added) == 5000
    assert result.removed == ()
    # 500 leave, 700 join, 300 are renamed.
    second = [
        Member(m.user_id, f"renamed {i}") if i < 300 else m for i, m in enumerate(first[:4500])
    ] + [Member(2 * 10**17 + i, f"newcomer {i}") for i in range(700)]
    result = await repo.sync_participants(event.id, second, now=NOW)
    assert result.added == tuple(2 * 10**17 + i for i in range(700))
    assert result.removed == tuple(10**17 + i for i in range(4500, 5000))
    assert result.renamed == tuple(10**17 + i for i in range(300))
    stored = await repo.list_participants(event.id)
    assert len(stored) == 5200
    by_id = {p.user_id: p.display_name for p in stored}
    assert by_id[10**17] == "renamed 0"
    assert by_id[10**17 + 400] == "member 400"
    again = await repo.sync_participants(event.id, second, now=NOW)
    assert not again.changed


# --- exclusions -------------------------------------------------------------------------


async def test_exclusions_are_one_way_and_unique(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    assert await repo.add_exclusion(event_id, 1, 2)
    assert not await repo.add_exclusion(event_id, 1, 2)
    assert await repo.add_exclusion(event_id, 2, 1)
    assert [(x.user_id, x.excluded_user_id) for x in await repo.list_exclusions(event_id)] == [
        (1, 2),
        (2, 1),
    ]
    assert await repo.remove_exclusion(event_id, 1, 2)
    assert not await repo.remove_exclusion(event_id, 1, 2)


async def test_a_leavers_exclusions_go_with_them(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3, 4)
    for pair in ((1, 2), (2, 1), (3, 4), (4, 3)):
        await repo.add_exclusion(event_id, *pair)
    await repo.remove_participant(event_id, 2)
    await repo.sync_participants(event_id, members(1, 4), now=NOW)
    assert await repo.list_exclusions(event_id) == []


async def test_restoring_several_events_is_all_or_nothing(repo: Repo) -> None:
    live = await repo.create_event(new_event(), now=NOW)
    await repo.sync_participants(live.id, members(1, 2, 3), now=NOW)
    first = await repo.get_event(live.id)
    assert first is not None
    other = EventSnapshot(
        replace(first, guild_id=OTHER_GUILD), tuple(await repo.list_participants(live.id))
    )
    clash = EventSnapshot(first)  # a second live event of GUILD
    before = await repo.list_live_events()
    with pytest.raises(EventAlreadyLive):
        await repo.restore_events([other, clash])
    assert await repo.list_live_events() == before
    assert await repo.list_events(OTHER_GUILD) == []
    # Replacing the live event in the same transaction makes room for it.
    (restored,) = await repo.restore_events([clash], replacing=[live.id])
    assert await repo.get_event(live.id) is None
    assert (await repo.get_live_event(GUILD)) == restored


# --- pairings ---------------------------------------------------------------------------


async def test_replace_pairings_and_notification_state(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    stored = await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1})
    assert [(p.santa_id, p.recipient_id, p.pending) for p in stored] == [
        (1, 2, True),
        (2, 3, True),
        (3, 1, True),
    ]
    assert await repo.record_delivery_failure(event_id, 2, 50007, "Cannot send", NOW)
    assert await repo.mark_notified(event_id, 1, NOW)
    assert not await repo.mark_notified(event_id, 1, NOW)
    pending = await repo.pending_pairings(event_id)
    assert [p.santa_id for p in pending] == [2, 3]
    failed = pending[0]
    assert (failed.last_error_code, failed.last_error_text, failed.attempts) == (
        50007,
        "Cannot send",
        1,
    )
    assert failed.last_attempt_at == NOW
    told = (await repo.list_pairings(event_id))[0]
    assert told.notified_at == NOW
    assert told.attempts == 1
    assert await repo.mark_pending(event_id, [1, 2]) == 1
    assert [p.santa_id for p in await repo.pending_pairings(event_id)] == [1, 2, 3]


async def test_replace_pairings_can_keep_delivery_state(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3, 4)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 4, 4: 1})
    for santa in (1, 2, 3, 4):
        await repo.mark_notified(event_id, santa, NOW)
    await repo.remove_participant(event_id, 3)
    # 3 left: 2 takes over 3's recipient; the other pairs are unchanged.
    stored = await repo.replace_pairings(event_id, {1: 2, 2: 4, 4: 1}, keep_notified=True)
    assert [(p.santa_id, p.pending) for p in stored] == [(1, False), (2, True), (4, False)]


@pytest.mark.parametrize(
    "bad",
    [
        {1: 2, 2: 1},  # 3 left out
        {1: 2, 2: 3, 3: 3},  # draws themselves
        {1: 2, 2: 2, 3: 1},  # 2 receives twice, 3 nothing
        {1: 2, 2: 3, 3: 1, 4: 1},  # not a participant
    ],
)
async def test_replace_pairings_refuses_non_permutations(repo: Repo, bad: dict[int, int]) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(event_id, {1: 3, 3: 2, 2: 1})
    with pytest.raises(InvalidPairings):
        await repo.replace_pairings(event_id, bad)
    assert [(p.santa_id, p.recipient_id) for p in await repo.list_pairings(event_id)] == [
        (1, 3),
        (2, 1),
        (3, 2),
    ]


# --- gifts ------------------------------------------------------------------------------


async def test_gift_marks_are_compare_and_set_with_their_dm(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1}, now=NOW)
    assert await repo.gift_counts(event_id) == GiftCounts(3, 0, 0, 3)
    told = OutboxDraft(2, OutboxKind.NOTICE, "on its way", gift_button=GiftMark.RECEIVED)
    later = NOW + timedelta(hours=1)
    assert await repo.mark_gift(event_id, 1, 2, GiftMark.SENT, at=later, outbox=[told])
    # Only the first mark counts, and its DM is stored only with it.
    assert not await repo.mark_gift(event_id, 1, 2, GiftMark.SENT, at=NOW, outbox=[told])
    # A pair that is not (or no longer) drawn is never marked.
    assert not await repo.mark_gift(event_id, 1, 3, GiftMark.RECEIVED, at=NOW, outbox=[told])
    assert not await repo.mark_gift(event_id, 9, 1, GiftMark.SENT, at=NOW)
    # Received without sent: allowed, and counted apart.
    thanks = OutboxDraft(3, OutboxKind.NOTICE, "received")
    assert await repo.mark_gift(event_id, 3, 1, GiftMark.RECEIVED, at=later, outbox=[thanks])
    assert not await repo.mark_gift(event_id, 3, 1, GiftMark.RECEIVED, at=later)
    marks = [(p.gift_sent_at, p.gift_received_at) for p in await repo.list_pairings(event_id)]
    assert marks == [(later, None), (None, None), (None, later)]
    assert await repo.gift_counts(event_id) == GiftCounts(3, 1, 1, 1)
    entries = await repo.list_outbox(event_id, states=[OutboxState.PENDING], user_id=2)
    notices = [e for e in entries if e.kind is OutboxKind.NOTICE]
    assert [(e.content, e.gift_button, e.note) for e in notices] == [
        ("on its way", GiftMark.RECEIVED, None)
    ]
    assert await repo.get_outbox_entry(notices[0].id) == notices[0]
    assert await repo.get_outbox_entry(notices[0].id + 1000) is None
    (thanked,) = [e for e in await repo.list_outbox(event_id, user_id=3) if e.content]
    assert thanked.gift_button is None
    assert await repo.gift_counts(event_id + 1000) == GiftCounts()


async def test_gift_marks_stay_with_kept_pairs_and_go_with_replaced_ones(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3, 4)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 4, 4: 1})
    assert await repo.mark_gift(event_id, 1, 2, GiftMark.SENT, at=NOW)
    assert await repo.mark_gift(event_id, 2, 3, GiftMark.SENT, at=NOW)
    assert await repo.mark_gift(event_id, 1, 2, GiftMark.RECEIVED, at=NOW)
    await repo.remove_participant(event_id, 3)
    # A splice keeps 1 -> 2 with its marks; 2 now gives to 4: a new pair, unmarked.
    await repo.replace_pairings(event_id, {1: 2, 2: 4, 4: 1}, keep_notified=True)
    marks = {
        p.santa_id: (p.gift_sent_at, p.gift_received_at) for p in await repo.list_pairings(event_id)
    }
    assert marks == {1: (NOW, NOW), 2: (None, None), 4: (None, None)}
    # A redraw replaces every pairing, and the marks go with them.
    await repo.replace_pairings(event_id, {1: 4, 4: 2, 2: 1})
    assert await repo.gift_counts(event_id) == GiftCounts(3, 0, 0, 3)


# --- outbox -----------------------------------------------------------------------------


def _open(entries: list) -> list[tuple[int, int | None, str | None]]:  # type: ignore[type-arg]
    return [(e.user_id, e.recipient_id, e.note) for e in entries if e.open]


async def test_a_draw_writes_one_assignment_dm_per_santa(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1}, now=NOW)
    entries = await repo.list_outbox(event_id)
    assert _open(entries) == [(1, 2, None), (2, 3, None), (3, 1, None)]
    assert all(e.kind is OutboxKind.ASSIGNMENT and e.state is OutboxState.PENDING for e in entries)
    assert all(e.created_at == NOW for e in entries)
    assert len({e.nonce for e in entries}) == 3
    assert all(len(e.nonce) <= 25 for e in entries)
    # A redraw supersedes every DM still open and writes new ones.
    await repo.replace_pairings(event_id, {1: 3, 3: 2, 2: 1}, now=NOW)
    again = await repo.list_outbox(event_id)
    assert [e.state for e in again[:3]] == [OutboxState.SUPERSEDED] * 3
    assert _open(again) == [(1, 3, None), (2, 1, None), (3, 2, None)]


async def test_a_splice_writes_dms_only_for_changed_santas(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3, 4)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 4, 4: 1}, now=NOW)
    for entry in await repo.list_outbox(event_id):
        assert await repo.outbox_sending(entry.id, dm_channel_id=70 + entry.user_id, at=NOW)
        assert await repo.outbox_delivered(
            entry.id, dm_channel_id=70 + entry.user_id, message_id=entry.id + 100, at=NOW
        )
    await repo.remove_participant(event_id, 3)
    await repo.replace_pairings(
        event_id, {1: 2, 2: 4, 4: 1}, keep_notified=True, notes={2: "changed"}, now=NOW
    )
    assert _open(await repo.list_outbox(event_id)) == [(2, 4, "changed")]
    assert [p.santa_id for p in await repo.pending_pairings(event_id)] == [2]


async def test_delivery_marks_the_dm_and_its_pairing_together(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1}, now=NOW)
    first, second, third = await repo.list_outbox(event_id)
    assert await repo.outbox_sending(first.id, dm_channel_id=71, at=NOW)
    sending = (await repo.list_outbox(event_id, states=[OutboxState.SENDING]))[0]
    assert (sending.attempts, sending.attempt_started_at, sending.dm_channel_id) == (1, NOW, 71)
    later = NOW + timedelta(seconds=5)
    assert await repo.outbox_delivered(first.id, dm_channel_id=71, message_id=901, at=later)
    assert not await repo.outbox_delivered(first.id, dm_channel_id=71, message_id=901, at=later)
    assert not await repo.outbox_sending(first.id, dm_channel_id=71, at=later)
    done = (await repo.list_outbox(event_id, user_id=1))[0]
    assert (done.state, done.message_id, done.delivered_at) == (OutboxState.DELIVERED, 901, later)
    told = (await repo.list_pairings(event_id))[0]
    assert (told.notified_at, told.attempts) == (later, 1)

    # 50007: closed, counted on the pairing, which stays pending.
    assert await repo.outbox_sending(second.id, dm_channel_id=72, at=NOW)
    assert await repo.outbox_refused(second.id, OutboxState.CLOSED, 50007, "closed", at=NOW)
    closed = (await repo.list_outbox(event_id, user_id=2))[0]
    assert (closed.state, closed.last_error_code) == (OutboxState.CLOSED, 50007)
    pairing = (await repo.pending_pairings(event_id))[0]
    assert (pairing.santa_id, pairing.attempts, pairing.last_error_code) == (2, 1, 50007)

    # A slow-down puts it back, untried on the pairing.
    assert await repo.outbox_sending(third.id, dm_channel_id=None, at=NOW)
    assert await repo.outbox_refused(third.id, OutboxState.PENDING, 40003, "slow", at=NOW)
    back = (await repo.list_outbox(event_id, user_id=3))[0]
    assert (back.state, back.dm_channel_id) == (OutboxState.PENDING, None)
    assert (await repo.pending_pairings(event_id))[1].attempts == 0


async def test_wishlist_and_its_dm_are_stored_together(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    draft = OutboxDraft(3, OutboxKind.WISHLIST, content="new wishlist")
    await repo.set_wishlist(event_id, 1, "https://example.com/1", outbox=[draft], now=NOW)
    (entry,) = await repo.list_outbox(event_id)
    assert (entry.user_id, entry.kind, entry.content) == (3, OutboxKind.WISHLIST, "new wishlist")
    with pytest.raises(NotFound):
        await repo.set_wishlist(event_id, 9, None, outbox=[draft], now=NOW)
    assert len(await repo.list_outbox(event_id)) == 1


async def test_notes_and_their_dm_are_stored_together(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    draft = OutboxDraft(3, OutboxKind.NOTES, content="new notes")
    noted = await repo.set_notes(event_id, 1, "size M, no nuts", outbox=[draft], now=NOW)
    assert noted.notes == "size M, no nuts"
    loaded = await repo.get_participant(event_id, 1)
    assert loaded is not None
    assert (loaded.notes, loaded.wishlist_url) == ("size M, no nuts", None)
    assert [p.notes for p in await repo.list_participants(event_id)] == [
        "size M, no nuts",
        None,
        None,
    ]
    (entry,) = await repo.list_outbox(event_id)
    assert (entry.user_id, entry.kind, entry.content) == (3, OutboxKind.NOTES, "new notes")
    with pytest.raises(NotFound):
        await repo.set_notes(event_id, 9, "x", outbox=[draft], now=NOW)
    assert len(await repo.list_outbox(event_id)) == 1
    # The wishlist and the notes are kept apart; clearing is None.
    await repo.set_wishlist(event_id, 1, "https://example.com/1")
    assert (await repo.set_notes(event_id, 1, None)).notes is None
    kept = await repo.get_participant(event_id, 1)
    assert kept is not None
    assert (kept.notes, kept.wishlist_url) == (None, "https://example.com/1")
    # A rename by the participant sync keeps the notes.
    await repo.set_notes(event_id, 2, "ring size 7")
    await repo.sync_participants(
        event_id, [Member(1, "a"), Member(2, "b"), Member(3, "c")], now=NOW
    )
    renamed = await repo.get_participant(event_id, 2)
    assert renamed is not None
    assert (renamed.display_name, renamed.notes) == ("b", "ring size 7")


async def test_a_newer_giftee_update_supersedes_the_one_not_yet_delivered(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)

    def notes(text: str) -> OutboxDraft:
        return OutboxDraft(3, OutboxKind.NOTES, content=text)

    await repo.set_notes(event_id, 1, "a", outbox=[notes("first")], now=NOW)
    first = (await repo.list_outbox(event_id))[0]
    assert await repo.outbox_sending(first.id, dm_channel_id=77, at=NOW)
    assert await repo.outbox_delivered(first.id, dm_channel_id=77, message_id=1, at=NOW)
    await repo.set_notes(event_id, 1, "b", outbox=[notes("second")], now=NOW)
    await repo.set_wishlist(
        event_id,
        1,
        "https://example.com/1",
        outbox=[OutboxDraft(3, OutboxKind.WISHLIST, content="wishlist")],
        now=NOW,
    )
    await repo.set_notes(event_id, 1, "c", outbox=[notes("third")], now=NOW)
    # Another santa's DM of the same kind is not touched.
    await repo.enqueue(event_id, [OutboxDraft(2, OutboxKind.NOTES, content="other")], now=NOW)
    entries = await repo.list_outbox(event_id)
    assert [(e.user_id, e.kind, e.content, e.state) for e in entries] == [
        (3, OutboxKind.NOTES, "first", OutboxState.DELIVERED),
        (3, OutboxKind.NOTES, "second", OutboxState.SUPERSEDED),
        (3, OutboxKind.WISHLIST, "wishlist", OutboxState.PENDING),
        (3, OutboxKind.NOTES, "third", OutboxState.PENDING),
        (2, OutboxKind.NOTES, "other", OutboxState.PENDING),
    ]
    # A superseded DM is never sent.
    assert not await repo.outbox_sending(entries[1].id, dm_channel_id=77, at=NOW)


async def test_budget_is_stored_changed_and_cleared(repo: Repo) -> None:
    created = await repo.create_event(replace(new_event(), budget="€20–30"), now=NOW)
    assert created.budget == "€20–30"
    assert (await repo.get_event(created.id)) == created
    assert (await repo.get_live_event(GUILD)) == created
    # The raw listings read it too.
    (listed,) = await repo.list_live_events()
    assert listed.budget == "€20–30"
    (due,) = await repo.events_to_reconcile(due_before=NOW + timedelta(days=2))
    assert due.budget == "€20–30"
    later = NOW + timedelta(hours=1)
    changed = await repo.set_budget(created.id, "up to £15", now=later)
    assert (changed.budget, changed.updated_at) == ("up to £15", later)
    assert (await repo.get_event(created.id)) == changed
    assert (await repo.set_budget(created.id, None, now=later)).budget is None
    with pytest.raises(NotFound):
        await repo.set_budget(created.id + 100, "x", now=later)
    plain = await repo.create_event(new_event(OTHER_GUILD), now=NOW)
    assert plain.budget is None


async def test_missing_assignment_dms_are_enqueued_once(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1})
    assert await repo.enqueue_missing_assignments(event_id, now=NOW) == 0
    assert await repo.mark_notified(event_id, 1, NOW)
    assert await repo.mark_pending(event_id, [1], now=NOW) == 1
    # Santa 1's old DM is superseded by the new one: still one open DM per santa.
    entries = await repo.list_outbox(event_id)
    assert entries[0].state is OutboxState.SUPERSEDED
    assert _open(entries) == [(2, 3, None), (3, 1, None), (1, 2, None)]
    assert await repo.enqueue_missing_assignments(event_id, now=NOW) == 0
    notice = await repo.enqueue(event_id, [OutboxDraft(2, OutboxKind.NOTICE, "hi")], now=NOW)
    assert [(e.kind, e.content) for e in notice] == [(OutboxKind.NOTICE, "hi")]
    assert await repo.delete_event(event_id)
    assert await repo.list_outbox(event_id) == []


async def test_previous_pairings_come_from_the_latest_earlier_event(repo: Repo) -> None:
    old = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(old, {1: 2, 2: 3, 3: 1})
    await repo.set_status(old, EventStatus.SCHEDULED, EventStatus.ARCHIVED, now=NOW)
    current = await repo.create_event(new_event(), now=NOW)
    assert await repo.previous_pairings(GUILD, current.id) == [(1, 2), (2, 3), (3, 1)]
    assert await repo.previous_pairings(OTHER_GUILD, current.id) == []


async def test_previous_pairings_of_several_events_skip_those_never_drawn(repo: Repo) -> None:
    async def season(pairings: dict[int, int] | None, final: EventStatus) -> int:
        event_id = await event_with(repo, 1, 2, 3)
        if pairings is not None:
            await repo.replace_pairings(event_id, pairings)
        await repo.set_status(event_id, EventStatus.SCHEDULED, final, now=NOW)
        return event_id

    await season({1: 2, 2: 3, 3: 1}, EventStatus.ARCHIVED)
    await season({1: 3, 3: 2, 2: 1}, EventStatus.ARCHIVED)
    await season(None, EventStatus.CANCELLED)  # cancelled before its draw
    drawn_then_cancelled = await season({2: 1, 1: 3, 3: 2}, EventStatus.CANCELLED)
    current = await repo.create_event(new_event(), now=NOW)
    assert await repo.previous_pairings(GUILD, current.id, events=2) == [
        (1, 3),
        (2, 1),
        (3, 2),
        (1, 3),
        (2, 1),
        (3, 2),
    ]
    assert len(await repo.previous_pairings(GUILD, current.id, events=5)) == 9
    assert await repo.previous_pairings(GUILD, current.id, events=0) == []
    # Only earlier events count.
    assert await repo.previous_pairings(GUILD, drawn_then_cancelled, events=1) == [
        (1, 3),
        (2, 1),
        (3, 2),
    ]


# --- households --------------------------------------------------------------------------


async def test_households_belong_to_their_guild_and_list_oldest_first(repo: Repo) -> None:
    first = await repo.add_household(GUILD, [3, 1, 2, 1], created_by=9, now=NOW)
    assert first.members == (1, 2, 3)
    assert first.guild_id == GUILD
    assert first.created_by == 9
    assert first.created_at == NOW
    second = await repo.add_household(GUILD, [5, 4], created_by=None, now=NOW)
    other = await repo.add_household(OTHER_GUILD, [1, 2], created_by=None, now=NOW)
    assert await repo.list_households(GUILD) == [first, second]
    assert await repo.list_households(OTHER_GUILD) == [other]
    assert await repo.list_households(12345) == []


async def test_a_member_is_in_one_household_of_a_guild_at_most(repo: Repo) -> None:
    first = await repo.add_household(GUILD, [1, 2], created_by=None, now=NOW)
    with pytest.raises(InvalidInput, match=rf"<@2> is already in household {first.id}"):
        await repo.add_household(GUILD, [3, 2], created_by=None, now=NOW)
    # Nothing of the refused household was stored.
    assert await repo.list_households(GUILD) == [first]
    assert (await repo.add_household(GUILD, [3, 4], created_by=None, now=NOW)).members == (3, 4)


async def test_removing_a_household_or_a_member(repo: Repo) -> None:
    family = await repo.add_household(GUILD, [1, 2, 3], created_by=None, now=NOW)
    couple = await repo.add_household(GUILD, [4, 5], created_by=None, now=NOW)
    assert await repo.remove_household(OTHER_GUILD, family.id) is None
    assert await repo.remove_household_member(OTHER_GUILD, 1) is None
    assert await repo.remove_household_member(GUILD, 2) == family
    (smaller, same_couple) = await repo.list_households(GUILD)
    assert smaller.members == (1, 3)
    assert same_couple == couple
    # A household left with one member is no household: it goes.
    assert await repo.remove_household_member(GUILD, 5) == couple
    assert await repo.list_households(GUILD) == [smaller]
    assert await repo.remove_household_member(GUILD, 5) is None
    assert await repo.remove_household(GUILD, family.id) == smaller
    assert await repo.remove_household(GUILD, family.id) is None
    assert await repo.list_households(GUILD) == []
    # Their members are free to join another household.
    assert (await repo.add_household(GUILD, [1, 2, 5], created_by=None, now=NOW)).members == (
        1,
        2,
        5,
    )


async def test_households_are_restored_with_the_events_in_one_transaction(repo: Repo) -> None:
    live = await repo.create_event(new_event(), now=NOW)
    first = await repo.get_event(live.id)
    assert first is not None
    await repo.delete_event(live.id)
    moved = [
        Household(0, OTHER_GUILD, (3, 1, 2), 9, NOW + timedelta(hours=1)),
        Household(0, OTHER_GUILD, (5, 4), None, NOW),
    ]
    (restored,) = await repo.restore_events(
        [EventSnapshot(replace(first, guild_id=OTHER_GUILD))], households=moved
    )
    stored = await repo.list_households(OTHER_GUILD)
    assert [(h.members, h.created_by, h.created_at) for h in stored] == [
        ((1, 2, 3), 9, NOW + timedelta(hours=1)),
        ((4, 5), None, NOW),
    ]
    assert all(h.id > 0 and h.guild_id == OTHER_GUILD for h in stored)
    assert await repo.get_live_event(OTHER_GUILD) == restored
    # Households alone, without events, are a restore too.
    assert await repo.restore_events([], households=[Household(0, GUILD, (1, 2), None, NOW)]) == []
    assert [h.members for h in await repo.list_households(GUILD)] == [(1, 2)]


async def test_a_refused_restore_stores_neither_households_nor_events(repo: Repo) -> None:
    live = await repo.create_event(new_event(), now=NOW)
    first = await repo.get_event(live.id)
    assert first is not None
    taken = await repo.add_household(OTHER_GUILD, [7, 8], created_by=None, now=NOW)
    other = EventSnapshot(replace(first, guild_id=OTHER_GUILD))
    fine = [Household(0, OTHER_GUILD, (1, 2), None, NOW)]

    # A member already in a household of the guild, after an event that would fit.
    with pytest.raises(InvalidInput, match=rf"<@8> is already in household {taken.id}"):
        await repo.restore_events(
            [other], households=[*fine, Household(0, OTHER_GUILD, (8, 9), None, NOW)]
        )
    # A member in two of the households given.
    with pytest.raises(InvalidInput, match="<@2> is already in household"):
        await repo.restore_events(
            [other], households=[*fine, Household(0, OTHER_GUILD, (2, 3), None, NOW)]
        )
    # An event that cannot be stored takes the households down with it.
    with pytest.raises(EventAlreadyLive):
        await repo.restore_events([other, EventSnapshot(first)], households=fine)
    assert await repo.list_households(OTHER_GUILD) == [taken]
    assert await repo.list_events(OTHER_GUILD) == []
    assert [e.id for e in await repo.list_events(GUILD)] == [live.id]


async def test_delete_event_cascades(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    await repo.add_exclusion(event_id, 1, 2)
    await repo.replace_pairings(event_id, {1: 3, 3: 2, 2: 1})
    await repo.add_audit(AuditEntry(event_id, 5, "advance", "start now", NOW))
    assert await repo.delete_event(event_id)
    assert not await repo.delete_event(event_id)
    assert await repo.get_event(event_id) is None
    assert await repo.list_participants(event_id) == []
    assert await repo.list_pairings(event_id) == []
    assert await repo.list_exclusions(event_id) == []
    assert await repo.list_audit(event_id) == []


# --- audit and guild settings -----------------------------------------------------------


async def test_audit_is_kept_in_order(repo: Repo) -> None:
    event = await repo.create_event(new_event(), now=NOW)
    local = datetime(2026, 11, 20, 7, 0, tzinfo=ZoneInfo("America/New_York"))
    await repo.add_audit(AuditEntry(event.id, 5, "reschedule", "moved", local))
    await repo.add_audit(AuditEntry(event.id, None, "hold", "too few", NOW))
    entries = await repo.list_audit(event.id)
    assert [(e.actor_id, e.action) for e in entries] == [(5, "reschedule"), (None, "hold")]
    assert entries[0].at == local
    assert entries[0].at.utcoffset() == timedelta(0)


async def test_guild_settings_round_trip(repo: Repo) -> None:
    assert await repo.get_guild_settings(GUILD) is None
    settings = GuildSettings(GUILD, announcement_channel_id=1, timezone="Europe/Paris")
    await repo.save_guild_settings(settings, now=NOW)
    assert await repo.get_guild_settings(GUILD) == settings
    changed = GuildSettings(
        GUILD, manager_role_id=3, wishlist_reminder_days=0, gift_reminder_days=30
    )
    await repo.save_guild_settings(changed, now=NOW)
    assert await repo.get_guild_settings(GUILD) == changed


# --- restore (import) -------------------------------------------------------------------


async def test_restore_event_stores_everything_under_a_new_id(repo: Repo) -> None:
    from ratmas.domain.model import EventSnapshot

    event_id = await event_with(repo, 1, 2, 3)
    await repo.set_wishlist(event_id, 2, "https://example.com/2")
    await repo.set_notes(event_id, 3, "size M")
    await repo.set_budget(event_id, "€20–30", now=NOW)
    await repo.add_exclusion(event_id, 1, 3)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1})
    await repo.mark_notified(event_id, 1, NOW)
    await repo.record_delivery_failure(event_id, 2, 50007, "closed", NOW)
    await repo.mark_gift(event_id, 1, 2, GiftMark.SENT, at=NOW)
    await repo.mark_gift(event_id, 3, 1, GiftMark.RECEIVED, at=NOW)
    await repo.set_status(event_id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    await repo.add_audit(AuditEntry(event_id, 5, "advance", "now", NOW))
    original = await repo.get_event(event_id)
    assert original is not None
    snapshot = EventSnapshot(
        original,
        tuple(await repo.list_participants(event_id)),
        tuple(await repo.list_exclusions(event_id)),
        tuple(await repo.list_pairings(event_id)),
        tuple(await repo.list_audit(event_id)),
    )
    # The guild's event is live: a second live copy is refused, and nothing is stored.
    with pytest.raises(EventAlreadyLive):
        await repo.restore_event(snapshot)
    assert len(await repo.list_events(GUILD)) == 1

    await repo.delete_event(event_id)
    restored = await repo.restore_event(snapshot)
    assert restored.id != 0
    assert restored.status is EventStatus.ACTIVE
    assert restored.dates == original.dates
    assert (await repo.get_live_event(GUILD)) == restored
    assert restored.budget == "€20–30"
    assert [
        (p.user_id, p.wishlist_url, p.notes) for p in await repo.list_participants(restored.id)
    ] == [
        (1, None, None),
        (2, "https://example.com/2", None),
        (3, None, "size M"),
    ]
    assert [(x.user_id, x.excluded_user_id) for x in await repo.list_exclusions(restored.id)] == [
        (1, 3)
    ]
    pairs = await repo.list_pairings(restored.id)
    assert [(p.santa_id, p.recipient_id, p.pending, p.attempts) for p in pairs] == [
        (1, 2, False, 1),
        (2, 3, True, 1),
        (3, 1, True, 0),
    ]
    assert pairs[0].notified_at == NOW
    assert pairs[1].last_error_code == 50007
    assert [(p.gift_sent_at, p.gift_received_at) for p in pairs] == [
        (NOW, None),
        (None, None),
        (None, NOW),
    ]
    assert [(a.actor_id, a.action) for a in await repo.list_audit(restored.id)] == [(5, "advance")]


async def test_a_restored_event_keeps_its_legacy_id_and_the_digest_it_came_from(
    repo: Repo,
) -> None:
    created = await repo.create_event(new_event(), now=NOW)
    assert created.legacy_id is None
    digest = "ab" * 32
    source = replace(created, status=EventStatus.ACTIVE)
    assert await repo.restored_event(digest) is None
    await repo.delete_event(created.id)
    (restored,) = await repo.restore_events(
        [EventSnapshot(source, legacy_id="ckq1a", restored_from=digest)]
    )
    assert restored.legacy_id == "ckq1a"
    assert await repo.get_event(restored.id) == restored
    assert await repo.get_live_event(GUILD) == restored
    assert [e.legacy_id for e in await repo.list_live_events()] == ["ckq1a"]
    assert await repo.restored_event(digest) == restored
    assert await repo.legacy_events(["ckq1a", "other"]) == {"ckq1a": restored.id}
    # The digest and the legacy id are each held by one event at most: nothing stored.
    final = replace(source, guild_id=OTHER_GUILD, status=EventStatus.ARCHIVED)
    for twice in (
        EventSnapshot(final, restored_from=digest),
        EventSnapshot(final, legacy_id="ckq1a"),
    ):
        with pytest.raises(InvalidInput):
            await repo.restore_events([twice])
        assert await repo.list_events(OTHER_GUILD) == []
    # Replacing the event that holds them frees them in the same transaction.
    (again,) = await repo.restore_events(
        [EventSnapshot(source, legacy_id="ckq1a", restored_from=digest)], replacing=[restored.id]
    )
    assert await repo.restored_event(digest) == again
    # Deleted, the event takes both with it.
    await repo.delete_event(again.id)
    assert await repo.restored_event(digest) is None
    assert await repo.legacy_events(["ckq1a"]) == {}


# --- reminders ---------------------------------------------------------------------------


async def mark_gift_sent(repo: Repo, event_id: int, santa_id: int) -> None:
    (pairing,) = [p for p in await repo.list_pairings(event_id) if p.santa_id == santa_id]
    assert await repo.mark_gift(event_id, santa_id, pairing.recipient_id, GiftMark.SENT, at=NOW)


async def test_reminder_days_are_stored_and_each_reminder_is_claimed_once(repo: Repo) -> None:
    event = await repo.create_event(
        replace(new_event(), reminder_days=ReminderDays(2, 30)), now=NOW
    )
    assert event.reminder_days == ReminderDays(2, 30)
    assert (event.reminded_wishlist_at, event.reminded_gift_at) == (None, None)
    assert await repo.get_event(event.id) == event
    drafts = [OutboxDraft(user, OutboxKind.NOTICE, content="wishlist?") for user in (1, 2)]
    # Refused while the status is not the one expected: nothing claimed, nothing queued.
    assert not await repo.claim_reminder(
        event.id, Reminder.WISHLIST, EventStatus.ACTIVE, now=NOW, outbox=drafts
    )
    assert await repo.list_outbox(event.id) == []
    results = await asyncio.gather(
        *(
            repo.claim_reminder(
                event.id, Reminder.WISHLIST, EventStatus.SCHEDULED, now=NOW, outbox=drafts
            )
            for _ in range(4)
        )
    )
    assert sorted(results) == [False, False, False, True]
    queued = await repo.list_outbox(event.id)
    assert [(e.user_id, e.kind, e.content, e.state) for e in queued] == [
        (1, OutboxKind.NOTICE, "wishlist?", OutboxState.PENDING),
        (2, OutboxKind.NOTICE, "wishlist?", OutboxState.PENDING),
    ]
    claimed = await repo.get_event(event.id)
    assert claimed is not None
    assert (claimed.reminded_wishlist_at, claimed.reminded_gift_at) == (NOW, None)
    # The other reminder is claimed on its own (here: skipped, without DMs).
    assert await repo.claim_reminder(event.id, Reminder.GIFT, EventStatus.SCHEDULED, now=NOW)
    assert len(await repo.list_outbox(event.id)) == 2
    # New days leave the claims alone.
    updated = await repo.update_event_settings(event.id, reminder_days=ReminderDays(0, 5), now=NOW)
    assert updated.reminder_days == ReminderDays(0, 5)
    assert (updated.reminded_wishlist_at, updated.reminded_gift_at) == (NOW, NOW)
    assert updated.announcement_channel_id == event.announcement_channel_id


async def test_santas_without_gift_sent(repo: Repo) -> None:
    event_id = await event_with(repo, 1, 2, 3)
    assert await repo.santas_without_gift_sent(event_id) == []
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1})
    assert await repo.santas_without_gift_sent(event_id) == [1, 2, 3]
    await mark_gift_sent(repo, event_id, 2)
    assert await repo.santas_without_gift_sent(event_id) == [1, 3]
    assert await repo.santas_without_gift_sent(event_id + 1) == []


async def test_events_to_reconcile_include_a_reminder_due_and_unclaimed(repo: Repo) -> None:
    start = NOW + timedelta(days=10)
    days = ReminderDays(3, 4)
    event = await repo.create_event(replace(new_event(start=start), reminder_days=days), now=NOW)
    # Another guild's event without reminders, starting a day after the first's.
    quiet = await repo.create_event(
        new_event(OTHER_GUILD, start=start + timedelta(days=1)), now=NOW
    )
    wishlist_due = start - timedelta(days=3)
    hour = timedelta(hours=1)
    assert await repo.events_to_reconcile(due_before=wishlist_due - hour) == []
    found = await repo.events_to_reconcile(due_before=wishlist_due + hour)
    assert [e.id for e in found] == [event.id]
    await repo.claim_reminder(event.id, Reminder.WISHLIST, EventStatus.SCHEDULED, now=NOW)
    assert await repo.events_to_reconcile(due_before=wishlist_due + hour) == []
    # Once drawn and announced, the gift reminder (4 days before the deadline) counts.
    await repo.sync_participants(event.id, members(1, 2, 3), now=NOW)
    await repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ACTIVE, now=NOW)
    await repo.replace_pairings(event.id, {1: 2, 2: 3, 3: 1})
    for santa in (1, 2, 3):
        await repo.mark_notified(event.id, santa, NOW)
    await repo.claim_announcement(event.id, None, EventStatus.ACTIVE)
    gift_due = start + timedelta(days=10) - timedelta(days=4)
    await repo.set_status(quiet.id, EventStatus.SCHEDULED, EventStatus.CANCELLED, now=NOW)
    assert await repo.events_to_reconcile(due_before=gift_due - hour) == []
    found = await repo.events_to_reconcile(due_before=gift_due + hour)
    assert [e.id for e in found] == [event.id]
    assert found[0] == await repo.get_event(event.id)
