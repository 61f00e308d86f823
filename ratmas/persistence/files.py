"""Snapshot and backup files on disk, under `[backup] dir`.

Snapshots go to `<dir>/snapshots/`, scheduled backups to `<dir>/` itself. Every file is
readable by its owner only (it holds the pairings) and is written under a temporary
name, then renamed, so a crash never leaves half a file under a real name.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

from ratmas.domain.errors import NotFound, RatmasError


class FileError(RatmasError):
    """A snapshot or backup file that cannot be written or read."""


def write_private(target: Path, text: str) -> Path:
    """Write `text` to `target` (mode 0600) atomically; `FileError` naming it."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        partial.replace(target)
    except OSError as error:
        raise FileError(f"cannot write {target}: {error.strerror}") from None
    return target


async def write_private_stream(target: Path, chunks: AsyncIterator[str]) -> Path:
    """`write_private` for text that comes in pieces, written as they come (a large
    backup is never one string); nothing is left behind when `chunks` fails."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                async for chunk in chunks:
                    file.write(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
    except OSError as error:
        raise FileError(f"cannot write {target}: {error.strerror}") from None
    return target


class SnapshotFiles:
    """`SnapshotStore` over `<dir>/snapshots/`."""

    def __init__(self, backup_dir: str | Path) -> None:
        self.directory = Path(backup_dir) / "snapshots"

    def write(self, name: str, text: str) -> str:
        return str(write_private(self.directory / name, text))

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if p.suffix == ".json")

    def read(self, name: str) -> str:
        path = self.directory / Path(name).name
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise NotFound(f"There is no snapshot {path}.") from None
        except (OSError, UnicodeDecodeError) as error:
            raise FileError(f"cannot read {path}: {error}") from None

    def remove(self, name: str) -> None:
        (self.directory / Path(name).name).unlink(missing_ok=True)
