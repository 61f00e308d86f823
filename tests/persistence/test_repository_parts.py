"""The parts each repository is composed of do not overlap.

`TortoiseEventRepository` is composed of one mixin per aggregate
(`ratmas/persistence/repository/`), and its fake `InMemoryEventRepository` the same way
(`tests/fakes/repository/`). A method defined in two parts would be silently shadowed by
whichever comes first in the class's bases, so each name must have exactly one home.
"""

from __future__ import annotations

from collections import Counter

import pytest

from ratmas.persistence.repository import TortoiseEventRepository
from tests.fakes import InMemoryEventRepository


@pytest.mark.parametrize("repository", [TortoiseEventRepository, InMemoryEventRepository])
def test_no_method_is_defined_in_two_parts(repository: type) -> None:
    parts = repository.__mro__[1:-1]
    assert len(parts) > 5
    names = Counter(name for part in parts for name in vars(part) if not name.startswith("__"))
    twice = sorted(name for name, count in names.items() if count > 1)
    assert not twice, f"defined in more than one part: {twice}"
