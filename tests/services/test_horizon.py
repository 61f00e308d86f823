"""Only the jobs of a horizon are held; the safety tick brings later phases in, and a
tick with nothing due reads no event's pairings."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from jobs.inspect import compare
from ratmas.domain.model import Pairing
from ratmas.domain.status import EventStatus
from ratmas.services.ports import DeliveryProgress
from ratmas.services.schedule import schedules
from tests.fakes import InMemoryEventRepository
from tests.services.world import DEADLINE, START, World

HORIZON = timedelta(hours=6)


class CountingRepository(InMemoryEventRepository):
    """Counts the reads that grow with the number of events."""

    def __init__(self) -> None:
        super().__init__()
        self.pairing_reads = 0
        self.progress_reads: list[set[int]] = []

    async def list_pairings(self, event_id: int) -> list[Pairing]:
        self.pairing_reads += 1
        return await super().list_pairings(event_id)

    async def delivery_progress(self, event_ids: Collection[int]) -> dict[int, DeliveryProgress]:
        self.progress_reads.append(set(event_ids))
        return await super().delivery_progress(event_ids)


async def test_jobs_are_held_only_within_the_horizon_and_the_tick_brings_them_in() -> None:
    world = World(horizon=HORIZON)
    event = await world.event()
    await world.engine.reconcile()
    assert world.scheduler.ids() == []  # the start is a day away

    world.at(START - timedelta(hours=5))
    await world.engine.reconcile()
    assert world.scheduler.ids() == [f"ratmas:{event.id}:start"]
    # What the database says the scheduler should hold, within the same horizon.
    found = schedules([await world.get(event.id)], world.clock.now())
    until = world.clock.now() + HORIZON
    assert compare(world.scheduler.jobs(), found, until) == []
    assert [d.kind for d in compare(world.scheduler.jobs(), found)] == ["missing", "missing"]

    world.at(START)
    report = await world.engine.reconcile()
    assert report.performed == [(event.id, "start")]
    assert (await world.get(event.id)).status is EventStatus.ACTIVE
    assert world.scheduler.ids() == []  # the purchase deadline is days away

    world.at(DEADLINE - timedelta(hours=1))
    await world.engine.reconcile()
    assert world.scheduler.ids() == [f"ratmas:{event.id}:purchase_deadline"]


async def test_a_tick_with_nothing_due_reads_no_pairings() -> None:
    repo = CountingRepository()
    world = World(repo, horizon=HORIZON)
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()  # the start: draw, DMs, announcement
    assert (await world.get(event.id)).announced_status is EventStatus.ACTIVE
    repo.pairing_reads = 0
    repo.progress_reads.clear()

    world.at(START + timedelta(hours=1))
    report = await world.engine.reconcile()
    assert report.performed == []
    assert report.resumed == []
    assert repo.pairing_reads == 0
    assert repo.progress_reads == [set()]  # nothing unfinished: nothing to count
    assert world.scheduler.ids() == []
