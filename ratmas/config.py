"""config.toml plus environment -> frozen, validated settings.

Where the file comes from: `--config PATH`, else `$RATMAS_CONFIG`, else `./config.toml`
(when that default file is absent the built-in defaults apply). Secrets never live in
the file: the Discord token is read from the environment variable named by
`[discord] token_env`. `DATABASE_URL` overrides `[database] url`.

Every problem is a `ConfigError` whose one-line message names the file, the key, the
bad value and what is allowed.
"""

from __future__ import annotations

import functools
import os
import re
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
DATABASE_URL_FORMS = (
    "sqlite://PATH, sqlite://:memory:, file:PATH (the original service's form) or "
    "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
)
# Ranges the scheduler and the datetime arithmetic can use, in seconds.
TICK_SECONDS = (1, 86_400)  # up to a day
MISFIRE_GRACE_SECONDS = (1, 604_800)  # up to a week
RESUME_AFTER_SECONDS = (1, 86_400)  # up to a day
MAX_CONCURRENT_DMS = (1, 50)
# Discord keeps a nonce "a few minutes": resending with it must stay well inside that.
NONCE_WINDOW_SECONDS = (1, 240)
MIN_PARTICIPANTS = (2, 10_000)
# Whole days before the start / the purchase deadline; 0 turns a reminder off.
REMINDER_DAYS = (0, 30)
AVOID_PREVIOUS_EVENTS = (0, 50)
MESSAGES_PER_DAY = (1, 1000)
SHARD_COUNT = (1, 65_536)
# Names zoneinfo resolves that are not IANA timezones a guild could mean.
NOT_TIMEZONES = frozenset({"localtime", "Factory", "posixrules"})


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """Settings declared for one guild; applied at startup, overridable by commands."""

    id: int
    announcement_channel_id: int | None = None
    participant_role_id: int | None = None
    manager_role_id: int | None = None
    timezone: str | None = None
    wishlist_days_before_start: int | None = None
    gift_days_before_deadline: int | None = None


@dataclass(frozen=True, slots=True)
class RemindersConfig:
    """Days before the start / the purchase deadline that members who still have
    something to do are reminded by DM (0: no such reminder); guilds may override."""

    wishlist_days_before_start: int = 2
    gift_days_before_deadline: int = 3


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    tick_seconds: int = 60
    misfire_grace_seconds: int = 3600
    coalesce: bool = True
    # How long an unfinished phase (DMs still pending after a crash) must show no
    # progress before this process finishes it in another's place.
    resume_after_seconds: int = 120


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """How DMs are paced and shown (README, "Configuration" explains the defaults)."""

    dms_per_second: float = 5.0
    requests_per_second: float = 40.0
    max_concurrent_dms: int = 5
    nonce_window_seconds: int = 60
    progress_after_seconds: float = 10.0
    progress_every_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class MessagesConfig:
    """Anonymous messages between santas and giftees (`/ratmas message`)."""

    # Per sender and event, over a rolling 24 hours.
    max_per_day: int = 20


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
    # How many of a guild's earlier drawn events the draw avoids repeating pairs of.
    avoid_previous_events: int = 2
    log_level: str = "INFO"
    discord: DiscordConfig = DiscordConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    guilds: tuple[GuildConfig, ...] = ()
    backup: BackupConfig = BackupConfig()
    messages: MessagesConfig = MessagesConfig()
    reminders: RemindersConfig = RemindersConfig()
    # Things the operator should know that do not stop the program (one line each).
    warnings: tuple[str, ...] = ()

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
        # Still show it (the operator must see what is wrong), minus any password.
        return re.sub(r"(://[^/@:]*:)[^@/]*@", r"\1***@", url)
    if parts.password is None:
        return url
    userinfo = f"{parts.username or ''}:***"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


def normalize_database_url(url: str) -> str:
    """`url` in the form Tortoise reads: the original service's `file:PATH` becomes
    `sqlite://PATH` (relative to the working directory, like Prisma's), and
    `file::memory:` becomes `sqlite://:memory:`. Anything else is returned as it is."""
    if not url.startswith("file:") or validate_database_url(url) is not None:
        return url
    path = url.removeprefix("file:")
    if path.startswith(":memory:"):
        return "sqlite://:memory:"
    if path.startswith("//"):  # file:///absolute/path
        path = path.removeprefix("//")
    return f"sqlite://{path}"


def validate_database_url(url: str) -> str | None:
    """None when `url` is usable, else what is wrong with it."""
    allowed = DATABASE_URL_FORMS
    if url != url.strip() or any(ord(c) < 32 or c == "\x7f" for c in url):
        return f"contains spaces or control characters at its ends or inside; expected {allowed}"
    if url.startswith("file:"):
        return _file_url_problem(url.removeprefix("file:"), allowed)
    try:
        parts = urlsplit(url)
        if parts.scheme != "sqlite":  # sqlite://:memory: has no port
            _ = parts.port
    except ValueError as exc:
        return f"not a URL ({exc}); expected {allowed}"
    if parts.scheme not in DATABASE_SCHEMES:
        return f"unsupported scheme {parts.scheme!r}; expected {allowed}"
    if parts.scheme == "sqlite":
        path = parts.netloc + parts.path
        if not path.strip("/") or path != path.strip():
            return f"missing the file path; expected {allowed}"
        return None
    if not parts.hostname or not parts.path.strip("/"):
        return f"needs a host and a database name; expected {allowed}"
    return None


def _file_url_problem(path: str, allowed: str) -> str | None:
    if path.startswith(":memory:"):
        return None
    if path.startswith("//") and not path.startswith("///"):
        return f"a file: URL names a local path (file:PATH or file:///PATH); expected {allowed}"
    if "?" in path or "#" in path:
        return f"query parameters are not supported in file: URLs; expected {allowed}"
    if not path.strip("/") or path.endswith("/"):
        return f"missing the file path; expected {allowed}"
    return None


def is_timezone(name: str) -> bool:
    """Whether `name` is an IANA timezone (not a host file such as `localtime`)."""
    if name in NOT_TIMEZONES or name not in _iana_zones():
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@functools.cache
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read and validate the configuration (see the module docstring for precedence)."""
    env = os.environ if environ is None else environ
    explicit = path if path is not None else env.get("RATMAS_CONFIG") or None
    file = Path(explicit) if explicit is not None else DEFAULT_CONFIG_PATH
    if file.is_file():
        data = _read_toml(file)
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
        settings = replace(settings, database_url=normalize_database_url(override))
    legacy = env.get("DATABASE_PATH")
    if legacy is not None:
        settings = replace(
            settings,
            warnings=(
                *settings.warnings,
                f"DATABASE_PATH = {legacy!r} is ignored (a setting of the original service); "
                f"set DATABASE_URL (e.g. DATABASE_URL=file:{legacy or 'PATH'}) instead; "
                f"using {redact_url(settings.database_url)}",
            ),
        )
    return settings


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save the config file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{file}: not valid TOML: {reason}") from None


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
            {
                "database",
                "discord",
                "ratmas",
                "scheduler",
                "delivery",
                "logging",
                "guilds",
                "backup",
                "messages",
                "reminders",
            },
        )
        db = self.table(top, "database", {"url"})
        discord = self.table(
            top,
            "discord",
            {"token_env", "api_base_url", "shard_count", "shard_ids", "members_intent"},
        )
        ratmas = self.table(
            top, "ratmas", {"default_timezone", "min_participants", "avoid_previous_events"}
        )
        sched = self.table(
            top,
            "scheduler",
            {"tick_seconds", "misfire_grace_seconds", "coalesce", "resume_after_seconds"},
        )
        logging_ = self.table(top, "logging", {"level"})
        delivery = self.table(
            top,
            "delivery",
            {
                "dms_per_second",
                "requests_per_second",
                "max_concurrent_dms",
                "nonce_window_seconds",
                "progress_after_seconds",
                "progress_every_seconds",
            },
        )
        backup = self.table(top, "backup", {"dir", "every_hours", "keep", "keep_snapshots"})
        messages = self.table(top, "messages", {"max_per_day"})
        reminders = self.table(
            top, "reminders", {"wishlist_days_before_start", "gift_days_before_deadline"}
        )

        url = normalize_database_url(
            self.get(db, "database", "url", str, DEFAULT_DATABASE_URL, validate_database_url)
        )
        default_tz = self.get(ratmas, "ratmas", "default_timezone", str, "UTC", _tz_problem)
        shard_count = (
            self.get(discord, "discord", "shard_count", int, 0, _within(*SHARD_COUNT)) or None
        )
        shard_ids_raw = self.get(discord, "discord", "shard_ids", list, [])
        shard_ids = self._shard_ids(shard_ids_raw, shard_count)
        return Settings(
            source=self.source,
            database_url=url,
            default_timezone=default_tz,
            min_participants=self.get(
                ratmas, "ratmas", "min_participants", int, 3, _within(*MIN_PARTICIPANTS)
            ),
            avoid_previous_events=self.get(
                ratmas,
                "ratmas",
                "avoid_previous_events",
                int,
                2,
                _within(*AVOID_PREVIOUS_EVENTS),
            ),
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
                tick_seconds=self.get(
                    sched, "scheduler", "tick_seconds", int, 60, _within(*TICK_SECONDS)
                ),
                misfire_grace_seconds=self.get(
                    sched,
                    "scheduler",
                    "misfire_grace_seconds",
                    int,
                    3600,
                    _within(*MISFIRE_GRACE_SECONDS),
                ),
                coalesce=self.get(sched, "scheduler", "coalesce", bool, True),
                resume_after_seconds=self.get(
                    sched,
                    "scheduler",
                    "resume_after_seconds",
                    int,
                    120,
                    _within(*RESUME_AFTER_SECONDS),
                ),
            ),
            delivery=self._delivery(delivery),
            guilds=self._guilds(top.get("guilds", [])),
            backup=BackupConfig(
                dir=self.get(backup, "backup", "dir", str, "data/backups", _non_empty),
                every_hours=self.get(backup, "backup", "every_hours", int, 24, _within(0, 8784)),
                keep=self.get(backup, "backup", "keep", int, 7, _within(1, 10_000)),
                keep_snapshots=self.get(
                    backup, "backup", "keep_snapshots", int, 100, _within(1, 100_000)
                ),
            ),
            messages=MessagesConfig(
                max_per_day=self.get(
                    messages, "messages", "max_per_day", int, 20, _within(*MESSAGES_PER_DAY)
                ),
            ),
            reminders=RemindersConfig(
                wishlist_days_before_start=self.get(
                    reminders,
                    "reminders",
                    "wishlist_days_before_start",
                    int,
                    2,
                    _within(*REMINDER_DAYS),
                ),
                gift_days_before_deadline=self.get(
                    reminders,
                    "reminders",
                    "gift_days_before_deadline",
                    int,
                    3,
                    _within(*REMINDER_DAYS),
                ),
            ),
        )

    def _number(self, table: Mapping[str, Any], name: str, default: float, most: float) -> float:
        """A positive number (integer or float) of `[delivery]`, at most `most`."""
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"delivery.{name}", value, "expected a number")
        if not 0 < value <= most:
            raise self.fail(f"delivery.{name}", value, f"must be above 0 and at most {most:g}")
        return float(value)

    def _delivery(self, table: Mapping[str, Any]) -> DeliveryConfig:
        return DeliveryConfig(
            dms_per_second=self._number(table, "dms_per_second", 5.0, 45),
            # Discord allows 50 requests/s per bot: keep room for everything else.
            requests_per_second=self._number(table, "requests_per_second", 40.0, 45),
            max_concurrent_dms=self.get(
                table, "delivery", "max_concurrent_dms", int, 5, _within(*MAX_CONCURRENT_DMS)
            ),
            nonce_window_seconds=self.get(
                table, "delivery", "nonce_window_seconds", int, 60, _within(*NONCE_WINDOW_SECONDS)
            ),
            progress_after_seconds=self._number(table, "progress_after_seconds", 10.0, 3600),
            progress_every_seconds=self._number(table, "progress_every_seconds", 5.0, 3600),
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
            "wishlist_days_before_start",
            "gift_days_before_deadline",
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
                    wishlist_days_before_start=self._optional_days(
                        table, key, "wishlist_days_before_start"
                    ),
                    gift_days_before_deadline=self._optional_days(
                        table, key, "gift_days_before_deadline"
                    ),
                )
            )
        return tuple(guilds)

    def _optional_id(self, table: Mapping[str, Any], key: str, name: str) -> int | None:
        return self.get(table, key, name, int, 0, _snowflake) or None

    def _optional_days(self, table: Mapping[str, Any], key: str, name: str) -> int | None:
        """A guild's reminder days (0 is a value: that reminder off), None when absent."""
        if name not in table:
            return None
        return self.get(table, key, name, int, 0, _within(*REMINDER_DAYS))


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def _within(low: int, high: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"expected an integer from {low} to {high}"

    return check


def _snowflake(value: int) -> str | None:
    # Stored in signed 64-bit columns (BIGINT); Discord ids stay well below 2**63.
    return None if 0 < value < 2**63 else "expected a Discord id (a positive 64-bit integer)"


def _non_empty(value: str) -> str | None:
    return None if value.strip() and "\x00" not in value else "expected a directory path"


def _tz_problem(value: str) -> str | None:
    return None if is_timezone(value) else "unknown IANA timezone; use a name like Europe/London"


def _env_name(value: str) -> str | None:
    ok = value and value.replace("_", "A").isalnum() and not value[0].isdigit()
    return None if ok else "expected an environment variable name like DISCORD_TOKEN"


def _http_url(value: str) -> str | None:
    allowed = "expected an http:// or https:// URL with a host, e.g. https://discord.com/api/v10"
    if value != value.strip() or any(ord(c) < 32 or c == "\x7f" or c == " " for c in value):
        return f"contains spaces or control characters; {allowed}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"not a URL ({exc}); {allowed}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return allowed
    if port == 0:
        return f"port 0 is not a port one can connect to; {allowed}"
    if parts.query or parts.fragment:
        return f"a base URL takes no query or fragment; {allowed}"
    return None
