"""The audit trail in memory."""

from __future__ import annotations

from dataclasses import replace

from ratmas.domain.model import AuditEntry
from tests.fakes.repository.state import InMemoryState, utc


class InMemoryAudit(InMemoryState):
    """An event's audit trail."""

    async def add_audit(self, entry: AuditEntry) -> None:
        self._require(entry.event_id)
        self.audit[entry.event_id].append(replace(entry, at=utc(entry.at)))

    async def list_audit(self, event_id: int) -> list[AuditEntry]:
        return list(self.audit.get(event_id, []))
