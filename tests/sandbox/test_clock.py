"""The sandbox's clock: real time that only ever skips ahead, telling its watchers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobs.scheduler import Timeline
from ratmas.sandbox import FastForwardClock, Sandbox


def test_it_runs_with_real_time_until_skipped_ahead() -> None:
    clock = FastForwardClock()
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    assert clock.skipped == timedelta(0)

    target = clock.now() + timedelta(hours=3)
    jump = clock.fast_forward(target)
    assert timedelta(0) < jump <= timedelta(hours=3)
    assert clock.skipped == jump
    assert target <= clock.now() <= datetime.now(UTC) + jump
    # Never backwards.
    assert clock.fast_forward(target - timedelta(minutes=1)) == timedelta(0)
    assert clock.skipped == jump


def test_real_time_maps_its_instants_back_and_never_into_the_past() -> None:
    clock = FastForwardClock()
    clock.fast_forward(clock.now() + timedelta(hours=1))
    later = clock.now() + timedelta(minutes=5)
    assert later - clock.real_time(later) == clock.skipped
    already = clock.now() - timedelta(minutes=30)  # passed while skipping
    before = datetime.now(UTC)
    assert before <= clock.real_time(already) <= datetime.now(UTC)
    assert isinstance(clock, Timeline)


def test_watchers_hear_of_each_skip_until_they_stop() -> None:
    clock = FastForwardClock()
    heard: list[timedelta] = []
    stop = clock.watch(lambda: heard.append(clock.skipped))
    clock.fast_forward(clock.now() + timedelta(seconds=10))
    clock.fast_forward(clock.now() - timedelta(seconds=1))  # not a skip: nobody is told
    assert len(heard) == 1
    stop()
    stop()  # twice is harmless
    clock.fast_forward(clock.now() + timedelta(seconds=10))
    assert len(heard) == 1


async def test_the_sandbox_world_runs_on_its_clock() -> None:
    """Join dates (and message timestamps, see the e2e tests) come from the sandbox's clock."""
    clock = FastForwardClock()
    clock.fast_forward(datetime.now(UTC) + timedelta(days=2))
    async with Sandbox(clock=clock) as sb:
        assert sb.clock is clock
        guild = sb.add_guild("Rat Nest")
        member = await sb.add_member(guild.id, "ann")
        joined = sb.member(guild.id, member.id)
        assert joined is not None
        assert joined.joined_at - datetime.now(UTC) > timedelta(days=1)
    assert Sandbox().clock.skipped == timedelta(0)
