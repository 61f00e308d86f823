"""Tortoise ORM models: the only module that defines tables.

Discord snowflakes are 64-bit, so every Discord id is a `BigIntField`. Datetimes are
aware and stored in UTC (`use_tz=True`). Deleting an event cascades to its
participants, exclusions, pairings and audit entries.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class EventRow(Model):
    id = fields.BigIntField(primary_key=True)
    guild_id = fields.BigIntField(db_index=True)
    status = fields.CharField(max_length=20, db_index=True)
    # Equal to guild_id while the event is live, NULL once it is final: its unique
    # index lets the database itself refuse a second live event in a guild.
    live_guild_id = fields.BigIntField(null=True, unique=True)
    starts_at = fields.DatetimeField()
    purchase_deadline = fields.DatetimeField()
    reveal_at = fields.DatetimeField()
    timezone = fields.CharField(max_length=64)
    announcement_channel_id = fields.BigIntField(null=True)
    participant_role_id = fields.BigIntField(null=True)
    manager_role_id = fields.BigIntField(null=True)
    created_by = fields.BigIntField(null=True)
    held_reason = fields.TextField(null=True)
    announced_status = fields.CharField(max_length=20, null=True)
    cancel_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    # The id the event had in the original TypeScript bot's database, when it came
    # from there (`ratmas import-legacy`): importing the same file again skips it.
    legacy_id = fields.CharField(max_length=64, null=True, unique=True)
    # The SHA-256 (hex) of the snapshot file the event was restored from (`ratmas
    # restore`): restoring that file again finds this event and stores nothing.
    restored_from = fields.CharField(max_length=64, null=True, unique=True)
    # Free text the managers set at creation ("€20–30"), shown with the event.
    budget = fields.CharField(max_length=100, null=True)
    # Whole days before the start / the purchase deadline that the wishlist / gift
    # reminders go out (0: none), and when each was claimed (sent or skipped): the
    # compare-and-set that sends each at most once.
    remind_wishlist_days = fields.SmallIntField(default=0)
    remind_gift_days = fields.SmallIntField(default=0)
    reminded_wishlist_at = fields.DatetimeField(null=True)
    reminded_gift_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ratmas_event"


class ParticipantRow(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[EventRow] = fields.ForeignKeyField(
        "models.EventRow", related_name="participants", on_delete=fields.CASCADE
    )
    user_id = fields.BigIntField()
    display_name = fields.CharField(max_length=100)
    wishlist_url = fields.CharField(max_length=512, null=True)
    # Sizes, allergies, a delivery hint: shown only to this participant's santa.
    notes = fields.CharField(max_length=500, null=True)
    joined_at = fields.DatetimeField()

    event_id: int

    class Meta:
        table = "ratmas_participant"
        unique_together = (("event", "user_id"),)


# On PostgreSQL the foreign keys of PairingRow and OutboxRow to EventRow are not
# constraints but statement-level triggers (migration 4): they check, lock and cascade
# the same way once per statement, not once per row (a draw inserts 2 rows a santa).
class PairingRow(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[EventRow] = fields.ForeignKeyField(
        "models.EventRow", related_name="pairings", on_delete=fields.CASCADE
    )
    santa_id = fields.BigIntField()
    recipient_id = fields.BigIntField()
    notified_at = fields.DatetimeField(null=True)
    last_error_code = fields.IntField(null=True)
    last_error_text = fields.TextField(null=True)
    attempts = fields.IntField(default=0)
    last_attempt_at = fields.DatetimeField(null=True)
    # Marked by the santa (`/ratmas gift sent`) and by the recipient (`gift received`);
    # a redraw replaces the pairing and with it these marks.
    gift_sent_at = fields.DatetimeField(null=True)
    gift_received_at = fields.DatetimeField(null=True)

    event_id: int

    class Meta:
        table = "ratmas_pairing"
        unique_together = (("event", "santa_id"), ("event", "recipient_id"))


class ExclusionRow(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[EventRow] = fields.ForeignKeyField(
        "models.EventRow", related_name="exclusions", on_delete=fields.CASCADE
    )
    user_id = fields.BigIntField()
    excluded_user_id = fields.BigIntField()

    event_id: int

    class Meta:
        table = "ratmas_exclusion"
        unique_together = (("event", "user_id", "excluded_user_id"),)


class AuditRow(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[EventRow] = fields.ForeignKeyField(
        "models.EventRow", related_name="audit", on_delete=fields.CASCADE
    )
    actor_id = fields.BigIntField(null=True)
    action = fields.CharField(max_length=40)
    detail = fields.TextField()
    at = fields.DatetimeField()

    event_id: int

    class Meta:
        table = "ratmas_audit"


class GuildSettingsRow(Model):
    guild_id = fields.BigIntField(primary_key=True, generated=False)
    announcement_channel_id = fields.BigIntField(null=True)
    participant_role_id = fields.BigIntField(null=True)
    manager_role_id = fields.BigIntField(null=True)
    timezone = fields.CharField(max_length=64, null=True)
    updated_at = fields.DatetimeField()
    wishlist_reminder_days = fields.SmallIntField(null=True)
    gift_reminder_days = fields.SmallIntField(null=True)

    class Meta:
        table = "ratmas_guild_settings"


# A guild's household: people who never draw one another. It belongs to the guild, not
# to an event, so families stay families from one season to the next.
class HouseholdRow(Model):
    id = fields.BigIntField(primary_key=True)
    guild_id = fields.BigIntField(db_index=True)
    created_by = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "ratmas_household"


class HouseholdMemberRow(Model):
    id = fields.BigIntField(primary_key=True)
    household: fields.ForeignKeyRelation[HouseholdRow] = fields.ForeignKeyField(
        "models.HouseholdRow", related_name="members", on_delete=fields.CASCADE
    )
    # Repeats the household's guild so the database itself keeps a member in at most
    # one household per guild.
    guild_id = fields.BigIntField()
    user_id = fields.BigIntField()

    household_id: int

    class Meta:
        table = "ratmas_household_member"
        unique_together = (("guild_id", "user_id"),)


# One DM that matters, written with the change that causes it (see
# `ratmas.services.delivery`). `id` is the nonce's source: never reuse one.
class OutboxRow(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[EventRow] = fields.ForeignKeyField(
        "models.EventRow", related_name="outbox", on_delete=fields.CASCADE
    )
    user_id = fields.BigIntField()
    kind = fields.CharField(max_length=20)
    recipient_id = fields.BigIntField(null=True)
    note = fields.TextField(null=True)
    content = fields.TextField(default="")
    state = fields.CharField(max_length=20, default="pending")
    attempts = fields.IntField(default=0)
    last_error_code = fields.IntField(null=True)
    last_error_text = fields.TextField(null=True)
    attempt_started_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    dm_channel_id = fields.BigIntField(null=True)
    message_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(null=True)  # None: written by an import or a test

    event_id: int

    class Meta:
        table = "ratmas_outbox"
        indexes = (("event", "state"),)


# One anonymous message between a santa and their giftee: who, to whom, which way and
# when, never the text (that lives only in its outbox row until delivered). The per-day
# limit counts these rows; a Reply button carries only `outbox_id`.
class MessageRow(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation[EventRow] = fields.ForeignKeyField(
        "models.EventRow", related_name="messages", on_delete=fields.CASCADE
    )
    sender_id = fields.BigIntField()
    addressee_id = fields.BigIntField()
    direction = fields.CharField(max_length=10)
    outbox_id = fields.BigIntField(unique=True)
    sent_at = fields.DatetimeField()

    event_id: int

    class Meta:
        table = "ratmas_message"
        indexes = (("event", "sender_id", "sent_at"),)


class HeartbeatRow(Model):
    """What a running bot last said about itself, one row per shard (0 when unsharded);
    read by `ratmas health`."""

    shard_id = fields.IntField(primary_key=True, generated=False)
    shard_count = fields.IntField()
    gateway_connected = fields.BooleanField()
    scheduler_running = fields.BooleanField()
    stopped = fields.BooleanField()
    host = fields.CharField(max_length=255)
    pid = fields.IntField()
    beat_at = fields.DatetimeField()

    class Meta:
        table = "ratmas_heartbeat"
