"""Which guilds a process looks after when the bot runs as several shards."""

from __future__ import annotations

from collections.abc import Callable


def shard_of(guild_id: int, shard_count: int) -> int:
    """Discord's formula: the shard that receives a guild's events."""
    return (guild_id >> 22) % shard_count


def shard_filter(shard_count: int, shard_ids: tuple[int, ...]) -> Callable[[int], bool]:
    """Whether a guild belongs to one of this process's shards."""
    owned = frozenset(shard_ids)

    def ours(guild_id: int) -> bool:
        return shard_of(guild_id, shard_count) in owned

    return ours


def guild_filter_for(
    shard_count: int | None, shard_ids: tuple[int, ...] | None
) -> Callable[[int], bool] | None:
    """The guilds of this process when it runs shards of a sharded bot; None (every
    guild) when it is not sharded."""
    return shard_filter(shard_count, shard_ids) if shard_count and shard_ids else None
