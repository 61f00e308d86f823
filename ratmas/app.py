"""Composition root: config -> database -> repository -> services -> scheduler -> bot.

The only module that wires concrete adapters together. `serve` is what `ratmas run`
and `ratmas demo` call: it applies migrations, connects the database *before* the
client starts (Tortoise keeps its connection in the task that initialised it), runs
the bot until it is told to stop, and always shuts the scheduler down and closes the
database connections on the way out. The other `ratmas` commands ask it for what
they need (`migrate_database`, `write_jobs_listing`, `export_events`, `import_events`,
`backup_database`), so the CLI never builds an adapter itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from jobs.inspect import load_schedules, render_comparison, write_jobs
from jobs.scheduler import BACKUP_JOB_ID, PhaseScheduler, Timeline
from ratmas.config import Settings, redact_url
from ratmas.domain.dates import format_utc
from ratmas.domain.errors import ConfigError, NotFound
from ratmas.domain.model import GuildSettings, ReminderDays
from ratmas.domain.sharding import guild_filter_for
from ratmas.persistence.backups import DatabaseBackups
from ratmas.persistence.db import NotMigrated, backup, close_db, connected, init_db, migrate
from ratmas.persistence.files import SnapshotFiles
from ratmas.persistence.heartbeat import read_heartbeats, record_heartbeat
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.backups import BackupService
from ratmas.services.container import ServiceOptions, Services, build_services
from ratmas.services.export import export_event, export_guild, export_json
from ratmas.services.health import Heartbeat, HeartbeatRecorder
from ratmas.services.imports import ExportFile, ImportReport, import_file
from ratmas.services.phases import DEFAULT_HORIZON
from ratmas.services.ports import Clock, SystemClock
from ratmas.services.snapshots import SnapshotService

if TYPE_CHECKING:
    # The bot's modules (and nextcord: 0.4 s and 40 MB to import) are imported by what
    # runs the bot, not at import: the operator commands (`ratmas jobs`, export, ...)
    # never need them.
    from ratmas.bot.client import RatmasBot

log = logging.getLogger("ratmas")


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    bot: RatmasBot
    scheduler: PhaseScheduler
    services: Services


def service_options(settings: Settings) -> ServiceOptions:
    """The services' behaviour as config.toml sets it."""
    shards = settings.discord
    return ServiceOptions(
        min_participants=settings.min_participants,
        avoid_previous_events=settings.avoid_previous_events,
        guild_filter=guild_filter_for(shards.shard_count, shards.shard_ids),
        resume_after=timedelta(seconds=settings.scheduler.resume_after_seconds),
        # The tick brings phases into the horizon: it must come round well within it.
        horizon=max(DEFAULT_HORIZON, 2 * timedelta(seconds=settings.scheduler.tick_seconds)),
        declared_guilds={
            g.id: GuildSettings(
                g.id,
                g.announcement_channel_id,
                g.participant_role_id,
                g.manager_role_id,
                g.timezone,
                wishlist_reminder_days=g.wishlist_days_before_start,
                gift_reminder_days=g.gift_days_before_deadline,
            )
            for g in settings.guilds
        },
        reminder_days=ReminderDays(
            wishlist=settings.reminders.wishlist_days_before_start,
            gift=settings.reminders.gift_days_before_deadline,
        ),
        default_timezone=settings.default_timezone,
        max_concurrent_dms=settings.delivery.max_concurrent_dms,
        nonce_window=timedelta(seconds=settings.delivery.nonce_window_seconds),
        progress_after=settings.delivery.progress_after_seconds,
        progress_every=settings.delivery.progress_every_seconds,
        keep_snapshots=settings.backup.keep_snapshots,
        max_messages_per_day=settings.messages.max_per_day,
    )


def build(
    settings: Settings, *, clock: Clock | None = None, guild_ready_timeout: float = 2.0
) -> App:
    """Wire every adapter for `settings` (the database must already be initialised)."""
    import nextcord.http

    from ratmas.bot.client import RatmasBot
    from ratmas.bot.discord_port import NextcordDiscord
    from ratmas.bot.services import BotServices

    clock = clock or SystemClock()
    nextcord.http.Route.BASE = settings.discord.api_base_url
    shards = settings.discord
    shard_options: dict[str, object] = {}
    if shards.shard_count and shards.shard_ids:
        # One shard per process (config.py enforces it).
        shard_options = {"shard_count": shards.shard_count, "shard_id": shards.shard_ids[0]}

    repo = TortoiseEventRepository()
    bot = RatmasBot(
        members_intent=settings.discord.members_intent,
        guild_ready_timeout=guild_ready_timeout,
        **shard_options,
    )
    discord = NextcordDiscord(
        bot,
        views=bot.view_for,
        dms_per_second=settings.delivery.dms_per_second,
        requests_per_second=settings.delivery.requests_per_second,
    )
    # A clock that can skip ahead (the demo's, the e2e tests') also times the date jobs.
    timeline = clock if isinstance(clock, Timeline) else None
    scheduler = PhaseScheduler.from_settings(settings.scheduler, timeline=timeline)
    services = build_services(
        repo,
        discord,
        clock,
        scheduler,
        service_options(settings),
        snapshot_store=SnapshotFiles(settings.backup.dir),
    )
    engine = services.engine

    backups = backup_service(settings, clock)
    takes_backups = backups.enabled and takes_scheduled_backups(settings)

    async def jobs_report(guild_id: int) -> str:
        found = await load_schedules(repo, clock.now(), lambda g: g == guild_id)
        live = [job for job in scheduler.jobs() if job.event_id in {s.event.id for s in found}]
        due = scheduler.backup_job_due()
        backup_line = (
            f"  {BACKUP_JOB_ID}  next {format_utc(due)}"
            if due is not None
            else "  (no backup job in this process)"
        )
        return "\n".join(
            [
                render_comparison(live, found, clock.now(), horizon=engine.horizon),
                backups.describe(),
                backup_line,
            ]
        )

    async def export(event_id: int) -> str:
        return await export_json(repo, event_id)

    async def first_ready() -> None:
        # Only now can phases deliver their messages: start the clock and catch up.
        scheduler.start(engine.reconcile)
        if takes_backups:
            # The backup missed while the bot was down, once; then on the period.
            try:
                await backups.take_if_due()
            except Exception:
                log.exception("the backup due at startup failed")
            scheduler.add_backup_job(backups.scheduled, settings.backup.every_hours)
        report = await engine.reconcile()
        log.info(
            "startup reconcile: performed %s, resumed %s, held %s, failed %s",
            report.performed,
            report.resumed,
            report.held,
            report.failed,
        )

    bot.attach(
        BotServices(
            season=services,
            jobs_report=jobs_report,
            export=export,
            members_intent=settings.discord.members_intent,
        ),
        on_first_ready=first_ready,
    )
    return App(settings, bot, scheduler, services)


async def serve(
    settings: Settings,
    token: str,
    *,
    stop: asyncio.Event | None = None,
    clock: Clock | None = None,
    guild_ready_timeout: float = 2.0,
    started: asyncio.Future[App] | None = None,
) -> None:
    """Run the bot until `stop` is set (or the connection ends for good)."""
    import nextcord

    from ratmas.bot.shutdown import GRACE_SECONDS, stop_bot

    log.info("database %s", redact_url(settings.database_url))
    applied = await migrate(settings.database_url)
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    await init_db(settings.database_url)
    app: App | None = None
    heartbeat: HeartbeatRecorder | None = None
    try:
        app = build(settings, clock=clock, guild_ready_timeout=guild_ready_timeout)
        heartbeat = recorder_for(app, clock or SystemClock())
        heartbeat.start()
        if started is not None and not started.done():
            started.set_result(app)
        runner = asyncio.create_task(app.bot.start(token))
        waiter = asyncio.create_task((stop or asyncio.Event()).wait())
        done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            waiter.cancel()
            try:
                runner.result()
            except nextcord.LoginFailure as exc:
                raise ConfigError(
                    f"Discord refused the token in ${settings.discord.token_env}: {exc}"
                ) from None
        else:
            log.info("stopping")
            # Phases first: let running reconciles finish while Discord and the
            # database are still there.
            await app.scheduler.aclose(GRACE_SECONDS)
            await stop_bot(app.bot, runner)
    finally:
        if app is not None:
            await app.scheduler.aclose()
            if not app.bot.is_closed():
                await app.bot.close()
        if heartbeat is not None:
            await heartbeat.aclose()
        await close_db()
        log.info("stopped")


def recorder_for(app: App, clock: Clock) -> HeartbeatRecorder:
    """This process's heartbeat, written to the database for `ratmas health`."""
    shards = app.settings.discord
    return HeartbeatRecorder(
        app.bot,
        app.scheduler,
        record_heartbeat,
        clock,
        shard_id=shards.shard_ids[0] if shards.shard_ids else 0,
        shard_count=shards.shard_count or 1,
    )


# --- what the other `ratmas` commands need ------------------------------------------------


async def heartbeats(settings: Settings) -> list[Heartbeat]:
    """The heartbeats the running bots recorded (none on a database never migrated);
    `DatabaseUnavailable` when the database cannot be reached."""
    try:
        async with connected(settings.database_url):
            return await read_heartbeats()
    except NotMigrated:
        return []  # the bot never ran against this database


def takes_scheduled_backups(settings: Settings) -> bool:
    """With several shard processes only shard 0 takes the scheduled backups."""
    shard_ids = settings.discord.shard_ids
    return shard_ids is None or 0 in shard_ids


def backup_service(settings: Settings, clock: Clock | None = None) -> BackupService:
    return BackupService(
        clock or SystemClock(),
        DatabaseBackups(settings.backup.dir),
        every_hours=settings.backup.every_hours,
        keep=settings.backup.keep,
    )


async def migrate_database(settings: Settings) -> list[str]:
    """Apply the pending migrations; returns the ones applied (maybe none)."""
    return await migrate(settings.database_url)


async def write_jobs_listing(settings: Settings, out: TextIO, *, as_json: bool) -> None:
    """`ratmas jobs`: each live event of this process's guilds with its pending phases,
    then the backup job; written to `out` as it is rendered (10,000 events never
    become one string)."""
    shards = settings.discord
    backups = backup_service(settings)
    extra: dict[str, Any] | None = None
    if as_json:
        due = backups.next_due()
        extra = {
            "backup": {
                "job_id": BACKUP_JOB_ID,
                "every_hours": settings.backup.every_hours,
                "next_due": None if due is None else due.isoformat(),
                "taken_here": backups.enabled and takes_scheduled_backups(settings),
            }
        }
    async with connected(settings.database_url):
        await write_jobs(
            TortoiseEventRepository(),
            SystemClock(),
            out,
            as_json=as_json,
            guild_filter=guild_filter_for(shards.shard_count, shards.shard_ids),
            extra_json=extra,
        )
    out.write("\n" if as_json else f"\n\n{backups.describe()}\n")


async def export_events(
    settings: Settings, *, event_id: int | None = None, guild_id: int | None = None
) -> dict[str, Any]:
    """One event's export, or every event of a guild (exactly one of the two ids)."""
    if (event_id is None) == (guild_id is None):
        raise ValueError("give exactly one of event_id and guild_id")
    async with connected(settings.database_url):
        repo = TortoiseEventRepository()
        if event_id is not None:
            return await export_event(repo, event_id)
        assert guild_id is not None
        return await export_guild(repo, guild_id)


async def import_events(settings: Settings, file: ExportFile) -> ImportReport:
    """Store exported events under new ids, and a guild file's households, in one
    transaction (the database is migrated first)."""
    await migrate(settings.database_url)
    async with connected(settings.database_url):
        return await import_file(TortoiseEventRepository(), file)


async def import_legacy_file(
    settings: Settings, path: Path, *, dry_run: bool, clock: Clock | None = None
) -> str:
    """`ratmas import-legacy`: the original bot's events, checked, then stored in one
    transaction (or, with `dry_run`, only checked against this database, which is
    neither migrated nor changed). Returns the report to print."""
    from ratmas.persistence.legacy import read_legacy_file, schema_knows_legacy_ids
    from ratmas.services.legacy import import_legacy, legacy_events, render_report

    found = legacy_events(read_legacy_file(path), now=(clock or SystemClock()).now())
    if not dry_run:
        await migrate(settings.database_url)
    async with connected(settings.database_url):
        if not await schema_knows_legacy_ids():
            raise ConfigError(
                f"the database at {redact_url(settings.database_url)} is not migrated to this "
                "version; run `ratmas migrate` first (a dry run changes nothing)"
            )
        report = await import_legacy(TortoiseEventRepository(), found, dry_run=dry_run)
    return render_report(report, str(path))


def _snapshot_service(settings: Settings) -> SnapshotService:
    return SnapshotService(
        TortoiseEventRepository(),
        SystemClock(),
        SnapshotFiles(settings.backup.dir),
        keep=settings.backup.keep_snapshots,
    )


async def events_listing(settings: Settings, *, guild_id: int | None, as_json: bool) -> str:
    """`ratmas events`: every event (of a guild) with its dates, participants and DMs."""
    from ratmas.services.listing import event_lines, render_json, render_text

    async with connected(settings.database_url):
        lines = await event_lines(TortoiseEventRepository(), guild_id)
    return render_json(lines) if as_json else render_text(lines)


async def describe_event(settings: Settings, event_id: int) -> str:
    """One line about an event, for `ratmas delete-event` to ask about."""
    from ratmas.services.listing import event_lines, render_text

    async with connected(settings.database_url):
        repo = TortoiseEventRepository()
        event = await repo.get_event(event_id)
        if event is None:
            raise NotFound(f"There is no event {event_id}.")
        lines = [
            line for line in await event_lines(repo, event.guild_id) if line.event.id == event_id
        ]
    return render_text(lines).splitlines()[0]


async def delete_event(settings: Settings, event_id: int) -> str:
    """Delete an event after writing it to a snapshot; returns the snapshot's path."""
    async with connected(settings.database_url):
        _, where = await _snapshot_service(settings).delete_event(event_id)
    return where


def snapshot_listing(settings: Settings, *, guild_id: int | None) -> str:
    """`ratmas snapshots`: the snapshot files (of a guild), oldest first."""
    files = SnapshotFiles(settings.backup.dir)
    found = SnapshotService(TortoiseEventRepository(), SystemClock(), files).list(guild_id)
    if not found:
        return f"No snapshots in {files.directory}."
    return "\n".join(
        [f"{len(found)} snapshot(s) in {files.directory}:"]
        + [f"  {s.name}  guild {s.guild_id}  event {s.event_id}  {s.reason}" for s in found]
    )


def _read_snapshot(settings: Settings, path: Path) -> str:
    """A snapshot given by path, or by its name in the snapshot directory."""
    files = SnapshotFiles(settings.backup.dir)
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else files.read(path.name)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read: {error}") from None


async def restore_snapshot(settings: Settings, path: Path) -> str:
    """`ratmas restore FILE`: bring the event of a snapshot back (see SnapshotService)."""
    text = _read_snapshot(settings, path)
    await migrate(settings.database_url)
    async with connected(settings.database_url):
        result = await _snapshot_service(settings).restore(text)
    event = result.event
    if result.already:
        return (
            f"Already restored as event {event.id} of guild {event.guild_id} ({event.status}); "
            f"nothing changed. To restore this snapshot again, delete event {event.id} first "
            f"(`ratmas delete-event {event.id}`)."
        )
    how = f"replacing event {result.replaced.id}" if result.replaced else "as a new event"
    return f"Restored event {event.id} of guild {event.guild_id} ({event.status}) {how}"


async def backup_database(settings: Settings, target: Path) -> Path:
    """A consistent copy of the SQLite database, safe while the bot runs."""
    return await backup(settings.database_url, target)
