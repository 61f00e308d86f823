"""`ratmas events`: every event (of a guild) for operators, as text or JSON.

Per event: id, guild, status, the three dates in the event's timezone, participants, and
how many santa DMs were delivered and are still pending."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ratmas.domain.dates import DATE_FIELDS, format_local, iso_local
from ratmas.domain.model import Event
from ratmas.services.delivery import delivery_counts
from ratmas.services.ports import EventRepository


@dataclass(frozen=True, slots=True)
class EventLine:
    event: Event
    participants: int
    dms_delivered: int
    dms_pending: int


async def event_lines(repo: EventRepository, guild_id: int | None = None) -> list[EventLine]:
    """Every event (of `guild_id`), newest first, with its counts."""
    lines = []
    for event in await repo.list_events(guild_id):
        counts = delivery_counts(await repo.list_pairings(event.id))
        participants = len(await repo.list_participants(event.id))
        lines.append(EventLine(event, participants, counts.notified, counts.pending))
    return lines


def render_text(lines: list[EventLine]) -> str:
    if not lines:
        return "No events."
    out = []
    for line in lines:
        e = line.event
        out.append(
            f"event {e.id}  guild {e.guild_id}  {e.status}  ({e.timezone})  "
            f"{line.participants} participants  DMs {line.dms_delivered} delivered, "
            f"{line.dms_pending} pending"
        )
        for name in DATE_FIELDS:
            out.append(f"  {name:<17} {format_local(getattr(e.dates, name), e.timezone)}")
    return "\n".join(out)


def render_json(lines: list[EventLine]) -> str:
    """Discord ids as strings, dates ISO-8601 with the event's offset."""
    return json.dumps(
        [
            {
                "id": line.event.id,
                "guild_id": str(line.event.guild_id),
                "status": line.event.status.value,
                "timezone": line.event.timezone,
                **{
                    name: iso_local(getattr(line.event.dates, name), line.event.timezone)
                    for name in DATE_FIELDS
                },
                "participants": line.participants,
                "dms_delivered": line.dms_delivered,
                "dms_pending": line.dms_pending,
            }
            for line in lines
        ],
        indent=2,
    )
