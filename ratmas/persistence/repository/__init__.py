"""The Tortoise implementation of `EventRepository`.

This is the I/O boundary for everything Ratmas stores: it speaks Tortoise inside and
frozen domain dataclasses outside, so no ORM row ever leaves this package. Every
datetime that goes in is converted to UTC first (SQLite compares datetimes as text,
so a non-UTC filter value would compare wrongly); every datetime that comes out is
aware UTC. Writes that touch several rows run in one transaction, and bulk work
(participant sync, pairings) uses a bounded number of statements whatever the size.

One module per aggregate holds its part of the repository as a mixin; the parts
share the row mapping and SQL helpers of `rows` and the bounded-statement inserts
of `bulk` (which run inside the caller's transaction), never each other's methods:

- `events`: events, their statuses and claims (compare-and-set), the raw-SQL
  listings the reconcile reads;
- `participants`: participants, wishlists, notes and exclusions;
- `pairings`: the draw, assignment delivery state, gift marks, earlier pairs;
- `outbox`: the DMs to send, exactly once;
- `messages`: anonymous messages (their text travels in the outbox);
- `households`, `audit`, `settings` (per-guild settings);
- `restore`: whole events stored back from snapshots and imports.
"""

from __future__ import annotations

from ratmas.persistence.repository.audit import AuditMixin
from ratmas.persistence.repository.events import EventsMixin
from ratmas.persistence.repository.households import HouseholdsMixin
from ratmas.persistence.repository.messages import MessagesMixin
from ratmas.persistence.repository.outbox import OutboxMixin
from ratmas.persistence.repository.pairings import PairingsMixin
from ratmas.persistence.repository.participants import ParticipantsMixin
from ratmas.persistence.repository.restore import RestoreMixin
from ratmas.persistence.repository.settings import GuildSettingsMixin

__all__ = ["TortoiseEventRepository"]


class TortoiseEventRepository(
    EventsMixin,
    ParticipantsMixin,
    PairingsMixin,
    OutboxMixin,
    MessagesMixin,
    HouseholdsMixin,
    AuditMixin,
    GuildSettingsMixin,
    RestoreMixin,
):
    """`EventRepository` on whatever database Tortoise was initialised with."""
