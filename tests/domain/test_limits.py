"""The one-line texts members and managers type: an event's budget and a participant's
notes for their santa. Any string is either kept exactly (stripped, within the limit,
nothing that could reshape a line) or refused naming the field and the limit."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ratmas.domain.errors import InvalidInput
from ratmas.domain.limits import (
    MAX_BUDGET_LENGTH,
    MAX_NOTES_LENGTH,
    validate_budget,
    validate_notes,
)

RULES: list[tuple[Callable[[object], str | None], str, int]] = [
    (validate_budget, "budget", MAX_BUDGET_LENGTH),
    (validate_notes, "notes", MAX_NOTES_LENGTH),
]
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def acceptable(text: str, limit: int) -> bool:
    """The rule, written out independently of the implementation."""
    kept = text.strip()
    return len(kept) <= limit and not any(
        c in BIDI or unicodedata.category(c) in ("Cc", "Cs", "Cn", "Zl", "Zp") for c in kept
    )


# Mostly printable text, with room for the characters that must be refused.
TEXTS = st.one_of(
    st.text(max_size=120),
    st.text(min_size=90, max_size=600),
    st.text(alphabet=st.sampled_from("ab €–@<>#*\n\t\r\x00\u2028\u202e\u200b"), max_size=520),
)


@pytest.mark.parametrize(("rule", "field", "limit"), RULES)
@given(text=TEXTS)
@example(text="")
@example(text="   ")
@example(text="€20–30")
@example(text="x" * 100)
@example(text="x" * 101)
@example(text="x" * 500)
@example(text="x" * 501)
@example(text=" size M \n")
@example(text="size\nM")
@example(text="@everyone <@123> <@&456>")
@example(text="\ud800")
def test_any_text_is_kept_exactly_or_refused_naming_field_and_limit(
    rule: Callable[[object], str | None], field: str, limit: int, text: str
) -> None:
    if not acceptable(text, limit):
        with pytest.raises(InvalidInput) as refused:
            rule(text)
        assert refused.value.field == field
        assert f"at most {limit} characters" in refused.value.problem
        return
    kept = rule(text)
    assert kept == (text.strip() or None)
    assert kept is None or len(kept) <= limit


@pytest.mark.parametrize(("rule", "field", "limit"), RULES)
@pytest.mark.parametrize("value", [1, 2.5, b"bytes", ["a"], True])
def test_what_is_not_text_is_refused(
    rule: Callable[[object], str | None], field: str, limit: int, value: object
) -> None:
    with pytest.raises(InvalidInput) as raised:
        rule(value)
    assert raised.value.field == field
    assert f"at most {limit} characters" in raised.value.problem


def test_none_means_not_set() -> None:
    assert validate_budget(None) is None
    assert validate_notes(None) is None


def test_a_refusal_never_quotes_the_notes() -> None:
    secret = "allergic to peanuts " * 30
    with pytest.raises(InvalidInput) as raised:
        validate_notes(secret)
    assert "peanuts" not in str(raised.value)
    with pytest.raises(InvalidInput) as raised:
        validate_notes("ring size 7\nleave at the door")
    assert "ring" not in str(raised.value)
    assert "U+000A" in str(raised.value)
