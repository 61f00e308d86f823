"""Benchmark of the `ratmas` processes an operator runs, at 10,000 live events.

For each backend (PostgreSQL only when reachable, see `databases.py`) a database
built by `world.py` (10,000 live events in 10,000 guilds), then each command as a
real process (`python -m ratmas.cli`, as the console script runs):

- `ratmas jobs` and `ratmas jobs --json`: the wall time from start to exit and the
  peak RSS of the process (its `VmHWM` as it exits);
- `ratmas run` against the loopback Discord (`ratmas.sandbox`, in this process): the
  peak RSS (`VmHWM` in `/proc/<pid>/status`) once the startup reconcile of the
  10,000 events has run and the bot has idled for a moment, and the acknowledgement
  latency of `/ratmas status` commands sent every 50 ms from the moment the bot logs
  that it is ready (its startup backup, when one is due, and the startup reconcile
  run then) until the startup reconcile has logged its report.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import world
from databases import BACKENDS, LABELS, database
from table import Row, format_table, seconds

from ratmas.persistence.db import close_db, init_db
from ratmas.sandbox import Sandbox
from ratmas.sandbox.controls import SandboxError

RATMAS = [sys.executable, "-m", "ratmas.cli"]
# `ratmas` as the console script runs it, writing its own peak RSS (VmHWM) to stderr at
# exit: a child's `ru_maxrss` would count what it shared with this (larger) process
# between fork and exec.
MEASURED = [
    sys.executable,
    "-c",
    "import atexit, sys\n"
    "def peak():\n"
    "    with open('/proc/self/status') as status:\n"
    "        line = next(x for x in status if x.startswith('VmHWM:'))\n"
    "    sys.stderr.write('peak ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "from ratmas.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n",
]
GOALS = {"jobs_time": 1.0, "jobs_rss": 100.0, "run_rss": 100.0, "ack_p99": 0.1}
RUNS = 3
COMMAND_EVERY = 0.05  # seconds between two `/ratmas status` during the startup
SETTLE = 2.0  # seconds the bot idles after the reconcile before its RSS is read


def _environment(database_url: str, config: Path, token: str = "unused") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
    env.update(DISCORD_TOKEN=token, DATABASE_URL=database_url, RATMAS_CONFIG=str(config))
    return env


def _timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one process run to completion."""
    started = time.perf_counter()
    done = subprocess.run(
        [*MEASURED, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak ")]
    if done.returncode != 0 or not peaks:
        raise RuntimeError(f"ratmas {' '.join(args)} failed: {done.stderr}")
    return elapsed, int(peaks[-1]) / 1024  # KiB


def _jobs_rows(url: str, config: Path, cwd: Path, backend: str) -> list[Row]:
    rows: list[Row] = []
    env = _environment(url, config)
    for label, args in (("ratmas jobs", ["jobs"]), ("ratmas jobs --json", ["jobs", "--json"])):
        runs = [_timed(args, env, cwd) for _ in range(RUNS)]
        times = sorted(t for t, _ in runs)
        rows.append(
            Row(
                f"{label}, 10k live events, {backend}",
                times[len(times) // 2],
                GOALS["jobs_time"],
                f"whole process, median of {RUNS}",
            )
        )
        rows.append(
            Row(
                f"  peak RSS of {label}, {backend}",
                max(rss for _, rss in runs),
                GOALS["jobs_rss"],
                "VmHWM at exit, highest of the runs",
                unit="MiB",
            )
        )
    return rows


def _peak_rss(pid: int) -> float:
    """VmHWM (the peak resident set) of a running process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


async def _acknowledge(sb: Sandbox, guild_id: int, user_id: int) -> float:
    before = time.perf_counter()
    handle = await sb.slash(guild_id, user_id, "ratmas", "status")
    await handle.acknowledged(timeout=10.0)
    return time.perf_counter() - before


async def _run_bot(url: str, folder: Path) -> tuple[float, list[float], str]:
    """(peak RSS in MiB, acknowledgement latencies during the startup, its report)."""
    async with Sandbox() as sb:
        guild = sb.add_guild("Bench", channels=("ratmas",))
        member = await sb.add_member(guild.id, "asker")
        config = folder / "ratmas.toml"
        config.write_text(f'[discord]\napi_base_url = "{sb.api_base}"\n', encoding="utf-8")
        log_file = folder / "bot.log"
        with log_file.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                *RATMAS,
                "run",
                cwd=folder,
                env=_environment(url, config, sb.token),
                stdout=sink,
                stderr=sink,
            )

        def logged(marker: str) -> str | None:
            for line in log_file.read_text(errors="replace").splitlines():
                if marker in line:
                    return line
            return None

        try:
            await sb.wait_ready(timeout=60)
            deadline = time.monotonic() + 60
            while True:  # commands exist once the bot has registered them
                try:
                    await _acknowledge(sb, guild.id, member.id)
                    break
                except SandboxError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no commands:\n{log_file.read_text()}") from None
                    await asyncio.sleep(0.02)
            # The startup reconcile runs once the bot is ready ("connected as ..."),
            # until it logs its report; only commands sent in between count.
            during: list[asyncio.Task[float]] = []
            others: list[asyncio.Task[float]] = []
            while logged("startup reconcile:") is None and time.monotonic() < deadline:
                task = asyncio.create_task(_acknowledge(sb, guild.id, member.id))
                (during if logged("connected as") else others).append(task)
                await asyncio.sleep(COMMAND_EVERY)
            line = logged("startup reconcile:")
            if line is None:
                raise RuntimeError(f"no startup reconcile in:\n{log_file.read_text()[-3000:]}")
            latencies = list(await asyncio.gather(*during))
            await asyncio.gather(*others)
            await asyncio.sleep(SETTLE)
            rss = _peak_rss(process.pid)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        return rss, latencies, line.split("startup reconcile: ", 1)[1]


async def _build(url: str) -> None:
    await init_db(url)
    try:
        await world.build()
    finally:
        await close_db()


def _run_rows(rss: float, latencies: list[float], backend: str) -> list[Row]:
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    return [
        Row(
            f"peak RSS of ratmas run, 10k live events, {backend}",
            rss,
            GOALS["run_rss"],
            f"VmHWM {SETTLE:.0f} s after the startup reconcile",
            unit="MiB",
        ),
        Row(
            f"  /ratmas status ack during its startup reconcile, p99, {backend}",
            p99,
            GOALS["ack_p99"],
            f"{len(latencies)} commands via the sandbox from ready to its report, p50 "
            f"{seconds(latencies[len(latencies) // 2])}",
        ),
    ]


async def _rows() -> list[Row]:
    rows: list[Row] = []
    for backend in BACKENDS:
        label = LABELS[backend]
        async with database(backend) as url:
            if url is None:
                rows.append(Row(f"processes, {label}", 0.0, None, "server unreachable: skipped"))
                continue
            await _build(url)
            with tempfile.TemporaryDirectory(prefix="ratmas-bench-") as tmp:
                folder = Path(tmp)
                config = folder / "ratmas.toml"
                config.write_text("", encoding="utf-8")
                # Processes of their own: blocking this loop while they run is fine.
                rows += _jobs_rows(url, config, folder, label)
                rss, latencies, _ = await _run_bot(url, folder)
            rows += _run_rows(rss, latencies, label)
    return rows


def run() -> list[Row]:
    """Build each database, time the commands, run the bot; the rows `main` prints."""
    return asyncio.run(_rows())


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        print(format_table(run()))


if __name__ == "__main__":
    main()
