"""config.toml plus environment -> frozen, validated settings.

Where the file comes from: `--config PATH`, else `$RATMAS_CONFIG`, else `./config.toml`
(when that default file is absent the built-in defaults apply). Secrets never live in
the file: the Discord token is read from the environment variable named by
`[discord] token_env`. `DATABASE_URL` overrides `[database] url`.

Every problem is a `ConfigError` whose one-line message names the file, the key, the
bad value and what is allowed.
"""

from __future__ import annotations

import os
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ratmas.domain.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config.toml")
DEFAULT_DATABASE_URL = "sqlite://data/ratmas.sqlite"
DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """Settings declared for one guild; applied at startup, overridable by commands."""

    id: int
    announcement_channel_id: int | None = None
    participant_role_id: int | None = None
    manager_role_id: int | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    tick_seconds: int = 60
    misfire_grace_seconds: int = 3600
    coalesce: bool = True
    # How long an unfinished phase (DMs still pending after a crash) must show no
    # progress before this process finishes it in another's place.
    resume_after_seconds: int = 120


@dataclass(frozen=True, slots=True)
class BackupConfig:
    """Where snapshots and scheduled backups go, how often, and how many are kept."""

    dir: str = "data/backups"
    every_hours: int = 24  # 0: no scheduled backups
    keep: int = 7  # scheduled backups kept
    keep_snapshots: int = 100  # snapshots kept per guild


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token_env: str = "DISCORD_TOKEN"
    api_base_url: str = DEFAULT_API_BASE_URL
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    members_intent: bool = True


@dataclass(frozen=True, slots=True)
class Settings:
    source: str  # the file the settings came from, or "<defaults>"
    database_url: str = DEFAULT_DATABASE_URL
    default_timezone: str = "UTC"
    min_participants: int = 3
    log_level: str = "INFO"
    discord: DiscordConfig = DiscordConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    guilds: tuple[GuildConfig, ...] = ()
    backup: BackupConfig = BackupConfig()

    def token(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The Discord token from the environment, or None when it is not set."""
        env = os.environ if environ is None else environ
        value = env.get(self.discord.token_env, "").strip()
        return value or None

    def guild(self, guild_id: int) -> GuildConfig | None:
        return next((g for g in self.guilds if g.id == guild_id), None)


def redact_url(url: str) -> str:
    """The URL with any password replaced by `***`, safe for logs and errors."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    userinfo = f"{parts.username or ''}:***"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def validate_database_url(url: str) -> str | None:
    """None when `url` is usable, else what is wrong with it."""
    allowed = "sqlite://PATH, sqlite://:memory: or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return f"not a URL; expected {allowed}"
    if parts.scheme not in DATABASE_SCHEMES:
        return f"unsupported scheme {parts.scheme!r}; expected {allowed}"
    if parts.scheme == "sqlite":
        if not (parts.netloc + parts.path).strip("/"):
            return f"missing the file path; expected {allowed}"
        return None
    if not parts.hostname or not parts.path.strip("/"):
        return f"needs a host and a database name; expected {allowed}"
    return None


def is_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read and validate the configuration (see the module docstring for precedence)."""
    env = os.environ if environ is None else environ
    explicit = path if path is not None else env.get("RATMAS_CONFIG") or None
    file = Path(explicit) if explicit is not None else DEFAULT_CONFIG_PATH
    if file.is_file():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot be read: {exc.strerror}") from None
        source = str(file)
    elif explicit is not None:
        raise ConfigError(f"{file}: config file not found (given by --config or RATMAS_CONFIG)")
    else:
        data, source = {}, "<defaults>"
    settings = _Reader(source).settings(data)
    override = env.get("DATABASE_URL")
    if override:
        problem = validate_database_url(override)
        if problem:
            raise ConfigError(f"environment: DATABASE_URL = {redact_url(override)!r}: {problem}")
        settings = replace(settings, database_url=override)
    return settings


class _Reader:
    """Walks the parsed TOML, checking every key against what is allowed."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, value: object, allowed: str) -> ConfigError:
        shown = redact_url(value) if isinstance(value, str) and "://" in value else value
        return ConfigError(f"{self.source}: {key} = {shown!r}: {allowed}")

    def table(self, data: Mapping[str, Any], key: str, allowed: set[str]) -> Mapping[str, Any]:
        return self.check_table(key, data.get(key, {}), allowed)

    def check_table(self, key: str, value: object, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, value, "expected a table")
        for name in value:
            if name not in allowed:
                raise self.fail(
                    f"{key}.{name}" if key else name,
                    value[name],
                    f"unknown key; allowed: {', '.join(sorted(allowed))}",
                )
        return value

    def get[T](
        self,
        table: Mapping[str, Any],
        prefix: str,
        name: str,
        kind: type[T],
        default: T,
        check: Callable[[T], str | None] | None = None,
    ) -> T:
        key = f"{prefix}.{name}" if prefix else name
        if name not in table:
            return default
        value = table[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(key, value, "expected an integer")
        if not isinstance(value, kind):
            raise self.fail(key, value, f"expected {_KIND_NAMES.get(kind, kind.__name__)}")
        if check is not None:
            problem = check(value)
            if problem:
                raise self.fail(key, value, problem)
        return value

    def settings(self, data: Mapping[str, Any]) -> Settings:
        top = self.check_table(
            "",
            data,
            {"database", "discord", "ratmas", "scheduler", "logging", "guilds", "backup"},
        )
        db = self.table(top, "database", {"url"})
        discord = self.table(
            top,
            "discord",
            {"token_env", "api_base_url", "shard_count", "shard_ids", "members_intent"},
        )
        ratmas = self.table(top, "ratmas", {"default_timezone", "min_participants"})
        sched = self.table(
            top,
            "scheduler",
            {"tick_seconds", "misfire_grace_seconds", "coalesce", "resume_after_seconds"},
        )
        logging_ = self.table(top, "logging", {"level"})
        backup = self.table(top, "backup", {"dir", "every_hours", "keep", "keep_snapshots"})

        url = self.get(db, "database", "url", str, DEFAULT_DATABASE_URL, validate_database_url)
        default_tz = self.get(ratmas, "ratmas", "default_timezone", str, "UTC", _tz_problem)
        shard_count = self.get(discord, "discord", "shard_count", int, 0, _positive) or None
        shard_ids_raw = self.get(discord, "discord", "shard_ids", list, [])
        shard_ids = self._shard_ids(shard_ids_raw, shard_count)
        return Settings(
            source=self.source,
            database_url=url,
            default_timezone=default_tz,
            min_participants=self.get(ratmas, "ratmas", "min_participants", int, 3, _at_least(2)),
            log_level=self.get(
                logging_,
                "logging",
                "level",
                str,
                "INFO",
                lambda v: None if v.upper() in LOG_LEVELS else f"one of {', '.join(LOG_LEVELS)}",
            ).upper(),
            discord=DiscordConfig(
                token_env=self.get(
                    discord, "discord", "token_env", str, "DISCORD_TOKEN", _env_name
                ),
                api_base_url=self.get(
                    discord,
                    "discord",
                    "api_base_url",
                    str,
                    DEFAULT_API_BASE_URL,
                    _http_url,
                ).rstrip("/"),
                shard_count=shard_count,
                shard_ids=shard_ids,
                members_intent=self.get(discord, "discord", "members_intent", bool, True),
            ),
            scheduler=SchedulerConfig(
                tick_seconds=self.get(sched, "scheduler", "tick_seconds", int, 60, _positive),
                misfire_grace_seconds=self.get(
                    sched, "scheduler", "misfire_grace_seconds", int, 3600, _positive
                ),
                coalesce=self.get(sched, "scheduler", "coalesce", bool, True),
                resume_after_seconds=self.get(
                    sched, "scheduler", "resume_after_seconds", int, 120, _positive
                ),
            ),
            guilds=self._guilds(top.get("guilds", [])),
            backup=BackupConfig(
                dir=self.get(backup, "backup", "dir", str, "data/backups", _non_empty),
                every_hours=self.get(backup, "backup", "every_hours", int, 24, _between(0, 8784)),
                keep=self.get(backup, "backup", "keep", int, 7, _between(1, 10_000)),
                keep_snapshots=self.get(
                    backup, "backup", "keep_snapshots", int, 100, _between(1, 100_000)
                ),
            ),
        )

    def _shard_ids(self, raw: list[Any], shard_count: int | None) -> tuple[int, ...] | None:
        """One shard per process: with `shard_count`, `shard_ids` names exactly this
        process's shard (a process reconciles the guilds of its shard only)."""
        if not raw:
            if shard_count is not None and shard_count > 1:
                raise self.fail(
                    "discord.shard_ids",
                    raw,
                    f"with shard_count = {shard_count}, give this process's shard, "
                    f"e.g. [0] (0 to {shard_count - 1})",
                )
            return (0,) if shard_count is not None else None
        if shard_count is None:
            raise self.fail("discord.shard_ids", raw, "needs discord.shard_count to be set")
        if len(raw) != 1:
            raise self.fail(
                "discord.shard_ids", raw, "one shard per process: a list of one id, e.g. [0]"
            )
        for value in raw:
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value < shard_count
            ):
                raise self.fail(
                    "discord.shard_ids", raw, f"expected integers from 0 to {shard_count - 1}"
                )
        return tuple(raw)

    def _guilds(self, raw: object) -> tuple[GuildConfig, ...]:
        if not isinstance(raw, list):
            raise self.fail("guilds", raw, "expected [[guilds]] tables")
        allowed = {
            "id",
            "announcement_channel",
            "participant_role",
            "manager_role",
            "timezone",
        }
        guilds: list[GuildConfig] = []
        for index, item in enumerate(raw):
            key = f"guilds[{index}]"
            table = self.check_table(key, item, allowed)
            if "id" not in table:
                raise self.fail(f"{key}.id", None, "required: the guild's id")
            guild_id = self.get(table, key, "id", int, 0, _snowflake)
            if any(g.id == guild_id for g in guilds):
                raise self.fail(f"{key}.id", guild_id, "declared twice; one [[guilds]] per id")
            guilds.append(
                GuildConfig(
                    id=guild_id,
                    announcement_channel_id=self._optional_id(table, key, "announcement_channel"),
                    participant_role_id=self._optional_id(table, key, "participant_role"),
                    manager_role_id=self._optional_id(table, key, "manager_role"),
                    timezone=(self.get(table, key, "timezone", str, "", _tz_problem) or None),
                )
            )
        return tuple(guilds)

    def _optional_id(self, table: Mapping[str, Any], key: str, name: str) -> int | None:
        return self.get(table, key, name, int, 0, _snowflake) or None


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def _positive(value: int) -> str | None:
    return None if value > 0 else "expected a positive integer"


def _at_least(minimum: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if value >= minimum else f"expected an integer >= {minimum}"

    return check


def _snowflake(value: int) -> str | None:
    return None if 0 < value < 2**63 else "expected a Discord id (a positive 64-bit integer)"


def _between(low: int, high: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"expected an integer from {low} to {high}"

    return check


def _non_empty(value: str) -> str | None:
    return None if value.strip() and "\x00" not in value else "expected a directory path"


def _tz_problem(value: str) -> str | None:
    return None if is_timezone(value) else "unknown IANA timezone; use a name like Europe/London"


def _env_name(value: str) -> str | None:
    ok = value and value.replace("_", "A").isalnum() and not value[0].isdigit()
    return None if ok else "expected an environment variable name like DISCORD_TOKEN"


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    ok = parts.scheme in ("http", "https") and bool(parts.netloc)
    return None if ok else "expected an http:// or https:// URL"
