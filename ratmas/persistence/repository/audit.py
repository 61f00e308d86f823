"""The audit trail: who did what to an event, and when."""

from __future__ import annotations

from ratmas.domain.model import AuditEntry
from ratmas.persistence.models import AuditRow
from ratmas.persistence.repository.rows import out, utc


class AuditMixin:
    """An event's audit trail."""

    async def add_audit(self, entry: AuditEntry) -> None:
        await AuditRow.create(
            event_id=entry.event_id,
            actor_id=entry.actor_id,
            action=entry.action[:40],
            detail=entry.detail,
            at=utc(entry.at),
        )

    async def list_audit(self, event_id: int) -> list[AuditEntry]:
        rows = await AuditRow.filter(event_id=event_id).order_by("id")
        return [
            AuditEntry(row.event_id, row.actor_id, row.action, row.detail, out(row.at))
            for row in rows
        ]
