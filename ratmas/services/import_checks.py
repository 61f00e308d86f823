"""What an export file may contain, checked before anything is stored: its JSON text
(bounded, `read_json`, whose refusals name the file) and each of its events, field by
field (`snapshot_from_export`), with the rules the commands use. A refused field is
one `InvalidInput("import", ...)` naming the event, the field and the value.

The files are written by `ratmas.services.export`; `ratmas.services.imports` stores
what passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Final

from ratmas.domain.dates import SUPPORTED_RANGE, check_instant, check_order, zone
from ratmas.domain.errors import InvalidInput, InvalidPairings
from ratmas.domain.limits import (
    MAX_LEGACY_ID,
    check_id,
    check_int32,
    check_text,
    shown,
    validate_budget,
    validate_notes,
)
from ratmas.domain.model import (
    AuditEntry,
    Event,
    EventDates,
    EventSnapshot,
    Exclusion,
    Pairing,
    Participant,
    ReminderDays,
)
from ratmas.domain.pairing import check_draw
from ratmas.domain.reminders import check_reminder_days
from ratmas.domain.status import EventStatus
from ratmas.services.export import FORMAT
from ratmas.services.participants import MAX_NAME_LENGTH, validate_wishlist

# Bounds on what a file may contain before any field is looked at: deeper nesting or
# longer numbers than any export has are refused instead of exhausting the parser.
MAX_NESTING: Final = 32
MAX_NUMBER_LENGTH: Final = 24
MAX_REASON_LENGTH: Final = 2000
MAX_AUDIT_DETAIL_LENGTH: Final = 4000
MAX_ERROR_TEXT_LENGTH: Final = 1000
MAX_ACTION_LENGTH: Final = 40
MAX_TIMEZONE_LENGTH: Final = 64


def read_json(text: str, source: str = "file") -> Any:
    """Parse an export file's text: JSON without NaN or Infinity, nested at most
    `MAX_NESTING` deep, numbers of at most `MAX_NUMBER_LENGTH` characters.

    Anything else is `InvalidInput(source, ...)`, never a parser's own exception."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                raise InvalidInput(source, f"nested deeper than {MAX_NESTING} levels")
        elif char in "]}":
            depth -= 1

    def number(kind: type[int] | type[float]) -> Callable[[str], int | float]:
        def parse(literal: str) -> int | float:
            if len(literal) > MAX_NUMBER_LENGTH:
                raise InvalidInput(
                    source,
                    f"a number of {len(literal)} characters ({literal[:20]}...); "
                    f"at most {MAX_NUMBER_LENGTH}",
                )
            return kind(literal)

        return parse

    def constant(name: str) -> Any:
        raise InvalidInput(source, f"{name} is not a number JSON allows")

    try:
        return json.loads(
            text, parse_int=number(int), parse_float=number(float), parse_constant=constant
        )
    except json.JSONDecodeError as error:
        raise InvalidInput(source, f"not valid JSON: {error}") from None


class Fields:
    """Reads one event of an export (or a guild file's households), naming the event,
    the field and the value in every refusal:
    `event 7 of guild 123: participants[2].wishlist_url = 'ftp://x': …`."""

    def __init__(self, label: str) -> None:
        self.label = label

    def fail(self, path: str, value: Any, problem: str, *, quote: bool = True) -> InvalidInput:
        shows = f" = {shown(value)}" if quote else ""
        return InvalidInput("import", f"{self.label}: {path}{shows}: {problem}")

    def check[T](self, path: str, value: Any, rule: Callable[[Any], T], *, quote: bool = True) -> T:
        """`rule(value)`, its `InvalidInput` re-raised naming the event and the path
        (and the value, unless it is private: `quote=False`)."""
        try:
            return rule(value)
        except InvalidInput as error:
            raise self.fail(path, value, error.problem, quote=quote) from None

    def required(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in data:
            raise InvalidInput("import", f"{self.label}: {path}.{key} is missing")
        return data[key]

    def id(self, path: str, value: Any) -> int:
        return self.check(path, value, lambda v: check_id(v, path))

    def maybe_id(self, path: str, value: Any) -> int | None:
        return None if value is None else self.id(path, value)

    def instant(self, path: str, value: Any) -> datetime:
        return self.check(path, value, lambda v: check_instant(_iso(v, path), path))

    def maybe_instant(self, path: str, value: Any) -> datetime | None:
        return None if value is None else self.instant(path, value)

    def text(self, path: str, value: Any, max_length: int, *, allow_empty: bool = True) -> str:
        return self.check(
            path,
            value,
            lambda v: check_text(v, path, max_length=max_length, allow_empty=allow_empty),
        )

    def maybe_text(self, path: str, value: Any, max_length: int) -> str | None:
        return None if value is None else self.text(path, value, max_length)

    def days(self, path: str, value: Any) -> int:
        return self.check(path, value, lambda v: check_reminder_days(v, path))

    def status(self, path: str, value: Any) -> EventStatus:
        try:
            return EventStatus(value)
        except (ValueError, TypeError):
            allowed = ", ".join(s.value for s in EventStatus)
            raise self.fail(path, value, f"expected one of {allowed}") from None

    def objects(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        items = data.get(key, [])
        if not isinstance(items, list):
            raise self.fail(key, items, "expected a list of objects")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{index}]", item, "expected an object")
        return items


def _iso(value: Any, path: str) -> datetime:
    """An ISO-8601 time with its UTC offset, in UTC."""
    allowed = "expected an ISO-8601 time with its UTC offset, e.g. 2026-12-24T18:00:00+00:00"
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidInput(path, allowed)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(path, allowed) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput(path, allowed)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(path, f"out of range: dates must be {SUPPORTED_RANGE}") from None


def _label(raw: Mapping[str, Any], index: int | None) -> str:
    exported, guild = raw.get("id"), raw.get("guild_id")
    name = (
        f"event {exported}"
        if isinstance(exported, int) and not isinstance(exported, bool)
        else f"events[{index}]"
        if index is not None
        else "the event"
    )
    if isinstance(guild, str) and guild.isascii() and guild.isdigit() and len(guild) < 25:
        name += f" of guild {guild}"
    return name


def snapshot_from_export(data: Any, index: int | None = None) -> EventSnapshot:
    """Read one event of an export (`export_event`'s shape) back, checking every field
    with the rules the commands use: ids that fit BIGINT, counters that fit INT, text
    without control characters or lone surrogates, dates in range and in order, the
    wishlist, budget and notes rules, exclusions only between participants and never
    of oneself, pairings that are a draw of the participants.

    Bad input is one `InvalidInput("import", ...)` naming the event, the field and the
    value; nothing is stored."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        where = "the file" if index is None else f"events[{index}]"
        raise InvalidInput("import", f"{where}: not a Ratmas export (expected format {FORMAT!r})")
    raw = data.get("event")
    if not isinstance(raw, dict):
        where = "the file" if index is None else f"events[{index}]"
        raise InvalidInput("import", f"{where}: event = {shown(raw)}: expected an object")
    f = Fields(_label(raw, index))
    status = f.status("event.status", f.required(raw, "status", "event"))
    timezone = f.text("event.timezone", f.required(raw, "timezone", "event"), MAX_TIMEZONE_LENGTH)
    f.check("event.timezone", timezone, zone)
    announced = raw.get("announced_status", status.value)
    exported_id = raw.get("id")
    event = Event(
        id=0 if exported_id is None else f.id("event.id", exported_id),
        guild_id=f.id("event.guild_id", f.required(raw, "guild_id", "event")),
        status=status,
        dates=EventDates(
            f.instant("event.starts_at", f.required(raw, "starts_at", "event")),
            f.instant("event.purchase_deadline", f.required(raw, "purchase_deadline", "event")),
            f.instant("event.reveal_at", f.required(raw, "reveal_at", "event")),
        ),
        timezone=timezone,
        announcement_channel_id=f.maybe_id(
            "event.announcement_channel_id", raw.get("announcement_channel_id")
        ),
        participant_role_id=f.maybe_id("event.participant_role_id", raw.get("participant_role_id")),
        manager_role_id=f.maybe_id("event.manager_role_id", raw.get("manager_role_id")),
        created_by=f.maybe_id("event.created_by", raw.get("created_by")),
        held_reason=f.maybe_text("event.held_reason", raw.get("held_reason"), MAX_REASON_LENGTH),
        # Older exports carry no announced status: take the current one as announced.
        announced_status=f.status("event.announced_status", announced) if announced else None,
        cancel_reason=f.maybe_text(
            "event.cancel_reason", raw.get("cancel_reason"), MAX_REASON_LENGTH
        ),
        created_at=f.instant("event.created_at", f.required(raw, "created_at", "event")),
        updated_at=f.instant("event.updated_at", f.required(raw, "updated_at", "event")),
        # Exports older than reminders carry none: the event has none.
        reminder_days=ReminderDays(
            wishlist=f.days("event.wishlist_reminder_days", raw.get("wishlist_reminder_days", 0)),
            gift=f.days("event.gift_reminder_days", raw.get("gift_reminder_days", 0)),
        ),
        reminded_wishlist_at=f.maybe_instant(
            "event.reminded_wishlist_at", raw.get("reminded_wishlist_at")
        ),
        reminded_gift_at=f.maybe_instant("event.reminded_gift_at", raw.get("reminded_gift_at")),
        # Older exports have no budget (nor notes below): not set.
        budget=f.check("event.budget", raw.get("budget"), validate_budget),
    )
    try:
        event = replace(event, dates=check_order(event.dates, timezone=timezone))
    except InvalidInput as error:
        value = raw.get(error.field)
        raise f.fail(f"event.{error.field}", value, error.problem) from None
    participants = _participants(f, f.objects(data, "participants"))
    enrolled = {p.user_id for p in participants}
    exclusions = _exclusions(f, f.objects(data, "exclusions"), enrolled)
    pairings = _pairings(f, f.objects(data, "pairings"), enrolled)
    audit = tuple(
        AuditEntry(
            0,
            f.maybe_id(f"audit[{i}].actor_id", a.get("actor_id")),
            f.text(f"audit[{i}].action", a.get("action"), MAX_ACTION_LENGTH, allow_empty=False),
            f.text(f"audit[{i}].detail", a.get("detail") or "", MAX_AUDIT_DETAIL_LENGTH),
            f.instant(f"audit[{i}].at", a.get("at")),
        )
        for i, a in enumerate(f.objects(data, "audit"))
    )
    # Exports older than the legacy id carry none: the event came from nowhere known.
    legacy = raw.get("legacy_id")
    legacy_id = (
        None
        if legacy is None
        else f.check(
            "event.legacy_id",
            legacy,
            lambda v: check_text(v, "event.legacy_id", max_length=MAX_LEGACY_ID, allow_empty=False),
        )
    )
    return EventSnapshot(event, participants, exclusions, pairings, audit, legacy_id=legacy_id)


def _participants(f: Fields, items: list[Mapping[str, Any]]) -> tuple[Participant, ...]:
    found: dict[int, Participant] = {}
    for i, p in enumerate(items):
        where = f"participants[{i}]"
        user_id = f.id(f"{where}.user_id", f.required(p, "user_id", where))
        if user_id in found:
            raise f.fail(f"{where}.user_id", p["user_id"], "this participant appears twice")
        found[user_id] = Participant(
            0,
            user_id,
            f.text(
                f"{where}.display_name", p.get("display_name"), MAX_NAME_LENGTH, allow_empty=False
            ),
            f.check(f"{where}.wishlist_url", p.get("wishlist_url"), validate_wishlist),
            f.instant(f"{where}.joined_at", f.required(p, "joined_at", where)),
            # Private to the participant's santa: a refusal does not quote them.
            notes=f.check(f"{where}.notes", p.get("notes"), validate_notes, quote=False),
        )
    return tuple(found.values())


def _exclusions(
    f: Fields, items: list[Mapping[str, Any]], enrolled: set[int]
) -> tuple[Exclusion, ...]:
    found: dict[tuple[int, int], Exclusion] = {}
    for i, x in enumerate(items):
        where = f"exclusions[{i}]"
        user_id = f.id(f"{where}.user_id", x.get("user_id"))
        other_id = f.id(f"{where}.excluded_user_id", x.get("excluded_user_id"))
        for path, person in (
            (f"{where}.user_id", user_id),
            (f"{where}.excluded_user_id", other_id),
        ):
            if person not in enrolled:
                raise f.fail(path, str(person), "not a participant of this event")
        if user_id == other_id:
            raise f.fail(f"{where}.excluded_user_id", str(other_id), "nobody excludes themselves")
        if (user_id, other_id) in found:
            raise f.fail(where, f"{user_id} -> {other_id}", "this exclusion appears twice")
        found[(user_id, other_id)] = Exclusion(0, user_id, other_id)
    return tuple(found.values())


def _pairings(f: Fields, items: list[Mapping[str, Any]], enrolled: set[int]) -> tuple[Pairing, ...]:
    pairings = tuple(
        Pairing(
            0,
            f.id(f"pairings[{i}].santa_id", p.get("santa_id")),
            f.id(f"pairings[{i}].recipient_id", p.get("recipient_id")),
            f.maybe_instant(f"pairings[{i}].notified_at", p.get("notified_at")),
            None
            if p.get("last_error_code") is None
            else f.check(
                f"pairings[{i}].last_error_code",
                p["last_error_code"],
                lambda v: check_int32(v, "last_error_code"),
            ),
            f.maybe_text(
                f"pairings[{i}].last_error_text", p.get("last_error_text"), MAX_ERROR_TEXT_LENGTH
            ),
            f.check(
                f"pairings[{i}].attempts",
                p.get("attempts", 0),
                lambda v: check_int32(v, "attempts", minimum=0),
            ),
            # Files written before gift tracking have no marks: none were made.
            gift_sent_at=f.maybe_instant(f"pairings[{i}].gift_sent_at", p.get("gift_sent_at")),
            gift_received_at=f.maybe_instant(
                f"pairings[{i}].gift_received_at", p.get("gift_received_at")
            ),
        )
        for i, p in enumerate(items)
    )
    if pairings:
        try:
            check_draw({p.santa_id: p.recipient_id for p in pairings}, enrolled)
            if len({p.santa_id for p in pairings}) != len(pairings):
                raise InvalidPairings("a santa appears twice")
        except InvalidPairings as bad:
            raise InvalidInput(
                "import", f"{f.label}: pairings: not a permutation of the participants ({bad})"
            ) from None
    return pairings
