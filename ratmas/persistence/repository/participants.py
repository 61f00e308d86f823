"""Participants (join, leave, sync from the role, wishlist, notes) and exclusions.

Exclusions are only ever between participants: whoever leaves takes theirs along,
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from ratmas.domain.errors import AlreadyJoined, NotFound
from ratmas.domain.model import (
    LATEST_ONLY_KINDS,
    Exclusion,
    Member,
    OutboxDraft,
    OutboxState,
    Participant,
    SyncResult,
)
from ratmas.persistence.models import ExclusionRow, OutboxRow, ParticipantRow
from ratmas.persistence.repository.bulk import insert_outbox
from ratmas.persistence.repository.rows import (
    CHUNK,
    OPEN_STATES,
    chunks,
    require_event,
    to_participant,
    utc,
)


class ParticipantsMixin:
    """An event's participants and the exclusions between them."""

    async def add_participant(self, event_id: int, member: Member, *, now: datetime) -> Participant:
        await require_event(event_id)
        try:
            row = await ParticipantRow.create(
                event_id=event_id,
                user_id=member.user_id,
                display_name=member.display_name[:100],
                joined_at=utc(now),
            )
        except IntegrityError:
            raise AlreadyJoined(f"{member.display_name} has already joined this Ratmas.") from None
        return to_participant(row)

    async def remove_participant(self, event_id: int, user_id: int) -> bool:
        # Exclusions are only ever between participants: a leaver's go with them.
        async with in_transaction():
            await ExclusionRow.filter(
                Q(user_id=user_id) | Q(excluded_user_id=user_id), event_id=event_id
            ).delete()
            return await ParticipantRow.filter(event_id=event_id, user_id=user_id).delete() == 1

    async def get_participant(self, event_id: int, user_id: int) -> Participant | None:
        row = await ParticipantRow.get_or_none(event_id=event_id, user_id=user_id)
        return None if row is None else to_participant(row)

    async def list_participants(self, event_id: int) -> list[Participant]:
        rows = await ParticipantRow.filter(event_id=event_id).order_by("user_id")
        return [to_participant(row) for row in rows]

    async def sync_participants(
        self, event_id: int, members: Sequence[Member], *, now: datetime
    ) -> SyncResult:
        await require_event(event_id)
        wanted: dict[int, str] = {m.user_id: m.display_name[:100] for m in members}
        joined_at = utc(now)
        async with in_transaction():
            current = await ParticipantRow.filter(event_id=event_id).only(
                "id", "user_id", "display_name", "event_id"
            )
            have = {row.user_id: row for row in current}
            added = sorted(set(wanted) - set(have))
            removed = sorted(set(have) - set(wanted))
            renamed_rows = [
                row
                for user_id, row in have.items()
                if user_id in wanted and row.display_name != wanted[user_id]
            ]
            for chunk in chunks(removed):
                await ParticipantRow.filter(event_id=event_id, user_id__in=list(chunk)).delete()
                await ExclusionRow.filter(
                    Q(user_id__in=list(chunk)) | Q(excluded_user_id__in=list(chunk)),
                    event_id=event_id,
                ).delete()
            if added:
                await ParticipantRow.bulk_create(
                    [
                        ParticipantRow(
                            event_id=event_id,
                            user_id=user_id,
                            display_name=wanted[user_id],
                            joined_at=joined_at,
                        )
                        for user_id in added
                    ],
                    batch_size=CHUNK // 4,
                )
            for row in renamed_rows:
                row.display_name = wanted[row.user_id]
            if renamed_rows:
                await ParticipantRow.bulk_update(
                    renamed_rows, fields=["display_name"], batch_size=CHUNK // 4
                )
        return SyncResult(
            added=tuple(added),
            removed=tuple(removed),
            renamed=tuple(sorted(row.user_id for row in renamed_rows)),
        )

    async def set_wishlist(
        self,
        event_id: int,
        user_id: int,
        url: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        return await self._set_for_santa(event_id, user_id, "wishlist_url", url, outbox, now)

    async def set_notes(
        self,
        event_id: int,
        user_id: int,
        notes: str | None,
        *,
        outbox: Sequence[OutboxDraft] = (),
        now: datetime | None = None,
    ) -> Participant:
        return await self._set_for_santa(event_id, user_id, "notes", notes, outbox, now)

    async def _set_for_santa(
        self,
        event_id: int,
        user_id: int,
        column: str,
        value: str | None,
        outbox: Sequence[OutboxDraft],
        now: datetime | None,
    ) -> Participant:
        """Set what a giftee shows their santa (`column`), with the santa's DM about it
        replacing an older one not delivered yet, in one transaction."""
        async with in_transaction() as connection:
            row = await ParticipantRow.get_or_none(
                event_id=event_id, user_id=user_id, using_db=connection
            )
            if row is None:
                raise NotFound("You have not joined this Ratmas yet.")
            setattr(row, column, value)
            await row.save(update_fields=[column], using_db=connection)
            await self._supersede_older(connection, event_id, outbox)
            await insert_outbox(connection, event_id, outbox, now)
        return to_participant(row)

    async def _supersede_older(
        self, connection: Any, event_id: int, drafts: Sequence[OutboxDraft]
    ) -> None:
        """A giftee's newer update replaces the one their santa has not received yet:
        the open DMs of each `LATEST_ONLY_KINDS` draft's kind to its santa are
        superseded, in the caller's transaction."""
        for draft in drafts:
            if draft.kind in LATEST_ONLY_KINDS:
                await (
                    OutboxRow.filter(
                        event_id=event_id,
                        user_id=draft.user_id,
                        kind=draft.kind.value,
                        state__in=OPEN_STATES,
                    )
                    .using_db(connection)
                    .update(state=OutboxState.SUPERSEDED.value)
                )

    # --- exclusions -------------------------------------------------------------------
    async def add_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        await require_event(event_id)
        _, created = await ExclusionRow.get_or_create(
            event_id=event_id, user_id=user_id, excluded_user_id=excluded_user_id
        )
        return bool(created)

    async def remove_exclusion(self, event_id: int, user_id: int, excluded_user_id: int) -> bool:
        deleted = await ExclusionRow.filter(
            event_id=event_id, user_id=user_id, excluded_user_id=excluded_user_id
        ).delete()
        return deleted == 1

    async def list_exclusions(self, event_id: int) -> list[Exclusion]:
        rows = await ExclusionRow.filter(event_id=event_id).order_by("user_id", "excluded_user_id")
        return [Exclusion(event_id, row.user_id, row.excluded_user_id) for row in rows]
