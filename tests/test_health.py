"""`ratmas health` decides from the recorded heartbeats (pure part)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ratmas.cli import max_age_seconds
from ratmas.domain.errors import ConfigError
from ratmas.services.health import Heartbeat, assess

NOW = datetime(2026, 12, 24, 18, 0, tzinfo=UTC)


def beat(
    shard: int = 0,
    *,
    age: float = 2,
    gateway: bool = True,
    scheduler: bool = True,
    stopped: bool = False,
) -> Heartbeat:
    return Heartbeat(shard, 1, gateway, scheduler, stopped, "box", 42, NOW - timedelta(seconds=age))


def test_a_fresh_connected_scheduling_bot_is_healthy() -> None:
    (shard,) = assess([beat()], [0], NOW, 30)
    assert shard.healthy
    assert shard.text == (
        "gateway connected, scheduler running, last heartbeat 2 s ago (box, pid 42)"
    )


@pytest.mark.parametrize(
    ("beats", "expected"),
    [
        ([], "no heartbeat recorded (not started yet)"),
        ([beat(age=31)], "last heartbeat 31 s ago, more than 30 s (box, pid 42)"),
        ([beat(stopped=True, gateway=False, scheduler=False)], "the bot stopped 2 s ago"),
        ([beat(gateway=False)], "gateway not connected (last heartbeat 2 s ago, box, pid 42)"),
        (
            [beat(gateway=False, scheduler=False)],
            "gateway not connected; scheduler not running (last heartbeat",
        ),
        ([beat(1)], "no heartbeat recorded"),
    ],
    ids=["missing", "stale", "stopped", "gateway", "both", "other-shard"],
)
def test_what_is_stale_or_missing_is_named(beats: list[Heartbeat], expected: str) -> None:
    (shard,) = assess(beats, [0], NOW, 30)
    assert not shard.healthy
    assert expected in shard.text


def test_each_shard_is_reported() -> None:
    report = assess([beat(0), beat(2, age=100)], [0, 1, 2], NOW, 30)
    assert [(s.shard_id, s.healthy) for s in report] == [(0, True), (1, False), (2, False)]
    assert "no heartbeat" in report[1].text
    assert "100 s ago" in report[2].text


@pytest.mark.parametrize("value", ["0", "-5", "86401", "abc", "1.5", ""])
def test_max_age_out_of_range_is_one_clear_error(value: str) -> None:
    with pytest.raises(ConfigError, match=r"--max-age = .*: expected whole seconds from 1 to"):
        max_age_seconds(value)


def test_max_age_inside_the_range() -> None:
    assert max_age_seconds("1") == 1
    assert max_age_seconds("86400") == 86400
