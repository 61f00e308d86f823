"""The event export: everything stored about an event, ids as strings, ISO times."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ratmas.domain.errors import InvalidInput, NotFound
from ratmas.domain.model import AuditEntry, EventDates, GiftMark, Member, NewEvent, ReminderDays
from ratmas.domain.status import EventStatus, Reminder
from ratmas.services.export import FORMAT, export_event, export_guild, export_json
from ratmas.services.imports import import_file, read_export_file, snapshots_from_file
from tests.fakes import InMemoryEventRepository

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
BIG = 2**62 + 5  # a snowflake JavaScript cannot hold exactly


async def test_export_contains_everything_with_ids_as_strings() -> None:
    repo = InMemoryEventRepository()
    event = await repo.create_event(
        NewEvent(
            BIG,
            EventDates(NOW + timedelta(days=1), NOW + timedelta(days=2), NOW + timedelta(days=3)),
            "Europe/London",
            created_by=BIG + 1,
        ),
        now=NOW,
    )
    await repo.sync_participants(event.id, [Member(BIG + i, f"m{i}") for i in range(3)], now=NOW)
    await repo.add_exclusion(event.id, BIG, BIG + 1)
    await repo.replace_pairings(event.id, {BIG: BIG + 2, BIG + 2: BIG + 1, BIG + 1: BIG})
    await repo.mark_notified(event.id, BIG, NOW)
    await repo.add_audit(AuditEntry(event.id, BIG + 1, "advance", "now", NOW))

    data = json.loads(await export_json(repo, event.id))
    assert data["format"] == FORMAT
    assert data["event"]["guild_id"] == str(BIG)
    assert data["event"]["starts_at"] == "2026-11-21T12:00:00+00:00"
    assert [p["user_id"] for p in data["participants"]] == [str(BIG + i) for i in range(3)]
    assert data["exclusions"] == [{"user_id": str(BIG), "excluded_user_id": str(BIG + 1)}]
    assert data["pairings"][0] == {
        "santa_id": str(BIG),
        "recipient_id": str(BIG + 2),
        "notified_at": NOW.isoformat(),
        "attempts": 1,
        "last_error_code": None,
        "last_error_text": None,
        "gift_sent_at": None,
        "gift_received_at": None,
    }
    assert data["audit"][0]["action"] == "advance"


async def test_export_of_a_missing_event() -> None:
    with pytest.raises(NotFound):
        await export_event(InMemoryEventRepository(), 99)


async def test_an_export_imports_back_as_it_was() -> None:
    source = InMemoryEventRepository()
    event = await source.create_event(
        NewEvent(
            BIG,
            EventDates(NOW + timedelta(days=1), NOW + timedelta(days=2), NOW + timedelta(days=3)),
            "America/New_York",
            announcement_channel_id=BIG + 9,
            created_by=BIG + 1,
            reminder_days=ReminderDays(wishlist=2, gift=30),
            budget="€20–30",
        ),
        now=NOW,
    )
    await source.sync_participants(event.id, [Member(BIG + i, f"m{i}") for i in range(3)], now=NOW)
    await source.set_notes(event.id, BIG + 1, "size M, no nuts")
    await source.replace_pairings(event.id, {BIG: BIG + 2, BIG + 2: BIG + 1, BIG + 1: BIG})
    await source.mark_notified(event.id, BIG, NOW)
    await source.claim_reminder(event.id, Reminder.WISHLIST, EventStatus.SCHEDULED, now=NOW)
    exported = json.loads(await export_json(source, event.id))
    assert exported["event"]["wishlist_reminder_days"] == 2
    assert exported["event"]["gift_reminder_days"] == 30
    assert exported["event"]["reminded_wishlist_at"] == NOW.isoformat()
    assert exported["event"]["reminded_gift_at"] is None
    await source.mark_gift(event.id, BIG, BIG + 2, GiftMark.SENT, at=NOW)
    await source.mark_gift(event.id, BIG + 1, BIG, GiftMark.RECEIVED, at=NOW)
    exported = json.loads(await export_json(source, event.id))
    assert [(p["gift_sent_at"], p["gift_received_at"]) for p in exported["pairings"]] == [
        (NOW.isoformat(), None),
        (None, NOW.isoformat()),
        (None, None),
    ]
    assert exported["event"]["budget"] == "€20–30"
    assert [p["notes"] for p in exported["participants"]] == [None, "size M, no nuts", None]

    target = InMemoryEventRepository()
    (snapshot,) = snapshots_from_file(exported)
    restored = await target.restore_event(snapshot)
    again = json.loads(await export_json(target, restored.id))
    for data in (exported, again):
        data["event"].pop("id")
    assert again == exported


async def test_an_export_from_before_reminders_imports_without_any() -> None:
    source = InMemoryEventRepository()
    event = await source.create_event(
        NewEvent(
            BIG,
            EventDates(NOW + timedelta(days=5), NOW + timedelta(days=9), NOW + timedelta(days=12)),
            "UTC",
        ),
        now=NOW,
    )
    exported = json.loads(await export_json(source, event.id))
    for key in (
        "wishlist_reminder_days",
        "gift_reminder_days",
        "reminded_wishlist_at",
        "reminded_gift_at",
    ):
        del exported["event"][key]
    (snapshot,) = snapshots_from_file(exported)
    assert snapshot.event.reminder_days == ReminderDays(0, 0)
    assert snapshot.event.reminded_wishlist_at is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.pop("format"), "not a Ratmas export"),
        (lambda d: d["event"].update(status="paused"), "event.status = 'paused'"),
        (lambda d: d["event"].update(timezone="Mars/Base"), "timezone"),
        (lambda d: d["event"].update(starts_at="tomorrow"), "event.starts_at = 'tomorrow'"),
        (lambda d: d["event"].update(guild_id="abc"), "event.guild_id = 'abc'"),
        (lambda d: d["participants"][0].update(user_id=-1), "participants[0].user_id = -1"),
        (lambda d: d["pairings"].pop(), "pairings: not a permutation"),
        (
            lambda d: d["pairings"][1].update(gift_sent_at="soon"),
            "pairings[1].gift_sent_at = 'soon'",
        ),
        (lambda d: d.update(audit="none"), "audit = 'none': expected a list"),
        (
            lambda d: d["event"].update(gift_reminder_days=31),
            "event.gift_reminder_days = 31: from 0 (off) to 30 days",
        ),
        (
            lambda d: d["event"].update(wishlist_reminder_days="2"),
            "event.wishlist_reminder_days = '2': a whole number of days",
        ),
        (
            lambda d: d["event"].update(reminded_gift_at="soon"),
            "event.reminded_gift_at = 'soon'",
        ),
        (lambda d: d["event"].update(budget="€20\n30"), "event.budget = '€20\\n30'"),
        (lambda d: d["event"].update(budget="x" * 101), "at most 100 characters"),
        (lambda d: d["participants"][1].update(notes=5), "participants[1].notes: at most 500"),
    ],
)
async def test_a_bad_export_names_the_field_and_imports_nothing(
    change: Callable[[dict[str, Any]], object], named: str
) -> None:
    source = InMemoryEventRepository()
    event = await source.create_event(
        NewEvent(1, EventDates(NOW, NOW + timedelta(days=1), NOW + timedelta(days=2)), "UTC"),
        now=NOW,
    )
    await source.sync_participants(event.id, [Member(i, f"m{i}") for i in (1, 2, 3)], now=NOW)
    await source.replace_pairings(event.id, {1: 2, 2: 3, 3: 1})
    data = json.loads(await export_json(source, event.id))
    change(data)
    with pytest.raises(InvalidInput) as caught:
        snapshots_from_file(data)
    assert named in str(caught.value)


async def test_an_export_from_before_gift_tracking_imports_without_marks() -> None:
    source = InMemoryEventRepository()
    event = await source.create_event(
        NewEvent(1, EventDates(NOW, NOW + timedelta(days=1), NOW + timedelta(days=2)), "UTC"),
        now=NOW,
    )
    await source.sync_participants(event.id, [Member(i, f"m{i}") for i in (1, 2, 3)], now=NOW)
    await source.replace_pairings(event.id, {1: 2, 2: 3, 3: 1})
    data = json.loads(await export_json(source, event.id))
    for pairing in data["pairings"]:
        del pairing["gift_sent_at"], pairing["gift_received_at"]
    (snapshot,) = snapshots_from_file(data)
    assert [(p.gift_sent_at, p.gift_received_at) for p in snapshot.pairings] == [(None, None)] * 3


async def test_older_exports_without_budget_or_notes_still_import() -> None:
    source = InMemoryEventRepository()
    event = await source.create_event(
        NewEvent(1, EventDates(NOW, NOW + timedelta(days=1), NOW + timedelta(days=2)), "UTC"),
        now=NOW,
    )
    await source.sync_participants(event.id, [Member(i, f"m{i}") for i in (1, 2, 3)], now=NOW)
    data = json.loads(await export_json(source, event.id))
    del data["event"]["budget"]
    for participant in data["participants"]:
        del participant["notes"]
    (snapshot,) = snapshots_from_file(data)
    assert snapshot.event.budget is None
    assert [p.notes for p in snapshot.participants] == [None, None, None]


def test_a_refused_import_does_not_quote_the_notes() -> None:
    data = {
        "format": FORMAT,
        "event": {
            "guild_id": "1",
            "status": "scheduled",
            "timezone": "UTC",
            "starts_at": NOW.isoformat(),
            "purchase_deadline": (NOW + timedelta(days=1)).isoformat(),
            "reveal_at": (NOW + timedelta(days=2)).isoformat(),
            "created_at": NOW.isoformat(),
            "updated_at": NOW.isoformat(),
        },
        "participants": [
            {
                "user_id": "5",
                "display_name": "m5",
                "notes": "allergic to peanuts\nring size 7",
                "joined_at": NOW.isoformat(),
            }
        ],
    }
    with pytest.raises(InvalidInput) as caught:
        snapshots_from_file(data)
    assert "participants[0].notes" in str(caught.value)
    assert "peanuts" not in str(caught.value)


def test_a_file_without_events_is_refused_in_one_line() -> None:
    with pytest.raises(InvalidInput, match="holds no event to import"):
        snapshots_from_file({"format": FORMAT, "events": []})


# --- a guild's households ----------------------------------------------------------------


LATER = NOW + timedelta(days=3)


async def guild_with_households() -> InMemoryEventRepository:
    """A guild (BIG) with an archived season and two households."""
    repo = InMemoryEventRepository()
    event = await repo.create_event(
        NewEvent(BIG, EventDates(NOW, NOW + timedelta(days=1), NOW + timedelta(days=2)), "UTC"),
        now=NOW,
    )
    await repo.sync_participants(event.id, [Member(BIG + i, f"m{i}") for i in range(4)], now=NOW)
    await repo.set_status(event.id, EventStatus.SCHEDULED, EventStatus.ARCHIVED, now=NOW)
    await repo.add_household(BIG, [BIG + 1, BIG], created_by=BIG + 9, now=NOW)
    await repo.add_household(BIG, [BIG + 2, BIG + 3, BIG + 4], created_by=None, now=LATER)
    await repo.add_household(BIG + 100, [BIG, BIG + 1], created_by=None, now=NOW)  # elsewhere
    return repo


async def test_a_guild_export_carries_its_households_and_imports_them_back() -> None:
    source = await guild_with_households()
    exported = await export_guild(source, BIG)
    assert exported["households"] == [
        {
            "members": [str(BIG), str(BIG + 1)],
            "created_by": str(BIG + 9),
            "created_at": NOW.isoformat(),
        },
        {
            "members": [str(BIG + 2), str(BIG + 3), str(BIG + 4)],
            "created_by": None,
            "created_at": LATER.isoformat(),
        },
    ]
    # An event's export does not: households belong to the guild, not to a season.
    assert "households" not in await export_event(source, 1)

    target = InMemoryEventRepository()
    report = await import_file(target, read_export_file(json.loads(json.dumps(exported)), now=NOW))
    assert (len(report.events), report.households_added, report.households_present) == (1, 2, 0)
    again = await export_guild(target, BIG)
    for data in (exported, again):
        for event in data["events"]:
            event["event"].pop("id")
    assert again == exported
    assert await target.list_households(BIG + 100) == []


async def test_files_without_households_import_as_before() -> None:
    exported = await export_guild(await guild_with_households(), BIG)
    del exported["households"]
    file = read_export_file(exported, now=NOW)
    assert file.households == ()
    target = InMemoryEventRepository()
    report = await import_file(target, file)
    assert (len(report.events), report.households_added) == (1, 0)
    assert await target.list_households(BIG) == []
    exported["events"] = []
    with pytest.raises(InvalidInput, match="holds no event to import"):
        read_export_file(exported, now=NOW)


async def test_a_guild_without_events_still_moves_its_households() -> None:
    exported = await export_guild(await guild_with_households(), BIG)
    exported["events"] = []
    target = InMemoryEventRepository()
    report = await import_file(target, read_export_file(exported, now=NOW))
    assert (report.events, report.households_added) == ([], 2)
    assert [h.members for h in await target.list_households(BIG)] == [
        (BIG, BIG + 1),
        (BIG + 2, BIG + 3, BIG + 4),
    ]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.update(households="none"), "households = 'none': expected a list"),
        (lambda d: d["households"].append(3), "households[2] = 3: expected an object"),
        (lambda d: d["households"][0].pop("members"), "households[0].members is missing"),
        (
            lambda d: d["households"][1].update(members="1, 2"),
            "households[1].members = '1, 2': expected a list of 2 to 8 Discord ids",
        ),
        (
            lambda d: d["households"][1].update(members=["5"]),
            "households[1].members = ['5']: expected a list of 2 to 8 Discord ids, got 1",
        ),
        (
            lambda d: d["households"][1].update(members=[str(n) for n in range(1, 10)]),
            "got 9",
        ),
        (
            lambda d: d["households"][1]["members"].__setitem__(0, "x"),
            "households[1].members[0] = 'x': expected a Discord id",
        ),
        (
            lambda d: d["households"][1]["members"].__setitem__(1, 2**63),
            f"households[1].members[1] = {2**63}: expected a Discord id",
        ),
        (
            lambda d: d["households"][1]["members"].append(str(BIG + 3)),
            f"households[1].members[3] = '{BIG + 3}': listed twice in this household",
        ),
        (
            lambda d: d["households"][1]["members"].append(str(BIG)),
            f"households[1].members[3] = '{BIG}': already in households[0]; "
            "a member is in one household at most",
        ),
        (
            lambda d: d["households"][0].update(created_at="yesterday"),
            "households[0].created_at = 'yesterday'",
        ),
        (lambda d: d["households"][0].update(created_by=-3), "households[0].created_by = -3"),
        (lambda d: d.update(guild_id="guild"), "the file: guild_id = 'guild'"),
        (
            lambda d: d.pop("guild_id"),
            "the file: households[0].guild_id: missing, and so is the file's guild_id",
        ),
        (
            lambda d: d["households"][1].update(guild_id="7"),
            "households[1].guild_id = '7': not the file's guild",
        ),
    ],
)
async def test_bad_households_name_the_path_and_nothing_is_read(
    change: Callable[[dict[str, Any]], object], named: str
) -> None:
    data = await export_guild(await guild_with_households(), BIG)
    change(data)
    with pytest.raises(InvalidInput) as caught:
        read_export_file(data, now=NOW)
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)
    if "the file" not in named:
        assert str(caught.value).startswith(f"import: guild {BIG}: ")


async def test_households_the_guild_already_has_are_kept_and_a_clash_refuses_all() -> None:
    exported = await export_guild(await guild_with_households(), BIG)
    target = InMemoryEventRepository()
    same = await target.add_household(BIG, [BIG, BIG + 1], created_by=None, now=NOW)
    report = await import_file(target, read_export_file(exported, now=NOW))
    assert (len(report.events), report.households_added, report.households_present) == (1, 1, 1)
    assert (await target.list_households(BIG))[0] == same  # kept as it was, not doubled
    assert len(await target.list_households(BIG)) == 2

    # A member already in another household of the guild: nothing of the file is stored.
    clash = InMemoryEventRepository()
    family = await clash.add_household(BIG, [BIG + 3, BIG + 7], created_by=None, now=NOW)
    with pytest.raises(InvalidInput) as caught:
        await import_file(clash, read_export_file(exported, now=NOW))
    assert str(caught.value) == (
        f"import: guild {BIG}: households[1]: member {BIG + 3} is already in household "
        f"{family.id} of this guild ({BIG + 3}, {BIG + 7}); a member is in one household at "
        "most: take them out of it (`/ratmas-admin household remove`) or leave this household "
        "out of the file; nothing was imported"
    )
    assert await clash.list_households(BIG) == [family]
    assert await clash.list_events(BIG) == []
