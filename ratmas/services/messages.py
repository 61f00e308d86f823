"""What the season says on Discord, as pure functions from data to `Message`s.

Nothing here does I/O, so the bot, the services and the tests render the same text.

Two rules hold for every message:

- Pings come only from `Message.mention_user_ids`; the Discord adapter sends every
  message with mentions limited to those users. Names typed by members are still
  sanitised (`safe_name`) so that a display name such as `@everyone` or `<@&123>` does
  not even *look* like a mention, and markdown in a name cannot reshape the message.
- Nothing said in a channel reveals who drew whom before the reveal.

Long lists (the reveal, pings) are split into messages of at most `CONTENT_LIMIT`
characters of plain content: one limit, no embeds, so the split is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ratmas.domain.dates import discord_timestamp
from ratmas.domain.limits import MAX_BUDGET_LENGTH, MAX_NOTES_LENGTH
from ratmas.domain.model import Event, GiftMark, MessageDirection, Participant
from ratmas.services.ports import BlastProgress, DeliveryReport, Message

CONTENT_LIMIT: Final = 2000  # Discord's limit on a message's content
NAME_LIMIT: Final = 100  # Discord display names are at most 32; stored ones at most 100
RETRY_COMMAND: Final = "/ratmas-admin retry-dms"  # managers: every pending DM
RETRY_HINT: Final = "press **Retry** below"  # the santa: their own DM
UNKNOWN_NAME: Final = "a former participant"

_ZERO_WIDTH: Final = "\u200b"
# Characters Discord markdown gives a meaning to, escaped with a backslash.
_MARKDOWN: Final = re.compile(r"([\\*_~`|>\[\]()#<:-])")
_WHITESPACE: Final = re.compile(r"\s+")
_MENTION: Final = re.compile(r"<@(\d+)>")
# What makes a mention of a member's text: `<@id>`, `<@!id>`, `<@&role>`, @everyone, @here.
_MENTION_START: Final = re.compile(r"(<@|@(?=everyone|here))", re.IGNORECASE)


# --- names ------------------------------------------------------------------------------


def safe_name(name: str) -> str:
    """A member-typed name that renders as itself: no mention, no markdown.

    `@` gets a zero-width space after it (so `@everyone`, `@here`, `<@123>` and `<@&123>`
    are no longer mentions even where mentions are allowed), markdown characters are
    backslash-escaped, whitespace runs (newlines included) become one space, and the
    name is cut to `NAME_LIMIT` characters before escaping.
    """
    return safe_text(name, NAME_LIMIT)


def safe_text(text: str, limit: int) -> str:
    """Member-typed text (a name, a budget, notes) that renders as itself, as
    `safe_name` describes, cut to `limit` characters before escaping."""
    flat = _WHITESPACE.sub(" ", text).strip()[:limit] or "?"
    escaped = _MARKDOWN.sub(r"\\\1", flat)
    return escaped.replace("@", "@" + _ZERO_WIDTH)


def budget_line(event: Event) -> str | None:
    """ "💶 Budget: €20–30" (None when the event has no budget)."""
    if not event.budget:
        return None
    return f"💶 Budget: {safe_text(event.budget, MAX_BUDGET_LENGTH)}"


def notes_line(recipient: Participant) -> str | None:
    """The recipient's notes as their santa sees them (None without notes)."""
    if not recipient.notes:
        return None
    return f"📝 Their notes for you: {safe_text(recipient.notes, MAX_NOTES_LENGTH)}"


def person(user_id: int, name: str | None) -> str:
    """`**Name** (<@id>)`: the mention alone shows as @invalid-user on mobile when the
    member is not cached, so the name is always there too."""
    shown = safe_name(name) if name is not None else UNKNOWN_NAME
    return f"**{shown}** (<@{user_id}>)"


# --- splitting --------------------------------------------------------------------------


def split_lines(
    lines: Iterable[str], *, header: str = "", limit: int = CONTENT_LIMIT, sep: str = "\n"
) -> list[str]:
    """Join lines (with `sep`) into as few texts of at most `limit` characters as fit.

    The `header` starts the first text only. Lines are never split unless a single
    line is longer than `limit` on its own, which is then cut with an ellipsis.
    """
    chunks: list[str] = []
    current = header
    for raw in lines:
        line = raw if len(raw) <= limit else raw[: limit - 1] + "…"
        candidate = f"{current}{sep}{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = line
    if current:
        chunks.append(current)
    return chunks


def _pings(
    user_ids: Sequence[int], header: str, footer: str, *, retry_button: bool = False
) -> list[Message]:
    """Messages that ping each of `user_ids` once, each message pinging only its own;
    the last one carries the Retry button when asked."""
    if not user_ids:
        return []
    mentions = [f"<@{user_id}>" for user_id in dict.fromkeys(user_ids)]
    texts = split_lines(mentions, header=header, sep=" ")
    texts[-1:] = split_lines([footer], header=texts[-1])
    return [
        Message(
            text,
            mention_user_ids=tuple(int(m) for m in _MENTION.findall(text)),
            retry_button=retry_button and index == len(texts) - 1,
        )
        for index, text in enumerate(texts)
    ]


# --- santa DMs --------------------------------------------------------------------------


def santa_dm(event: Event, recipient: Participant, *, note: str | None = None) -> Message:
    """The DM that tells a santa whom they give to. Pings nobody."""
    lines = []
    if note:
        lines.append(note)
    who = person(recipient.user_id, recipient.display_name)
    lines.append(f"🎁 **Ratmas**: you are the Secret Santa of {who}!")
    if recipient.wishlist_url:
        lines.append(f"Their wishlist: <{recipient.wishlist_url}>")
    else:
        lines.append("They have not set a wishlist yet; I will DM you as soon as they do.")
    notes = notes_line(recipient)
    if notes is not None:
        lines.append(notes)
    budget = budget_line(event)
    if budget is not None:
        lines.append(budget)
    lines.append(f"Buy your gift by {discord_timestamp(event.dates.purchase_deadline, 'F')}.")
    lines.append(f"The reveal is at {discord_timestamp(event.dates.reveal_at, 'F')}.")
    lines.append("🤫 Keep it secret: don't tell anyone, least of all them!")
    lines.append(f"Once it is on its way, press **{GIFT_SENT_LABEL}** below.")
    content = "\n".join(lines)
    over = len(content) - CONTENT_LIMIT
    if over > 0 and notes is not None:
        # Escaping can double long notes; Discord refuses more than the limit, so the
        # notes give way (cut with an ellipsis) rather than the DM failing.
        index = lines.index(notes)
        lines[index] = notes[: len(notes) - over - 1] + "…"
        content = "\n".join(lines)
    return Message(content, gift_button=GiftMark.SENT)


GIFT_SENT_LABEL: Final = "Gift sent"
GIFT_RECEIVED_LABEL: Final = "Gift received"


def gift_on_its_way_dm() -> Message:
    """Tell a giftee that their santa marked their gift sent, with the "Gift received"
    button. Never says who the santa is."""
    return Message(
        "🎁 **Ratmas**: your Secret Santa says your gift is on its way!\n"
        f"When it arrives, press **{GIFT_RECEIVED_LABEL}** below.",
        gift_button=GiftMark.RECEIVED,
    )


def gift_received_dm(recipient_id: int, recipient_name: str | None) -> Message:
    """Tell a santa that their giftee (whom they know) marked the gift received."""
    who = person(recipient_id, recipient_name)
    return Message(f"🎉 **Ratmas**: your giftee {who} received your gift. Thank you, santa!")


CHANGED_NOTE: Final = (
    "🔁 **Change of plans**: someone left this Ratmas, so your assignment has changed. "
    "Forget the previous one; this one counts."
)
JOINED_NOTE: Final = (
    "🔁 **Change of plans**: someone joined this Ratmas, so your assignment has changed. "
    "Forget the previous one; this one counts."
)


def wishlist_changed_dm(recipient: Participant) -> Message:
    """Tell a santa that their recipient set, changed or cleared their wishlist."""
    who = person(recipient.user_id, recipient.display_name)
    if recipient.wishlist_url:
        text = f"📝 {who} updated their Ratmas wishlist: <{recipient.wishlist_url}>"
    else:
        text = f"📝 {who} removed their Ratmas wishlist; surprise them!"
    return Message(text + "\n🤫 Still a secret!")


def notes_changed_dm(recipient: Participant) -> Message:
    """Tell a santa that their recipient set, changed or cleared their notes for them."""
    who = person(recipient.user_id, recipient.display_name)
    line = notes_line(recipient)
    if line is not None:
        text = f"📝 {who} updated their notes for you.\n{line}"
    else:
        text = f"📝 {who} removed their notes for you."
    return Message(text + "\n🤫 Still a secret!")


# --- anonymous messages -----------------------------------------------------------------

FROM_SANTA: Final = "📨 From your Secret Santa:"
FROM_GIFTEE: Final = "📨 From your giftee:"


def no_mentions(text: str) -> str:
    """A member's text in which nothing is a mention any more: a zero-width space goes
    after the `@` of `<@id>`, `<@!id>`, `<@&id>`, @everyone and @here. The message is also
    sent with mentions disabled; this keeps them from even rendering as mentions."""
    return _MENTION_START.sub(lambda found: found.group(1) + _ZERO_WIDTH, text)


def anonymous_dm(direction: MessageDirection, text: str) -> Message:
    """What the addressee of an anonymous message receives: who they are to the sender
    (never who the sender is) and the text, quoted to the end so nothing in it can pass
    for the bot's own words. Pings nobody; the Reply button is added when it is sent."""
    header = FROM_SANTA if direction is MessageDirection.TO_GIFTEE else FROM_GIFTEE
    return Message(f"{header}\n>>> {no_mentions(text)}")


def addressee_words(direction: MessageDirection) -> str:
    """ "your giftee" / "your Secret Santa": whom a message in this direction reaches."""
    return "your giftee" if direction is MessageDirection.TO_GIFTEE else "your Secret Santa"


def message_undelivered(direction: MessageDirection, *, dms_closed: bool) -> Message:
    """Tell a sender their anonymous message could not be delivered, and no more: not
    who, not why beyond closed DMs. The text was erased; nobody was told they tried."""
    why = (
        "they don't accept direct messages from this server's members"
        if dms_closed
        else "Discord refused it"
    )
    return Message(
        f"📭 Your anonymous message to {addressee_words(direction)} could not be delivered: "
        f"{why}. It has been deleted, and they were not told anything."
    )


# --- reminders (stored as notices: the same text for everyone reminded) ----------------

WISHLIST_COMMAND: Final = "/ratmas wishlist"
GIFT_SENT_COMMAND: Final = "/ratmas gift sent"


def wishlist_reminder_dm(event: Event) -> str:
    """To a participant without a wishlist, some days before the draw. Names nobody."""
    start = event.dates.starts_at
    return (
        f"🎄 **Ratmas reminder**: names are drawn {discord_timestamp(start, 'F')} "
        f"({discord_timestamp(start, 'R')}) and you have not set a wishlist yet. Add one "
        f"with `{WISHLIST_COMMAND}` so your Secret Santa knows what would make you happy."
    )


def gift_reminder_dm(event: Event) -> str:
    """To a santa who has not marked their gift sent, some days before the purchase
    deadline. Names nobody: the giftee is only in the santa's assignment DM."""
    deadline = event.dates.purchase_deadline
    return (
        f"⏰ **Ratmas reminder**: gifts must be bought by {discord_timestamp(deadline, 'F')} "
        f"({discord_timestamp(deadline, 'R')}). Once yours is on its way, tell your giftee "
        f"with `{GIFT_SENT_COMMAND}`. 🤫 Still a secret!"
    )


# --- channel messages -------------------------------------------------------------------


def closed_dms_pings(santa_ids: Sequence[int]) -> list[Message]:
    """Ask santas whose DMs are closed to open them; says nothing about whom they drew."""
    return _pings(
        santa_ids,
        "📪 I could not DM you your Ratmas assignment:",
        "Please allow direct messages from members of this server (Server → Privacy "
        f"Settings), then {RETRY_HINT} or ask an organiser to retry.",
        retry_button=True,
    )


def undelivered_reminder(santa_ids: Sequence[int]) -> list[Message]:
    """At the purchase deadline: santas who still have not received their assignment."""
    return _pings(
        santa_ids,
        "⏰ The purchase deadline is here and I still could not DM you your Ratmas assignment:",
        f"Open your DMs to members of this server and {RETRY_HINT}, or ask an organiser; "
        "it is not too late to get it.",
        retry_button=True,
    )


def admin_notice(text: str) -> Message:
    """A note for the organisers, posted in the event channel. Pings nobody."""
    return Message(f"🛠️ **For the organisers**: {text}"[:CONTENT_LIMIT])


def delivery_summary(report: DeliveryReport) -> str:
    """One line on how a round of santa DMs went (no secrets: ids of santas only)."""
    text = (
        f"santa DMs: {len(report.sent)} sent, {len(report.dms_closed)} with closed DMs, "
        f"{len(report.failed)} failed, {report.still_pending} still pending."
    )
    if report.dms_closed:
        text += (
            " Santas with closed DMs were asked in this channel to open them and press "
            f"Retry; `{RETRY_COMMAND}` re-sends every pending DM."
        )
    if report.stopped:
        text += " Discord asked me to slow down; the rest are sent automatically later."
    return text


def _dates(event: Event) -> str:
    return (
        f"Names are drawn {discord_timestamp(event.dates.starts_at, 'F')}, gifts must be "
        f"bought by {discord_timestamp(event.dates.purchase_deadline, 'F')} and the reveal "
        f"is {discord_timestamp(event.dates.reveal_at, 'F')}."
    )


def creation_announcement(event: Event) -> Message:
    """The sign-up post, with the persistent Join/Leave buttons."""
    budget = budget_line(event)
    return Message(
        "🎄 **A new Ratmas is here!** Press **Join** below to take part in this server's "
        f"Secret Santa.\n{_dates(event)}\n"
        + (f"{budget}\n" if budget else "")
        + "Use `/ratmas wishlist` to share a wishlist with your santa, and `/ratmas notes` "
        "to tell them your sizes, allergies or a delivery hint.",
        join_buttons_event_id=event.id,
    )


def budget_changed_announcement(event: Event) -> Message:
    """The managers changed or removed the budget. Pings nobody."""
    if not event.budget:
        return Message("💶 **Budget update**: this Ratmas no longer has a set budget.")
    return Message(
        "💶 **Budget update**: the budget for gifts is now "
        f"{safe_text(event.budget, MAX_BUDGET_LENGTH)}."
    )


def drawn_announcement(event: Event, participants: int) -> Message:
    return Message(
        f"🎁 **Names are drawn!** {participants} santas each get their recipient by DM: "
        "check your direct messages. Gifts must be bought by "
        f"{discord_timestamp(event.dates.purchase_deadline, 'F')}; the reveal is "
        f"{discord_timestamp(event.dates.reveal_at, 'F')}.\nNo DM? Allow DMs from this "
        "server, then press **Retry** on the message that pinged you."
    )


def purchase_closed_announcement(event: Event) -> Message:
    return Message(
        "🛍️ **The purchase deadline has passed**: every gift should be bought by now. "
        f"The reveal is {discord_timestamp(event.dates.reveal_at, 'F')}."
    )


def cancelled_announcement(event: Event) -> Message:
    reason = safe_name(event.cancel_reason or "no reason given")
    text = f"❌ **This Ratmas has been cancelled.** Reason: {reason}"
    return Message(text[:CONTENT_LIMIT])


@dataclass(frozen=True, slots=True)
class RevealPair:
    santa_id: int
    santa_name: str | None  # None: no longer a participant
    recipient_id: int
    recipient_name: str | None


def reveal_messages(pairs: Sequence[RevealPair]) -> list[Message]:
    """Who gave to whom, one line per santa, in as few messages as fit. Pings nobody."""
    header = f"🎉 **The Ratmas reveal!** {len(pairs)} santas and their giftees:"
    lines = [
        f"{person(p.santa_id, p.santa_name)} → {person(p.recipient_id, p.recipient_name)}"
        for p in pairs
    ]
    return [Message(text) for text in split_lines(lines, header=header)]


def _duration(seconds: float) -> str:
    whole = max(1, round(seconds))
    minutes, secs = divmod(whole, 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def blast_progress(progress: BlastProgress) -> str:
    """The progress line of a running blast (channel message and `/ratmas status`).

    Counts only: no names, no pings."""
    eta = (
        f"about {_duration(progress.eta_seconds)} left"
        if progress.eta_seconds is not None
        else "estimating the time left"
    )
    return (
        f"📬 Sending santa DMs: {progress.sent} sent, {progress.closed} with closed DMs, "
        f"{progress.failed} failed, {progress.remaining} remaining ({eta})."
    )


def blast_done(progress: BlastProgress) -> str:
    """The final line that replaces the progress message."""
    rest = f", {progress.remaining} left for later" if progress.remaining else ""
    return (
        f"📬 Santa DMs done: {progress.sent} sent, {progress.closed} with closed DMs, "
        f"{progress.failed} failed{rest}."
    )
