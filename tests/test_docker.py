"""The Docker pieces, checked without a Docker engine: the Dockerfile's instructions,
the commands it runs (they must be real `ratmas` commands), where its default database
lands, and compose.yaml's wiring. hadolint lints the Dockerfile in .ci/run."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

from ratmas.cli import build_parser
from ratmas.config import load_settings
from ratmas.persistence.db import sqlite_path

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
    return found


def stages() -> list[list[tuple[str, str]]]:
    split: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            split.append([])
        if split:
            split[-1].append(instruction)
    return split


def last(stage: list[tuple[str, str]], word: str) -> str:
    return [args for w, args in stage if w == word][-1]


def exec_form(args: str) -> list[str]:
    parsed = json.loads(args)
    assert isinstance(parsed, list)
    return [str(a) for a in parsed]


def test_two_stages_on_python_312_slim() -> None:
    build, run = stages()
    assert build[0] == ("FROM", "python:3.12-slim AS build")
    assert run[0] == ("FROM", "python:3.12-slim")
    assert ("COPY", "--from=build /opt/ratmas /opt/ratmas") in run


def test_dependencies_are_installed_with_the_pins() -> None:
    (build, _) = stages()
    install = " ".join(args for w, args in build if w == "RUN")
    assert "--constraint constraints.txt ." in install
    copied = " ".join(args for w, args in build if w == "COPY")
    for needed in ("constraints.txt", "pyproject.toml", "ratmas", "jobs", "migrations"):
        assert needed in copied


def test_runs_as_a_user_without_privileges_with_the_data_volume() -> None:
    (_, run) = stages()
    user = last(run, "USER")
    assert user.split(":")[0] not in ("root", "0")
    assert exec_form(last(run, "VOLUME")) == ["/app/data"]
    assert last(run, "WORKDIR") == "/app"


def test_the_default_database_lands_on_the_volume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no config file and no DATABASE_URL, as in the image, the database is
    data/ratmas.sqlite under the working directory (/app there): on the volume."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    path = sqlite_path(settings.database_url)
    assert path is not None
    assert (Path("/app") / path).resolve() == Path("/app/data/ratmas.sqlite")


def test_cmd_and_healthcheck_are_ratmas_commands() -> None:
    (_, run) = stages()
    assert exec_form(last(run, "CMD")) == ["ratmas", "run"]
    healthcheck = last(run, "HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in options
    argv = exec_form(command)
    assert argv[0] == "ratmas"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "health"
    assert last(run, "STOPSIGNAL") == "SIGTERM"


def test_compose_runs_the_bot_after_a_healthy_postgres_with_rotated_logs() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    db, bot = compose["services"]["db"], compose["services"]["bot"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert bot["build"] == "."
    for service in (db, bot):
        assert service["logging"]["driver"] == "json-file"
        assert set(service["logging"]["options"]) == {"max-size", "max-file"}
        assert service["restart"] == "unless-stopped"
    # Secrets come from the environment, never from the file.
    assert bot["environment"]["DISCORD_TOKEN"].startswith("${DISCORD_TOKEN:?")
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "/app/data" in " ".join(bot["volumes"])


def test_compose_database_url_is_one_ratmas_accepts() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    url = compose["services"]["bot"]["environment"]["DATABASE_URL"]
    filled = url.replace("${POSTGRES_PASSWORD}", "example-password")
    settings = load_settings(ROOT / "config.toml", environ={"DATABASE_URL": filled})
    assert settings.database_url == "postgres://ratmas:example-password@db:5432/ratmas"
    assert shlex.split(url) == [url]  # no spaces a shell or compose would split
