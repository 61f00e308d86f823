"""Local wall-clock input -> aware UTC: DST gaps and overlaps, order, the past, display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ratmas.domain.dates import (
    check_dates,
    check_order,
    discord_timestamp,
    format_duration,
    format_local,
    format_utc,
    iso_local,
    local_to_utc,
    parse_event_dates,
    relative,
    suggest_timezones,
    zone,
)
from ratmas.domain.errors import InvalidInput
from ratmas.domain.model import EventDates


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


NOW = utc(2026, 1, 10, 12, 0)


def refused(text: str, timezone: str, field: str = "starts_at") -> str:
    with pytest.raises(InvalidInput) as error:
        local_to_utc(text, timezone, field=field)
    assert error.value.field == field
    return str(error.value)


# --- DST edges, one zone at a time ----------------------------------------------------
# (zone, gap wall time, (clock jumps from, to), nearest before, nearest after)
GAPS = [
    (
        "Europe/London",
        "2026-03-29 01:30",
        ("01:00", "02:00"),
        "2026-03-29 00:59",
        "2026-03-29 02:00",
    ),
    (
        "America/New_York",
        "2026-03-08 02:30",
        ("02:00", "03:00"),
        "2026-03-08 01:59",
        "2026-03-08 03:00",
    ),
    (
        "Pacific/Auckland",
        "2026-09-27 02:30",
        ("02:00", "03:00"),
        "2026-09-27 01:59",
        "2026-09-27 03:00",
    ),
    (
        "Australia/Lord_Howe",
        "2026-10-04 02:15",
        ("02:00", "02:30"),
        "2026-10-04 01:59",
        "2026-10-04 02:30",
    ),
]


@pytest.mark.parametrize(("tz", "wall", "jump", "before", "after"), GAPS)
def test_time_in_a_spring_forward_gap_is_refused(
    tz: str, wall: str, jump: tuple[str, str], before: str, after: str
) -> None:
    message = refused(wall, tz)
    assert f"{wall} does not exist in {tz}" in message
    assert f"jump from {jump[0]} to {jump[1]}" in message
    assert f"nearest valid times are {before} and {after}" in message
    # The suggested times are themselves accepted, and one minute apart in UTC.
    first = local_to_utc(before, tz)
    second = local_to_utc(after, tz)
    assert second - first == timedelta(minutes=1)


@pytest.mark.parametrize(("tz", "wall", "jump", "before", "after"), GAPS)
def test_gap_edges_are_not_shifted(
    tz: str, wall: str, jump: tuple[str, str], before: str, after: str
) -> None:
    day = wall[:10]
    # The first minute of the gap is refused, the jump's target accepted as typed.
    refused(f"{day} {jump[0]}", tz)
    assert local_to_utc(after, tz).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") == after


# (zone, ambiguous wall time, offset of the first reading, of the second, their names)
OVERLAPS = [
    ("Europe/London", "2026-10-25 01:30", "+01:00", "+00:00", ("BST", "GMT")),
    ("America/New_York", "2026-11-01 01:30", "-04:00", "-05:00", ("EDT", "EST")),
    ("Pacific/Auckland", "2026-04-05 02:30", "+13:00", "+12:00", ("NZDT", "NZST")),
    ("Australia/Lord_Howe", "2026-04-05 01:45", "+11:00", "+10:30", ("+11", "+1030")),
]


@pytest.mark.parametrize(("tz", "wall", "first", "second", "names"), OVERLAPS)
def test_ambiguous_time_is_refused_without_an_offset(
    tz: str, wall: str, first: str, second: str, names: tuple[str, str]
) -> None:
    message = refused(wall, tz)
    assert f"{wall} happens twice in {tz}" in message
    assert f"{wall}{first} (the first, {names[0]})" in message
    assert f"{wall}{second} (the second, {names[1]})" in message


@pytest.mark.parametrize(("tz", "wall", "first", "second", "names"), OVERLAPS)
def test_ambiguous_time_resolved_by_its_offset(
    tz: str, wall: str, first: str, second: str, names: tuple[str, str]
) -> None:
    early = local_to_utc(f"{wall}{first}", tz)
    late = local_to_utc(f"{wall}{second}", tz)
    assert early.tzinfo is UTC
    assert late - early == (
        timedelta(minutes=30) if tz == "Australia/Lord_Howe" else timedelta(hours=1)
    )
    # Both are the typed wall time on the zone's clock.
    for moment in (early, late):
        assert moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") == wall
    # "T" separator and compact offsets are the same thing.
    assert local_to_utc(f"{wall.replace(' ', 'T')}{first.replace(':', '')}", tz) == early


@pytest.mark.parametrize(("tz", "wall", "first", "second", "names"), OVERLAPS)
def test_an_offset_the_zone_does_not_use_is_refused(
    tz: str, wall: str, first: str, second: str, names: tuple[str, str]
) -> None:
    message = refused(f"{wall}+05:45", tz)
    assert f"does not match {tz}" in message
    assert f"use {first} or {second}" in message


# Normal times either side of each transition: (zone, local wall time, expected UTC).
NORMAL = [
    ("Europe/London", "2026-03-29 00:30", utc(2026, 3, 29, 0, 30)),
    ("Europe/London", "2026-03-29 02:30", utc(2026, 3, 29, 1, 30)),
    ("Europe/London", "2026-10-25 00:30", utc(2026, 10, 24, 23, 30)),
    ("Europe/London", "2026-10-25 02:30", utc(2026, 10, 25, 2, 30)),
    ("America/New_York", "2026-03-08 01:30", utc(2026, 3, 8, 6, 30)),
    ("America/New_York", "2026-03-08 03:30", utc(2026, 3, 8, 7, 30)),
    ("America/New_York", "2026-11-01 00:30", utc(2026, 11, 1, 4, 30)),
    ("America/New_York", "2026-11-01 02:30", utc(2026, 11, 1, 7, 30)),
    ("Pacific/Auckland", "2026-09-27 01:30", utc(2026, 9, 26, 13, 30)),
    ("Pacific/Auckland", "2026-09-27 03:30", utc(2026, 9, 26, 14, 30)),
    ("Pacific/Auckland", "2026-04-05 01:30", utc(2026, 4, 4, 12, 30)),
    ("Pacific/Auckland", "2026-04-05 03:30", utc(2026, 4, 4, 15, 30)),
    ("Australia/Lord_Howe", "2026-10-04 01:45", utc(2026, 10, 3, 15, 15)),
    ("Australia/Lord_Howe", "2026-10-04 02:45", utc(2026, 10, 3, 15, 45)),
    ("Australia/Lord_Howe", "2026-04-05 01:15", utc(2026, 4, 4, 14, 15)),
    ("Australia/Lord_Howe", "2026-04-05 02:15", utc(2026, 4, 4, 15, 45)),
]


@pytest.mark.parametrize(("tz", "wall", "expected"), NORMAL)
def test_normal_times_either_side(tz: str, wall: str, expected: datetime) -> None:
    got = local_to_utc(wall, tz)
    assert got == expected
    assert got.tzinfo is UTC
    # An offset that agrees with the zone is accepted and changes nothing.
    offset = got.astimezone(ZoneInfo(tz)).strftime("%z")
    assert local_to_utc(f"{wall}{offset}", tz) == expected


# --- parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2026-12-24 18:00", "2026-12-24T18:00", "  2026-12-24   18:00 ", "2026-12-24t18:00"]
)
def test_accepted_spellings(text: str) -> None:
    assert local_to_utc(text, "Europe/London") == utc(2026, 12, 24, 18, 0)


def test_z_suffix_only_where_the_zone_is_at_utc() -> None:
    assert local_to_utc("2026-12-24 18:00Z", "Europe/London") == utc(2026, 12, 24, 18, 0)
    assert "does not match" in refused("2026-07-24 18:00Z", "Europe/London")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tomorrow", "use YYYY-MM-DD HH:MM"),
        ("24/12/2026 18:00", "use YYYY-MM-DD HH:MM"),
        ("2026-12-24", "use YYYY-MM-DD HH:MM"),
        ("2026-12-24 6pm", "use YYYY-MM-DD HH:MM"),
        ("2026-02-30 10:00", "not a valid date and time"),
        ("2026-12-24 24:00", "not a valid date and time"),
        ("2026-12-24 18:60", "not a valid date and time"),
        ("2026-12-24 18:00+25:00", "not a UTC offset"),
    ],
)
def test_malformed_input_names_the_field(text: str, problem: str) -> None:
    assert problem in refused(text, "Europe/London", field="reveal_at")


# --- timezones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("london", "Europe/London"),
        ("London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("EUROPE/LONDON", "Europe/London"),
        ("new york", "America/New_York"),
        ("new_york", "America/New_York"),
        ("Europe/Londn", "Europe/London"),
        ("Lord Howe", "Australia/Lord_Howe"),
        ("auckland", "Pacific/Auckland"),
    ],
)
def test_unknown_timezone_suggests_close_names(typed: str, suggested: str) -> None:
    assert suggested in suggest_timezones(typed)
    with pytest.raises(InvalidInput) as error:
        zone(typed)
    assert error.value.field == "timezone"
    assert f"unknown timezone {typed!r}" in str(error.value)
    assert suggested in str(error.value)


def test_a_case_slip_suggests_exactly_one_name() -> None:
    assert suggest_timezones("america/new_york") == ["America/New_York"]


@pytest.mark.parametrize("typed", ["xyzzy", "", " ", "../etc/passwd", "/etc/localtime"])
def test_nonsense_timezones_refused(typed: str) -> None:
    with pytest.raises(InvalidInput, match=r"^timezone: unknown timezone .*IANA name"):
        zone(typed)


def test_bad_timezone_refused_when_parsing() -> None:
    with pytest.raises(InvalidInput) as error:
        local_to_utc("2026-12-24 18:00", "Mars/Olympus", field="starts_at")
    assert error.value.field == "timezone"


def test_known_timezones() -> None:
    assert zone("Europe/London") == ZoneInfo("Europe/London")
    assert zone("UTC") == ZoneInfo("UTC")


# --- order and the past ---------------------------------------------------------------


def test_event_dates_from_local_times() -> None:
    dates = parse_event_dates(
        "2026-12-01 18:00",
        "2026-12-20 23:59",
        "2026-12-24T19:00",
        timezone="America/New_York",
        now=NOW,
    )
    assert dates == EventDates(
        starts_at=utc(2026, 12, 1, 23, 0),
        purchase_deadline=utc(2026, 12, 21, 4, 59),
        reveal_at=utc(2026, 12, 25, 0, 0),
    )


@pytest.mark.parametrize(
    ("texts", "field", "problem"),
    [
        (
            ("2026-12-20 18:00", "2026-12-01 18:00", "2026-12-24 18:00"),
            "purchase_deadline",
            "must be after the start (2026-12-20 18:00 GMT (UTC+00:00)); "
            "got 2026-12-01 18:00 GMT (UTC+00:00)",
        ),
        (
            ("2026-12-01 18:00", "2026-12-01 18:00", "2026-12-24 18:00"),
            "purchase_deadline",
            "must be after the start",
        ),
        (
            ("2026-12-01 18:00", "2026-12-24 18:00", "2026-12-20 18:00"),
            "reveal_at",
            "must be after the purchase deadline (2026-12-24 18:00 GMT (UTC+00:00))",
        ),
        (
            ("2026-12-01 18:00", "2026-12-24 18:00", "2026-12-24 18:00"),
            "reveal_at",
            "must be after the purchase deadline",
        ),
    ],
)
def test_order_is_enforced(texts: tuple[str, str, str], field: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_event_dates(*texts, timezone="Europe/London", now=NOW)
    assert error.value.field == field
    assert problem in error.value.problem


def test_parse_errors_name_their_field() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_event_dates(
            "2026-12-01 18:00", "2026-03-29 01:30", "x", timezone="Europe/London", now=NOW
        )
    assert error.value.field == "purchase_deadline"
    assert "does not exist" in error.value.problem


@pytest.mark.parametrize("field", ["starts_at", "purchase_deadline", "reveal_at"])
def test_a_new_date_in_the_past_is_refused(field: str) -> None:
    values = {
        "starts_at": utc(2026, 2, 1),
        "purchase_deadline": utc(2026, 2, 2),
        "reveal_at": utc(2026, 2, 3),
    }
    now = values[field]  # exactly now counts as the past: it could never be scheduled
    with pytest.raises(InvalidInput) as error:
        check_dates(EventDates(**values), now=now, timezone="Europe/London")
    assert error.value.field == "starts_at"  # the earliest offending date is named
    assert "is in the past (it is now" in error.value.problem


def test_past_message_uses_the_event_timezone() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_event_dates(
            "2026-01-01 10:00",
            "2026-12-20 18:00",
            "2026-12-24 18:00",
            timezone="Pacific/Auckland",
            now=NOW,
        )
    assert error.value.problem == (
        "2026-01-01 10:00 NZDT (UTC+13:00) is in the past "
        "(it is now 2026-01-11 01:00 NZDT (UTC+13:00)); choose a later time"
    )


def test_reschedule_keeps_dates_that_already_passed() -> None:
    previous = EventDates(utc(2026, 1, 1), utc(2026, 1, 20), utc(2026, 1, 24))
    moved = EventDates(utc(2026, 1, 1), utc(2026, 1, 21), utc(2026, 1, 25))
    assert check_dates(moved, now=NOW, previous=previous) == moved
    # ...but a changed date must still be in the future.
    earlier = EventDates(utc(2026, 1, 2), utc(2026, 1, 21), utc(2026, 1, 25))
    with pytest.raises(InvalidInput, match=r"^starts_at: .* is in the past"):
        check_dates(earlier, now=NOW, previous=previous)


def test_dates_come_back_in_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    dates = EventDates(
        datetime(2026, 2, 1, 9, tzinfo=tokyo),
        datetime(2026, 2, 2, 9, tzinfo=tokyo),
        datetime(2026, 2, 3, 9, tzinfo=tokyo),
    )
    checked = check_dates(dates, now=NOW)
    assert checked.starts_at == utc(2026, 2, 1, 0, 0)
    assert checked.starts_at.tzinfo is UTC


def test_naive_datetimes_are_a_programming_error() -> None:
    naive = datetime(2026, 2, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="aware"):
        check_dates(EventDates(naive, naive, naive), now=NOW)
    with pytest.raises(ValueError, match="aware"):
        format_utc(naive)


# --- display --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "tz", "shown", "iso"),
    [
        (
            utc(2026, 12, 24, 18),
            "Europe/London",
            "2026-12-24 18:00 GMT (UTC+00:00)",
            "2026-12-24T18:00:00+00:00",
        ),
        (
            utc(2026, 7, 1, 18),
            "Europe/London",
            "2026-07-01 19:00 BST (UTC+01:00)",
            "2026-07-01T19:00:00+01:00",
        ),
        (
            utc(2026, 11, 1, 6, 30),
            "America/New_York",
            "2026-11-01 01:30 EST (UTC-05:00)",
            "2026-11-01T01:30:00-05:00",
        ),
        (
            utc(2026, 11, 1, 5, 30),
            "America/New_York",
            "2026-11-01 01:30 EDT (UTC-04:00)",
            "2026-11-01T01:30:00-04:00",
        ),
        (
            utc(2026, 12, 24, 18),
            "Australia/Lord_Howe",
            "2026-12-25 05:00 (UTC+11:00)",
            "2026-12-25T05:00:00+11:00",
        ),
        (
            utc(2026, 7, 1, 18),
            "Australia/Lord_Howe",
            "2026-07-02 04:30 (UTC+10:30)",
            "2026-07-02T04:30:00+10:30",
        ),
        (utc(2026, 12, 24, 18), "UTC", "2026-12-24 18:00 (UTC+00:00)", "2026-12-24T18:00:00+00:00"),
    ],
)
def test_format_local(instant: datetime, tz: str, shown: str, iso: str) -> None:
    assert format_local(instant, tz) == shown
    assert iso_local(instant, tz) == iso
    assert datetime.fromisoformat(iso) == instant


def test_format_utc_and_discord() -> None:
    instant = utc(2026, 12, 24, 18)
    assert format_utc(instant) == "2026-12-24 18:00 UTC"
    assert discord_timestamp(instant) == "<t:1798135200:F>"
    assert discord_timestamp(instant, "R") == "<t:1798135200:R>"
    same = datetime(2026, 12, 25, 3, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert discord_timestamp(same) == "<t:1798135200:F>"
    with pytest.raises(ValueError, match="style"):
        discord_timestamp(instant, "X")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=2, hours=3), "2 d 3 h"),
        (timedelta(days=2, hours=3, minutes=59), "2 d 3 h"),
        (timedelta(days=2, minutes=5), "2 d"),
        (timedelta(hours=1, minutes=1, seconds=1), "1 h 1 min"),
        (timedelta(minutes=5, seconds=30), "5 min 30 s"),
        (timedelta(seconds=42), "42 s"),
        (timedelta(days=400), "400 d"),
        (timedelta(0), "0 s"),
        (-timedelta(hours=3), "3 h"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


def test_relative() -> None:
    now = utc(2026, 12, 1)
    assert relative(now + timedelta(days=2, hours=3), now) == "in 2 d 3 h"
    assert relative(now - timedelta(minutes=5), now) == "5 min ago"
    assert relative(now + timedelta(milliseconds=300), now) == "now"


def test_seconds_are_optional() -> None:
    from ratmas.domain.dates import local_to_utc as to_utc

    assert to_utc("2026-12-24 18:00:30", "Europe/London") == datetime(
        2026, 12, 24, 18, 0, 30, tzinfo=UTC
    )
    assert to_utc("2026-12-24T18:00", "Europe/London").second == 0


def test_formats_show_seconds_only_when_there_are_any() -> None:
    from ratmas.domain.dates import format_local, format_utc

    assert format_utc(datetime(2026, 12, 24, 18, 0, tzinfo=UTC)) == "2026-12-24 18:00 UTC"
    with_seconds = datetime(2026, 12, 24, 18, 0, 30, tzinfo=UTC)
    assert format_utc(with_seconds) == "2026-12-24 18:00:30 UTC"
    assert format_local(with_seconds, "Europe/London") == "2026-12-24 18:00:30 GMT (UTC+00:00)"


@pytest.mark.parametrize(
    ("text", "tz"),
    [
        ("9999-12-31 23:59", "Pacific/Kiritimati"),
        ("0001-01-01 00:00", "America/Los_Angeles"),
        ("1999-12-31 23:00", "UTC"),
        ("2200-01-01 00:00", "UTC"),
        # In the supported years locally, before them in UTC.
        ("2000-01-01 00:30", "Pacific/Kiritimati"),
    ],
)
def test_dates_out_of_range_name_the_field_and_the_range(text: str, tz: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        local_to_utc(text, tz, field="starts_at")
    assert raised.value.field == "starts_at"
    assert "between 2000-01-01 and 2199-12-31" in raised.value.problem


def test_stored_dates_are_checked_for_range_and_order_without_the_past_rule() -> None:
    past = EventDates(
        datetime(2020, 12, 1, tzinfo=UTC),
        datetime(2020, 12, 10, tzinfo=UTC),
        datetime(2020, 12, 24, tzinfo=UTC),
    )
    assert check_order(past) == past
    with pytest.raises(InvalidInput) as raised:
        check_order(EventDates(past.starts_at, past.starts_at, past.starts_at))
    assert raised.value.field == "purchase_deadline"
    with pytest.raises(InvalidInput) as raised:
        check_order(EventDates(datetime(1, 1, 1, tzinfo=UTC), past.starts_at, past.reveal_at))
    assert raised.value.field == "starts_at"
