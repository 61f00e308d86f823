"""Anonymous messages between santas and giftees, over the real services and the fakes:
who may write when, what the other side receives, the per-day limit on an injected
clock, the text erased once delivered, closed DMs, and exactly once across a crash."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratmas.domain.errors import InvalidInput, InvalidTransition, NotFound
from ratmas.domain.model import Event, MessageDirection, OutboxKind, OutboxState
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from ratmas.services.anonymous import (
    MAX_MESSAGE_LENGTH,
    AnonymousMessageService,
    TooManyMessages,
    validate_message_text,
)
from ratmas.services.ports import EventRepository, Message
from tests.services.world import ADMIN, DEADLINE, GUILD, REVEAL, START, World

SANTAS = (1, 2, 3, 4)
ZWSP = "\u200b"


async def drawn(world: World) -> Event:
    """An event whose names are drawn and whose santas were told."""
    world.members(*SANTAS)
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    return await world.get(event.id)


async def pairs(world: World, event: Event) -> dict[int, int]:
    return {p.santa_id: p.recipient_id for p in await world.repo.list_pairings(event.id)}


def anonymous_dms(world: World, user_id: int) -> list[Message]:
    return [m for m in world.discord.dms_to(user_id) if m.reply_button_outbox_id is not None]


async def message_rows(world: World, event: Event) -> list[tuple[int, OutboxState, str]]:
    return [
        (e.user_id, e.state, e.content)
        for e in await world.repo.list_outbox(event.id)
        if e.kind is OutboxKind.MESSAGE
    ]


def names_nobody(message: Message, world: World, *user_ids: int) -> bool:
    """Nothing of these members in what the addressee receives: ids, mentions, names."""
    seen = message.content + "".join(e.title + e.description for e in message.embeds)
    return not message.mention_user_ids and not any(
        str(u) in seen or f"user{u}" in seen for u in user_ids
    )


async def test_a_santa_and_their_giftee_write_and_reply_without_learning_who(
    repo: EventRepository,
) -> None:
    world = World(repo)
    event = await drawn(world)
    drawn_pairs = await pairs(world, event)
    santa, giftee = 1, drawn_pairs[1]
    giftees_santa_of_santa = next(s for s, r in drawn_pairs.items() if r == santa)

    sent = await world.services.anonymous.send(
        GUILD, santa, "giftee", "  Do you like cats? @everyone <@&7> <@!9> @here  \r\n"
    )
    assert (sent.delivered, sent.direction, sent.remaining) == (
        True,
        MessageDirection.TO_GIFTEE,
        19,
    )
    [dm] = anonymous_dms(world, giftee)
    assert dm.content.startswith(messages.FROM_SANTA + "\n>>> Do you like cats?")
    # Nothing in the text can mention anyone, and the DM pings nobody.
    for mention in ("@everyone", "@here", "<@&7>", "<@!9>"):
        assert mention not in dm.content
    assert dm.content.replace(ZWSP, "").endswith("@everyone <@&7> <@!9> @here")
    assert names_nobody(dm, world, santa)
    # The Reply button carries the outbox row, whose text is gone once delivered.
    assert dm.reply_button_outbox_id is not None
    assert await message_rows(world, event) == [(giftee, OutboxState.DELIVERED, "")]

    # The giftee replies: it reaches their santa, as "from your giftee".
    assert (
        await world.services.anonymous.reply_direction(dm.reply_button_outbox_id, giftee)
        is MessageDirection.TO_SANTA
    )
    back = await world.services.anonymous.reply(dm.reply_button_outbox_id, giftee, "Yes!")
    assert back.delivered
    assert back.direction is MessageDirection.TO_SANTA
    [answer] = anonymous_dms(world, santa)
    assert answer.content == f"{messages.FROM_GIFTEE}\n>>> Yes!"
    assert names_nobody(answer, world, giftee)
    # And the santa answers that reply: back to the giftee.
    assert answer.reply_button_outbox_id is not None
    again = await world.services.anonymous.reply(answer.reply_button_outbox_id, santa, "Good")
    assert again.direction is MessageDirection.TO_GIFTEE
    assert [m.content for m in anonymous_dms(world, giftee)][-1].endswith(">>> Good")

    # Only the addressee may press Reply; nobody learns whose it is by trying.
    for stranger in (santa, giftees_santa_of_santa, 99):
        with pytest.raises(NotFound, match="not available to you"):
            await world.services.anonymous.reply_direction(dm.reply_button_outbox_id, stranger)
    with pytest.raises(NotFound):
        await world.services.anonymous.reply_direction(10**9, giftee)

    # to:santa from the slash command reaches the santa who gives to the sender.
    asked = await world.services.anonymous.send(GUILD, santa, "santa", "Any hint?")
    assert asked.delivered
    assert anonymous_dms(world, giftees_santa_of_santa)[-1].content.startswith(messages.FROM_GIFTEE)
    # Every text is gone from the database; only who, to whom and when remain.
    assert {content for _, _, content in await message_rows(world, event)} == {""}


async def test_messages_open_at_the_draw_and_close_when_the_event_ends() -> None:
    world = World()
    world.members(*SANTAS)
    event = await world.event()
    anonymous = world.services.anonymous
    with pytest.raises(InvalidTransition, match="not drawn yet"):
        await anonymous.send(GUILD, 1, "giftee", "hi")
    world.at(START)
    await world.engine.reconcile()
    giftee = (await pairs(world, event))[1]

    # Open after the purchase deadline and after the reveal too.
    first = await anonymous.send(GUILD, 1, "giftee", "still shopping?")
    [dm] = anonymous_dms(world, giftee)
    for moment in (DEADLINE, REVEAL):
        world.at(moment)
        await world.engine.reconcile()
        assert (await anonymous.send(GUILD, 1, "giftee", "hi")).delivered
    assert (await world.get(event.id)).status is EventStatus.REVEALED
    assert first.delivered

    # Nobody outside the draw writes to anyone.
    with pytest.raises(NotFound, match="no giftee"):
        await anonymous.send(GUILD, 99, "giftee", "hi")
    with pytest.raises(NotFound, match="Nobody gives to you"):
        await anonymous.send(GUILD, 99, "santa", "hi")

    # Archived: the command finds no live event, and Reply is refused.
    await world.admin.archive(event.id, ADMIN)
    with pytest.raises(NotFound, match="archived"):
        await anonymous.send(GUILD, 1, "giftee", "hi")
    assert dm.reply_button_outbox_id is not None
    with pytest.raises(InvalidTransition, match="archived: anonymous messages are closed"):
        await anonymous.reply_direction(dm.reply_button_outbox_id, giftee)


async def test_bad_input_is_refused_and_changes_nothing() -> None:
    world = World()
    event = await drawn(world)
    anonymous = world.services.anonymous
    cases = [
        ("giftee", "   \n\t ", "text: must be 1 to 1500 characters of text; it is empty"),
        ("giftee", "x" * (MAX_MESSAGE_LENGTH + 1), "this one has 1501"),
        ("giftee", "bell\x07", "without control characters"),
        ("elf", "hi", "to: must be one of giftee, santa"),
        ("giftee", None, "got NoneType"),
    ]
    for to, text, problem in cases:
        with pytest.raises(InvalidInput, match=problem):
            await anonymous.send(GUILD, 1, to, text)
    assert await message_rows(world, event) == []
    assert await world.repo.messages_sent_after(event.id, 1, START - timedelta(days=1)) == []
    # Exactly the limit is fine.
    assert (await anonymous.send(GUILD, 1, "giftee", "x" * MAX_MESSAGE_LENGTH)).delivered


async def test_the_limit_is_a_rolling_24_hours_and_says_when_the_next_may_go() -> None:
    world = World()
    event = await drawn(world)
    anonymous = AnonymousMessageService(
        world.repo, world.clock, delivery=world.services.delivery, max_per_day=3
    )
    for hours in (0, 1, 2):
        world.at(START + timedelta(hours=hours))
        result = await anonymous.send(GUILD, 1, "giftee", f"message {hours}")
        assert result.remaining == 2 - hours
    # A reply counts for its sender like any message; the other side is not limited.
    world.at(START + timedelta(hours=3))
    with pytest.raises(TooManyMessages) as refused:
        await anonymous.send(GUILD, 1, "santa", "one more")
    first_free = START + timedelta(hours=24)
    assert refused.value.next_at == first_free
    assert f"<t:{int(first_free.timestamp())}:R>" in str(refused.value)
    assert (await anonymous.send(GUILD, 2, "giftee", "others still may")).delivered
    # Reply refuses before the form opens, not after the text is typed.
    santa_of_1 = next(s for s, r in (await pairs(world, event)).items() if r == 1)
    sent_to_1 = await anonymous.send(GUILD, santa_of_1, "giftee", "for 1")
    assert sent_to_1.delivered
    to_1 = anonymous_dms(world, 1)[-1]
    assert to_1.reply_button_outbox_id is not None
    with pytest.raises(TooManyMessages):
        await anonymous.reply_direction(to_1.reply_button_outbox_id, 1)
    # The oldest leaves the window at exactly 24 hours; then the next one does.
    world.at(first_free)
    assert (await anonymous.send(GUILD, 1, "giftee", "back again")).delivered
    with pytest.raises(TooManyMessages) as again:
        await anonymous.send(GUILD, 1, "giftee", "and again")
    assert again.value.next_at == START + timedelta(hours=25)
    assert len(await world.repo.messages_sent_after(event.id, 1, START - timedelta(seconds=1))) == 4


async def test_closed_dms_tell_the_sender_only_that_it_was_not_delivered() -> None:
    world = World()
    event = await drawn(world)
    giftee = (await pairs(world, event))[1]
    world.discord.closed_dms.add(giftee)
    result = await world.services.anonymous.send(GUILD, 1, "giftee", "psst")
    assert (result.delivered, result.dms_closed, result.queued) == (False, True, False)
    assert anonymous_dms(world, giftee) == []
    # The sender is told by DM as well (the notice stored with the refusal), and it
    # says nothing about who the giftee is.
    [notice] = [m for m in world.discord.dms_to(1) if "could not be delivered" in m.content]
    assert "don't accept direct messages" in notice.content
    assert names_nobody(notice, world, giftee)
    assert await message_rows(world, event) == [(giftee, OutboxState.CLOSED, "")]

    # A refused message is final: an organiser's retry does not send it later.
    world.discord.closed_dms.clear()
    await world.services.delivery.deliver_pending(event, retry_failed=True)
    await world.engine.reconcile()
    assert anonymous_dms(world, giftee) == []
    assert len([m for m in world.discord.dms_to(1) if "could not" in m.content]) == 1


async def test_a_crash_while_sending_delivers_the_message_exactly_once_later(
    repo: EventRepository,
) -> None:
    world = World(repo)
    event = await drawn(world)
    giftee = (await pairs(world, event))[1]

    # Discord never saw it: stored, queued, and sent by the next delivery round.
    world.discord.crash_at = world.discord.attempts + 1
    result = await world.services.anonymous.send(GUILD, 1, "giftee", "first")
    assert result.queued
    assert anonymous_dms(world, giftee) == []
    await world.engine.reconcile()
    assert [m.content.endswith("first") for m in anonymous_dms(world, giftee)] == [True]

    # Discord stored it and the answer was lost: sent again with the same nonce, which
    # Discord answers with the earlier message, so the giftee has it once.
    world.discord.lose_answer_at = world.discord.attempts + 1
    lost = await world.services.anonymous.send(GUILD, 1, "giftee", "second")
    assert lost.queued
    await world.engine.reconcile()
    assert [m.content.rsplit(">>> ")[-1] for m in anonymous_dms(world, giftee)] == [
        "first",
        "second",
    ]
    await world.engine.reconcile()
    assert len(anonymous_dms(world, giftee)) == 2
    assert [(s, c) for _, s, c in await message_rows(world, event)] == [
        (OutboxState.DELIVERED, ""),
        (OutboxState.DELIVERED, ""),
    ]


async def test_a_reply_after_the_draw_changed_is_refused() -> None:
    world = World()
    world.members(*SANTAS, 5)
    event = await world.event()
    world.at(START)
    await world.engine.reconcile()
    drawn_pairs = await pairs(world, event)
    giftee = drawn_pairs[1]
    await world.services.anonymous.send(GUILD, 1, "giftee", "hello")
    [dm] = anonymous_dms(world, giftee)
    assert dm.reply_button_outbox_id is not None
    # The santa leaves: their giftee now has another santa, who must not get the reply.
    await world.services.participants.leave(GUILD, 1)
    with pytest.raises(NotFound, match="draw has changed"):
        await world.services.anonymous.reply(dm.reply_button_outbox_id, giftee, "who?")


async def test_cancelling_drops_messages_not_delivered_yet() -> None:
    world = World()
    event = await drawn(world)
    giftee = (await pairs(world, event))[1]
    world.discord.slow_down_after = 0  # Discord asks to slow down: the DM waits
    result = await world.services.anonymous.send(GUILD, 1, "giftee", "later")
    assert result.queued
    assert await message_rows(world, event) == [(giftee, OutboxState.PENDING, message_text())]
    await world.admin.cancel(event.id, ADMIN, "no snow")
    assert await message_rows(world, event) == [(giftee, OutboxState.SUPERSEDED, "")]


def message_text() -> str:
    return messages.anonymous_dm(MessageDirection.TO_GIFTEE, "later").content


# --- the validators, for any text ----------------------------------------------------


@given(st.text(max_size=MAX_MESSAGE_LENGTH + 20))
def test_a_message_is_either_refused_or_clean(text: str) -> None:
    problem: InvalidInput | None = None
    try:
        clean = validate_message_text(text)
    except InvalidInput as error:
        problem = error
    if problem is not None:
        assert problem.field == "text"
        assert not text.strip() or text.strip() not in problem.problem  # never quoted
        return
    assert 1 <= len(clean) <= MAX_MESSAGE_LENGTH
    assert clean == clean.strip()
    assert "\r" not in clean


MENTIONISH = st.lists(
    st.sampled_from(["<", "@", "!", "&", ">", "1", "everyone", "here", "EVERYONE", ZWSP])
).map("".join)


@given(st.one_of(MENTIONISH, st.text()))
def test_nothing_in_a_message_is_a_mention_any_more(text: str) -> None:
    shown = messages.no_mentions(text)
    assert shown.replace(ZWSP, "") == text.replace(ZWSP, "")
    assert not re.search(r"<@[!&]?\d", shown)
    assert "@everyone" not in shown.lower()
    assert "@here" not in shown.lower()
