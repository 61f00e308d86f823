"""The anonymous messages' part of the `EventRepository` contract, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ratmas.domain.errors import NotFound
from ratmas.domain.model import MessageDirection, OutboxDraft, OutboxKind, OutboxState
from ratmas.domain.status import EventStatus
from tests.persistence.test_repository_contract import NOW, Repo, event_with


async def drawn(repo: Repo) -> int:
    event_id = await event_with(repo, 1, 2, 3)
    await repo.replace_pairings(event_id, {1: 2, 2: 3, 3: 1})
    return event_id


async def test_a_message_is_recorded_with_its_dm_and_no_text(repo: Repo) -> None:
    event_id = await drawn(repo)
    stored = await repo.store_message(
        event_id,
        sender_id=1,
        addressee_id=2,
        direction=MessageDirection.TO_GIFTEE,
        content="hello there",
        now=NOW,
    )
    assert (stored.event_id, stored.sender_id, stored.addressee_id) == (event_id, 1, 2)
    assert (stored.direction, stored.sent_at) == (MessageDirection.TO_GIFTEE, NOW)
    (entry,) = [
        e for e in await repo.list_outbox(event_id, user_id=2) if e.kind is OutboxKind.MESSAGE
    ]
    assert (entry.id, entry.content, entry.state) == (
        stored.outbox_id,
        "hello there",
        OutboxState.PENDING,
    )
    assert entry.recipient_id is None
    assert await repo.message_for_outbox(stored.outbox_id) == stored
    assert await repo.message_for_outbox(stored.outbox_id + 1000) is None
    with pytest.raises(NotFound):
        await repo.store_message(
            event_id + 99,
            sender_id=1,
            addressee_id=2,
            direction=MessageDirection.TO_GIFTEE,
            content="x",
            now=NOW,
        )


async def test_messages_sent_after_count_one_sender_in_one_event(repo: Repo) -> None:
    event_id = await drawn(repo)
    for minutes, sender in ((0, 1), (30, 2), (60, 1), (90, 1)):
        await repo.store_message(
            event_id,
            sender_id=sender,
            addressee_id=3 if sender == 2 else 2,
            direction=MessageDirection.TO_GIFTEE,
            content="x",
            now=NOW + timedelta(minutes=minutes),
        )
    since = NOW + timedelta(minutes=60)
    assert await repo.messages_sent_after(event_id, 1, since - timedelta(microseconds=1)) == [
        since,
        NOW + timedelta(minutes=90),
    ]
    assert await repo.messages_sent_after(event_id, 1, since) == [NOW + timedelta(minutes=90)]
    assert len(await repo.messages_sent_after(event_id, 1, NOW - timedelta(seconds=1))) == 3
    assert await repo.messages_sent_after(event_id, 3, NOW) == []


async def test_delivery_and_final_refusal_erase_the_text(repo: Repo) -> None:
    event_id = await drawn(repo)
    kinds = MessageDirection.TO_GIFTEE
    first, second, third = [
        await repo.store_message(
            event_id, sender_id=s, addressee_id=a, direction=kinds, content="secret", now=NOW
        )
        for s, a in ((1, 2), (2, 3), (3, 1))
    ]
    assert await repo.outbox_sending(first.outbox_id, dm_channel_id=7, at=NOW)
    assert await repo.outbox_delivered(first.outbox_id, dm_channel_id=7, message_id=8, at=NOW)

    # A slow-down keeps the text for the next try; closed DMs erase it and store the
    # sender's notice in the same transaction.
    notice = OutboxDraft(2, OutboxKind.NOTICE, content="not delivered")
    assert await repo.outbox_refused(second.outbox_id, OutboxState.PENDING, 40003, "slow", at=NOW)
    assert await repo.outbox_refused(
        second.outbox_id, OutboxState.CLOSED, 50007, "closed", at=NOW, outbox=[notice]
    )
    # A refusal is final for an anonymous message: never tried again, never told twice.
    assert not await repo.outbox_refused(
        second.outbox_id, OutboxState.FAILED, 1, "again", at=NOW, outbox=[notice]
    )
    assert not await repo.outbox_sending(second.outbox_id, dm_channel_id=7, at=NOW)
    by_id = {e.id: e for e in await repo.list_outbox(event_id)}
    assert (by_id[first.outbox_id].state, by_id[first.outbox_id].content) == (
        OutboxState.DELIVERED,
        "",
    )
    assert (by_id[second.outbox_id].state, by_id[second.outbox_id].content) == (
        OutboxState.CLOSED,
        "",
    )
    assert by_id[third.outbox_id].content == "secret"
    notices = [e for e in by_id.values() if e.kind is OutboxKind.NOTICE]
    assert [(e.user_id, e.content) for e in notices] == [(2, "not delivered")]

    # The event ends: what is still waiting is dropped, text and all.
    assert await repo.set_status(event_id, EventStatus.SCHEDULED, EventStatus.CANCELLED, now=NOW)
    dropped = {e.id: e for e in await repo.list_outbox(event_id)}[third.outbox_id]
    assert (dropped.state, dropped.content) == (OutboxState.SUPERSEDED, "")


async def test_a_pairing_is_found_by_either_side(repo: Repo) -> None:
    event_id = await drawn(repo)
    by_santa = await repo.get_pairing(event_id, santa_id=1)
    by_recipient = await repo.get_pairing(event_id, recipient_id=2)
    assert by_santa is not None
    assert by_santa == by_recipient
    assert (by_santa.santa_id, by_santa.recipient_id) == (1, 2)
    assert await repo.get_pairing(event_id, santa_id=9) is None
    assert await repo.get_pairing(event_id + 1, recipient_id=1) is None
    with pytest.raises(ValueError, match="exactly one"):
        await repo.get_pairing(event_id)


async def test_deleting_the_event_deletes_its_messages(repo: Repo) -> None:
    event_id = await drawn(repo)
    stored = await repo.store_message(
        event_id,
        sender_id=2,
        addressee_id=1,
        direction=MessageDirection.TO_SANTA,
        content="x",
        now=NOW,
    )
    assert await repo.delete_event(event_id)
    assert await repo.message_for_outbox(stored.outbox_id) is None
