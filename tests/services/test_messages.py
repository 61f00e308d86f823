"""Rendering: names that cannot ping or reshape a message, DMs, splitting, announcements."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ratmas.domain.model import Event, EventDates, Participant
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from ratmas.services.messages import CONTENT_LIMIT, RevealPair, safe_name, split_lines
from ratmas.services.ports import DeliveryReport

STARTS = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 20, 18, 0, tzinfo=UTC)
REVEAL = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)
TIMESTAMP = re.compile(r"<t:\d+:F>")
MENTION_OR_PING = re.compile(r"@everyone|@here|<@&?!?\d+>")


def event(status: EventStatus = EventStatus.ACTIVE, cancel_reason: str | None = None) -> Event:
    return Event(
        id=7,
        guild_id=1,
        status=status,
        dates=EventDates(STARTS, DEADLINE, REVEAL),
        timezone="Europe/London",
        announcement_channel_id=2,
        participant_role_id=3,
        manager_role_id=None,
        created_by=4,
        held_reason=None,
        announced_status=None,
        cancel_reason=cancel_reason,
        created_at=STARTS,
        updated_at=STARTS,
    )


def participant(user_id: int, name: str, wishlist: str | None = None) -> Participant:
    return Participant(7, user_id, name, wishlist, STARTS)


@pytest.mark.parametrize(
    "name",
    [
        "@everyone",
        "@here",
        "<@&123456789012345678>",
        "<@123456789012345678>",
        "<@!1>",
        "a@everyone",
    ],
)
def test_names_that_look_like_mentions_are_neutralised(name: str) -> None:
    assert MENTION_OR_PING.search(safe_name(name)) is None


def test_markdown_and_backticks_in_names_are_escaped_and_whitespace_flattened() -> None:
    assert safe_name("**bold** `code` _x_ ~~s~~ ||spoiler|| [l](http://x)") == (
        r"\*\*bold\*\* \`code\` \_x\_ \~\~s\~\~ \|\|spoiler\|\| \[l\]\(http\:"
        "//x\\)"
    )
    assert safe_name("line\nbreak\t  tab") == "line break tab"
    assert safe_name("   ") == "?"
    assert len(safe_name("x" * 500)) == messages.NAME_LIMIT


def test_santa_dm_names_and_mentions_the_recipient_with_timestamps_and_secrecy() -> None:
    message = messages.santa_dm(event(), participant(42, "Ann", "https://example.com/list"))
    assert "**Ann** (<@42>)" in message.content
    assert "<https://example.com/list>" in message.content
    assert TIMESTAMP.findall(message.content) == [
        f"<t:{int(DEADLINE.timestamp())}:F>",
        f"<t:{int(REVEAL.timestamp())}:F>",
    ]
    assert "secret" in message.content.lower()
    assert message.mention_user_ids == ()


def test_santa_dm_without_a_wishlist_promises_to_tell_the_santa() -> None:
    message = messages.santa_dm(event(), participant(42, "Ann"))
    assert "not set a wishlist yet" in message.content
    assert "DM you as soon as they do" in message.content


def test_a_note_comes_first() -> None:
    message = messages.santa_dm(event(), participant(42, "Ann"), note=messages.CHANGED_NOTE)
    assert message.content.startswith(messages.CHANGED_NOTE)


def test_split_lines_keeps_every_line_whole_and_within_the_limit() -> None:
    lines = [f"line {i} " + "x" * (i % 90) for i in range(400)]
    chunks = split_lines(lines, header="HEAD", limit=500)
    assert all(len(chunk) <= 500 for chunk in chunks)
    assert chunks[0].startswith("HEAD\n")
    assert "\n".join(chunks).split("\n")[1:] == lines


def test_a_single_overlong_line_is_cut_not_dropped() -> None:
    chunks = split_lines(["a" * 3000, "b"], limit=100)
    assert [len(c) for c in chunks] == [100, 1]
    assert chunks[0].endswith("…")


def test_reveal_of_300_participants_with_long_hostile_names_fits_discord() -> None:
    nasty = "@everyone <@&1> **`_~|" * 10  # escapes make it far longer than 100 chars
    pairs = [
        RevealPair(10**17 + i, f"{i} {nasty}", 10**17 + (i + 1) % 300, f"{i + 1} {nasty}")
        for i in range(300)
    ]
    chunks = messages.reveal_messages(pairs)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk.content) <= CONTENT_LIMIT
        assert chunk.mention_user_ids == ()
        assert chunk.embeds == ()
        assert "@everyone" not in chunk.content
        assert "<@&1>" not in chunk.content
    body = "\n".join(c.content for c in chunks).split("\n")[1:]
    assert len(body) == 300
    assert all(f"<@{p.santa_id}>" in line for p, line in zip(pairs, body, strict=True))


def test_reveal_shows_a_placeholder_for_someone_who_left() -> None:
    [message] = messages.reveal_messages([RevealPair(1, "Ann", 2, None)])
    assert messages.UNKNOWN_NAME in message.content


def test_pings_name_only_the_users_they_ping_and_split_long_lists() -> None:
    ids = [10**17 + i for i in range(250)]  # 250 mentions of ~21 chars > 2000
    chunks = messages.closed_dms_pings(ids)
    assert len(chunks) > 1
    pinged = [u for chunk in chunks for u in chunk.mention_user_ids]
    assert pinged == ids
    for chunk in chunks:
        assert len(chunk.content) <= CONTENT_LIMIT
        assert set(chunk.mention_user_ids) == {
            int(m) for m in re.findall(r"<@(\d+)>", chunk.content)
        }
    # One Retry button, under the last part, which tells how to use it.
    assert [chunk.retry_button for chunk in chunks] == [False] * (len(chunks) - 1) + [True]
    assert messages.RETRY_HINT in chunks[-1].content
    assert messages.closed_dms_pings([]) == []


def test_creation_announcement_carries_the_join_buttons_and_all_dates() -> None:
    message = messages.creation_announcement(event(EventStatus.SCHEDULED))
    assert message.join_buttons_event_id == 7
    assert len(TIMESTAMP.findall(message.content)) == 3
    assert message.mention_user_ids == ()


def test_cancelled_announcement_sanitises_the_reason() -> None:
    message = messages.cancelled_announcement(
        event(EventStatus.CANCELLED, cancel_reason="@everyone it snowed")
    )
    assert "@everyone" not in message.content
    assert "it snowed" in message.content


def test_delivery_summary_counts_and_explains() -> None:
    text = messages.delivery_summary(
        DeliveryReport(sent=(1, 2), dms_closed=(3,), failed=(), stopped=True, still_pending=4)
    )
    assert "2 sent" in text
    assert "1 with closed DMs" in text
    assert "4 still pending" in text
    assert "slow down" in text


# --- budget and notes ----------------------------------------------------------------------

PINGS = "@everyone @here <@123456789012345678> <@&123456789012345678> <#9> **loud** # title"


def test_the_assignment_dm_carries_the_budget_and_the_recipients_notes_without_pings() -> None:
    priced = replace(event(), budget=f"€20–30 {PINGS}")
    noted = replace(participant(5, "Bea"), notes=f"size M {PINGS}")
    message = messages.santa_dm(priced, noted)
    lines = message.content.splitlines()
    budget = next(line for line in lines if line.startswith("💶 Budget: €20–30"))
    notes = next(line for line in lines if line.startswith("📝 Their notes for you: size M"))
    for line in (budget, notes):
        assert MENTION_OR_PING.search(line) is None
        assert "<#9>" not in line
        assert "**loud**" not in line
        assert not line.split(": ", 1)[1].startswith("#")
    assert message.mention_user_ids == ()
    plain = messages.santa_dm(event(), participant(5, "Bea"))
    assert "Budget" not in plain.content
    assert "notes" not in plain.content


def test_the_longest_budget_and_notes_still_fit_one_dm() -> None:
    priced = replace(event(), budget="*" * 100)
    noted = replace(participant(5, "_" * 100, "https://example.com/" + "x" * 492), notes="|" * 500)
    message = messages.santa_dm(priced, noted, note=messages.CHANGED_NOTE)
    assert len(message.content) == CONTENT_LIMIT  # the notes were cut to fit
    assert "📝 Their notes for you: \\|\\|" in message.content
    assert "|" * 2 not in message.content  # every one escaped
    assert "💶 Budget: \\*\\*" in message.content
    assert message.content.endswith("press **Gift sent** below.")


def test_a_notes_change_dm_names_the_giftee_to_their_santa_and_pings_nobody() -> None:
    noted = replace(participant(5, "Bea"), notes="ring size 7 @everyone")
    message = messages.notes_changed_dm(noted)
    assert message.content.startswith("📝 **Bea** (<@5>) updated their notes for you.")
    assert "📝 Their notes for you: ring size 7 @\u200beveryone" in message.content
    assert message.mention_user_ids == ()
    cleared = messages.notes_changed_dm(participant(5, "Bea")).content
    assert "removed their notes for you" in cleared


def test_the_creation_post_and_a_budget_update_show_the_budget() -> None:
    priced = replace(event(EventStatus.SCHEDULED), budget="up to £15 @here")
    post = messages.creation_announcement(priced).content
    assert "💶 Budget: up to £15 @\u200bhere" in post
    assert "/ratmas notes" in post
    assert "Budget" not in messages.creation_announcement(event(EventStatus.SCHEDULED)).content
    update = messages.budget_changed_announcement(priced)
    assert update.content.endswith("the budget for gifts is now up to £15 @\u200bhere.")
    assert update.mention_user_ids == ()
    assert "no longer" in messages.budget_changed_announcement(event()).content
