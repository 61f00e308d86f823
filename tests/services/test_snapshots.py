"""Snapshots before destructive changes: one file per change, in the export format,
bounded per guild; restore brings an event back unless that makes a second live one."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ratmas.domain.errors import InvalidInput, RatmasError
from ratmas.domain.model import EventSnapshot, GiftMark
from ratmas.domain.status import EventStatus
from ratmas.persistence.files import SnapshotFiles
from ratmas.services.container import ServiceOptions, Services, build_services
from ratmas.services.export import FORMAT
from ratmas.services.snapshots import parse_snapshot_name
from tests.fakes import InMemorySnapshots, RecordingJobScheduler
from tests.services.fake_discord import RecordingDiscord
from tests.services.world import ADMIN, GUILD, NOW, ROLE, World, people


class Setup:
    def __init__(self, keep: int = 100, store: InMemorySnapshots | None = None) -> None:
        self.store = store or InMemorySnapshots()
        self.world = World()
        self.world.discord = RecordingDiscord(roles={ROLE: people(1, 2, 3, 4)})
        self.s: Services = build_services(
            self.world.repo,
            self.world.discord,
            self.world.clock,
            RecordingJobScheduler(),
            ServiceOptions(min_participants=3, keep_snapshots=keep, rng=lambda: random.Random(1)),
            snapshot_store=self.store,
        )

    def reasons(self) -> list[str]:
        return [info.reason for info in self.s.snapshots.list(GUILD)]


async def _drawn(setup: Setup) -> int:
    event = await setup.world.event()
    setup.world.at(event.dates.starts_at + timedelta(seconds=1))
    await setup.s.engine.reconcile()
    return event.id


async def test_cancel_redraw_and_delete_each_leave_one_snapshot() -> None:
    setup = Setup()
    event_id = await _drawn(setup)
    await setup.s.admin.redraw(event_id, ADMIN, force=True)
    setup.world.clock.advance(timedelta(seconds=1))
    await setup.s.admin.cancel(event_id, ADMIN, "moved to January")
    setup.world.clock.advance(timedelta(seconds=1))
    await setup.s.snapshots.delete_event(event_id)
    assert setup.reasons() == ["redraw", "cancel", "delete"]
    (deleted,) = [n for n in setup.store.files if n.endswith("_delete.json")]
    info = parse_snapshot_name(deleted)
    assert info is not None
    assert (info.guild_id, info.event_id) == (GUILD, event_id)
    data = json.loads(setup.store.files[deleted])
    assert data["format"] == FORMAT
    assert data["event"]["status"] == "cancelled"
    assert len(data["pairings"]) == 4
    # The delete's snapshot brings it back, pairings and all.
    result = await setup.s.snapshots.restore(setup.store.files[deleted])
    assert result.replaced is None
    assert not result.already
    assert len(await setup.world.repo.list_pairings(result.event.id)) == 4


async def test_archive_snapshots_and_a_draw_without_pairings_does_not() -> None:
    setup = Setup()
    event_id = await _drawn(setup)
    setup.world.at(NOW + timedelta(days=30))
    await setup.s.engine.reconcile()
    assert (await setup.world.get(event_id)).status is EventStatus.REVEALED
    await setup.s.admin.archive(event_id, ADMIN)
    assert setup.reasons() == ["archive"]


async def test_a_snapshot_that_cannot_be_written_refuses_the_change(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the directory should be")
    setup = Setup()
    files = SnapshotFiles(blocked)
    setup.s = build_services(
        setup.world.repo,
        setup.world.discord,
        setup.world.clock,
        RecordingJobScheduler(),
        ServiceOptions(min_participants=3),
        snapshot_store=files,
    )
    event = await setup.world.event()
    with pytest.raises(RatmasError, match="cannot write"):
        await setup.s.admin.cancel(event.id, ADMIN, "no")
    assert (await setup.world.get(event.id)).status is EventStatus.SCHEDULED


async def test_only_the_newest_snapshots_of_a_guild_are_kept() -> None:
    setup = Setup(keep=2)
    event = await setup.world.event()
    for minute in range(4):
        setup.world.at(NOW + timedelta(minutes=minute))
        await setup.s.snapshots.take(event.id, f"test-{'abcd'[minute]}")
    assert setup.reasons() == ["test-c", "test-d"]


async def test_restore_refuses_a_second_live_event_and_replaces_its_own() -> None:
    setup = Setup()
    event = await setup.world.event()
    where = await setup.s.snapshots.take(event.id, "test")
    text = setup.store.files[where]
    # The event still exists: it is replaced (after a snapshot of its own).
    result = await setup.s.snapshots.restore(text)
    restored, replaced = result.event, result.replaced
    assert replaced is not None
    assert replaced.id == event.id
    assert await setup.world.repo.get_event(event.id) is None
    assert sorted(setup.reasons()) == ["replaced-by-restore", "test"]
    # Deleted, then another live event created: bringing it back is refused.
    await setup.s.snapshots.delete_event(restored.id)
    other = await setup.world.event()
    before = await setup.world.repo.list_events(GUILD)
    with pytest.raises(InvalidInput, match="second live event"):
        await setup.s.snapshots.restore(text)
    assert await setup.world.repo.list_events(GUILD) == before
    assert other.id in {e.id for e in before}


def test_the_snapshot_directory_keeps_files_private(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path)
    where = Path(files.write("guild-1_event-2_20261201T000000000000Z_cancel.json", "{}"))
    assert where.parent == tmp_path / "snapshots"
    assert where.stat().st_mode & 0o777 == 0o600
    assert files.names() == [where.name]


async def test_a_redraw_snapshot_keeps_the_gift_marks_it_replaced() -> None:
    setup = Setup()
    event_id = await _drawn(setup)
    for santa in (1, 2):
        await setup.s.gifts.mark(GUILD, santa, GiftMark.SENT)
    marked = await setup.world.repo.list_pairings(event_id)
    await setup.s.admin.redraw(event_id, ADMIN, force=True)
    assert (await setup.world.repo.gift_counts(event_id)).sent == 0
    (text,) = setup.store.files.values()
    restored = (await setup.s.snapshots.restore(text)).event
    back = await setup.world.repo.list_pairings(restored.id)
    assert [(p.santa_id, p.recipient_id, p.gift_sent_at) for p in back] == [
        (p.santa_id, p.recipient_id, p.gift_sent_at) for p in marked
    ]
    assert (await setup.world.repo.gift_counts(restored.id)).sent == 2


async def test_restoring_the_same_snapshot_twice_stores_it_once() -> None:
    setup = Setup()
    event_id = await _drawn(setup)
    await setup.s.admin.cancel(event_id, ADMIN, "moved to January")
    await setup.s.snapshots.delete_event(event_id)
    (deleted,) = [n for n in setup.store.files if n.endswith("_delete.json")]
    text = setup.store.files[deleted]
    first = await setup.s.snapshots.restore(text)
    assert (first.replaced, first.already) == (None, False)
    events = await setup.world.repo.list_events(GUILD)
    files = dict(setup.store.files)
    # Again, and again re-indented (the same snapshot, written otherwise): nothing changes.
    for same in (text, json.dumps(json.loads(text))):
        again = await setup.s.snapshots.restore(same)
        assert again.already
        assert again.event == first.event
        assert await setup.world.repo.list_events(GUILD) == events
        assert setup.store.files == files
    # Once the restored event is deleted, the snapshot can be restored again.
    await setup.s.snapshots.delete_event(first.event.id)
    third = await setup.s.snapshots.restore(text)
    assert not third.already
    assert third.event.id not in {first.event.id, event_id}


async def test_restoring_twice_over_the_event_it_replaced_stores_it_once() -> None:
    setup = Setup()
    event = await setup.world.event()
    text = setup.store.files[await setup.s.snapshots.take(event.id, "test")]
    first = await setup.s.snapshots.restore(text)
    assert first.replaced == event
    events = await setup.world.repo.list_events(GUILD)
    files = dict(setup.store.files)
    again = await setup.s.snapshots.restore(text)
    assert (again.event, again.replaced, again.already) == (first.event, None, True)
    assert await setup.world.repo.list_events(GUILD) == events
    assert setup.store.files == files  # not even a snapshot of what it would replace


async def test_a_failed_restore_is_followed_by_one_that_stores_once() -> None:
    """The restore is one transaction: a first run that failed inside it (here the
    fake's all-or-nothing copy) left nothing, and the next run stores exactly once."""
    setup = Setup()
    event_id = await _drawn(setup)
    await setup.s.snapshots.delete_event(event_id)
    (text,) = setup.store.files.values()
    repo = setup.world.repo
    real = repo.restore_events

    async def killed(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the process was killed")

    repo.restore_events = killed  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        await setup.s.snapshots.restore(text)
    repo.restore_events = real  # type: ignore[method-assign]
    assert await repo.list_events(GUILD) == []
    first = await setup.s.snapshots.restore(text)
    second = await setup.s.snapshots.restore(text)
    assert (first.already, second.already) == (False, True)
    assert [e.id for e in await repo.list_events(GUILD)] == [first.event.id]


async def test_the_legacy_id_comes_back_and_is_never_held_twice() -> None:
    setup = Setup()
    legacy = await setup.world.repo.restore_event(
        EventSnapshot(
            replace(await setup.world.event(), status=EventStatus.ARCHIVED), legacy_id="ckq1a"
        ),
    )
    text = setup.store.files[await setup.s.snapshots.take(legacy.id, "test")]
    assert json.loads(text)["event"]["legacy_id"] == "ckq1a"
    # A copy of that snapshot as another event (its id unknown here) would hold the
    # legacy id a second time: refused, naming both, nothing changed.
    copy = json.loads(text)
    copy["event"]["id"] = 999
    events = await setup.world.repo.list_events(GUILD)
    with pytest.raises(
        InvalidInput, match=f"legacy event ckq1a .* already stored as event {legacy.id}"
    ):
        await setup.s.snapshots.restore(json.dumps(copy))
    assert await setup.world.repo.list_events(GUILD) == events
    # Deleted, then restored: the restored event is the original bot's event again.
    await setup.s.snapshots.delete_event(legacy.id)
    restored = (await setup.s.snapshots.restore(text)).event
    assert restored.legacy_id == "ckq1a"
    assert await setup.world.repo.legacy_events(["ckq1a"]) == {"ckq1a": restored.id}
