"""The parts `TortoiseEventRepository` is composed of do not overlap.

Each part (a mixin in `ratmas/persistence/repository/`) holds one aggregate's methods. A
method defined in two parts would be silently shadowed by whichever comes first in the
class's bases, so each name must have exactly one home.
"""

from __future__ import annotations

from collections import Counter

from ratmas.persistence.repository import TortoiseEventRepository


def test_no_method_is_defined_in_two_parts() -> None:
    parts = TortoiseEventRepository.__mro__[1:-1]
    assert len(parts) > 5
    names = Counter(name for part in parts for name in vars(part) if not name.startswith("__"))
    twice = sorted(name for name, count in names.items() if count > 1)
    assert not twice, f"defined in more than one part: {twice}"
