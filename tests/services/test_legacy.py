"""Bringing the original bot's events over: the mapping, the refusals naming table, row
and column, the live-event rule, running twice, and what the next reconcile sends."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratmas.domain.dates import EARLIEST, LATEST
from ratmas.domain.errors import InvalidInput
from ratmas.domain.limits import MAX_ID
from ratmas.domain.status import EventStatus
from ratmas.persistence.legacy import read_legacy_file
from ratmas.services.legacy import LegacyRows, import_legacy, legacy_events, legacy_instant
from tests.fakes import InMemoryEventRepository
from tests.legacy_file import GUILD_A, LegacyFile, ms, realistic
from tests.properties import NASTY_VALUES
from tests.services.world import World

NOW = datetime(2025, 12, 2, 12, tzinfo=UTC)


def rows(file: LegacyFile) -> LegacyRows:
    return LegacyRows(tuple(file.events), tuple(file.participants), tuple(file.pairings))


def test_the_realistic_file_reads_back_from_sqlite(tmp_path: Path) -> None:
    read = read_legacy_file(realistic().write(tmp_path / "old.sqlite"))
    assert len(read.events) == 4
    assert read.events[0]["eventStartDate"] == ms(datetime(2024, 12, 1, 18, tzinfo=UTC))
    assert read.participants[0]["joinedAt"] == "2025-11-02 10:00:00"


async def test_statuses_pairings_and_dms_map_as_the_issue_says() -> None:
    found = {e.legacy_id: e for e in legacy_events(rows(realistic()), now=NOW)}
    assert {k: e.snapshot.event.status for k, e in found.items()} == {
        "ckq1a2024done": EventStatus.ARCHIVED,
        "ckq1a2025live": EventStatus.ACTIVE,
        "ckq1b2024gone": EventStatus.CANCELLED,
        "ckq1b2025open": EventStatus.SCHEDULED,
    }
    live = found["ckq1a2025live"].snapshot
    users = [400000000000000000 + n for n in range(5)]
    assert {(p.santa_id, p.recipient_id) for p in live.pairings} == {
        (users[n], users[(n + 1) % 5]) for n in range(5)
    }
    assert sorted(p.santa_id for p in live.pairings if p.notified_at is None) == users[3:]
    assert live.event.announced_status is EventStatus.ACTIVE  # not announced again
    assert live.event.participant_role_id == 700000000000000002
    assert live.event.dates.starts_at == datetime(2025, 12, 1, 18, tzinfo=UTC)
    assert live.participants[0].joined_at == datetime(2025, 11, 2, 10, tzinfo=UTC)
    assert found["ckq1b2025open"].snapshot.event.timezone == "America/New_York"


async def test_the_next_reconcile_dms_only_the_santas_never_told() -> None:
    world = World()
    world.at(NOW)
    report = await import_legacy(
        world.repo, legacy_events(rows(realistic()), now=NOW), dry_run=False
    )
    assert len(report.new) == 4
    await world.engine.reconcile()
    told = sorted(u for u, dms in world.received().items() if dms)
    assert told == [400000000000000003, 400000000000000004]
    await world.engine.reconcile()
    assert sorted(u for u, dms in world.received().items() if dms) == told
    assert all(len(dms) == 1 for dms in world.received().values() if dms)


async def test_running_twice_stores_nothing_the_second_time() -> None:
    repo = InMemoryEventRepository()
    found = legacy_events(rows(realistic()), now=NOW)
    dry = await import_legacy(repo, found, dry_run=True)
    assert dry.dry_run
    assert len(dry.new) == 4
    assert repo.events == {}
    await import_legacy(repo, found, dry_run=False)
    stored = dict(repo.events)
    again = await import_legacy(repo, found, dry_run=False)
    assert again.new == ()
    assert {e.existing_id for e in again.known} == set(stored)
    assert repo.events == stored


async def test_a_second_live_event_names_the_guild_and_both_events() -> None:
    file = realistic()
    file.season("ckq1a2026also", GUILD_A, "open", ["1", "2", "3"], year=2026)
    repo = InMemoryEventRepository()
    with pytest.raises(InvalidInput) as refused:
        await import_legacy(repo, legacy_events(rows(file), now=NOW), dry_run=False)
    message = str(refused.value)
    assert f"guild {GUILD_A}" in message
    assert "ckq1a2025live" in message
    assert "ckq1a2026also" in message
    assert repo.events == {}


def _set(table: str, index: int, column: str, value: Any) -> Callable[[LegacyFile], None]:
    def change(file: LegacyFile) -> None:
        getattr(file, table)[index][column] = value

    return change


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_set("events", 0, "guildId", "12ab"), "RatmasEvent row ckq1a2024done: column guildId"),
        (_set("events", 0, "status", "paused"), "RatmasEvent row ckq1a2024done: column status"),
        (_set("events", 1, "timezone", "Mars/Base"), "column timezone = 'Mars/Base'"),
        (_set("events", 1, "revealDate", 0), "column revealDate = 0"),
        (
            _set("participants", 0, "userId", "-5"),
            "RatmasParticipant row ckq1a2024done-p0: column userId",
        ),
        (
            _set("participants", 1, "wishlistUrl", "javascript:alert(1)"),
            "RatmasParticipant row ckq1a2024done-p1: column wishlistUrl",
        ),
        (
            _set("participants", 2, "displayName", "a\x00b"),
            "RatmasParticipant row ckq1a2024done-p2: column displayName",
        ),
        (
            _set("pairings", 0, "santaId", "nobody"),
            "RatmasPairing row ckq1a2024done-x0: column santaId = 'nobody'",
        ),
        (
            _set("pairings", 0, "eventId", "gone"),
            "RatmasPairing row ckq1a2024done-x0: column eventId",
        ),
        (
            _set("pairings", 1, "recipientId", "ckq1a2024done-p0"),
            "RatmasPairing rows of event ckq1a2024done",
        ),
        (
            _set("pairings", 1, "santaId", "ckq1a2025live-p1"),
            "column santaId = 'ckq1a2025live-p1': this participant belongs to another event",
        ),
    ],
)
def test_bad_rows_are_refused_naming_table_row_and_column(
    change: Callable[[LegacyFile], None], named: str
) -> None:
    file = realistic()
    change(file)
    with pytest.raises(InvalidInput) as refused:
        legacy_events(rows(file), now=NOW)
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1733076000000, datetime(2024, 12, 1, 18, tzinfo=UTC)),
        ("1733076000000", datetime(2024, 12, 1, 18, tzinfo=UTC)),
        ("2024-12-01 18:00:00", datetime(2024, 12, 1, 18, tzinfo=UTC)),
        ("2024-12-01T18:00:00.000Z", datetime(2024, 12, 1, 18, tzinfo=UTC)),
        ("2024-12-01T19:00:00+01:00", datetime(2024, 12, 1, 18, tzinfo=UTC)),
    ],
)
def test_prisma_dates_in_every_spelling(value: object, expected: datetime) -> None:
    assert legacy_instant(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.sampled_from(NASTY_VALUES), st.integers(), st.text(max_size=30)))
def test_any_date_value_is_read_or_refused(value: object) -> None:
    try:
        read = legacy_instant(value)
    except InvalidInput as refused:
        field = refused.field
        assert field == "date"
        return
    assert EARLIEST <= read <= LATEST


COLUMNS = {
    "events": list(realistic().events[0]),
    "participants": list(realistic().participants[0]),
    "pairings": list(realistic().pairings[0]),
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(COLUMNS)),
            st.integers(min_value=0, max_value=20),
            st.data(),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_legacy_rows_are_imported_or_refused_in_one_line(
    changes: list[tuple[str, int, st.DataObject]],
) -> None:
    file = copy.deepcopy(realistic())
    for table, index, data in changes:
        found = getattr(file, table)
        column = data.draw(st.sampled_from(COLUMNS[table]))
        found[index % len(found)][column] = data.draw(
            st.one_of(st.sampled_from(NASTY_VALUES), st.text(max_size=20))
        )
    try:
        found_events = legacy_events(rows(file), now=NOW)
    except InvalidInput as refused:
        message = str(refused)
        assert "\n" not in message
        assert message.startswith("legacy: Ratmas")
        return
    for found in found_events:
        event = found.snapshot.event
        people = {p.user_id for p in found.snapshot.participants}
        assert all(1 <= i <= MAX_ID for i in (event.guild_id, *people))
        assert event.dates.starts_at < event.dates.purchase_deadline < event.dates.reveal_at
        if found.snapshot.pairings:
            assert {p.santa_id for p in found.snapshot.pairings} == people
