"""config.toml and environment -> settings; every bad value is one line naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ratmas.config import DEFAULT_DATABASE_URL, load_settings, redact_url
from ratmas.domain.errors import ConfigError

REPO_CONFIG = Path(__file__).resolve().parents[1] / "config.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ratmas.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_committed_config_loads_with_the_defaults() -> None:
    settings = load_settings(REPO_CONFIG, environ={})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.discord.token_env == "DISCORD_TOKEN"
    assert settings.discord.api_base_url == "https://discord.com/api/v10"
    assert settings.min_participants == 3
    assert settings.avoid_previous_events == 2
    assert settings.scheduler.tick_seconds == 60
    assert settings.messages.max_per_day == 20
    assert settings.reminders.wishlist_days_before_start == 2
    assert settings.reminders.gift_days_before_deadline == 3
    assert settings.guilds == ()


def test_missing_default_file_means_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.source == "<defaults>"
    assert settings.database_url == DEFAULT_DATABASE_URL


def test_full_file_with_guilds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[database]
url = "postgres://ratmas@db.example:5432/ratmas"
[discord]
token_env = "RATMAS_TOKEN"
api_base_url = "http://127.0.0.1:9999/api/v10/"
shard_count = 4
shard_ids = [3]
[ratmas]
default_timezone = "Europe/Paris"
min_participants = 4
avoid_previous_events = 0
[scheduler]
tick_seconds = 5
misfire_grace_seconds = 120
resume_after_seconds = 10
coalesce = false
[logging]
level = "debug"
[reminders]
wishlist_days_before_start = 0
gift_days_before_deadline = 30
[[guilds]]
id = 123456789012345678
announcement_channel = 223456789012345678
participant_role = 323456789012345678
timezone = "Pacific/Auckland"
wishlist_days_before_start = 5
[[guilds]]
id = 123456789012345679
gift_days_before_deadline = 0
""",
    )
    settings = load_settings(path, environ={"RATMAS_TOKEN": " abc "})
    assert settings.token({"RATMAS_TOKEN": " abc "}) == "abc"
    assert settings.token({}) is None
    assert settings.discord.api_base_url == "http://127.0.0.1:9999/api/v10"
    assert settings.discord.shard_ids == (3,)
    assert settings.log_level == "DEBUG"
    assert settings.scheduler.coalesce is False
    assert settings.avoid_previous_events == 0
    assert settings.scheduler.resume_after_seconds == 10
    guild = settings.guild(123456789012345678)
    assert guild is not None
    assert guild.participant_role_id == 323456789012345678
    assert guild.manager_role_id is None
    assert guild.timezone == "Pacific/Auckland"
    assert (settings.reminders.wishlist_days_before_start, guild.wishlist_days_before_start) == (
        0,
        5,
    )
    assert guild.gift_days_before_deadline is None  # the [reminders] value applies
    other = settings.guild(123456789012345679)
    assert other is not None
    assert (other.wishlist_days_before_start, other.gift_days_before_deadline) == (None, 0)
    assert settings.reminders.gift_days_before_deadline == 30


def test_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite://a.sqlite"\n')
    env = {"RATMAS_CONFIG": str(path), "DATABASE_URL": "postgres://x@127.0.0.1/test"}
    settings = load_settings(environ=env)
    assert settings.source == str(path)
    assert settings.database_url == "postgres://x@127.0.0.1/test"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[database]\nurl = 5\n", "database.url = 5: expected a string"),
        ('[database]\nurl = "mysql://x/y"\n', "database.url = 'mysql://x/y': unsupported scheme"),
        ('[database]\nurl = "postgres://u:pw@/db"\n', "database.url = 'postgres://u:***@/db'"),
        ('[databse]\nurl = "x"\n', "databse = {'url': 'x'}: unknown key; allowed:"),
        (
            "[ratmas]\nmin_participants = 1\n",
            "min_participants = 1: expected an integer from 2 to 10000",
        ),
        (
            "[ratmas]\nmin_participants = true\n",
            "min_participants = True: expected an integer",
        ),
        (
            "[ratmas]\navoid_previous_events = -1\n",
            "avoid_previous_events = -1: expected an integer from 0 to 50",
        ),
        ('[ratmas]\ndefault_timezone = "Mars/Olympus"\n', "'Mars/Olympus': unknown IANA timezone"),
        (
            "[scheduler]\ntick_seconds = 0\n",
            "scheduler.tick_seconds = 0: expected an integer from 1 to 86400",
        ),
        ("[scheduler]\ncolesce = true\n", "scheduler.colesce = True: unknown key"),
        ('[logging]\nlevel = "loud"\n', "logging.level = 'loud': one of DEBUG"),
        ("[discord]\nshard_ids = [0]\n", "discord.shard_ids = [0]: needs discord.shard_count"),
        ("[discord]\nshard_count = 2\nshard_ids = [2]\n", "expected integers from 0 to 1"),
        ("[discord]\nshard_count = 2\nshard_ids = [0, 1]\n", "one shard per process"),
        ("[discord]\nshard_count = 2\n", "give this process's shard"),
        ('[discord]\napi_base_url = "ftp://x"\n', "expected an http:// or https:// URL"),
        ('[discord]\ntoken_env = "not a name"\n', "expected an environment variable name"),
        ("[[guilds]]\nannouncement_channel = 1\n", "guilds[0].id = None: required"),
        ("[[guilds]]\nid = -4\n", "guilds[0].id = -4: expected a Discord id"),
        ('[[guilds]]\nid = 1\ntimezone = "Nowhere"\n', "guilds[0].timezone = 'Nowhere'"),
        ("[[guilds]]\nid = 1\n[[guilds]]\nid = 1\n", "guilds[1].id = 1: declared twice"),
        ("[[guilds]]\nid = 1\nrole = 2\n", "guilds[0].role = 2: unknown key"),
        ("this is = not toml =", "not valid TOML"),
        ('[discord]\napi_base_url = "http://[::1"\n', "api_base_url = 'http://[::1': not a URL"),
        (
            '[discord]\napi_base_url = "http://host:99999/api"\n',
            "api_base_url = 'http://host:99999/api': not a URL (Port out of range",
        ),
        ('[database]\nurl = "sqlite:// "\n', "database.url = 'sqlite:// ': contains spaces"),
        ('[database]\nurl = "file://host/x.db"\n', "file: URL names a local path"),
        ('[database]\nurl = "file:x.db?mode=ro"\n', "query parameters are not supported"),
        ('[ratmas]\ndefault_timezone = "localtime"\n', "'localtime': unknown IANA timezone"),
        ('[ratmas]\ndefault_timezone = "Factory"\n', "'Factory': unknown IANA timezone"),
        (
            f"[scheduler]\ntick_seconds = {2**63 - 1}\n",
            f"tick_seconds = {2**63 - 1}: expected an integer from 1 to 86400",
        ),
        (
            f"[scheduler]\nmisfire_grace_seconds = {2**63 - 1}\n",
            "misfire_grace_seconds = 9223372036854775807: expected an integer from 1 to 604800",
        ),
        (
            f"[scheduler]\nresume_after_seconds = {2**63 - 1}\n",
            "resume_after_seconds = 9223372036854775807: expected an integer from 1 to 86400",
        ),
        (f"[[guilds]]\nid = {2**63}\n", "expected a Discord id"),
        (
            "[messages]\nmax_per_day = 0\n",
            "messages.max_per_day = 0: expected an integer from 1 to 1000",
        ),
        ("[messages]\nper_day = 5\n", "messages.per_day = 5: unknown key"),
        (
            "[reminders]\nwishlist_days_before_start = 31\n",
            "reminders.wishlist_days_before_start = 31: expected an integer from 0 to 30",
        ),
        (
            "[reminders]\ngift_days_before_deadline = 1.5\n",
            "reminders.gift_days_before_deadline = 1.5: expected an integer",
        ),
        (
            "[reminders]\ngift_days_before_deadline = -1\n",
            "gift_days_before_deadline = -1: expected an integer from 0 to 30",
        ),
        ("[reminders]\ngift_days = 2\n", "reminders.gift_days = 2: unknown key"),
        (
            "[[guilds]]\nid = 1\nwishlist_days_before_start = 99\n",
            "guilds[0].wishlist_days_before_start = 99: expected an integer from 0 to 30",
        ),
    ],
)
def test_bad_config_is_one_line_naming_file_key_and_value(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_bad_database_url_in_environment_is_redacted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, ""), environ={"DATABASE_URL": "postgres://u:hunter2@/"})
    assert "DATABASE_URL" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_redact_url() -> None:
    assert redact_url("postgres://u:pw@h:5/d") == "postgres://u:***@h:5/d"
    assert redact_url("postgres://u@h/d") == "postgres://u@h/d"
    assert redact_url("sqlite://data/x.sqlite") == "sqlite://data/x.sqlite"


def test_config_that_is_not_utf8_names_the_file_and_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('# Réglages\n[ratmas]\ndefault_timezone = "UTC"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert str(caught.value) == (
        f"{path}: not UTF-8 text (byte 0xe9 at offset 3); save the config file as UTF-8"
    )


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("file:./data/ratmas.sqlite", "sqlite://./data/ratmas.sqlite"),
        ("file:data/ratmas.sqlite", "sqlite://data/ratmas.sqlite"),
        ("file:/srv/ratmas/ratmas.sqlite", "sqlite:///srv/ratmas/ratmas.sqlite"),
        ("file:///srv/ratmas/ratmas.sqlite", "sqlite:///srv/ratmas/ratmas.sqlite"),
        ("file::memory:", "sqlite://:memory:"),
        ("file::memory:?cache=shared", "sqlite://:memory:"),
        ("sqlite://:memory:", "sqlite://:memory:"),
        ("sqlite:///abs/x.sqlite", "sqlite:///abs/x.sqlite"),
    ],
)
def test_the_original_services_file_urls_are_sqlite_paths(
    tmp_path: Path, given: str, used: str
) -> None:
    assert load_settings(write(tmp_path, ""), environ={"DATABASE_URL": given}).database_url == used
    in_file = write(tmp_path, f'[database]\nurl = "{given}"\n')
    assert load_settings(in_file, environ={}).database_url == used


def test_legacy_database_path_gives_one_warning_naming_database_url(tmp_path: Path) -> None:
    quiet = load_settings(write(tmp_path, ""), environ={})
    assert quiet.warnings == ()
    settings = load_settings(
        write(tmp_path, ""), environ={"DATABASE_PATH": "/app/data/ratmas.sqlite"}
    )
    assert settings.database_url == DEFAULT_DATABASE_URL
    (warning,) = settings.warnings
    assert "DATABASE_PATH" in warning
    assert "is ignored" in warning
    assert "DATABASE_URL=file:/app/data/ratmas.sqlite" in warning
    assert "\n" not in warning
