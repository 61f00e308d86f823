"""Hand-written fakes for the service ports.

`InMemoryEventRepository` passes the same contract suite as the Tortoise repository
(`tests/persistence/test_repository_contract.py`), so services tested against it
behave the same on SQLite and PostgreSQL. `FixedClock` is the clock tests move by hand;
`RecordingJobScheduler` keeps the phase jobs in a dictionary, with the same job specs
as the APScheduler adapter.
"""

from __future__ import annotations

from tests.fakes.clock import FixedClock
from tests.fakes.repository import InMemoryEventRepository
from tests.fakes.scheduler import RecordingJobScheduler
from tests.fakes.snapshots import InMemorySnapshots

__all__ = [
    "FixedClock",
    "InMemoryEventRepository",
    "InMemorySnapshots",
    "RecordingJobScheduler",
]
