"""An event as JSON, for archival and for admins (`/ratmas-admin export`, `ratmas export`),
and back (`ratmas import`, e.g. to move a guild from SQLite to PostgreSQL). A guild's
export holds every event of the guild and its households (which belong to the guild, not
to an event, so an event's export leaves them out).

Discord ids are strings (they do not fit a JavaScript number); times are ISO-8601 in
UTC. The export contains the pairings: it is only ever handed to admins, ephemerally.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from ratmas.domain.dates import SUPPORTED_RANGE, check_instant, check_order, zone
from ratmas.domain.errors import InvalidInput, InvalidPairings, NotFound
from ratmas.domain.limits import (
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
    Household,
    Pairing,
    Participant,
    ReminderDays,
)
from ratmas.domain.pairing import check_draw
from ratmas.domain.reminders import check_reminder_days
from ratmas.domain.status import EventStatus
from ratmas.services.households import MAX_HOUSEHOLD_MEMBERS
from ratmas.services.participants import MAX_NAME_LENGTH, validate_wishlist
from ratmas.services.ports import EventRepository

FORMAT = "ratmas-export/1"


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


async def export_event(repo: EventRepository, event_id: int) -> dict[str, Any]:
    """Everything stored about one event."""
    event = await repo.get_event(event_id)
    if event is None:
        raise NotFound(f"There is no event {event_id}.")
    return {
        "format": FORMAT,
        "event": {
            "id": event.id,
            "guild_id": _id(event.guild_id),
            "status": event.status.value,
            "timezone": event.timezone,
            "starts_at": _time(event.dates.starts_at),
            "purchase_deadline": _time(event.dates.purchase_deadline),
            "reveal_at": _time(event.dates.reveal_at),
            "announcement_channel_id": _id(event.announcement_channel_id),
            "participant_role_id": _id(event.participant_role_id),
            "manager_role_id": _id(event.manager_role_id),
            "created_by": _id(event.created_by),
            "held_reason": event.held_reason,
            "announced_status": event.announced_status.value if event.announced_status else None,
            "cancel_reason": event.cancel_reason,
            "created_at": _time(event.created_at),
            "updated_at": _time(event.updated_at),
            "wishlist_reminder_days": event.reminder_days.wishlist,
            "gift_reminder_days": event.reminder_days.gift,
            "reminded_wishlist_at": _time(event.reminded_wishlist_at),
            "reminded_gift_at": _time(event.reminded_gift_at),
            "budget": event.budget,
        },
        "participants": [
            {
                "user_id": _id(p.user_id),
                "display_name": p.display_name,
                "wishlist_url": p.wishlist_url,
                "notes": p.notes,
                "joined_at": _time(p.joined_at),
            }
            for p in await repo.list_participants(event.id)
        ],
        "exclusions": [
            {"user_id": _id(x.user_id), "excluded_user_id": _id(x.excluded_user_id)}
            for x in await repo.list_exclusions(event.id)
        ],
        "pairings": [
            {
                "santa_id": _id(p.santa_id),
                "recipient_id": _id(p.recipient_id),
                "notified_at": _time(p.notified_at),
                "attempts": p.attempts,
                "last_error_code": p.last_error_code,
                "last_error_text": p.last_error_text,
                "gift_sent_at": _time(p.gift_sent_at),
                "gift_received_at": _time(p.gift_received_at),
            }
            for p in await repo.list_pairings(event.id)
        ],
        "audit": [
            {"actor_id": _id(a.actor_id), "action": a.action, "detail": a.detail, "at": _time(a.at)}
            for a in await repo.list_audit(event.id)
        ],
    }


async def export_json(repo: EventRepository, event_id: int) -> str:
    return json.dumps(await export_event(repo, event_id), indent=2, ensure_ascii=False)


# --- import ---------------------------------------------------------------------------


async def export_guild(repo: EventRepository, guild_id: int) -> dict[str, Any]:
    """Every event of a guild, oldest first, and the guild's households, in one file
    that `ratmas import` reads back."""
    events = await repo.list_events(guild_id)
    return {
        "format": FORMAT,
        "guild_id": str(guild_id),
        "events": [await export_event(repo, e.id) for e in reversed(events)],
        "households": [
            {
                "members": [str(m) for m in h.members],
                "created_by": _id(h.created_by),
                "created_at": _time(h.created_at),
            }
            for h in await repo.list_households(guild_id)
        ],
    }


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


class _Fields:
    """Reads one event of an export, naming the event, the field and the value in
    every refusal: `event 7 of guild 123: participants[2].wishlist_url = 'ftp://x': …`."""

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
    f = _Fields(_label(raw, index))
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
    return EventSnapshot(event, participants, exclusions, pairings, audit)


def _participants(f: _Fields, items: list[Mapping[str, Any]]) -> tuple[Participant, ...]:
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
    f: _Fields, items: list[Mapping[str, Any]], enrolled: set[int]
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


def _pairings(
    f: _Fields, items: list[Mapping[str, Any]], enrolled: set[int]
) -> tuple[Pairing, ...]:
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


def snapshots_from_file(data: Any) -> list[EventSnapshot]:
    """One event's export, or a guild's (`{"events": [...]}`), read back, oldest first.

    Only the events: `read_export_file` also reads a guild file's households."""
    return _snapshots(data, households_follow=False)


def _snapshots(data: Any, *, households_follow: bool) -> list[EventSnapshot]:
    if isinstance(data, dict) and "events" in data:
        items = data["events"]
        if not isinstance(items, list):
            raise InvalidInput("import", f"events = {shown(items)}: expected a list of exports")
        if not items and not households_follow:
            raise InvalidInput("import", "events = []: the file holds no event to import")
        return [snapshot_from_export(item, index) for index, item in enumerate(items)]
    return [snapshot_from_export(data)]


@dataclass(frozen=True, slots=True)
class ExportFile:
    """What `ratmas import` stores from a file: its events, oldest first, and (a guild
    file's) the guild's households, in the file's order, ids 0."""

    snapshots: tuple[EventSnapshot, ...]
    households: tuple[Household, ...] = ()


def read_export_file(data: Any, *, now: datetime) -> ExportFile:
    """An export file read back: one event's, or a guild's with its households.

    Every field is checked before anything is stored, like `snapshots_from_file`; a
    household without `created_at` (the field is optional) counts as created `now`.
    A guild file may hold no event when it holds households."""
    guild_file = isinstance(data, dict) and "events" in data
    snapshots = _snapshots(data, households_follow=guild_file and bool(data.get("households")))
    return ExportFile(tuple(snapshots), _households(data, now) if guild_file else ())


def _households(data: Mapping[str, Any], now: datetime) -> tuple[Household, ...]:
    """A guild file's `households`: each 2 to `MAX_HOUSEHOLD_MEMBERS` distinct ids,
    nobody in two of them; absent in files written before households were exported."""
    if "households" not in data:
        return ()
    guild = data.get("guild_id")
    f = _Fields(
        f"guild {guild}"
        if isinstance(guild, str) and guild.isascii() and guild.isdigit() and len(guild) < 25
        else "the file"
    )
    items = f.objects(data, "households")
    if not items:
        return ()
    if "guild_id" not in data:
        raise f.fail("guild_id", None, "missing; the households belong to it", quote=False)
    guild_id = f.id("guild_id", guild)
    found: list[Household] = []
    placed: dict[int, int] = {}  # member -> index of their household in the file
    for i, item in enumerate(items):
        where = f"households[{i}]"
        listed = f.required(item, "members", where)
        allowed = f"expected a list of 2 to {MAX_HOUSEHOLD_MEMBERS} Discord ids"
        if not isinstance(listed, list):
            raise f.fail(f"{where}.members", listed, allowed)
        if not 2 <= len(listed) <= MAX_HOUSEHOLD_MEMBERS:
            raise f.fail(f"{where}.members", listed, f"{allowed}, got {len(listed)}")
        members: list[int] = []
        for j, value in enumerate(listed):
            path = f"{where}.members[{j}]"
            member = f.id(path, value)
            if member in members:
                raise f.fail(path, value, "listed twice in this household")
            if member in placed:
                raise f.fail(
                    path,
                    value,
                    f"already in households[{placed[member]}]; "
                    "a member is in one household at most",
                )
            members.append(member)
        placed.update(dict.fromkeys(members, i))
        found.append(
            Household(
                0,
                guild_id,
                tuple(sorted(members)),
                f.maybe_id(f"{where}.created_by", item.get("created_by")),
                f.maybe_instant(f"{where}.created_at", item.get("created_at")) or now,
            )
        )
    return tuple(found)


def _describe(event: Event, legacy_id: str | None = None) -> str:
    name = f"legacy event {legacy_id}" if legacy_id else f"event {event.id}"
    return f"{name} ({event.status})"


async def check_live_events(
    repo: EventRepository, snapshots: Sequence[EventSnapshot], *, replacing: Collection[int] = ()
) -> None:
    """Refuse a file that would give a guild a second live event, naming the guild and
    both events (the database's or the file's). `replacing`: event ids that the same
    transaction deletes first."""
    live_in_file: dict[int, EventSnapshot] = {}
    for snapshot in snapshots:
        event = snapshot.event
        if not event.status.is_live:
            continue
        existing = await repo.get_live_event(event.guild_id)
        if existing is not None and existing.id not in replacing:
            raise InvalidInput(
                "import",
                f"guild {event.guild_id} would get a second live event: "
                f"{_describe(event, snapshot.legacy_id)} of the file and "
                f"{_describe(existing)} already "
                "in the database; cancel or archive one first",
            )
        earlier = live_in_file.get(event.guild_id)
        if earlier is not None:
            raise InvalidInput(
                "import",
                f"guild {event.guild_id} would get a second live event: "
                f"{_describe(earlier.event, earlier.legacy_id)} and "
                f"{_describe(event, snapshot.legacy_id)} of the file are both live",
            )
        live_in_file[event.guild_id] = snapshot


async def new_households(
    repo: EventRepository, households: Sequence[Household]
) -> tuple[list[Household], list[Household]]:
    """Split a file's households into those to add and those its guild already has
    exactly (same members), which are kept as they are.

    A household that shares a member with another household of the guild is refused,
    naming the member and both households: the guild's households are never changed
    by an import (take the member out with `/ratmas-admin household remove` first)."""
    adding: list[Household] = []
    present: list[Household] = []
    stored: dict[int, list[Household]] = {}
    for index, household in enumerate(households):
        guild_id = household.guild_id
        if guild_id not in stored:
            stored[guild_id] = await repo.list_households(guild_id)
        same = [h for h in stored[guild_id] if set(h.members) == set(household.members)]
        if same:
            present.append(same[0])
            continue
        for member in household.members:
            for other in stored[guild_id]:
                if member in other.members:
                    raise InvalidInput(
                        "import",
                        f"guild {guild_id}: households[{index}]: member {member} is already "
                        f"in household {other.id} of this guild ({_listed(other.members)}); "
                        "a member is in one household at most: take them out of it "
                        "(`/ratmas-admin household remove`) or leave this household out of "
                        "the file; nothing was imported",
                    )
        adding.append(household)
    return adding, present


def _listed(members: Sequence[int]) -> str:
    return ", ".join(str(m) for m in members)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import stored: the events under their new ids, how many households it
    added and how many the guild already had exactly as the file has them."""

    events: list[Event]
    households_added: int = 0
    households_present: int = 0


async def import_file(repo: EventRepository, file: ExportFile) -> ImportReport:
    """Store exported events, each under a new id, and a guild file's households, all
    in one transaction or none.

    Refused before anything is stored: a live event whose guild already has a live
    one (in the database, or earlier in the same file), and a household sharing a
    member with another household of its guild (see `new_households`)."""
    await check_live_events(repo, file.snapshots)
    adding, present = await new_households(repo, file.households)
    events = await repo.restore_events(file.snapshots, households=adding)
    return ImportReport(events, len(adding), len(present))
