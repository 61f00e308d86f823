"""Property-based tests of the export reader: random text and mutated exports are read
or refused with one line naming what is wrong, never a traceback; whatever is accepted
fits the columns it goes into."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratmas.domain.dates import EARLIEST, LATEST
from ratmas.domain.errors import InvalidInput
from ratmas.domain.limits import MAX_ID, MAX_INT32, MAX_LEGACY_ID, link_problem
from ratmas.services.export import FORMAT
from ratmas.services.households import MAX_HOUSEHOLD_MEMBERS
from ratmas.services.import_checks import read_json
from ratmas.services.imports import read_export_file, snapshots_from_file
from tests.properties import mutated

GUILD = "900000000000000001"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def valid_export(
    guild: str = GUILD, event_id: int = 7, status: str = "archived", legacy_id: str | None = None
) -> dict[str, Any]:
    """A complete export of a drawn event of three, written by hand; with `legacy_id`,
    one that came from the original bot (exports older than that field have none)."""
    people = [str(int(guild) + n) for n in (10, 11, 12)]
    data: dict[str, Any] = {
        "format": FORMAT,
        "event": {
            "id": event_id,
            "guild_id": guild,
            "status": status,
            "timezone": "Europe/London",
            "starts_at": "2026-12-01T18:00:00+00:00",
            "purchase_deadline": "2026-12-15T18:00:00+00:00",
            "reveal_at": "2026-12-24T18:00:00+00:00",
            "announcement_channel_id": str(int(guild) + 1),
            "participant_role_id": str(int(guild) + 2),
            "manager_role_id": None,
            "created_by": str(int(guild) + 3),
            "held_reason": None,
            "announced_status": status,
            "cancel_reason": None,
            "created_at": "2026-11-20T12:00:00+00:00",
            "updated_at": "2026-12-24T18:00:00+00:00",
            "wishlist_reminder_days": 2,
            "gift_reminder_days": 3,
            "reminded_wishlist_at": "2026-11-29T18:00:00+00:00",
            "reminded_gift_at": None,
        },
        "participants": [
            {
                "user_id": person,
                "display_name": f"member {n}",
                "wishlist_url": "https://example.com/list" if n else None,
                "joined_at": "2026-11-21T12:00:00+00:00",
            }
            for n, person in enumerate(people)
        ],
        "exclusions": [{"user_id": people[0], "excluded_user_id": people[1]}],
        "pairings": [
            {
                "santa_id": santa,
                "recipient_id": recipient,
                "notified_at": "2026-12-01T18:00:05+00:00",
                "attempts": 1,
                "last_error_code": None,
                "last_error_text": None,
            }
            for santa, recipient in zip(people, people[2:] + people[:2], strict=True)
        ],
        "audit": [
            {
                "actor_id": people[0],
                "action": "advance",
                "detail": "performed now",
                "at": "2026-12-01T18:00:00+00:00",
            }
        ],
    }
    if legacy_id is not None:
        data["event"]["legacy_id"] = legacy_id
    return data


def valid_guild_file() -> dict[str, Any]:
    family = [str(int(GUILD) + n) for n in (10, 11, 20)]
    return {
        "format": FORMAT,
        "guild_id": GUILD,
        "events": [valid_export(event_id=7), valid_export(event_id=8, status="cancelled")],
        "households": [
            {
                "members": family,
                "created_by": str(int(GUILD) + 3),
                "created_at": "2026-11-01T12:00:00+00:00",
            },
            {"members": [str(int(GUILD) + 12), str(int(GUILD) + 21)]},
        ],
    }


OTHER_GUILD = str(int(GUILD) + 1000)


def valid_backup_file() -> dict[str, Any]:
    """A PostgreSQL JSON backup: every guild's events, each household naming its guild
    (the same member may be in a household of each guild)."""
    member = str(int(GUILD) + 10)
    return {
        "format": FORMAT,
        "taken_at": "2026-12-02T03:00:00+00:00",
        "events": [
            valid_export(event_id=7, legacy_id="ckq1a2024done"),
            valid_export(OTHER_GUILD, event_id=9),
        ],
        "households": [
            {"guild_id": GUILD, "members": [member, str(int(GUILD) + 11)]},
            {"guild_id": OTHER_GUILD, "members": [member, str(int(GUILD) + 12)]},
        ],
    }


def test_the_valid_export_is_valid() -> None:
    backup = read_export_file(valid_backup_file(), now=NOW)
    assert [h.guild_id for h in backup.households] == [int(GUILD), int(OTHER_GUILD)]
    assert [s.legacy_id for s in backup.snapshots] == ["ckq1a2024done", None]
    (snapshot,) = snapshots_from_file(valid_export())
    assert len(snapshot.pairings) == 3
    assert len(snapshots_from_file(valid_guild_file())) == 2
    file = read_export_file(valid_guild_file(), now=NOW)
    assert len(file.snapshots) == 2
    assert [h.members for h in file.households] == [
        (int(GUILD) + 10, int(GUILD) + 11, int(GUILD) + 20),
        (int(GUILD) + 12, int(GUILD) + 21),
    ]
    assert [h.created_at for h in file.households] == [datetime(2026, 11, 1, 12, tzinfo=UTC), NOW]


def _read(text: str) -> None:
    """Read a file's text as `ratmas import` does; only `InvalidInput` may escape, and
    its message is one line."""
    try:
        file = read_export_file(read_json(text), now=NOW)
    except InvalidInput as refused:
        message = str(refused)
        assert "\n" not in message
        message.encode("utf-8")  # printable on any terminal, surrogates escaped
        return
    placed: set[tuple[int, int]] = set()
    for household in file.households:
        assert 2 <= len(household.members) <= MAX_HOUSEHOLD_MEMBERS
        assert len(set(household.members)) == len(household.members)
        assert all(1 <= i <= MAX_ID for i in (household.guild_id, *household.members))
        assert EARLIEST <= household.created_at <= LATEST
        mine = {(household.guild_id, m) for m in household.members}
        assert not placed & mine  # a member is in one household at most
        placed |= mine
    for snapshot in file.snapshots:
        event = snapshot.event
        ids = [event.guild_id, *(p.user_id for p in snapshot.participants)]
        ids += [i for p in snapshot.pairings for i in (p.santa_id, p.recipient_id)]
        assert all(1 <= i <= MAX_ID for i in ids)
        assert all(0 <= p.attempts <= MAX_INT32 for p in snapshot.pairings)
        for instant in (event.dates.starts_at, event.dates.reveal_at, event.created_at):
            assert EARLIEST <= instant <= LATEST
        assert event.dates.starts_at < event.dates.purchase_deadline < event.dates.reveal_at
        for p in snapshot.participants:
            assert p.wishlist_url is None or link_problem(p.wishlist_url) is None
        assert all(x.user_id != x.excluded_user_id for x in snapshot.exclusions)
        assert all(
            0 <= days <= 30 for days in (event.reminder_days.wishlist, event.reminder_days.gift)
        )
        legacy_id = snapshot.legacy_id
        assert legacy_id is None or 0 < len(legacy_id.strip()) <= len(legacy_id) <= MAX_LEGACY_ID


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_random_text_is_refused_with_one_line(text: str) -> None:
    _read(text)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.sampled_from(["0", "1e999", "-0", '"x"', "null", "NaN", "9" * 30]),
        lambda inner: st.one_of(
            inner.map(lambda t: f"[{t}]"), inner.map(lambda t: '{"event": ' + t + "}")
        ),
        max_leaves=80,
    )
)
def test_nesting_and_number_sizes_are_bounded(text: str) -> None:
    _read(text)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(mutated(valid_guild_file()), mutated(valid_backup_file())))
def test_mutated_exports_are_read_or_refused_with_one_line(data: dict[str, Any]) -> None:
    _read(json.dumps(data, ensure_ascii=False, allow_nan=True))


def test_deep_nesting_and_huge_numbers_are_one_line() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, "1" * 5000, '{"a": NaN}', "[1e999999]"):
        message = ""
        try:
            read_json(text)
        except InvalidInput as refused:
            message = str(refused)
        assert "\n" not in message
        assert message or text == "[1e999999]"  # parses to inf, refused later as a type


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.sampled_from([str(int(GUILD) + n) for n in range(12)]),
                st.sampled_from(["0", "x", "", "9" * 20, "-5", "1.5"]),
            ),
            max_size=10,
        ),
        max_size=5,
    )
)
def test_households_are_read_exactly_when_the_rules_hold(households: list[list[str]]) -> None:
    """The reader against a plain statement of the rules: 2 to 8 distinct ids per
    household, nobody in two households."""
    data = valid_guild_file()
    data["households"] = [{"members": members} for members in households]
    every = [m for members in households for m in members]
    valid = (
        all(2 <= len(members) <= MAX_HOUSEHOLD_MEMBERS for members in households)
        and all(m.isdigit() and 1 <= int(m) <= MAX_ID for m in every)
        and len(set(every)) == len(every)
    )
    if not valid:
        with pytest.raises(InvalidInput) as refused:
            read_export_file(data, now=NOW)
        assert str(refused.value).startswith(f"import: guild {GUILD}: households[")
        assert "\n" not in str(refused.value)
        return
    file = read_export_file(data, now=NOW)
    assert [h.members for h in file.households] == [
        tuple(sorted(int(m) for m in members)) for members in households
    ]
    assert all(h.guild_id == int(GUILD) for h in file.households)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.text(max_size=MAX_LEGACY_ID + 5),
        st.sampled_from(["", "   ", "x" * MAX_LEGACY_ID, "x" * (MAX_LEGACY_ID + 1), "a\x00b"]),
        st.integers(),
        st.booleans(),
        st.lists(st.text(max_size=3), max_size=2),
    )
)
def test_the_legacy_id_is_read_exactly_when_the_rule_holds(value: Any) -> None:
    """`event.legacy_id` against a plain statement of the rule: absent or null (older
    exports), else a string of 1 to 64 characters, not blank, without control
    characters, lone surrogates or unassigned code points."""
    data = valid_export()
    data["event"]["legacy_id"] = value
    valid = value is None or (
        isinstance(value, str)
        and 0 < len(value) <= MAX_LEGACY_ID
        and bool(value.strip())
        and all(c in "\t\n" or unicodedata.category(c) not in ("Cc", "Cs", "Cn") for c in value)
    )
    if not valid:
        with pytest.raises(InvalidInput) as refused:
            snapshots_from_file(data)
        assert str(refused.value).startswith("import: event 7 of guild ")
        assert "event.legacy_id" in str(refused.value)
        assert "\n" not in str(refused.value)
        return
    (snapshot,) = snapshots_from_file(data)
    assert snapshot.legacy_id == value
    del data["event"]["legacy_id"]
    assert snapshots_from_file(data)[0].legacy_id is None
