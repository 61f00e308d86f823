"""The event export: everything stored about an event, ids as strings, ISO times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ratmas.domain.errors import NotFound
from ratmas.domain.model import AuditEntry, EventDates, Member, NewEvent
from ratmas.services.export import FORMAT, export_event, export_json
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
    }
    assert data["audit"][0]["action"] == "advance"


async def test_export_of_a_missing_event() -> None:
    with pytest.raises(NotFound):
        await export_event(InMemoryEventRepository(), 99)
