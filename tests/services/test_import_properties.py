"""Property-based tests of the export reader: random text and mutated exports are read
or refused with one line naming what is wrong, never a traceback; whatever is accepted
fits the columns it goes into."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratmas.domain.dates import EARLIEST, LATEST
from ratmas.domain.errors import InvalidInput
from ratmas.domain.limits import MAX_ID, MAX_INT32, link_problem
from ratmas.services.export import FORMAT, read_json, snapshots_from_file
from tests.properties import mutated

GUILD = "900000000000000001"


def valid_export(guild: str = GUILD, event_id: int = 7, status: str = "archived") -> dict[str, Any]:
    """A complete export of a drawn event of three, written by hand."""
    people = [str(int(guild) + n) for n in (10, 11, 12)]
    return {
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


def valid_guild_file() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "guild_id": GUILD,
        "events": [valid_export(event_id=7), valid_export(event_id=8, status="cancelled")],
    }


def test_the_valid_export_is_valid() -> None:
    (snapshot,) = snapshots_from_file(valid_export())
    assert len(snapshot.pairings) == 3
    assert len(snapshots_from_file(valid_guild_file())) == 2


def _read(text: str) -> None:
    """Read a file's text as `ratmas import` does; only `InvalidInput` may escape, and
    its message is one line."""
    try:
        snapshots = snapshots_from_file(read_json(text))
    except InvalidInput as refused:
        message = str(refused)
        assert "\n" not in message
        message.encode("utf-8")  # printable on any terminal, surrogates escaped
        return
    for snapshot in snapshots:
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
@given(mutated(valid_guild_file()))
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
