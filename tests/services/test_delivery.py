"""The outbox worker's answer to a DM whose last attempt has no known outcome (the
process died mid-send), once its nonce can no longer be trusted: Discord's history
decides, so a DM that reached Discord is recorded, not sent again, and one that never
did is sent once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from ratmas.domain.model import OutboxKind, OutboxState
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from ratmas.services.container import ServiceOptions
from ratmas.services.ports import EventRepository, Message
from tests.services.world import ADMIN, CHANNEL, NOTICE, PING, START, World

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


# --- progress of a long blast ----------------------------------------------------------------


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let the blast run (real time, briefly) until `condition` holds."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_long_blast_keeps_one_progress_message_that_the_summary_replaces() -> None:
    elapsed = [0.0]  # the blast's monotonic clock, moved by the test
    world = World(max_concurrent_dms=1, progress=(10.0, 0.005, lambda: elapsed[0]))
    world.discord.dm_gate = gate = asyncio.Semaphore(0)  # each DM waits for a release
    world.discord.closed_dms = {SANTAS[-1]}
    world.members(*SANTAS)
    event = await world.event()
    world.at(START)
    blast = asyncio.create_task(world.engine.reconcile())

    async def status_line() -> str | None:
        report = await world.status.status(event.id)
        return None if report.blast is None else messages.blast_progress(report.blast)

    def progress_posts() -> dict[int, Message]:
        """Progress messages posted in the channel, by message id."""
        posts = zip(world.discord.post_ids, world.discord.posts, strict=True)
        return {mid: m for mid, (_, m) in posts if m.content.startswith("📬")}

    def shown() -> list[str]:
        """What the progress message said, in order: the post, then every edit."""
        [(mid, first)] = progress_posts().items()
        return [first.content] + [m.content for _, i, m in world.discord.edits if i == mid]

    # Under `progress_after`: /ratmas status shows the blast, the channel nothing yet.
    await until(lambda: world.discord.attempts == 1, "the first DM attempt")
    await asyncio.sleep(0.05)
    assert progress_posts() == {}
    assert await status_line() == (
        "📬 Sending santa DMs: 0 sent, 0 with closed DMs, 0 failed, 4 remaining "
        "(estimating the time left)."
    )

    # Past it: one message, with the same figures as /ratmas status.
    elapsed[0] = 11.0
    await until(lambda: len(progress_posts()) == 1, "the progress message")
    assert shown() == [await status_line()]

    # Every DM handled edits it (the ETA from the rate so far).
    gate.release()
    await until(lambda: len(shown()) == 2, "an edit")
    assert shown()[-1] == (
        "📬 Sending santa DMs: 1 sent, 0 with closed DMs, 0 failed, 3 remaining (about 33 s left)."
    )
    assert shown()[-1] == await status_line()

    # The summary replaces it; the blast is no longer in /ratmas status.
    for _ in range(10):  # the other santas, and the organisers' summary DM
        gate.release()
    await blast
    assert len(progress_posts()) == 1
    assert shown()[-1] == "📬 Santa DMs done: 3 sent, 1 with closed DMs, 0 failed."
    assert await status_line() is None
    progress = [m for _, m in world.discord.posts if m.content.startswith("📬")]
    assert all(m.mention_user_ids == () for m in progress + [e for *_, e in world.discord.edits])
    assert {(c, i) for c, i, _ in world.discord.edits} == {(CHANNEL, *progress_posts())}
    assert sorted(world.received()) == list(SANTAS[:-1])


async def test_a_short_blast_shows_no_progress_message() -> None:
    world = World(progress=(10.0, 0.005, lambda: 0.0))
    world.members(*SANTAS)
    await world.event()
    world.at(START)
    await world.engine.reconcile()
    assert sorted(world.received()) == list(SANTAS)
    assert not [m for _, m in world.discord.posts if m.content.startswith("📬")]
    assert world.discord.edits == []


# --- notices for the organisers ----------------------------------------------------------------


async def test_a_hold_notice_is_stored_with_the_hold_and_sent_once_after_a_crash(
    repo: EventRepository,
) -> None:
    """The creator's DM about a hold is an outbox row written with the hold: a process
    that dies right after setting it (here: while posting the channel notice) leaves the
    DM to the next reconcile, which sends it once, with its nonce."""
    world = World(repo)
    world.members(1, 2)  # too few: the start is held
    event = await world.event()
    world.at(START)
    world.discord.crash_post_at = 1
    await world.engine.reconcile()
    held = await world.get(event.id)
    assert held.held_reason is not None
    [row] = await world.repo.list_outbox(event.id)
    assert (row.user_id, row.kind, row.state) == (ADMIN, OutboxKind.NOTICE, OutboxState.PENDING)
    assert world.admin_dms() == []

    await world.engine.reconcile()
    await world.engine.reconcile()
    [dm] = world.admin_dms()
    assert dm.startswith("The Ratmas could not start:")
    [row] = await world.repo.list_outbox(event.id)
    assert row.state is OutboxState.DELIVERED
    assert world.discord.nonces[row.nonce].message_id == row.message_id


async def test_a_notice_dm_whose_send_crashed_is_sent_once_by_the_next_reconcile(
    repo: EventRepository,
) -> None:
    world = World(repo)
    world.members(1, 2, 3)
    event = await world.event()
    world.discord.closed_dms = {3}  # the start's summary tells the admins
    world.discord.crash_at = 4  # the summary's DM: three santa DMs come first
    world.at(START)
    await world.engine.reconcile()
    assert await world.channel(event.id) == [PING, NOTICE]
    [notice] = await world.repo.list_outbox(event.id, states={OutboxState.SENDING})
    assert notice.kind is OutboxKind.NOTICE
    assert world.admin_dms() == []

    await world.engine.reconcile()
    await world.engine.reconcile()
    [summary] = world.admin_dms()
    assert summary.startswith("santa DMs: 2 sent, 1 with closed DMs")
    assert await world.channel(event.id) == [PING, NOTICE, EventStatus.ACTIVE]
    assert [n.state for n in await world.repo.list_outbox(event.id, user_id=ADMIN)] == [
        OutboxState.DELIVERED
    ]
