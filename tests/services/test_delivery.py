"""The outbox worker's answer to a DM whose last attempt has no known outcome (the
process died mid-send), once its nonce can no longer be trusted: Discord's history
decides, so a DM that reached Discord is recorded, not sent again, and one that never
did is sent once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from ratmas.domain.model import OutboxKind, OutboxState
from ratmas.services.container import ServiceOptions
from ratmas.services.ports import EventRepository
from tests.services.world import START, World

SANTAS = (1, 2, 3, 4)
# Past the bot's nonce window (60 s by default) and the fake Discord's (5 min).
LATER = timedelta(minutes=10)


async def test_a_dm_left_sending_past_the_nonce_window_is_looked_up_before_it_is_sent(
    repo: EventRepository,
) -> None:
    world = World(repo, max_concurrent_dms=1)  # one DM at a time: crashes hit known rows
    world.discord.clock = world.clock  # Discord forgets a nonce after its window
    world.members(*SANTAS)
    event = await world.event()

    # The start's blast: Discord stores the first DM, and the process dies before it
    # hears back.
    world.discord.lose_answer_at = 1
    world.at(START)
    await world.engine.reconcile()
    [first] = world.discord.attempted
    [stored] = world.discord.history[world.discord.dm_channel_of(first)]
    [left] = await world.repo.list_outbox(event.id, states={OutboxState.SENDING})
    assert (left.user_id, left.message_id) == (first, None)

    # Long after (the nonce is gone): the DM is found in the DM channel's history and
    # recorded with Discord's message id; the next DM is sent, but this process dies
    # before Discord stores it.
    world.at(START + LATER)
    world.discord.crash_at = world.discord.attempts + 1
    await world.engine.reconcile()
    found = next(e for e in await world.repo.list_outbox(event.id) if e.id == left.id)
    assert found.state is OutboxState.DELIVERED
    assert found.message_id == stored[0]
    assert world.discord.history_reads == [(world.discord.dm_channel_of(first), left.nonce)]
    assert Counter(world.discord.attempted)[first] == 1  # not sent again
    [lost] = await world.repo.list_outbox(event.id, states={OutboxState.SENDING})
    assert lost.user_id != first
    assert world.discord.dms_to(lost.user_id) == []

    # Long after again: nothing in its history, so it is sent, once, with the rest.
    world.at(START + 2 * LATER)
    await world.engine.reconcile()
    assert (world.discord.dm_channel_of(lost.user_id), lost.nonce) in world.discord.history_reads
    assert world.received() == await world.told_once_each(event.id)
    assert sorted(world.received()) == list(SANTAS)
    rows = await world.repo.list_outbox(event.id)
    assert {(e.kind, e.state) for e in rows} == {(OutboxKind.ASSIGNMENT, OutboxState.DELIVERED)}
    assert all(e.message_id is not None for e in rows)
    assert ServiceOptions().nonce_window < LATER
