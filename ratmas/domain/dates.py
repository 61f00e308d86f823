"""Admins' local wall-clock times in, aware UTC out; and back again for display.

Admins type `YYYY-MM-DD HH:MM` (or `YYYY-MM-DDTHH:MM`; seconds `:SS` are optional) in
the event's IANA timezone.
We store aware UTC.

The daylight-saving rule (one rule, never a silent shift):

- A local time that does not exist (the clocks jump over it, spring forward) is
  **rejected**; the message gives the nearest valid times on either side of the gap.
- A local time that happens twice (the clocks go back, fall back) is **rejected unless
  the admin says which one**, by appending the UTC offset, e.g. `2026-11-01 01:30-04:00`
  (the first, daylight time) or `2026-11-01 01:30-05:00` (the second, standard time).
  The message lists both spellings.
- An offset suffix only chooses between the readings the zone gives that wall time;
  an offset the zone does not use there is rejected, never applied.

Nothing here reads the clock: callers pass `now` from the injected `Clock`.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import EventDates

INPUT_FORMAT: Final = "YYYY-MM-DD HH:MM"

_LOCAL = re.compile(
    r"""^\s*
    (?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})
    (?:\s+|T)
    (?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?
    \s*(?P<offset>Z|[+-]\d{2}:?\d{2})?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)

DATE_FIELDS: Final = ("starts_at", "purchase_deadline", "reveal_at")
# Every instant Ratmas stores lies in these years: far from the ends of what `datetime`
# can hold, so converting between timezones and adding durations never overflows.
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
SUPPORTED_RANGE: Final = "between 2000-01-01 and 2199-12-31"
_FIELD_LABELS: Final = {
    "starts_at": "the start",
    "purchase_deadline": "the purchase deadline",
    "reveal_at": "the reveal",
}


# --- timezones ------------------------------------------------------------------------


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _fold(text: str) -> str:
    return text.strip().casefold().replace(" ", "_")


def suggest_timezones(name: str, limit: int = 3) -> list[str]:
    """Known IANA names close to `name`: same name in another case, the same city
    (`london` -> `Europe/London`, `new york` -> `America/New_York`), then close spellings."""
    wanted = _fold(name)
    if not wanted:
        return []
    zones = sorted(_known_zones())
    by_folded = {_fold(z): z for z in zones}
    found: list[str] = []

    def add(zone: str) -> None:
        if zone not in found:
            found.append(zone)

    if wanted in by_folded:
        # Only the case was wrong: that is the one answer.
        return [by_folded[wanted]]
    for zone in zones:
        if _fold(zone.rsplit("/", 1)[-1]) == wanted.rsplit("/", 1)[-1]:
            add(zone)
    for match in difflib.get_close_matches(wanted, list(by_folded), n=limit, cutoff=0.75):
        add(by_folded[match])
    cities: dict[str, list[str]] = {}
    for zone in zones:
        cities.setdefault(_fold(zone.rsplit("/", 1)[-1]), []).append(zone)
    city = wanted.rsplit("/", 1)[-1]
    for match in difflib.get_close_matches(city, list(cities), n=limit, cutoff=0.75):
        for zone in cities[match]:
            add(zone)
    return found[:limit]


def zone(name: str) -> ZoneInfo:
    """The IANA timezone `name` (exact spelling), or `InvalidInput("timezone", ...)`."""
    if name in _known_zones():
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed but unreadable
            pass
    hints = suggest_timezones(name)
    hint = f" Did you mean {' or '.join(hints)}?" if hints else ""
    raise InvalidInput(
        "timezone",
        f"unknown timezone {name!r}.{hint} Use an IANA name such as Europe/London "
        "or America/New_York.",
    )


# --- parsing --------------------------------------------------------------------------


def _offset_text(offset: timedelta | None) -> str:
    total = int((offset or timedelta(0)).total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


def _parse_offset(text: str, field: str) -> timedelta:
    if text.upper() == "Z":
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise InvalidInput(field, f"{text!r} is not a UTC offset (use e.g. +01:00 or -05:00)")
    return sign * timedelta(hours=hours, minutes=minutes)


def _wall(moment: datetime) -> tuple[int, int, int, int, int]:
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute)


def _short(moment: datetime) -> str:
    """Minutes, as admins type them; seconds only when there are any. (What
    `strftime("%Y-%m-%d %H:%M[:%S]")` writes, at a third of its cost: `ratmas jobs`
    formats two per phase.)"""
    m = moment
    text = f"{m.year}-{m.month:02d}-{m.day:02d} {m.hour:02d}:{m.minute:02d}"
    return f"{text}:{m.second:02d}" if m.second else text


def _transition_instant(earlier: datetime, later: datetime, tz: tzinfo) -> datetime:
    """The first UTC instant in (earlier, later] whose offset in `tz` differs from
    `earlier`'s. Offsets change once in such a short span: bisect to the second."""
    before = earlier.astimezone(tz).utcoffset()
    lo, hi = earlier, later
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def local_to_utc(text: str, timezone: str, *, field: str = "date") -> datetime:
    """Read an admin's local wall-clock time in `timezone` as an aware UTC instant.

    Accepts `YYYY-MM-DD HH:MM` or `YYYY-MM-DDTHH:MM`, optionally followed by a UTC
    offset (`+01:00`, `-0500`, `Z`) that picks one reading of an ambiguous time. A time
    in a spring-forward gap, or an ambiguous one without an offset, is refused (see the
    module docstring). Errors are `InvalidInput(field, ...)`.
    """
    tz = zone(timezone)
    match = _LOCAL.match(text)
    if match is None:
        raise InvalidInput(
            field,
            f"{text.strip()!r} is not a date and time; use {INPUT_FORMAT} "
            "(24-hour clock, in the event's timezone), e.g. 2026-12-24 18:00",
        )
    parts = {k: int(v or 0) for k, v in match.groupdict().items() if k != "offset"}
    if not EARLIEST.year <= parts["year"] <= LATEST.year:
        raise InvalidInput(
            field, f"{text.strip()!r} is out of range: dates must be {SUPPORTED_RANGE}"
        )
    try:
        first = datetime(
            parts["year"],
            parts["month"],
            parts["day"],
            parts["hour"],
            parts["minute"],
            parts["second"],
            tzinfo=tz,
            fold=0,
        )
    except ValueError as error:
        raise InvalidInput(
            field, f"{text.strip()!r} is not a valid date and time: {error}"
        ) from None
    second = first.replace(fold=1)
    shown = _short(first)

    readings = [m for m in (first, second) if _wall(m.astimezone(UTC).astimezone(tz)) == _wall(m)]
    if not readings:
        # fold=1 reads the wall time with the offset after the jump, fold=0 with the one
        # before: the jump lies between the two instants.
        jump = _transition_instant(second.astimezone(UTC), first.astimezone(UTC), tz)
        last_before = (jump - timedelta(minutes=1)).astimezone(tz)
        first_after = jump.astimezone(tz)
        from_wall = jump.astimezone(UTC) + (last_before.utcoffset() or timedelta(0))
        raise InvalidInput(
            field,
            f"{shown} does not exist in {timezone}: the clocks jump from "
            f"{from_wall.strftime('%H:%M')} to {first_after.strftime('%H:%M')} that night. "
            f"The nearest valid times are {_short(last_before)} and {_short(first_after)}.",
        )

    distinct = {r.utcoffset(): r for r in readings}
    offset_text = match.group("offset")
    if offset_text is not None:
        wanted = _parse_offset(offset_text, field)
        if wanted not in distinct:
            valid = " or ".join(_offset_text(o) for o in distinct)
            raise InvalidInput(
                field,
                f"{shown}{offset_text} does not match {timezone}, which is at UTC{valid} "
                f"at {shown}; drop the offset or use {valid}",
            )
        return check_instant(distinct[wanted], field)

    if len(distinct) > 1:
        early, late = first, second
        raise InvalidInput(
            field,
            f"{shown} happens twice in {timezone} (the clocks go back that night). "
            f"Add the UTC offset to choose: {shown}{_offset_text(early.utcoffset())} "
            f"(the first, {early.tzname()}) or {shown}{_offset_text(late.utcoffset())} "
            f"(the second, {late.tzname()}).",
        )
    return check_instant(readings[0], field)


# --- range, ordering and the past -----------------------------------------------------


def check_instant(moment: datetime, field: str) -> datetime:
    """An aware instant in UTC within the supported years, else `InvalidInput(field)`."""
    value = _require_aware(moment, field)
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput(
            field, f"{value.isoformat()} is out of range: dates must be {SUPPORTED_RANGE}"
        )
    return value


def _require_aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is UTC:  # what the repository returns: nothing to convert
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field} must be an aware datetime, got a naive one")
    return moment.astimezone(UTC)


def check_order(dates: EventDates, *, timezone: str = "UTC") -> EventDates:
    """The three instants in range and in order, returned in UTC.

    Refused (`InvalidInput` naming the field): an instant outside the supported years;
    a purchase deadline not after the start; a reveal not after the deadline. Times in
    the messages are shown in `timezone`. Imports check stored events with this (their
    dates may have passed); `check_dates` adds the rule about the past."""
    values = {name: check_instant(getattr(dates, name), name) for name in DATE_FIELDS}
    for earlier, later in itertools.pairwise(DATE_FIELDS):
        if values[later] <= values[earlier]:
            raise InvalidInput(
                later,
                f"must be after {_FIELD_LABELS[earlier]} "
                f"({format_local(values[earlier], timezone)}); "
                f"got {format_local(values[later], timezone)}",
            )
    return EventDates(
        starts_at=values["starts_at"],
        purchase_deadline=values["purchase_deadline"],
        reveal_at=values["reveal_at"],
    )


def check_dates(
    dates: EventDates,
    *,
    now: datetime,
    timezone: str = "UTC",
    previous: EventDates | None = None,
) -> EventDates:
    """Validate the three instants of a season and return them in UTC.

    Refused (`InvalidInput` naming the field): a date in the past or at `now`, unless it
    is unchanged from `previous` (a reschedule keeps a start that already happened);
    then everything `check_order` refuses. Times in the messages are shown in `timezone`.
    """
    current = _require_aware(now, "now")
    values = {name: check_instant(getattr(dates, name), name) for name in DATE_FIELDS}
    old = (
        {name: _require_aware(getattr(previous, name), name) for name in DATE_FIELDS}
        if previous is not None
        else {}
    )
    for name in DATE_FIELDS:
        value = values[name]
        if value <= current and old.get(name) != value:
            raise InvalidInput(
                name,
                f"{format_local(value, timezone)} is in the past (it is now "
                f"{format_local(current, timezone)}); choose a later time",
            )
    return check_order(dates, timezone=timezone)


def parse_event_dates(
    starts_at: str,
    purchase_deadline: str,
    reveal_at: str,
    *,
    timezone: str,
    now: datetime,
    previous: EventDates | None = None,
) -> EventDates:
    """Build an event's dates from an admin's local times in `timezone`.

    Each text goes through `local_to_utc` (errors name its field), then `check_dates`.
    """
    zone(timezone)
    return check_dates(
        EventDates(
            starts_at=local_to_utc(starts_at, timezone, field="starts_at"),
            purchase_deadline=local_to_utc(purchase_deadline, timezone, field="purchase_deadline"),
            reveal_at=local_to_utc(reveal_at, timezone, field="reveal_at"),
        ),
        now=now,
        timezone=timezone,
        previous=previous,
    )


# --- display --------------------------------------------------------------------------


def format_local(instant: datetime, timezone: str) -> str:
    """`2026-12-24 18:00 GMT (UTC+00:00)`: the instant on the event's wall clock.

    Zones without a letter abbreviation show only the offset:
    `2026-12-24 18:00 (UTC+11:00)`."""
    local = _require_aware(instant, "instant").astimezone(zone(timezone))
    name = local.tzname() or ""
    label = f" {name}" if name[:1].isalpha() and name != "UTC" else ""
    return f"{_short(local)}{label} (UTC{_offset_text(local.utcoffset())})"


def format_utc(instant: datetime) -> str:
    """`2026-12-24 18:00 UTC`."""
    return f"{_short(_require_aware(instant, 'instant'))} UTC"


def iso_local(instant: datetime, timezone: str) -> str:
    """ISO-8601 in the event's timezone with its offset, for machines."""
    return _require_aware(instant, "instant").astimezone(zone(timezone)).isoformat()


DiscordStyle = Literal["t", "T", "d", "D", "f", "F", "R"]


def discord_timestamp(instant: datetime, style: DiscordStyle = "F") -> str:
    """`<t:unix:F>`: Discord renders it in each reader's own timezone (`R`: "in 2 days")."""
    if style not in ("t", "T", "d", "D", "f", "F", "R"):
        raise ValueError(f"unknown Discord timestamp style {style!r}")
    return f"<t:{int(_require_aware(instant, 'instant').timestamp())}:{style}>"


_UNITS: Final = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def format_duration(delta: timedelta, *, parts: int = 2) -> str:
    """`2 d 3 h`: the largest `parts` units of a duration, truncated, sign dropped."""
    remaining = abs(int(delta.total_seconds()))
    shown: list[str] = []
    for unit, seconds in _UNITS:
        amount, remaining = divmod(remaining, seconds)
        if amount or shown:
            if amount:
                shown.append(f"{amount} {unit}")
            if len(shown) == parts or (shown and not amount):
                break
    return " ".join(shown) or "0 s"


def relative(due: datetime, now: datetime) -> str:
    """`in 2 d 3 h`, `5 min ago` or `now` (within a second)."""
    delta = _require_aware(due, "due") - _require_aware(now, "now")
    if abs(delta) < timedelta(seconds=1):
        return "now"
    text = format_duration(delta)
    return f"in {text}" if delta > timedelta(0) else f"{text} ago"
