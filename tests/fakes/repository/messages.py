"""Anonymous messages in memory (their text travels in the outbox)."""

from __future__ import annotations

from datetime import datetime

from ratmas.domain.model import AnonymousMessage, MessageDirection, OutboxDraft, OutboxKind
from tests.fakes.repository.state import InMemoryState, utc


class InMemoryMessages(InMemoryState):
    """Anonymous messages."""

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
        self._require(event_id)
        (entry,) = self._add_outbox(
            event_id, [OutboxDraft(addressee_id, OutboxKind.MESSAGE, content=content)], utc(now)
        )
        message = AnonymousMessage(
            id=self._next_message_id,
            event_id=event_id,
            sender_id=sender_id,
            addressee_id=addressee_id,
            direction=direction,
            outbox_id=entry.id,
            sent_at=utc(now),
        )
        self._next_message_id += 1
        self.messages[message.id] = message
        return message

    async def messages_sent_after(
        self, event_id: int, sender_id: int, since: datetime
    ) -> list[datetime]:
        return sorted(
            m.sent_at
            for m in self.messages.values()
            if m.event_id == event_id and m.sender_id == sender_id and m.sent_at > utc(since)
        )

    async def message_for_outbox(self, outbox_id: int) -> AnonymousMessage | None:
        return next((m for m in self.messages.values() if m.outbox_id == outbox_id), None)
