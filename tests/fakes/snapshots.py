"""`InMemorySnapshots`: the `SnapshotStore` port in a dictionary."""

from __future__ import annotations


class InMemorySnapshots:
    """`SnapshotStore` in a dictionary: name -> text."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write(self, name: str, text: str) -> str:
        self.files[name] = text
        return name

    def names(self) -> list[str]:
        return sorted(self.files)

    def read(self, name: str) -> str:
        return self.files[name]

    def remove(self, name: str) -> None:
        self.files.pop(name, None)
