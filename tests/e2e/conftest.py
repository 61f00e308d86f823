"""Fixtures for the end-to-end tests: a started sandbox with the Ratmas guild (see harness)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ratmas.sandbox import Sandbox
from tests.e2e.harness import World, make_world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """A running sandbox: a guild, #ratmas, a manager (Manage Server), six members, a lurker."""
    async with Sandbox() as sb:
        yield await make_world(sb)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file (serve() migrates it), for tests that need no second backend."""
    return f"sqlite://{tmp_path / 'ratmas.sqlite'}"
