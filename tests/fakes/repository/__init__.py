"""`InMemoryEventRepository`: the `EventRepository` port in dictionaries.

It mirrors `ratmas/persistence/repository/`: one part per aggregate, each a class over
the shared dictionaries of `InMemoryState`. A part that uses another one's methods
says so by subclassing it (delivering an assignment DM marks its pairing; a restore
deletes events and adds households), and comes before it here.
"""

from __future__ import annotations

from tests.fakes.repository.audit import InMemoryAudit
from tests.fakes.repository.events import InMemoryEvents
from tests.fakes.repository.households import InMemoryHouseholds
from tests.fakes.repository.messages import InMemoryMessages
from tests.fakes.repository.outbox import InMemoryOutbox
from tests.fakes.repository.pairings import InMemoryPairings
from tests.fakes.repository.participants import InMemoryParticipants
from tests.fakes.repository.restore import InMemoryRestore
from tests.fakes.repository.settings import InMemoryGuildSettings

__all__ = ["InMemoryEventRepository"]


class InMemoryEventRepository(
    InMemoryRestore,
    InMemoryOutbox,
    InMemoryEvents,
    InMemoryHouseholds,
    InMemoryPairings,
    InMemoryParticipants,
    InMemoryMessages,
    InMemoryAudit,
    InMemoryGuildSettings,
):
    """`EventRepository` in dictionaries; same semantics as the Tortoise one."""
