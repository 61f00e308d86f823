"""Per-event locks of this process.

Changes to an event's draw (the participant sync before it, storing it, splicing a
leaver out or a newcomer in) and the santa DMs of that draw hold the event's lock, so
a DM never goes out for a pairing that was replaced meanwhile and a sign-up racing the
start is either in the draw or refused. Locks are made on first use and dropped as
soon as nobody holds or waits for them, so a bot running for months over thousands of
events keeps only the locks in use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holders and waiters


class EventLocks:
    """`async with locks.hold(event_id): ...` — one lock per event, released when unused."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}

    @asynccontextmanager
    async def hold(self, event_id: int) -> AsyncIterator[None]:
        entry = self._entries.setdefault(event_id, _Entry())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[event_id]

    def __len__(self) -> int:
        """How many events have a lock now (held or waited for)."""
        return len(self._entries)
