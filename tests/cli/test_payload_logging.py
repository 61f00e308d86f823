"""Members' anonymous messages never reach a log: nextcord's loggers that print whole
request bodies and gateway events at DEBUG stay at INFO, whatever the configured level."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ratmas.cli import PAYLOAD_LOGGERS
from tests.cli.inprocess import run_main


@pytest.fixture
def restored_levels() -> Iterator[None]:
    names = [*PAYLOAD_LOGGERS, "ratmas", ""]
    before = {name: logging.getLogger(name).level for name in names}
    try:
        yield
    finally:
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restored_levels")
def test_debug_logging_leaves_the_payload_loggers_at_info(tmp_path: Path) -> None:
    config = tmp_path / "debug.toml"
    config.write_text(
        "[database]\nurl = 'sqlite://db/ratmas.sqlite'\n[logging]\nlevel = 'DEBUG'\n",
        encoding="utf-8",
    )
    logging.getLogger().setLevel(logging.DEBUG)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RATMAS_CONFIG")}
    result = run_main("--config", str(config), "migrate", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "nextcord.http" in PAYLOAD_LOGGERS
    assert "nextcord.gateway" in PAYLOAD_LOGGERS
    for name in PAYLOAD_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
