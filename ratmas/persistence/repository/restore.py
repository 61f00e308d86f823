"""Whole events stored back from snapshots (backups, imports), all or none."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from ratmas.domain.errors import EventAlreadyLive, InvalidInput
from ratmas.domain.model import Event, EventSnapshot, Household
from ratmas.domain.pairing import check_draw
from ratmas.persistence.models import AuditRow, EventRow, ExclusionRow, ParticipantRow
from ratmas.persistence.repository.bulk import insert_pairings
from ratmas.persistence.repository.households import store_households
from ratmas.persistence.repository.rows import CHUNK, chunks, maybe_utc, to_event, utc


class RestoreMixin:
    """Events stored back with everything below them, in one transaction."""

    async def restore_event(self, snapshot: EventSnapshot) -> Event:
        (event,) = await self.restore_events([snapshot])
        return event

    async def restore_events(
        self,
        snapshots: Sequence[EventSnapshot],
        *,
        replacing: Collection[int] = (),
        households: Sequence[Household] = (),
    ) -> list[Event]:
        for snapshot in snapshots:
            if snapshot.pairings:
                check_draw(
                    {p.santa_id: p.recipient_id for p in snapshot.pairings},
                    {p.user_id for p in snapshot.participants},
                )
        stored: list[Event] = []
        try:
            async with in_transaction() as connection:
                if replacing:
                    await EventRow.filter(id__in=list(replacing)).using_db(connection).delete()
                for snapshot in snapshots:
                    source = snapshot.event
                    if source.status.is_live:
                        existing = (
                            await EventRow.filter(live_guild_id=source.guild_id)
                            .using_db(connection)
                            .first()
                        )
                        if existing is not None:
                            raise EventAlreadyLive(source.guild_id, existing.id)
                    stored.append(await self._store_snapshot(connection, snapshot))
                if households:
                    await store_households(connection, households)
        except IntegrityError as error:
            raise InvalidInput(
                "import", f"the file cannot be stored as exported (nothing was): {error}"
            ) from None
        return stored

    async def _store_snapshot(self, connection: Any, snapshot: EventSnapshot) -> Event:
        """One event with everything below it, inside the caller's transaction."""
        source = snapshot.event
        live = source.status.is_live
        row = await EventRow.create(
            guild_id=source.guild_id,
            status=source.status.value,
            live_guild_id=source.guild_id if live else None,
            starts_at=utc(source.dates.starts_at),
            purchase_deadline=utc(source.dates.purchase_deadline),
            reveal_at=utc(source.dates.reveal_at),
            timezone=source.timezone,
            announcement_channel_id=source.announcement_channel_id,
            participant_role_id=source.participant_role_id,
            manager_role_id=source.manager_role_id,
            created_by=source.created_by,
            held_reason=source.held_reason,
            announced_status=(source.announced_status.value if source.announced_status else None),
            cancel_reason=source.cancel_reason,
            created_at=utc(source.created_at),
            updated_at=utc(source.updated_at),
            remind_wishlist_days=source.reminder_days.wishlist,
            remind_gift_days=source.reminder_days.gift,
            reminded_wishlist_at=maybe_utc(source.reminded_wishlist_at),
            reminded_gift_at=maybe_utc(source.reminded_gift_at),
            legacy_id=snapshot.legacy_id,
            restored_from=snapshot.restored_from,
            budget=source.budget,
            using_db=connection,
        )
        await ParticipantRow.bulk_create(
            [
                ParticipantRow(
                    event_id=row.id,
                    user_id=p.user_id,
                    display_name=p.display_name[:100],
                    wishlist_url=p.wishlist_url,
                    notes=p.notes,
                    joined_at=utc(p.joined_at),
                )
                for p in snapshot.participants
            ],
            batch_size=CHUNK // 4,
            using_db=connection,
        )
        await ExclusionRow.bulk_create(
            [
                ExclusionRow(
                    event_id=row.id, user_id=x.user_id, excluded_user_id=x.excluded_user_id
                )
                for x in snapshot.exclusions
            ],
            batch_size=CHUNK // 4,
            using_db=connection,
        )
        if snapshot.pairings:
            await insert_pairings(
                connection, [p._replace(event_id=row.id) for p in snapshot.pairings]
            )
        await AuditRow.bulk_create(
            [
                AuditRow(
                    event_id=row.id,
                    actor_id=a.actor_id,
                    action=a.action[:40],
                    detail=a.detail,
                    at=utc(a.at),
                )
                for a in snapshot.audit
            ],
            batch_size=CHUNK // 4,
            using_db=connection,
        )
        return to_event(row)

    async def legacy_events(self, legacy_ids: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        ids = sorted(legacy_ids)
        for chunk in chunks(ids):
            rows = await EventRow.filter(legacy_id__in=list(chunk)).values_list("legacy_id", "id")
            found.update({str(legacy): int(cast(int, event)) for legacy, event in rows})
        return found

    async def restored_event(self, digest: str) -> Event | None:
        row = await EventRow.get_or_none(restored_from=digest)
        return None if row is None else to_event(row)
