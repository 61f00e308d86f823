"""Anonymous messages between a santa and their giftee.

The text travels in the outbox entry stored with the message in one transaction;
the message row keeps who wrote to whom and when (for the daily limit), not the text.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from tortoise.transactions import in_transaction

from ratmas.domain.model import AnonymousMessage, MessageDirection, OutboxKind, OutboxState
from ratmas.persistence.models import MessageRow, OutboxRow
from ratmas.persistence.repository.rows import out, require_event, to_message, utc


class MessagesMixin:
    """Anonymous messages and the per-sender record of them."""

    async def store_message(
        self,
        event_id: int,
        *,
        sender_id: int,
        addressee_id: int,
        direction: MessageDirection,
        content: str,
        now: datetime,
    ) -> AnonymousMessage:
        await require_event(event_id)
        when = utc(now)
        async with in_transaction() as connection:
            entry = await OutboxRow.create(
                event_id=event_id,
                user_id=addressee_id,
                kind=OutboxKind.MESSAGE.value,
                content=content,
                state=OutboxState.PENDING.value,
                attempts=0,
                created_at=when,
                using_db=connection,
            )
            row = await MessageRow.create(
                event_id=event_id,
                sender_id=sender_id,
                addressee_id=addressee_id,
                direction=direction.value,
                outbox_id=entry.id,
                sent_at=when,
                using_db=connection,
            )
        return to_message(row)

    async def messages_sent_after(
        self, event_id: int, sender_id: int, since: datetime
    ) -> list[datetime]:
        sent = (
            await MessageRow.filter(event_id=event_id, sender_id=sender_id, sent_at__gt=utc(since))
            .order_by("sent_at", "id")
            .values_list("sent_at", flat=True)
        )
        return [out(cast(datetime, when)) for when in sent]

    async def message_for_outbox(self, outbox_id: int) -> AnonymousMessage | None:
        row = await MessageRow.get_or_none(outbox_id=outbox_id)
        return None if row is None else to_message(row)
