"""Bringing events over from the original TypeScript bot (`ratmas import-legacy`).

That bot kept its data in a Prisma SQLite file: `RatmasEvent`, `RatmasParticipant` and
`RatmasPairing` (see README, "Coming from the original bot"). `ratmas.persistence.legacy`
reads the rows as they are; this module maps them to events here, checking every
value with the rules the commands use (ids that fit BIGINT, dates in range and in order,
the wishlist rule, text without control characters), and stores them all in one
transaction or none.

The mapping:

- `open`, `locked` -> scheduled; `matched`, `notified` -> active, with the pairings and
  `notifiedAt` kept: santas never DMed are DMed by the next reconcile, nobody twice;
  `completed` -> archived; `cancelled` -> cancelled.
- Pairings name participants by `RatmasParticipant.id`; here they name Discord ids.
- Every event is taken as announced in its current status (the original bot announced
  it), so nothing is posted again.
- `eventEndDate` and `archivedCategoryId` have no counterpart here and are not kept.
- Each event remembers its legacy id: a second run stores nothing again.

A bad row is refused naming the table, the row id and the column, and nothing is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeGuard

from ratmas.domain.dates import (
    EARLIEST,
    LATEST,
    SUPPORTED_RANGE,
    check_instant,
    check_order,
    zone,
)
from ratmas.domain.errors import InvalidInput, InvalidPairings
from ratmas.domain.limits import MAX_LEGACY_ID, check_id, check_text, shown
from ratmas.domain.model import (
    AuditEntry,
    Event,
    EventDates,
    EventSnapshot,
    Pairing,
    Participant,
)
from ratmas.domain.pairing import check_draw
from ratmas.domain.status import EventStatus
from ratmas.services.imports import check_live_events
from ratmas.services.participants import MAX_NAME_LENGTH, validate_wishlist
from ratmas.services.ports import EventRepository

STATUSES: Final = {
    "open": EventStatus.SCHEDULED,
    "locked": EventStatus.SCHEDULED,
    "matched": EventStatus.ACTIVE,
    "notified": EventStatus.ACTIVE,
    "completed": EventStatus.ARCHIVED,
    "cancelled": EventStatus.CANCELLED,
}
EVENT_TABLE: Final = "RatmasEvent"
PARTICIPANT_TABLE: Final = "RatmasParticipant"
PAIRING_TABLE: Final = "RatmasPairing"
# The columns each table must have (those read; others are ignored).
COLUMNS: Final = {
    EVENT_TABLE: (
        "id",
        "guildId",
        "status",
        "ratmasRoleId",
        "eventStartDate",
        "purchaseDeadline",
        "revealDate",
        "timezone",
        "announcementChannelId",
        "createdAt",
        "updatedAt",
    ),
    PARTICIPANT_TABLE: (
        "id",
        "eventId",
        "userId",
        "guildId",
        "displayName",
        "wishlistUrl",
        "joinedAt",
    ),
    PAIRING_TABLE: ("id", "eventId", "santaId", "recipientId", "notifiedAt"),
}
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST_MS: Final = (EARLIEST - _EPOCH) // timedelta(milliseconds=1)
_LATEST_MS: Final = (LATEST - _EPOCH) // timedelta(milliseconds=1)
_TEXT_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True, slots=True)
class LegacyRows:
    """The three tables of the original bot's file, row by row, values as stored."""

    events: tuple[Mapping[str, Any], ...] = ()
    participants: tuple[Mapping[str, Any], ...] = ()
    pairings: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class LegacyEvent:
    """One event of the file as it would be (or was) imported."""

    legacy_id: str
    legacy_status: str
    snapshot: EventSnapshot
    existing_id: int | None = None  # already imported earlier, as this event
    stored_id: int | None = None  # imported now, as this event

    @property
    def dms_pending(self) -> int:
        return sum(1 for p in self.snapshot.pairings if p.notified_at is None)


@dataclass(frozen=True, slots=True)
class LegacyReport:
    """What `ratmas import-legacy` did, or would do with `--dry-run`."""

    dry_run: bool
    events: tuple[LegacyEvent, ...] = field(default_factory=tuple)

    @property
    def new(self) -> tuple[LegacyEvent, ...]:
        return tuple(e for e in self.events if e.existing_id is None)

    @property
    def known(self) -> tuple[LegacyEvent, ...]:
        return tuple(e for e in self.events if e.existing_id is not None)


def _plain(value: object) -> TypeGuard[str]:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 60
        and value.isprintable()
        and value.strip() == value
    )


class _Row:
    """Checks the columns of one row, naming the table, the row id and the column."""

    def __init__(self, table: str, row: Mapping[str, Any]) -> None:
        self.table = table
        self.row = row
        raw_id = row.get("id")
        # A plain id reads as itself; anything odd (empty, control characters, very
        # long) is quoted, so a refusal stays one readable line.
        self.id = raw_id if _plain(raw_id) else shown(raw_id)

    def fail(self, column: str, problem: str) -> InvalidInput:
        return InvalidInput(
            "legacy",
            f"{self.table} row {self.id}: column {column} = {shown(self.row.get(column))}: "
            f"{problem}",
        )

    def check[T](self, column: str, rule: Callable[[Any], T]) -> T:
        try:
            return rule(self.row.get(column))
        except InvalidInput as error:
            raise self.fail(column, error.problem) from None

    def key(self) -> str:
        return self.check(
            "id",
            lambda v: check_text(v, "id", max_length=MAX_LEGACY_ID, allow_empty=False),
        )

    def snowflake(self, column: str) -> int:
        return self.check(column, lambda v: check_id(v, column))

    def maybe_snowflake(self, column: str) -> int | None:
        return None if self.row.get(column) is None else self.snowflake(column)

    def instant(self, column: str) -> datetime:
        return self.check(column, lambda v: legacy_instant(v, column))

    def maybe_instant(self, column: str) -> datetime | None:
        return None if self.row.get(column) is None else self.instant(column)

    def reference(self, column: str, known: Mapping[str, Any], what: str) -> Any:
        value = self.row.get(column)
        if not isinstance(value, str) or value not in known:
            raise self.fail(column, f"no {what} has this id")
        return known[value]


def legacy_instant(value: Any, column: str = "date") -> datetime:
    """A Prisma DateTime as stored in SQLite: Unix epoch milliseconds (an integer, as
    Prisma writes them) or, in rows written by hand, ISO-8601 text or
    `YYYY-MM-DD HH:MM:SS` in UTC. Within the supported years, else `InvalidInput`."""
    allowed = "expected Unix epoch milliseconds, ISO-8601 text or YYYY-MM-DD HH:MM:SS (UTC)"
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if isinstance(value, bool):
        raise InvalidInput(column, allowed)
    if isinstance(value, int):
        # Checked before the arithmetic, which overflows far sooner than an int does.
        if not _EARLIEST_MS <= value <= _LATEST_MS:
            raise InvalidInput(column, f"out of range: dates must be {SUPPORTED_RANGE}")
        return check_instant(_EPOCH + timedelta(milliseconds=value), column)
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidInput(column, allowed)
    text = value.strip()
    parsed: datetime | None = None
    for pattern in _TEXT_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern).replace(tzinfo=UTC)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(column, allowed) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # Prisma stores UTC
    try:
        return check_instant(parsed.astimezone(UTC), column)
    except OverflowError:
        raise InvalidInput(column, allowed) from None


def legacy_events(rows: LegacyRows, *, now: datetime) -> list[LegacyEvent]:
    """Every event of the file as it would be stored, oldest first (by creation), with
    its legacy id; `InvalidInput("legacy", ...)` naming the table, row and column of the
    first bad value."""
    events: dict[str, tuple[_Row, Event]] = {}
    for raw in rows.events:
        row = _Row(EVENT_TABLE, raw)
        key = row.key()
        if key in events:
            raise row.fail("id", "two events have this id")
        events[key] = (row, _event(row))

    participants: dict[str, dict[int, Participant]] = defaultdict(dict)
    by_legacy_id: dict[str, tuple[str, int]] = {}  # participant id -> (event id, user id)
    for raw in rows.participants:
        row = _Row(PARTICIPANT_TABLE, raw)
        key = row.key()
        if key in by_legacy_id:
            raise row.fail("id", "two participants have this id")
        _, event = row.reference("eventId", events, "RatmasEvent")
        event_key = raw["eventId"]
        guild = row.snowflake("guildId")
        if guild != event.guild_id:
            raise row.fail("guildId", f"its event belongs to guild {event.guild_id}")
        user_id = row.snowflake("userId")
        if user_id in participants[event_key]:
            raise row.fail("userId", "this user takes part twice in the same event")
        participants[event_key][user_id] = Participant(
            0,
            user_id,
            row.check(
                "displayName",
                lambda v: check_text(
                    v, "displayName", max_length=MAX_NAME_LENGTH, allow_empty=False
                ),
            ),
            row.check("wishlistUrl", validate_wishlist),
            row.instant("joinedAt"),
        )
        by_legacy_id[key] = (event_key, user_id)

    pairings: dict[str, list[Pairing]] = defaultdict(list)
    for raw in rows.pairings:
        row = _Row(PAIRING_TABLE, raw)
        row.key()
        row.reference("eventId", events, "RatmasEvent")
        event_key = raw["eventId"]
        santa_event, santa = row.reference("santaId", by_legacy_id, "RatmasParticipant")
        if santa_event != event_key:
            raise row.fail("santaId", "this participant belongs to another event")
        recipient_event, recipient = row.reference("recipientId", by_legacy_id, "RatmasParticipant")
        if recipient_event != event_key:
            raise row.fail("recipientId", "this participant belongs to another event")
        notified = row.maybe_instant("notifiedAt")
        pairings[event_key].append(
            Pairing(0, santa, recipient, notified, None, None, 1 if notified else 0, notified)
        )

    found: list[LegacyEvent] = []
    for key, (row, event) in events.items():
        people = participants.get(key, {})
        drawn = pairings.get(key, [])
        _check_draw(row, event, people, drawn)
        legacy_status = str(row.row["status"])
        audit = AuditEntry(
            0,
            None,
            "import_legacy",
            f"imported from the original bot (event {key}, status {legacy_status})",
            now,
        )
        snapshot = EventSnapshot(
            event,
            tuple(people[user] for user in sorted(people)),
            (),
            tuple(sorted(drawn, key=lambda p: p.santa_id)),
            (audit,),
            legacy_id=key,
        )
        found.append(LegacyEvent(key, legacy_status, snapshot))
    found.sort(key=lambda e: (e.snapshot.event.created_at, e.legacy_id))
    return found


def _event(row: _Row) -> Event:
    status_text = row.row.get("status")
    if not isinstance(status_text, str) or status_text not in STATUSES:
        raise row.fail("status", f"expected one of {', '.join(STATUSES)}")
    status = STATUSES[status_text]
    timezone = row.check(
        "timezone", lambda v: check_text(v, "timezone", max_length=64, allow_empty=False)
    )
    row.check("timezone", zone)
    dates = EventDates(
        row.instant("eventStartDate"), row.instant("purchaseDeadline"), row.instant("revealDate")
    )
    columns = {
        "starts_at": "eventStartDate",
        "purchase_deadline": "purchaseDeadline",
        "reveal_at": "revealDate",
    }
    try:
        dates = check_order(dates, timezone=timezone)
    except InvalidInput as error:
        raise row.fail(columns.get(error.field, error.field), error.problem) from None
    return Event(
        id=0,
        guild_id=row.snowflake("guildId"),
        status=status,
        dates=dates,
        timezone=timezone,
        announcement_channel_id=row.maybe_snowflake("announcementChannelId"),
        participant_role_id=row.maybe_snowflake("ratmasRoleId"),
        manager_role_id=None,
        created_by=None,
        held_reason=None,
        announced_status=status,
        cancel_reason=None,
        created_at=row.instant("createdAt"),
        updated_at=row.instant("updatedAt"),
    )


def _check_draw(
    row: _Row, event: Event, people: Mapping[int, Participant], drawn: Sequence[Pairing]
) -> None:
    status = row.row["status"]
    if event.status is EventStatus.ACTIVE and not drawn:
        raise row.fail("status", "names are drawn in this status, but the event has no pairings")
    if event.status is EventStatus.SCHEDULED and drawn:
        raise row.fail("status", f"the event has pairings, which {status!r} cannot have")
    if not drawn:
        return
    santas = [p.santa_id for p in drawn]
    try:
        if len(set(santas)) != len(santas):
            raise InvalidPairings("a santa has two recipients")
        check_draw({p.santa_id: p.recipient_id for p in drawn}, set(people))
    except InvalidPairings as bad:
        raise InvalidInput(
            "legacy",
            f"{PAIRING_TABLE} rows of event {row.id}: column santaId/recipientId: "
            f"not a permutation of the event's participants ({bad})",
        ) from None


async def import_legacy(
    repo: EventRepository, events: Sequence[LegacyEvent], *, dry_run: bool
) -> LegacyReport:
    """Store the events not imported before, in one transaction (or, with `dry_run`,
    only check that they could be). A guild that would get a second live event is
    refused naming the guild and both events, and nothing is stored."""
    known = await repo.legacy_events([e.legacy_id for e in events])
    todo = [e for e in events if e.legacy_id not in known]
    await check_live_events(repo, [e.snapshot for e in todo])
    stored = [] if dry_run else await repo.restore_events([e.snapshot for e in todo])
    ids = {e.legacy_id: s.id for e, s in zip(todo, stored, strict=False)}
    return LegacyReport(
        dry_run,
        tuple(
            replace(e, existing_id=known.get(e.legacy_id), stored_id=ids.get(e.legacy_id))
            for e in events
        ),
    )


def render_report(report: LegacyReport, source: str) -> str:
    """What `ratmas import-legacy` prints: per guild, each event and what became of it."""
    guilds: dict[int, list[LegacyEvent]] = defaultdict(list)
    for item in report.events:
        guilds[item.snapshot.event.guild_id].append(item)
    mode = " (dry run: nothing is stored)" if report.dry_run else ""
    lines = [f"{source}: {len(report.events)} event(s) in {len(guilds)} guild(s){mode}"]
    for guild_id in sorted(guilds):
        lines.append(f"guild {guild_id}:")
        for item in guilds[guild_id]:
            event = item.snapshot.event
            told = len(item.snapshot.pairings) - item.dms_pending
            what = (
                f"{len(item.snapshot.participants)} participants, "
                f"{len(item.snapshot.pairings)} pairings"
            )
            if item.snapshot.pairings:
                what += f" ({told} DMed"
                if event.status is EventStatus.ACTIVE and item.dms_pending:
                    what += f", {item.dms_pending} to DM at the next reconcile"
                what += ")"
            if item.existing_id is not None:
                outcome = f"already imported as event {item.existing_id}; skipped"
            elif item.stored_id is not None:
                outcome = f"imported as event {item.stored_id}"
            else:
                outcome = "would be imported"
            lines.append(
                f"  {item.legacy_id}  {item.legacy_status} -> {event.status}  "
                f"{event.dates.starts_at:%Y-%m-%d}..{event.dates.reveal_at:%Y-%m-%d}  "
                f"{what}: {outcome}"
            )
    verb = "Would import" if report.dry_run else "Imported"
    lines.append(f"{verb} {len(report.new)} event(s); {len(report.known)} already imported before.")
    return "\n".join(lines)
