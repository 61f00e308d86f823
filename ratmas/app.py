"""Composition root: config -> database -> repository -> services -> scheduler -> bot.

The only module that wires concrete adapters together. `serve` is what `ratmas run`
and `ratmas demo` call: it applies migrations, connects the database *before* the
client starts (Tortoise keeps its connection in the task that initialised it), runs
the bot until it is told to stop, and always shuts the scheduler down and closes the
database connections on the way out.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import nextcord
import nextcord.http

from jobs.inspect import load_schedules, render_comparison
from jobs.scheduler import PhaseScheduler
from ratmas.bot.client import BotServices, RatmasBot
from ratmas.bot.discord_port import NextcordDiscord
from ratmas.config import Settings, redact_url
from ratmas.domain.errors import ConfigError
from ratmas.domain.model import GuildSettings
from ratmas.health import HeartbeatRecorder, recorder_for
from ratmas.persistence.db import close_db, init_db, migrate
from ratmas.persistence.repository import TortoiseEventRepository
from ratmas.services.export import export_json
from ratmas.services.guild_settings import GuildSettingsService
from ratmas.services.lifecycle import LifecycleService, guild_filter_for
from ratmas.services.ports import Clock, SystemClock
from ratmas.services.season import SeasonService
from ratmas.shutdown import GRACE_SECONDS, stop_bot

log = logging.getLogger("ratmas")


@dataclass(frozen=True, slots=True)
class App:
    settings: Settings
    bot: RatmasBot
    scheduler: PhaseScheduler
    lifecycle: LifecycleService
    services: BotServices


def build(
    settings: Settings, *, clock: Clock | None = None, guild_ready_timeout: float = 2.0
) -> App:
    """Wire every adapter for `settings` (the database must already be initialised)."""
    clock = clock or SystemClock()
    nextcord.http.Route.BASE = settings.discord.api_base_url
    shards = settings.discord
    guild_filter = guild_filter_for(shards.shard_count, shards.shard_ids)
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
    discord = NextcordDiscord(bot, views=bot.view_for)
    scheduler = PhaseScheduler.from_settings(settings.scheduler)
    season = SeasonService(repo, discord, clock)
    lifecycle = LifecycleService(
        repo,
        season,
        clock,
        scheduler,
        min_participants=settings.min_participants,
        guild_filter=guild_filter,
        resume_after=timedelta(seconds=settings.scheduler.resume_after_seconds),
    )
    declared = {
        g.id: GuildSettings(
            g.id, g.announcement_channel_id, g.participant_role_id, g.manager_role_id, g.timezone
        )
        for g in settings.guilds
    }
    guild_settings = GuildSettingsService(
        repo, clock, declared=declared, default_timezone=settings.default_timezone
    )

    async def jobs_report(guild_id: int) -> str:
        found = await load_schedules(repo, clock.now(), lambda g: g == guild_id)
        live = [job for job in scheduler.jobs() if job.event_id in {s.event.id for s in found}]
        return render_comparison(live, found, clock.now())

    async def export(event_id: int) -> str:
        return await export_json(repo, event_id)

    services = BotServices(
        clock=clock,
        lifecycle=lifecycle,
        season=season,
        guild_settings=guild_settings,
        jobs_report=jobs_report,
        export=export,
        members_intent=settings.discord.members_intent,
    )

    async def first_ready() -> None:
        # Only now can phases deliver their messages: start the clock and catch up.
        scheduler.start(lifecycle.reconcile)
        report = await lifecycle.reconcile()
        log.info(
            "startup reconcile: performed %s, resumed %s, held %s, failed %s",
            report.performed,
            report.resumed,
            report.held,
            report.failed,
        )

    bot.attach(services, on_first_ready=first_ready)
    return App(settings, bot, scheduler, lifecycle, services)


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
    log.info("database %s", redact_url(settings.database_url))
    applied = await migrate(settings.database_url)
    if applied:
        log.info("applied migrations: %s", ", ".join(applied))
    await init_db(settings.database_url)
    app: App | None = None
    heartbeat: HeartbeatRecorder | None = None
    try:
        app = build(settings, clock=clock, guild_ready_timeout=guild_ready_timeout)
        heartbeat = recorder_for(app.bot, app.scheduler, settings)
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
