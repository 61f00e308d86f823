"""`ratmas demo`: two seasons of one guild, played offline against the loopback Discord.

The real bot (`ratmas.app.serve`: migrations, database, scheduler, nextcord client) runs
against `ratmas.sandbox` on a throw-away SQLite file. A small guild signs up, the
scheduler fires the start, the purchase deadline and the reveal by itself, seconds
apart, and what every member and the channel saw is printed as a transcript. Nothing
here is staged: each line is a message the bot really sent, read back from the
sandbox, with Discord's markup (mentions, timestamps, bold) turned into plain text.

The bot and the sandbox share the sandbox's `FastForwardClock`: once a scene's actions
are done, the clock skips to the next date instead of sitting through the rest of the
wait, and APScheduler fires that date's job at once. The dates, and every time printed,
are on that clock; the season takes a few seconds of real time.
"""

# The waits take a timeout on purpose: each names how long the season may take.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TextIO

from ratmas.config import BackupConfig, DiscordConfig, SchedulerConfig, Settings
from ratmas.sandbox import (
    Channel,
    FastForwardClock,
    InteractionHandle,
    Message,
    Role,
    Sandbox,
    SandboxError,
    User,
)

MANAGE_GUILD: Final = 1 << 5
TIMEZONE: Final = "UTC"
DB_NAME: Final = "ratmas-demo.sqlite"
BOT_LABEL: Final = "Ratmas bot"
# Seconds of the season at speed 1: sign-ups before the draw, shopping before the
# purchase deadline, and the wait for the reveal. Each leaves room for the scene's
# actions on a slow machine.
SIGN_UP_SECONDS: Final = 6.0
SHOPPING_SECONDS: Final = 6.0
WAIT_FOR_REVEAL_SECONDS: Final = 3.0
# Next year's season is spaced like a real one; the clock skips to each date.
NEXT_YEAR_SIGN_UPS: Final = timedelta(days=5)
NEXT_YEAR_SHOPPING: Final = timedelta(days=14)
NEXT_YEAR_WAIT_FOR_REVEAL: Final = timedelta(days=10)
# How late a scheduled phase's messages may be before the demo gives up.
LATE_MARGIN: Final = 10.0
# How long the bot may take to answer a user.
REPLY_SECONDS: Final = 10.0
# How long the bot may take to connect, or to shut down.
CONNECT_SECONDS: Final = 15.0
# A scene is over when the bot has been quiet this long.
QUIET_SECONDS: Final = 0.3
# A one-line reply follows its action on the same line when the action is this short.
SHORT_ACTION: Final = 60
SANTA_DM: Final = "Secret Santa of"
WISHER: Final = "ann"  # sets a wishlist before the draw and changes it after
LEAVER: Final = "dan"  # leaves the server after the draw
CLOSED: Final = "fay"  # does not accept DMs at the draw
MEMBERS: Final = ("ann", "bob", "cat", "dan", "eve", "fay")
WISHLISTS: Final = ("https://example.com/ann/wishlist", "https://example.com/ann/new-wishlist")
NOTES: Final = ("size M, no nuts please", "size M, no nuts; leave parcels with the neighbour")
BUDGET: Final = "€20–30"
QUESTION: Final = "Hi Santa! I'm away from the 20th: can it arrive before then?"
ANSWER: Final = "Of course! It'll be there by the 18th 🎁"
HOUSEHOLD: Final = ("bob", "cat")  # never draw one another
GIFT_SENT: Final = "ratmas:gift_sent"
GIFT_RECEIVED: Final = "ratmas:gift_received"


# The giftee's mention in a santa DM.
_RECIPIENT: Final = re.compile(r"Secret Santa of \*\*[^*]*\*\* \(<@(\d+)>\)")


class DemoError(Exception):
    """The season did not go as scripted (the one line the demo prints)."""


# --- Discord markup, made readable ---------------------------------------------------------

_USER: Final = re.compile(r"<@!?(\d+)>")
_ROLE: Final = re.compile(r"<@&(\d+)>")
_CHANNEL: Final = re.compile(r"<#(\d+)>")
_TIME: Final = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_LINK: Final = re.compile(r"<(https?://[^>\s]+)>")
_ESCAPED: Final = re.compile(r"\\([\\*_~`|>\[\]()#<:-])")
_TIME_FORMATS: Final = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%Y-%m-%d",
    "D": "%a %d %b %Y",
    "f": "%a %d %b %Y %H:%M:%S",
    "F": "%a %d %b %Y %H:%M:%S",
}


@dataclass(frozen=True, slots=True)
class Names:
    """Who and what the ids in a message stand for."""

    users: dict[int, str]
    roles: dict[int, str]
    channels: dict[int, str]


def duration(seconds: float) -> str:
    """`5 s`, `3 min`, `4 h`, `2 days`: the largest unit, as Discord's relative times."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {'day' if unit == 'days' and count == 1 else unit}"
    return f"{round(seconds)} s"


def readable(text: str, names: Names, *, now: datetime | None = None) -> str:
    """Discord markup as a reader sees it: `<@id>` -> @name, `<#id>` -> #channel,
    `<@&id>` -> @role, `<t:unix:F>` -> a UTC time, bold and escapes dropped."""

    def user(match: re.Match[str]) -> str:
        return "@" + names.users.get(int(match[1]), "unknown-user")

    def role(match: re.Match[str]) -> str:
        return "@" + names.roles.get(int(match[1]), "unknown-role")

    def channel(match: re.Match[str]) -> str:
        return "#" + names.channels.get(int(match[1]), "unknown-channel")

    def stamp(match: re.Match[str]) -> str:
        instant = datetime.fromtimestamp(int(match[1]), UTC)
        style = match[2] or "f"
        if style == "R":
            seconds = round((instant - (now or datetime.now(UTC))).total_seconds())
            span = duration(abs(seconds))
            return f"in {span}" if seconds >= 0 else f"{span} ago"
        return f"{instant:{_TIME_FORMATS[style]}} UTC"

    text = _ROLE.sub(role, text)
    text = _USER.sub(user, text)
    text = _CHANNEL.sub(channel, text)
    text = _TIME.sub(stamp, text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("**", "")
    text = _ESCAPED.sub(r"\1", text)
    text = text.replace("\u200b", "")
    return "\n".join(line for line in text.splitlines() if line.strip() != "```")


def buttons(message: Message) -> str:
    """`[🎁 Join] [Leave]`: the buttons under a message, or '' when it has none."""
    labels = []
    for row in message.components:
        for item in row.get("components", []):
            if item.get("type") != 2:
                continue
            emoji = (item.get("emoji") or {}).get("name")
            label = " ".join(str(part) for part in (emoji, item.get("label")) if part)
            labels.append(f"[{label}]")
    return " ".join(labels)


def indented(head: str, body: str, indent: int | None = None) -> str:
    """`head` + the first line of `body`; later lines indented under the first."""
    pad = " " * (len(head) if indent is None else indent)
    first, *rest = body.splitlines() or [""]
    return "\n".join([head + first, *(pad + line for line in rest)])


# --- the transcript ------------------------------------------------------------------------


@dataclass
class Transcript:
    """What the members saw, in order: the bot's posts numbered as they arrive, user
    actions with the reply only the actor sees, and the scene headings."""

    out: TextIO
    sandbox: Sandbox
    guild_id: int
    heard: list[Message] = field(default_factory=list)
    _unprinted: list[tuple[Message, bool]] = field(default_factory=list)
    _count: int = 0

    def listen(self, message: Message, edited: bool) -> None:
        """The sandbox's listener: every message the bot posts or edits."""
        if message.interaction_id is not None:
            return  # an answer to a user action: printed with the action
        if not edited:
            self.heard.append(message)
        self._unprinted.append((message, edited))

    def names(self) -> Names:
        state = self.sandbox.state
        guild = state.guild(self.guild_id)
        return Names(
            users={u.id: u.name for u in state.users.values()},
            roles={r.id: r.name for r in guild.roles.values()},
            channels={c.id: str(c.name) for c in state.channels.values() if c.name},
        )

    def text(self, message: Message) -> str:
        body = readable(message.text, self.names(), now=self.sandbox.clock.now())
        shown = buttons(message)
        return f"{body}\n{shown}" if shown else body

    def write(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def heading(self, title: str, note: str = "") -> None:
        self.flush()
        self.write()
        self.write(f"== {title} ==" + (f"  ({note})" if note else ""))

    def narrate(self, line: str) -> None:
        self.flush()
        self.write(f"* {line}")

    def flush(self) -> None:
        """Print the bot's posts heard since the last flush."""
        pending, self._unprinted = self._unprinted, []
        for message, edited in pending:
            self._count += 1
            where = self.sandbox.where(message)
            if where.startswith("DM @"):
                head = f"[{self._count:02}] DM to {where[4:]}: "
            else:
                head = f"[{self._count:02}] {where}  {BOT_LABEL}: "
            if edited:
                head += "(edited) "
            self.write(indented(head, self.text(message)))

    def action(self, actor: str, did: str, reply: Message) -> None:
        """`ann clicks Join → (only ann sees) You're in…`, then whatever the bot posted."""
        seen = f"(only {actor} sees)" if reply.ephemeral else "(everyone sees)"
        command = f"{actor} {readable(did, self.names())}"
        body = self.text(reply)
        if "\n" in body or len(command) > SHORT_ACTION:
            self.write(command)
            self.write(indented(f"  → {seen} ", body, indent=4))
        else:
            self.write(f"{command} → {seen} {body}")
        self.flush()


# --- the season ----------------------------------------------------------------------------


@dataclass
class Cast:
    """The guild the season is played in, and who is in it."""

    guild_id: int
    channel: Channel
    participant_role: Role
    manager: User
    members: dict[str, User]
    closed: User  # the member whose DMs are closed at the draw


def _whole_second(instant: datetime) -> datetime:
    return instant.replace(microsecond=0) + timedelta(seconds=1 if instant.microsecond else 0)


def _day(instant: datetime) -> str:
    return f"{instant:%a %d %b %H:%M:%S}"


def _local(instant: datetime) -> str:
    return f"{instant:%Y-%m-%d %H:%M:%S}"


@dataclass(frozen=True, slots=True)
class Dates:
    start: datetime
    deadline: datetime
    reveal: datetime


def _until(clock: FastForwardClock, instant: datetime) -> float:
    return (instant - clock.now()).total_seconds()


class Season:
    """Plays the season: user actions through the sandbox, checks on what the bot says."""

    def __init__(
        self, sb: Sandbox, cast: Cast, transcript: Transcript, server: asyncio.Task[None]
    ) -> None:
        self.sb = sb
        self.clock = sb.clock
        self.cast = cast
        self.t = transcript
        self.server = server

    async def expect[T](self, waiting: Awaitable[T], what: str) -> T:
        """Await `waiting`; a DemoError saying `what` went wrong if it times out, or if the
        bot stops meanwhile."""
        waiter: asyncio.Task[T] = asyncio.ensure_future(waiting)
        done, _ = await asyncio.wait({waiter, self.server}, return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await waiter
            problem = self.server.exception() if not self.server.cancelled() else None
            because = f": {problem}" if problem is not None else ""
            raise DemoError(f"the bot stopped unexpectedly{because}")
        try:
            return waiter.result()
        except TimeoutError:
            raise DemoError(what) from None
        except SandboxError as exc:
            raise DemoError(f"{what}: {exc}") from None

    async def seen(
        self, predicate: Callable[[Message], bool], what: str, timeout: float, *, since: int = 0
    ) -> Message:
        """The first message the bot posted (anywhere) matching `predicate`, among those
        heard from the `since`-th on."""

        def found() -> Message | None:
            return next((m for m in self.t.heard[since:] if predicate(m)), None)

        return await self.expect(
            self.sb.state.feed.wait_until(found, timeout, what), f"no {what} within {timeout:.0f} s"
        )

    async def quiet(self) -> None:
        """Let the bot finish what it is saying, so a scene's messages stay in it."""
        for _ in range(20):
            before = len(self.t.heard)
            await asyncio.sleep(QUIET_SECONDS)
            if len(self.t.heard) == before:
                return

    def dm_to(self, user: User, contains: str) -> Callable[[Message], bool]:
        dm = self.sb.state.dm_channels.get

        def match(message: Message) -> bool:
            return message.channel_id == dm(user.id) and contains in message.content

        return match

    def in_channel(self, contains: str) -> Callable[[Message], bool]:
        channel_id = self.cast.channel.id
        return lambda m: m.channel_id == channel_id and contains in m.content

    async def slash(
        self,
        user: User,
        subcommand: str,
        answer: str,
        options: dict[str, Any] | None = None,
        shown: str = "",
    ) -> Message:
        """`user` runs `/ratmas <subcommand>`; prints it with the reply, which must
        contain `answer` (anything else is the bot refusing)."""
        return await self._run("ratmas", user, subcommand, answer, options, shown)

    async def admin(
        self,
        user: User,
        subcommand: str,
        answer: str,
        options: dict[str, Any] | None = None,
        shown: str = "",
    ) -> Message:
        """`user` runs `/ratmas-admin <subcommand>`; like `slash`."""
        return await self._run("ratmas-admin", user, subcommand, answer, options, shown)

    async def _run(
        self,
        command: str,
        user: User,
        subcommand: str,
        answer: str,
        options: dict[str, Any] | None,
        shown: str,
    ) -> Message:
        did = f"/{command} {subcommand}"
        handle: InteractionHandle = await self.expect(
            self.sb.slash(
                self.cast.guild_id, user.id, command, *subcommand.split(), options=options
            ),
            f"{did} could not be sent",
        )
        return await self.answered(user, handle, f"runs {did}{shown}", did, answer)

    async def click(
        self,
        user: User,
        message: Message,
        custom_id: str,
        label: str,
        answer: str,
        *,
        in_dm: bool = False,
    ) -> Message:
        """`user` presses a button (under a DM: no guild); like `slash`."""
        handle: InteractionHandle = await self.expect(
            self.sb.click(None if in_dm else self.cast.guild_id, user.id, message.id, custom_id),
            f"{user.name} could not click {label}",
        )
        did = f"clicks {label} in their DM" if in_dm else f"clicks {label}"
        return await self.answered(user, handle, did, label, answer)

    async def answered(
        self, user: User, handle: InteractionHandle, did: str, what: str, answer: str
    ) -> Message:
        reply: Message = await self.expect(
            handle.response(timeout=REPLY_SECONDS),
            f"no answer to {user.name}'s {what} within {REPLY_SECONDS:.0f} s",
        )
        self.t.action(user.name, did, reply)
        if answer not in reply.content:
            refusal = readable(reply.content, self.t.names()).splitlines() or [""]
            raise DemoError(f"{user.name}'s {what} was answered: {refusal[0]}")
        return reply

    async def play(self, speed: float) -> None:
        """The season, scene by scene; the dates are `speed` times closer than at 1."""
        await self.setup()
        dates = await self.sign_ups(speed)
        await self.draw(dates)
        await self.shopping(dates)
        await self.reveal(dates)
        await self.second_season()

    async def setup(self) -> None:
        cast, manager = self.cast, self.cast.manager
        self.t.heading("Setup")
        self.t.narrate(
            f"The server has #{cast.channel.name}, a role @{cast.participant_role.name}, "
            f"{manager.name} (Manage Server) and {len(cast.members)} members: "
            f"{', '.join(cast.members)}. {cast.closed.name} does not accept DMs from the server."
        )
        await self.admin(
            manager,
            "setup",
            "Settings saved",
            {
                "channel": cast.channel.id,
                "participant_role": cast.participant_role.id,
                "timezone": TIMEZONE,
            },
            f" channel:#{cast.channel.name} participant_role:@{cast.participant_role.name}"
            f" timezone:{TIMEZONE}",
        )
        first, second = (cast.members[name] for name in HOUSEHOLD)
        self.t.narrate(f"{first.name} and {second.name} live together: a household")
        await self.admin(
            manager,
            "household add",
            "never draw one another",
            {"member1": first.id, "member2": second.id},
            f" member1:@{first.name} member2:@{second.name}",
        )

    async def sign_ups(self, speed: float) -> Dates:
        cast = self.cast
        self.t.heading("Sign-ups")
        start = _whole_second(self.clock.now() + timedelta(seconds=SIGN_UP_SECONDS / speed))
        deadline = _whole_second(start + timedelta(seconds=SHOPPING_SECONDS / speed))
        reveal = _whole_second(deadline + timedelta(seconds=WAIT_FOR_REVEAL_SECONDS / speed))
        dates = Dates(start, deadline, reveal)
        await self.open_season(
            dates, list(cast.members.values()), {"timezone": TIMEZONE, "budget": BUDGET}
        )
        await self.set_wishlist(WISHLISTS[0])
        await self.set_notes(NOTES[0], "Notes saved")
        if self.clock.now() >= start:
            raise DemoError(
                "sign-ups were not over before the draw: the machine is too slow for this speed"
            )
        return dates

    async def open_season(self, dates: Dates, joining: list[User], extra: dict[str, str]) -> None:
        """The manager creates a season on `dates` (with `extra` options) and `joining`
        join with the button on its announcement."""
        since = len(self.t.heard)
        typed = {
            "start": _local(dates.start),
            "purchase_deadline": _local(dates.deadline),
            "reveal": _local(dates.reveal),
            **extra,
        }
        await self.admin(
            self.cast.manager,
            "create",
            "is scheduled",
            typed,
            "".join(f" {k}:{v}" for k, v in typed.items()),
        )
        announcement = await self.seen(
            lambda m: "ratmas:join" in m.custom_ids,
            "announcement with a Join button",
            10,
            since=since,
        )
        self.t.flush()
        for member in joining:
            await self.click(member, announcement, "ratmas:join", "Join", "You're in")

    async def draw(self, dates: Dates) -> None:
        closed = self.cast.closed
        self.t.heading("The draw", f"start date {dates.start:%H:%M:%S}: the scheduler fires it")
        self.clock.fast_forward(dates.start)
        late = _until(self.clock, dates.start) + LATE_MARGIN
        for member in self.cast.members.values():
            if member is not closed:
                await self.seen(self.dm_to(member, SANTA_DM), f"santa DM to {member.name}", late)
        await self.seen(self.in_channel("could not DM you"), f"ping for {closed.name}", late)
        await self.seen(lambda m: "For the organisers" in m.content, "organisers' summary", late)
        await self.seen(self.in_channel("Names are drawn"), "draw announcement", late)
        await self.quiet()

    async def shopping(self, dates: Dates) -> None:
        cast = self.cast
        closed, leaver = cast.closed, cast.members[LEAVER]
        self.t.heading("Shopping")
        ping = await self.seen(self.in_channel("could not DM you"), f"ping for {closed.name}", 1)
        self.sb.open_dms(closed.id)
        self.t.narrate(f"{closed.name} allows DMs from the server")
        await self.click(closed, ping, "ratmas:retry", "Retry", "Sent!")
        await self.seen(self.dm_to(closed, SANTA_DM), f"santa DM to {closed.name}", 10)
        await self.admin(cast.manager, "retry-dms", "Every santa has already received")
        await self.set_wishlist(WISHLISTS[1])
        await self.seen(
            lambda m: "updated their Ratmas wishlist" in m.content, "wishlist DM to the santa", 10
        )
        await self.set_notes(NOTES[1], "Your santa has been told")
        await self.seen(
            lambda m: "updated their notes for you" in m.content, "notes DM to the santa", 10
        )
        await self.quiet()
        self.t.narrate(f"{leaver.name} leaves the server")
        await self.expect(
            self.sb.remove_member(cast.guild_id, leaver.id), f"{leaver.name} could not leave"
        )
        await self.seen(
            lambda m: "someone left" in m.content, f"new DM to {leaver.name}'s santa", 10
        )
        await self.quiet()
        await self.anonymous_messages()
        await self.gifts()
        if self.clock.now() >= dates.deadline:
            raise DemoError(
                "shopping was not over before the purchase deadline: "
                "the machine is too slow for this speed"
            )
        self.t.narrate(f"purchase deadline {dates.deadline:%H:%M:%S}: the scheduler fires it")
        self.clock.fast_forward(dates.deadline)
        late = _until(self.clock, dates.deadline) + LATE_MARGIN
        await self.seen(
            self.in_channel("purchase deadline has passed"), "deadline announcement", late
        )
        await self.quiet()

    async def reveal(self, dates: Dates) -> None:
        cast = self.cast
        self.t.heading("Reveal", f"{dates.reveal:%H:%M:%S}: the scheduler fires it")
        self.clock.fast_forward(dates.reveal)
        await self.seen(
            self.in_channel("The Ratmas reveal"),
            "reveal",
            _until(self.clock, dates.reveal) + LATE_MARGIN,
        )
        await self.quiet()
        self.t.flush()
        await self.slash(cast.members["bob"], "status", "revealed")
        await self.slash(cast.members["cat"], "history", "Ratmas 1")
        jobs = await self.admin(cast.manager, "jobs", "Scheduler jobs")
        if "(none)" not in jobs.content:
            raise DemoError("a phase is still scheduled after the reveal: " + jobs.content)

    async def second_season(self) -> None:
        """Next year: the same guild plays again, with dates days apart as a real season's
        are (the clock skips to each). Reminders fire for members without a wishlist and
        for santas who have not marked their gift sent, and nobody draws last year's
        giftee or someone of their own household."""
        cast = self.cast
        last_year = self.drawn()
        self.t.heading("Next year", "the guild plays again, with dates days apart")
        await self.admin(cast.manager, "advance", "archived")
        start = _whole_second(self.clock.now() + NEXT_YEAR_SIGN_UPS)
        deadline = start + NEXT_YEAR_SHOPPING
        reveal = deadline + NEXT_YEAR_WAIT_FOR_REVEAL
        playing = [m for name, m in cast.members.items() if name in last_year]
        await self.open_season(Dates(start, deadline, reveal), playing, {})
        await self.set_wishlist(WISHLISTS[1])

        # Two days before the draw (config.toml's default), everyone still without a
        # wishlist is reminded; ann has one.
        reminded_at = start - timedelta(days=2)
        await self.reminders(
            reminded_at,
            "the wishlist reminder is due two days before the draw",
            "set a wishlist",
            [m for m in playing if m.name != WISHER],
        )

        self.t.narrate(f"start date {_day(start)}: the scheduler draws the names")
        drawn_from = len(self.t.heard)
        self.clock.fast_forward(start)
        late = _until(self.clock, start) + LATE_MARGIN
        for member in playing:
            await self.seen(
                self.dm_to(member, SANTA_DM),
                f"new santa DM to {member.name}",
                late,
                since=drawn_from,
            )
        await self.quiet()
        this_year = self.drawn(since=drawn_from)
        repeated = sorted(s for s, r in this_year.items() if last_year.get(s) == r)
        if repeated:
            raise DemoError(f"{', '.join(repeated)} drew last year's giftee again")
        together = [s for s, r in {**this_year, **last_year}.items() if {s, r} == set(HOUSEHOLD)]
        if together:
            raise DemoError(f"{together[0]} drew someone of their own household")
        self.t.narrate(
            "nobody drew the same giftee as last year, nor someone of their household: "
            + ", ".join(f"{s} → {r} (was {last_year[s]})" for s, r in sorted(this_year.items()))
        )

        # Three days before the purchase deadline, santas who have not marked their gift
        # sent are reminded; one already has.
        early = cast.members[min(this_year)]
        await self.slash(early, "gift sent", "Marked sent")
        await self.reminders(
            deadline - timedelta(days=3),
            "the gift reminder is due three days before the purchase deadline",
            "gifts must be bought by",
            [m for m in playing if m is not early],
        )

    async def reminders(
        self, due: datetime, what: str, contains: str, expected: list[User]
    ) -> None:
        """Skip to a reminder's moment; exactly `expected` are reminded, once each."""
        self.t.narrate(f"{_day(due)}: {what}")
        since = len(self.t.heard)
        self.clock.fast_forward(due)
        late = _until(self.clock, due) + LATE_MARGIN
        for member in expected:
            await self.seen(
                self.dm_to(member, contains), f"reminder to {member.name}", late, since=since
            )
        await self.quiet()
        reminded = sorted(
            name
            for name, member in self.cast.members.items()
            if any(self.dm_to(member, "Ratmas reminder")(m) for m in self.t.heard[since:])
        )
        if reminded != sorted(m.name for m in expected):
            raise DemoError(f"reminded {reminded}, not {sorted(m.name for m in expected)}")

    def drawn(self, *, since: int = 0) -> dict[str, str]:
        """Who each santa gives to, read from the newest santa DM each was sent (a DM
        after someone left replaces the first)."""
        names = self.t.names().users
        santa_of = {
            self.sb.state.dm_channels.get(m.id): name for name, m in self.cast.members.items()
        }
        pairs: dict[str, str] = {}
        for message in self.t.heard[since:]:
            santa = santa_of.get(message.channel_id)
            found = _RECIPIENT.search(message.content)
            if santa is not None and found is not None:
                pairs[santa] = names.get(int(found[1]), found[1])
        present = {
            n for n, m in self.cast.members.items() if self.sb.member(self.cast.guild_id, m.id)
        }
        return {s: r for s, r in pairs.items() if s in present and r in present}

    async def anonymous_messages(self) -> None:
        """A giftee asks their santa a question; the santa answers with the Reply button.
        Neither learns anything about the other that they did not already know."""
        self.t.flush()
        pairs = self.drawn()
        giftee = self.cast.members[WISHER]
        santa = self.cast.members[next(s for s, r in pairs.items() if r == WISHER)]
        await self.slash(
            giftee,
            "message",
            "Delivered to your Secret Santa",
            {"to": "santa", "text": QUESTION},
            f" to:santa text:{QUESTION}",
        )
        question = await self.seen(
            self.dm_to(santa, "From your giftee"), f"question DM to {santa.name}", 10
        )
        self.t.flush()
        (reply_id,) = question.custom_ids
        pressed: InteractionHandle = await self.expect(
            self.sb.click(None, santa.id, question.id, reply_id),
            f"{santa.name} could not click Reply",
        )
        form = await self.expect(pressed.modal(REPLY_SECONDS), f"no Reply form for {santa.name}")
        self.t.write(f'{santa.name} clicks Reply in their DM → the form "{form.get("title")}"')
        submitted: InteractionHandle = await self.expect(
            self.sb.submit_modal(santa.id, pressed, {"text": ANSWER}),
            f"{santa.name} could not submit the Reply form",
        )
        await self.answered(
            santa, submitted, f"submits it: {ANSWER}", "Reply form", "Delivered to your giftee"
        )
        await self.seen(
            self.dm_to(giftee, "From your Secret Santa"), f"answer DM to {giftee.name}", 10
        )
        await self.quiet()

    async def gifts(self) -> None:
        """A santa presses Gift sent under their DM; their giftee, told without a name,
        presses Gift received; the santa hears of it; the manager sees the counts."""
        self.t.flush()
        pairs = self.drawn()
        santa_name = min(pairs)
        santa, giftee = self.cast.members[santa_name], self.cast.members[pairs[santa_name]]
        dm = self.sb.state.dm_channels.get(santa.id)
        assignment = next(
            m for m in reversed(self.t.heard) if m.channel_id == dm and GIFT_SENT in m.custom_ids
        )
        await self.click(santa, assignment, GIFT_SENT, "Gift sent", "Marked sent", in_dm=True)
        on_its_way = await self.seen(
            self.dm_to(giftee, "your gift is on its way"), f"gift DM to {giftee.name}", 10
        )
        await self.click(
            giftee, on_its_way, GIFT_RECEIVED, "Gift received", "Marked received", in_dm=True
        )
        await self.seen(self.dm_to(santa, "received your gift"), f"thanks DM to {santa.name}", 10)
        await self.quiet()
        await self.slash(self.cast.manager, "status", "Gifts:")

    async def set_notes(self, text: str, answer: str) -> None:
        wisher = self.cast.members[WISHER]
        await self.slash(wisher, "notes", answer, {"text": text}, f" text:{text}")

    async def set_wishlist(self, url: str) -> None:
        wisher = self.cast.members[WISHER]
        await self.slash(wisher, "wishlist", "Wishlist saved", {"url": url}, f" url:{url}")


async def _build_guild(sb: Sandbox) -> Cast:
    guild = sb.add_guild("Rat Nest", channels=("general", "ratmas"))
    mods = sb.create_role(guild.id, "Mods", permissions=MANAGE_GUILD)
    santas = sb.create_role(guild.id, "Santas")
    manager = await sb.add_member(guild.id, "manager", roles=(mods.id,))
    members = {name: await sb.add_member(guild.id, name) for name in MEMBERS}
    closed = members[CLOSED]
    sb.close_dms(closed.id)
    return Cast(guild.id, sb.channel(guild.id, "ratmas"), santas, manager, members, closed)


@contextlib.contextmanager
def _database_dir(data_dir: Path | None) -> Iterator[Path]:
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / DB_NAME).unlink(missing_ok=True)
        yield data_dir
        return
    with tempfile.TemporaryDirectory(prefix="ratmas-demo-") as tmp:
        yield Path(tmp)


async def play(out: TextIO, *, data_dir: Path | None = None, speed: float = 1.0) -> int:
    """Play two seasons against the loopback Discord and print what everyone saw.

    The database is a fresh SQLite file in `data_dir` (kept) or in a temporary directory
    (removed). `speed` > 1 brings the dates closer together. Returns 0, or 1 after a
    one-line error when the season did not go as expected; the bot, scheduler, database
    and sandbox are shut down either way.
    """
    from ratmas.app import App, serve

    if speed <= 0 or not math.isfinite(speed):
        raise ValueError(f"speed must be a positive number, not {speed}")
    began = time.monotonic()
    out.write(
        "Ratmas demo: two seasons of one guild against a loopback Discord; the clock skips "
        "ahead to each date.\n"
    )
    with _database_dir(data_dir) as directory:
        async with Sandbox() as sb:
            cast = await _build_guild(sb)
            transcript = Transcript(out, sb, cast.guild_id)
            sb.on_message(transcript.listen)
            settings = Settings(
                source="<demo>",
                database_url=f"sqlite://{(directory / DB_NAME).resolve()}",
                default_timezone=TIMEZONE,
                discord=DiscordConfig(api_base_url=sb.api_base),
                scheduler=SchedulerConfig(tick_seconds=2),
                # Snapshots and backups go with the throw-away database.
                backup=BackupConfig(dir=str(directory / "backups")),
            )
            stop = asyncio.Event()
            started: asyncio.Future[App] = asyncio.get_running_loop().create_future()
            server = asyncio.create_task(
                serve(
                    settings,
                    sb.token,
                    stop=stop,
                    clock=sb.clock,
                    guild_ready_timeout=0.05,
                    started=started,
                )
            )
            season = Season(sb, cast, transcript, server)
            failure: str | None = None
            try:
                app: App = await season.expect(
                    asyncio.wait_for(started, CONNECT_SECONDS),
                    f"the bot did not start within {CONNECT_SECONDS:.0f} s",
                )
                await season.expect(
                    asyncio.wait_for(app.bot.wait_until_ready(), CONNECT_SECONDS),
                    f"the bot did not connect within {CONNECT_SECONDS:.0f} s",
                )
                await season.play(speed)
                transcript.flush()
            except DemoError as exc:
                transcript.flush()
                failure = str(exc)
            finally:
                # The bot goes first (it closes the scheduler and the database), then
                # the sandbox it talks to.
                stop.set()
                problem = await _stopped(server)
            failure = failure or problem
            skipped = sb.clock.skipped.total_seconds()
    if failure is not None:
        out.write(f"\nratmas demo failed: {failure}\n")
        return 1
    out.write(
        f"\nBoth seasons took {time.monotonic() - began:.1f} s of real time; "
        f"the clock skipped the {duration(skipped)} of waiting for its dates.\n"
    )
    return 0


async def _stopped(server: asyncio.Task[None]) -> str | None:
    """Wait for `serve` to shut down; a description of what went wrong, if anything."""
    try:
        await asyncio.wait_for(asyncio.shield(server), CONNECT_SECONDS)
    except TimeoutError:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        return f"the bot did not stop within {CONNECT_SECONDS:.0f} s"
    except Exception as exc:
        return f"the bot stopped with an error: {exc}"
    return None
