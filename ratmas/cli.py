"""The `ratmas` command.

Every subcommand takes `--config PATH`. A problem the operator can fix (bad config,
unreachable database, missing token) is one line on stderr and exit status 2; no
traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from ratmas import __version__
from ratmas.config import Settings, load_settings
from ratmas.domain.errors import ConfigError, RatmasError
from ratmas.services.ports import SystemClock

log = logging.getLogger("ratmas")

Handler = Callable[[argparse.Namespace, Settings, TextIO], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ratmas",
        description="Run a Discord guild's Secret Santa (Ratmas) from sign-up to reveal.",
    )
    parser.add_argument("--version", action="version", version=f"ratmas {__version__}")
    # Accepted before the command too (`ratmas --config X migrate`); given after it, it
    # wins (SUPPRESS keeps the subcommand's absent option from resetting it).
    parser.add_argument(
        "--config", metavar="PATH", help="config file (default: $RATMAS_CONFIG, else ./config.toml)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--config",
            metavar="PATH",
            default=argparse.SUPPRESS,
            help="config file (default: $RATMAS_CONFIG, else ./config.toml)",
        )
        sub.set_defaults(handler=handler)
        return sub

    command("run", "run the bot (token from the environment variable in discord.token_env)", _run)
    command("migrate", "apply pending database migrations", _migrate)
    jobs = command("jobs", "list each live event's pending phases and their due times", _jobs)
    jobs.add_argument("--json", action="store_true", help="machine-readable output (ISO-8601)")
    export = command("export", "write events as JSON (pairings included: keep it private)", _export)
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--event", type=int, metavar="ID", help="one event")
    which.add_argument("--guild", type=int, metavar="ID", help="every event of a guild")
    export.add_argument("--output", metavar="PATH", help="write to PATH instead of stdout")
    load = command("import", "store the events of an export file (e.g. into PostgreSQL)", _import)
    load.add_argument("file", metavar="FILE", help="a file written by ratmas export")
    legacy = command(
        "import-legacy",
        "bring the events of the original bot's SQLite file over (once; all or nothing)",
        _import_legacy,
    )
    legacy.add_argument("path", metavar="PATH", help="the original bot's Prisma SQLite file")
    legacy.add_argument(
        "--dry-run", action="store_true", help="print what would be imported; change nothing"
    )
    events = command("events", "list events: dates, participants, DMs delivered/pending", _events)
    events.add_argument("--guild", type=int, metavar="ID", help="only this guild's events")
    events.add_argument("--json", action="store_true", help="machine-readable output (ISO-8601)")
    delete = command("delete-event", "delete an event, after writing it to a snapshot", _delete)
    delete.add_argument("event", type=int, metavar="ID", help="the event to delete")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    snaps = command("snapshots", "list the snapshots taken before destructive changes", _snapshots)
    snaps.add_argument("--guild", type=int, metavar="ID", help="only this guild's snapshots")
    restore = command("restore", "bring the event of a snapshot back", _restore)
    restore.add_argument("file", metavar="FILE", help="a snapshot file (path or name)")
    backup = command(
        "backup", "copy the SQLite database to a new file, safely while running", _backup
    )
    backup.add_argument("target", metavar="PATH", help="the new file")
    health = command(
        "health",
        "exit 0 if the running bot's heartbeat is fresh, 1 naming what is stale or missing",
        _health,
    )
    health_arguments(health)
    demo = command(
        "demo", "play one whole season offline against a loopback Discord (no token)", _demo
    )
    demo.add_argument("--verbose", action="store_true", help="show the bot's log as it plays")
    return parser


async def _run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    import signal

    from ratmas.app import serve
    from ratmas.domain.errors import ConfigError

    token = settings.token()
    if token is None:
        raise ConfigError(
            f"no Discord token: set the environment variable {settings.discord.token_env}"
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, token, stop=stop)
    return 0


async def _migrate(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import migrate_database
    from ratmas.config import redact_url

    applied = await migrate_database(settings)
    where = redact_url(settings.database_url)
    if applied:
        out.write(f"Applied {len(applied)} migration(s) to {where}: {', '.join(applied)}\n")
    else:
        out.write(f"No pending migrations: {where} is up to date.\n")
    return 0


async def _jobs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import write_jobs_listing

    await write_jobs_listing(settings, out, as_json=args.json)
    return 0


async def _demo(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.demo import play

    # The demo brings its own throw-away database and Discord: of the config it only
    # honours the log level, and only with --verbose. Without it the log stays quiet,
    # nextcord's warnings included (about voice support, and about the closed DMs the
    # demo provokes on purpose).
    if args.verbose:
        configured = logging.getLevelNamesMapping()[settings.log_level]
        logging.getLogger().setLevel(min(logging.INFO, configured))
    else:
        logging.getLogger().setLevel(logging.WARNING)
        logging.getLogger("nextcord").setLevel(logging.ERROR)
    return await play(out)


async def _export(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    import json

    from ratmas.app import export_events

    data = await export_events(settings, event_id=args.event, guild_id=args.guild)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        _write_private(Path(args.output), text)
        out.write(f"Wrote {args.output}\n")
    else:
        out.write(text)
    return 0


async def _import(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import import_events
    from ratmas.services.imports import read_export_file

    # Every event and household of the file is checked before anything is stored.
    file = read_export_file(_read_json(Path(args.file)), now=SystemClock().now())
    report = await import_events(settings, file)
    for snapshot, stored in zip(file.snapshots, report.events, strict=True):
        out.write(
            f"Imported event {snapshot.event.id} of guild {stored.guild_id} as event "
            f"{stored.id} ({stored.status}, {len(snapshot.participants)} participants, "
            f"{len(snapshot.pairings)} pairings)\n"
        )
    if file.households:
        out.write(
            f"Imported {report.households_added} household(s) of guild "
            f"{file.households[0].guild_id}"
            + (
                f"; {report.households_present} already there as in the file"
                if report.households_present
                else ""
            )
            + "\n"
        )
    return 0


async def _import_legacy(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import import_legacy_file

    out.write(await import_legacy_file(settings, Path(args.path), dry_run=args.dry_run) + "\n")
    return 0


async def _events(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import events_listing

    out.write(await events_listing(settings, guild_id=args.guild, as_json=args.json) + "\n")
    return 0


async def _delete(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import delete_event, describe_event

    if not args.yes:
        out.write(await describe_event(settings, args.event) + "\n")
        out.write("Delete this event? A snapshot is written first. Type yes to confirm: ")
        out.flush()
        if sys.stdin.readline().strip().lower() != "yes":
            out.write("Nothing deleted.\n")
            return 1
    where = await delete_event(settings, args.event)
    out.write(f"Deleted event {args.event}; its snapshot is {where}\n")
    return 0


async def _snapshots(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import snapshot_listing

    out.write(snapshot_listing(settings, guild_id=args.guild) + "\n")
    return 0


async def _restore(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import restore_snapshot

    out.write(await restore_snapshot(settings, Path(args.file)) + "\n")
    return 0


def _read_json(path: Path) -> Any:
    from ratmas.domain.errors import ConfigError
    from ratmas.services.import_checks import read_json

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a JSON file: {exc}") from None
    # Bounded nesting and number sizes; a refusal names the file.
    return read_json(text, str(path))


def _write_private(target: Path, text: str) -> None:
    """Write a file only its owner can read: an export holds every pairing."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


async def _backup(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from ratmas.app import backup_database

    written = await backup_database(settings, Path(args.target))
    out.write(f"Backed up to {written}\n")
    return 0


# --- ratmas health ---------------------------------------------------------------------

DEFAULT_MAX_AGE: Final = 30
MAX_AGE_RANGE: Final = (1, 86_400)


def max_age_seconds(value: str) -> int:
    low, high = MAX_AGE_RANGE
    try:
        seconds = int(value, 10)
    except ValueError:
        seconds = -1
    if not low <= seconds <= high:
        raise ConfigError(f"--max-age = {value!r}: expected whole seconds from {low} to {high}")
    return seconds


def shards_to_check(settings: Settings, only: int | None) -> list[int]:
    count = settings.discord.shard_count or 1
    if only is not None:
        if not 0 <= only < count:
            raise ConfigError(f"--shard = {only}: expected a shard from 0 to {count - 1}")
        return [only]
    return list(range(count))


def health_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-age",
        metavar="SECONDS",
        default=str(DEFAULT_MAX_AGE),
        help=f"how old the last heartbeat may be (default {DEFAULT_MAX_AGE}; "
        f"{MAX_AGE_RANGE[0]} to {MAX_AGE_RANGE[1]})",
    )
    parser.add_argument(
        "--shard", type=int, metavar="N", help="check only shard N (default: every shard)"
    )


async def _health(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """`ratmas health`: 0 when every checked shard is healthy, else 1."""
    from ratmas.app import heartbeats
    from ratmas.domain.errors import DatabaseUnavailable
    from ratmas.services.health import assess

    max_age = max_age_seconds(args.max_age)
    shards = shards_to_check(settings, args.shard)
    try:
        beats = await heartbeats(settings)
    except DatabaseUnavailable as exc:
        out.write(f"unhealthy: {exc}\n")
        return 1
    report = assess(beats, shards, SystemClock().now(), max_age)
    sharded = settings.discord.shard_count is not None and settings.discord.shard_count > 1
    for item in report:
        prefix = f"shard {item.shard_id}: " if sharded or args.shard is not None else ""
        out.write(f"{prefix}{'healthy' if item.healthy else 'unhealthy'}: {item.text}\n")
    return 0 if all(item.healthy for item in report) else 1


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    stdout = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(stdout)
        return 0
    try:
        settings = load_settings(args.config)
        for warning in settings.warnings:
            sys.stderr.write(f"ratmas: warning: {warning}\n")
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        # These narrate every connect, transition, job run and request at INFO.
        for noisy in ("tortoise", "transitions", "apscheduler", "aiohttp.access"):
            logging.getLogger(noisy).setLevel(max(logging.WARNING, log.getEffectiveLevel()))
        # nextcord's DEBUG lines carry raw gateway events and request bodies, i.e. what
        # members typed (notes for their santa): never in the log, even at DEBUG.
        logging.getLogger("nextcord").setLevel(max(logging.INFO, log.getEffectiveLevel()))
        handler: Handler = args.handler
        return asyncio.run(handler(args, settings, stdout))
    except RatmasError as exc:
        sys.stderr.write(f"ratmas: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
