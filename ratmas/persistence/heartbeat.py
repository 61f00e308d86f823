"""Heartbeat rows: written by the running bot, read by `ratmas health`."""

from __future__ import annotations

from typing import Any

from ratmas.persistence.models import HeartbeatRow
from ratmas.services.health import Heartbeat


async def record_heartbeat(beat: Heartbeat) -> None:
    """Upsert the shard's row in single statements (no transaction a cancelled writer
    could leave open)."""
    from tortoise.exceptions import IntegrityError

    values: dict[str, Any] = {
        "shard_count": beat.shard_count,
        "gateway_connected": beat.gateway_connected,
        "scheduler_running": beat.scheduler_running,
        "stopped": beat.stopped,
        "host": beat.host[:255],
        "pid": beat.pid,
        "beat_at": beat.beat_at,
    }
    if await HeartbeatRow.filter(shard_id=beat.shard_id).update(**values):
        return
    try:
        await HeartbeatRow.create(shard_id=beat.shard_id, **values)
    except IntegrityError:  # another process of the same shard wrote it first
        await HeartbeatRow.filter(shard_id=beat.shard_id).update(**values)


async def read_heartbeats() -> list[Heartbeat]:
    rows = await HeartbeatRow.all().order_by("shard_id")
    return [
        Heartbeat(
            shard_id=row.shard_id,
            shard_count=row.shard_count,
            gateway_connected=row.gateway_connected,
            scheduler_running=row.scheduler_running,
            stopped=row.stopped,
            host=row.host,
            pid=row.pid,
            beat_at=row.beat_at,
        )
        for row in rows
    ]
