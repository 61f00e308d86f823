"""What members and managers read: pure rendering of service results."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ratmas.bot import render
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import AuditEntry, Event, EventDates, Participant, ReminderDays
from ratmas.domain.status import EventStatus
from ratmas.services import messages
from ratmas.services.admin import OverrideResult
from ratmas.services.delivery import DeliveryCounts
from ratmas.services.guild_settings import EffectiveSettings, Setting, Source
from ratmas.services.history import GivenGift, Season
from ratmas.services.messages import CONTENT_LIMIT
from ratmas.services.participants import NotesResult
from ratmas.services.ports import BlastProgress
from ratmas.services.status import EventStatusReport

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def report() -> EventStatusReport:
    event = Event(
        id=4,
        guild_id=1,
        status=EventStatus.ACTIVE,
        dates=EventDates(NOW, NOW + timedelta(days=10), NOW + timedelta(days=20)),
        timezone="Europe/London",
        announcement_channel_id=9,
        participant_role_id=None,
        manager_role_id=None,
        created_by=2,
        held_reason=None,
        announced_status=EventStatus.ACTIVE,
        cancel_reason=None,
        created_at=NOW,
        updated_at=NOW,
    )
    leave = AuditEntry(4, 77, "leave", "<@77> left after the draw; new assignments for <@5>", NOW)
    return EventStatusReport(
        event=event,
        pending=(),
        participants=5,
        delivery=DeliveryCounts(total=5, notified=4, failed=1),
        overrides=(leave,),
    )


def test_members_do_not_see_audited_actions_that_could_hint_at_the_draw() -> None:
    member = render.status(report(), me_in=True, my_recipient=None, settings=None, now=NOW)
    assert "<@5>" not in member
    assert "new assignments" not in member
    manager = render.status(
        report(), me_in=False, my_recipient=None, settings=None, now=NOW, manager=True
    )
    assert "new assignments for <@5>" in manager


def test_status_shows_only_the_members_own_recipient_and_timestamps() -> None:
    mine = Participant(4, 8, "Bea", "https://example.com/bea", NOW)
    text = render.status(report(), me_in=True, my_recipient=mine, settings=None, now=NOW)
    assert "You give to **Bea** (<@8>)" in text
    assert "<https://example.com/bea>" in text
    assert f"<t:{int(NOW.timestamp())}:F>" in text
    assert "4/5 delivered, 1 failed" in text
    assert len(text) <= CONTENT_LIMIT


def test_status_shows_a_running_blast_like_its_progress_message() -> None:
    progress = BlastProgress(sent=412, closed=3, failed=0, remaining=585, eta_seconds=117.0)
    running = replace(report(), blast=progress)
    text = render.status(running, me_in=False, my_recipient=None, settings=None, now=NOW)
    line = messages.blast_progress(progress)
    assert line in text
    assert line == (
        "📬 Sending santa DMs: 412 sent, 3 with closed DMs, 0 failed, 585 remaining "
        "(about 1 min 57 s left)."
    )
    assert "@" not in messages.blast_done(progress)


# --- budget and notes ----------------------------------------------------------------------


def test_status_shows_the_budget_and_the_recipients_notes_to_their_santa_only() -> None:
    priced = replace(report(), event=replace(report().event, budget="€20–30 @everyone"))
    recipient = Participant(4, 8, "Bea", None, NOW, notes="size M <@&3> **no nuts**")
    me = Participant(4, 9, "Cy", None, NOW, notes="ring size 7")
    santa = render.status(priced, me_in=True, my_recipient=recipient, settings=None, now=NOW, me=me)
    assert "💶 Budget: €20–30 @\u200beveryone" in santa
    assert "📝 Their notes for you: size M \\<@\u200b&3\\> \\*\\*no nuts\\*\\*" in santa
    assert "📝 Your notes for your santa: ring size 7" in santa
    # A member who gives to nobody yet sees their own notes, and no one else's.
    giftee = render.status(priced, me_in=True, my_recipient=None, settings=None, now=NOW, me=me)
    assert "size M" not in giftee
    assert "You give to" not in giftee
    assert "ring size 7" in giftee
    plain = render.status(report(), me_in=False, my_recipient=None, settings=None, now=NOW)
    assert "Budget" not in plain
    assert "notes" not in plain


def test_long_own_notes_are_shortened_in_the_status() -> None:
    me = Participant(4, 9, "Cy", None, NOW, notes="x" * 500)
    text = render.status(report(), me_in=True, my_recipient=None, settings=None, now=NOW, me=me)
    assert "x" * 200 + "…" in text
    assert "x" * 201 not in text


def test_the_notes_reply_echoes_them_safely() -> None:
    saved = NotesResult(4, Participant(4, 9, "Cy", None, NOW, notes="@here size S"), True)
    text = render.notes(saved)
    assert text.startswith("Notes saved; only your santa sees them: @\u200bhere size S")
    assert text.endswith("Your santa has been told by DM.")
    cleared = NotesResult(4, Participant(4, 9, "Cy", None, NOW), False)
    assert render.notes(cleared) == "Notes cleared."


def test_the_creation_reply_shows_the_budget() -> None:
    event = replace(report().event, status=EventStatus.SCHEDULED, budget="€5")
    text = render.created(OverrideResult(event, "create", "created"))
    assert "💶 Budget: €5" in text


def test_a_long_history_is_paged_within_discords_limit() -> None:
    base = report().event
    seasons = [
        Season(
            replace(base, id=year, status=EventStatus.ARCHIVED),
            40,
            tuple(GivenGift(s, f"member {s}", s + 1, None) for s in range(1000, 1040)),
        )
        for year in range(5, 0, -1)
    ]
    first = render.history(seasons)
    assert first.startswith("**Ratmas 5**")
    assert "next: `/ratmas history page:2`" in first
    pages = [first]
    while "next:" in pages[-1]:
        pages.append(render.history(seasons, len(pages) + 1))
    assert all(len(page) <= CONTENT_LIMIT for page in pages)
    text = "\n".join(pages)
    # Every pair of every season is on some page, in order; former participants named so.
    assert text.count("🎁") == 200
    assert text.index("**Ratmas 5**") < text.index("**Ratmas 1**")
    assert "a former participant" in text
    with pytest.raises(InvalidInput) as raised:
        render.history(seasons, len(pages) + 1)
    assert raised.value.field == "page"


def test_a_history_without_seasons_says_so() -> None:
    assert "no Ratmas yet" in render.history([])


def test_the_creation_reply_and_the_settings_say_which_reminders_go_out() -> None:
    created = replace(
        report().event, status=EventStatus.SCHEDULED, reminder_days=ReminderDays(1, 3)
    )
    text = render.created(OverrideResult(created, "create", "created"))
    assert "Reminders: wishlist 1 day before the start, gift 3 days before the purchase" in text
    assert render.reminders_line(ReminderDays(0, 0)) == "Reminders: none."
    assert render.reminders_line(ReminderDays(2, 0)) == (
        "Reminders: wishlist 2 days before the start, gift off."
    )
    settings = EffectiveSettings(
        1,
        Setting(None, Source.DEFAULT),
        Setting(None, Source.DEFAULT),
        Setting(None, Source.DEFAULT),
        Setting("UTC", Source.DEFAULT),
        Setting(0, Source.RUNTIME),
        Setting(3, Source.DEFAULT),
    )
    assert render.setup_done(settings).splitlines()[-2:] == [
        "- wishlist reminder: off (set with /ratmas-admin setup)",
        "- gift reminder: 3 days before the purchase deadline (default)",
    ]
