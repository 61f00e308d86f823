"""Pure functions from service results to the text a Discord user sees.

Dates are Discord timestamps (each reader sees their own local time) followed by the
event's own timezone. Names are shown as display name plus mention, because mobile
clients sometimes render a mention as @invalid-user.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from ratmas.domain.dates import discord_timestamp, format_local, relative
from ratmas.domain.errors import InvalidInput
from ratmas.domain.limits import MAX_NOTES_LENGTH
from ratmas.domain.model import Event, GiftCounts, GiftMark, Household, Participant, ReminderDays
from ratmas.domain.status import GIFT_STATUSES, PHASE_ORDER, PHASE_TITLES, STATUS_LABELS
from ratmas.services.admin import OverrideResult
from ratmas.services.anonymous import MessageResult
from ratmas.services.gifts import GiftResult
from ratmas.services.guild_settings import EffectiveSettings, Setting
from ratmas.services.history import Season
from ratmas.services.households import HouseholdResult
from ratmas.services.messages import (
    CONTENT_LIMIT,
    addressee_words,
    blast_progress,
    budget_line,
    notes_line,
    person,
    safe_text,
    split_lines,
)
from ratmas.services.participants import (
    JoinResult,
    LeaveResult,
    NotesResult,
    RetryResult,
    WishlistResult,
)
from ratmas.services.roster import AddResult, ExclusionResult, Roster
from ratmas.services.status import EventStatusReport

OWN_NOTES_SHOWN: Final = 200  # characters of a member's own notes in their status


def when(instant: datetime, timezone: str) -> str:
    return f"{discord_timestamp(instant, 'F')} ({format_local(instant, timezone)})"


def dates_lines(event: Event) -> list[str]:
    return [
        f"{PHASE_TITLES[phase]}: {when(event.dates.due(phase), event.timezone)}"
        for phase in PHASE_ORDER
    ]


def fit(text: str) -> str:
    """Discord refuses message content over `CONTENT_LIMIT` characters."""
    return text if len(text) <= CONTENT_LIMIT else text[: CONTENT_LIMIT - 1] + "…"


def override(result: OverrideResult) -> str:
    event = result.event
    lines = [
        f"Done: {result.detail}",
        f"The Ratmas (event {event.id}) is now **{STATUS_LABELS[event.status]}**.",
    ]
    if event.held_reason:
        lines.append(f"On hold: {event.held_reason}")
    return fit("\n".join(lines))


def created(result: OverrideResult) -> str:
    event = result.event
    lines = [
        f"Ratmas {event.id} is scheduled. Members can join with the button in "
        f"<#{event.announcement_channel_id}> or with `/ratmas join`.",
        *dates_lines(event),
        reminders_line(event.reminder_days),
    ]
    budget = budget_line(event)
    if budget is not None:
        lines.append(budget)
    if result.warning:
        lines.append(f"⚠️ {result.warning}")
    return fit("\n".join(lines))


def status(
    report: EventStatusReport,
    *,
    me_in: bool,
    my_recipient: Participant | None,
    settings: EffectiveSettings | None,
    now: datetime,
    manager: bool = False,
    me: Participant | None = None,
) -> str:
    """The event as a member sees it; managers also see the recent audited actions
    (their details can hint at the draw, e.g. whose assignment a leaver changed).

    The recipient's notes are shown only here, to their santa (`my_recipient`); a
    member sees their own notes (`me`) but nothing of who their santa is."""
    event = report.event
    lines = [f"**Ratmas {event.id}**: {STATUS_LABELS[event.status]}"]
    if event.cancel_reason:
        lines.append(f"Cancelled: {event.cancel_reason}")
    if event.held_reason:
        lines.append(f"⚠️ On hold: {event.held_reason}")
    lines.extend(dates_lines(event))
    budget = budget_line(event)
    if budget is not None:
        lines.append(budget)
    for pending in report.pending:
        lines.append(f"Next: {PHASE_TITLES[pending.phase]} {relative(pending.due, now)}")
        break
    lines.append(f"Participants: {report.participants}")
    if report.delivery.total:
        lines.append(
            f"Santa DMs: {report.delivery.notified}/{report.delivery.total} delivered"
            + (f", {report.delivery.failed} failed" if report.delivery.failed else "")
        )
    if report.blast is not None:
        lines.append(blast_progress(report.blast))
    lines.append("You are in." if me_in else "You have not joined.")
    if me is not None and me.notes:
        # Their own, shortened: the room is for what they need from their recipient.
        mine = safe_text(me.notes, OWN_NOTES_SHOWN)
        more = "…" if len(me.notes) > OWN_NOTES_SHOWN else ""
        lines.append(f"📝 Your notes for your santa: {mine}{more}")
    if my_recipient is not None:
        lines.append(
            f"🤫 You give to **{my_recipient.display_name}** (<@{my_recipient.user_id}>)"
            + (f" — wishlist: <{my_recipient.wishlist_url}>" if my_recipient.wishlist_url else "")
        )
        their_notes = notes_line(my_recipient)
        if their_notes is not None:
            lines.append(their_notes)
    if manager and report.gifts.pairings:
        lines.append(gift_counts(report.gifts))
    if manager and report.overrides:
        lines.append("Recent actions:")
        lines.extend(
            f"- {discord_timestamp(a.at, 'f')} <@{a.actor_id}> {a.action}: {a.detail}"
            for a in report.overrides
        )
    if settings is not None:
        lines.append("Settings:")
        lines.extend(settings_lines(settings))
    return fit("\n".join(lines))


def _setting(label: str, setting: Setting[int | None], mention: str) -> str:
    shown = "not set" if setting.value is None else mention.format(setting.value)
    return f"- {label}: {shown} ({setting.source.value})"


def _days_before(days: int, what: str) -> str:
    return "off" if days == 0 else f"{days} day{'s' if days != 1 else ''} before {what}"


def reminders_line(days: ReminderDays) -> str:
    """Which reminders an event sends, and when."""
    if days.wishlist == 0 and days.gift == 0:
        return "Reminders: none."
    return (
        f"Reminders: wishlist {_days_before(days.wishlist, 'the start')}, gift "
        f"{_days_before(days.gift, 'the purchase deadline')}."
    )


def settings_lines(settings: EffectiveSettings) -> list[str]:
    wishlist, gift = settings.wishlist_reminder_days, settings.gift_reminder_days
    return [
        _setting("announcement channel", settings.announcement_channel_id, "<#{}>"),
        _setting("participant role", settings.participant_role_id, "<@&{}>"),
        _setting("manager role", settings.manager_role_id, "<@&{}>"),
        f"- timezone: {settings.timezone.value} ({settings.timezone.source.value})",
        f"- wishlist reminder: {_days_before(wishlist.value, 'the start')} "
        f"({wishlist.source.value})",
        f"- gift reminder: {_days_before(gift.value, 'the purchase deadline')} "
        f"({gift.source.value})",
    ]


def setup_done(settings: EffectiveSettings) -> str:
    return fit("\n".join(["Settings saved. Effective settings:", *settings_lines(settings)]))


def participants(roster: Roster) -> str:
    items = roster.participants
    if not items:
        return "Nobody has joined yet."
    lines = [f"{len(items)} participant(s):"]
    for p in items:
        wish = " 🎁 wishlist set" if p.wishlist_url else ""
        lines.append(f"- {p.display_name} (<@{p.user_id}>){wish}")
    if roster.pairings_told or roster.pairings_pending:
        lines.append(
            f"Santa DMs: {roster.pairings_told} delivered, {roster.pairings_pending} pending"
        )
    drawn = roster.pairings_told + roster.pairings_pending
    if drawn and roster.event.status in GIFT_STATUSES:
        waiting = roster.gift_not_sent
        if waiting:
            names = ", ".join(f"{p.display_name} (<@{p.user_id}>)" for p in waiting)
            lines.append(f"Gift not marked sent yet ({len(waiting)} of {drawn}): {names}")
        else:
            lines.append(f"Every santa has marked their gift sent ({drawn}).")
    if roster.exclusions:
        lines.append("Exclusions (santa may not draw recipient):")
        lines.extend(f"- <@{x.user_id}> ↛ <@{x.excluded_user_id}>" for x in roster.exclusions)
    return fit("\n".join(lines))


def joined(result: JoinResult | AddResult) -> str:
    name = result.participant.display_name
    if isinstance(result, AddResult):
        text = f"{name} is in Ratmas {result.event_id}."
        if result.after_draw and result.reassigned:
            text += f" The draw was spliced; {len(result.reassigned)} santa(s) got a new DM."
    else:
        text = (
            f"You're in, {name}! 🎁 Names are drawn at the start date; you'll get a DM with "
            "whom you give to. Set a wishlist with `/ratmas wishlist`."
        )
    if isinstance(result, AddResult) and result.warning:
        text += f"\n⚠️ {result.warning}"
    return fit(text)


def left(result: LeaveResult) -> str:
    if result.after_draw:
        text = "You have left the Ratmas. Your santa now gives to someone else; nothing is lost."
    else:
        text = "You have left the Ratmas."
    if result.warning:
        text += f"\n⚠️ {result.warning}"
    return fit(text)


def wishlist(result: WishlistResult) -> str:
    url = result.participant.wishlist_url
    text = f"Wishlist saved: <{url}>" if url else "Wishlist cleared."
    if result.santa_told:
        text += "\nYour santa has been told by DM."
    return text


def notes(result: NotesResult) -> str:
    """The member's own notes back, as only their santa will see them."""
    saved = result.participant.notes
    if saved:
        text = f"Notes saved; only your santa sees them: {safe_text(saved, MAX_NOTES_LENGTH)}"
    else:
        text = "Notes cleared."
    if result.santa_told:
        text += "\nYour santa has been told by DM."
    return fit(text)


def exclusion(result: ExclusionResult) -> str:
    if result.changed:
        text = "Done: " + ", ".join(f"<@{a}> ↛ <@{b}>" for a, b in result.changed)
    else:
        text = "Nothing to change: that was already so."
    if result.warning:
        text += f"\n⚠️ {result.warning}"
    return fit(text)


def retried(result: RetryResult) -> str:
    if result.already:
        return "Your assignment was already delivered: look in your DMs from this bot."
    if result.delivered:
        return "Sent! Check your DMs for your Ratmas assignment. 🤫"
    if result.dms_closed:
        return (
            "I still cannot DM you. Allow direct messages from members of this server "
            "(Server → Privacy Settings), then press Retry again."
        )
    if result.slow_down:
        return "Discord asked me to slow down; your DM is sent automatically in a moment."
    return "I could not send your DM this time; try again later or ask an organiser."


def gift_counts(counts: GiftCounts) -> str:
    """The managers' line: counts only, never who gives to whom."""
    return (
        f"Gifts: {counts.sent} marked sent, {counts.received} marked received, "
        f"{counts.neither} with neither (of {counts.pairings})"
    )


def gift_marked(result: GiftResult) -> str:
    if result.mark is GiftMark.SENT:
        if result.already:
            return "You had already marked your gift sent; nobody was told twice. 📦"
        told = (
            "Your giftee has been told by DM"
            if result.other_told
            else "Your giftee will be told by DM as soon as I can reach them"
        )
        return f"Marked sent! 📦 {told}, without your name: your secret is safe. 🤫"
    if result.already:
        return "You had already marked your gift received; nobody was told twice. 🎉"
    told = (
        "Your Secret Santa has been told by DM"
        if result.other_told
        else "Your Secret Santa will be told by DM as soon as I can reach them"
    )
    return f"Marked received! 🎉 {told}."


# --- households and history ---------------------------------------------------------------


def _members(household: Household) -> str:
    return ", ".join(f"<@{m}>" for m in household.members)


def household_added(result: HouseholdResult) -> str:
    household = result.household
    text = (
        f"Household {household.id}: {_members(household)}. They never draw one another, "
        "in this Ratmas and every later one, until the household is removed."
    )
    if result.warning:
        text += f"\n⚠️ {result.warning}"
    return fit(text)


def household_removed(result: HouseholdResult, member: int | None) -> str:
    household = result.household
    if member is None:
        text = f"Household {household.id} ({_members(household)}) is removed."
    elif result.remaining is None:
        text = (
            f"<@{member}> is out of household {household.id}; with one member left, the "
            "household is removed."
        )
    else:
        text = f"<@{member}> is out of household {household.id}: {_members(result.remaining)}."
    if result.warning:
        text += f"\n⚠️ {result.warning}"
    return fit(text)


def households(items: list[Household]) -> str:
    if not items:
        return (
            "This server has no households. `/ratmas-admin household add` makes one: its "
            "members never draw one another."
        )
    lines = [f"{len(items)} household(s); members never draw one another:"]
    lines.extend(f"- Household {h.id}: {_members(h)}" for h in items)
    return fit("\n".join(lines))


# Room left on each history page for its footer.
_HISTORY_PAGE = CONTENT_LIMIT - 100


def history(seasons: list[Season], page: int = 1) -> str:
    """Page `page` (from 1) of the guild's seasons, newest first; who gave to whom only
    for revealed and archived ones (the service hands no pairs for the others)."""
    if not seasons:
        return "This server has had no Ratmas yet."
    lines: list[str] = []
    for season in seasons:
        event = season.event
        lines.append(
            f"**Ratmas {event.id}** · {STATUS_LABELS[event.status]} · "
            f"{discord_timestamp(event.dates.starts_at, 'D')} → "
            f"{discord_timestamp(event.dates.reveal_at, 'D')} · "
            f"{season.participants} participant(s)"
        )
        lines.extend(
            f"  🎁 {person(g.santa_id, g.santa_name)} → {person(g.recipient_id, g.recipient_name)}"
            for g in season.pairs
        )
    pages = split_lines(lines, limit=_HISTORY_PAGE)
    if not 1 <= page <= len(pages):
        raise InvalidInput("page", f"from 1 to {len(pages)}; the history has {len(pages)} page(s)")
    text = pages[page - 1]
    if len(pages) > 1:
        more = f" · next: `/ratmas history page:{page + 1}`" if page < len(pages) else ""
        text += f"\n-# Page {page} of {len(pages)}{more}"
    return fit(text)


def message_sent(result: MessageResult) -> str:
    """How an anonymous message (or a reply) went, for its sender only."""
    whom = addressee_words(result.direction)
    left = f"You can send {result.remaining} more in the next 24 hours."
    if result.delivered:
        return f"📨 Delivered to {whom}, anonymously. {left}"
    if result.dms_closed:
        return (
            f"📭 Not delivered: {whom} doesn't accept direct messages from this server's "
            "members. Your message was deleted and they were not told anything."
        )
    if result.failed:
        return (
            f"📭 Not delivered: Discord refused it. Your message was deleted and {whom} was "
            "not told anything."
        )
    return f"📨 On its way to {whom}: it will be delivered shortly, anonymously. {left}"
