"""What a stored value may be: the ranges of the columns and the text we accept.

Every number, id and text that enters from outside (a slash command, an export file,
the original bot's database) is checked here before it reaches the database, so a
value the database cannot hold is refused with a message naming the field, never
discovered as a driver error halfway through a write. Errors are `InvalidInput`.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from ratmas.domain.errors import InvalidInput

# Discord ids are stored in BIGINT columns: signed 64-bit.
MAX_ID: Final = 2**63 - 1
# Counters and error codes are INT columns: signed 32-bit.
MIN_INT32: Final = -(2**31)
MAX_INT32: Final = 2**31 - 1

# Categories a stored text never contains: control characters (NUL included),
# surrogates (a lone one cannot even be encoded as UTF-8), unassigned code points.
_FORBIDDEN_TEXT: Final = frozenset({"Cc", "Cs", "Cn"})
# Invisible characters that change how a link reads (bidirectional overrides, zero-width
# spaces, the BOM...) are "format" characters; links refuse them, and private-use ones.
_FORBIDDEN_IN_LINKS: Final = frozenset({"Cc", "Cs", "Cn", "Cf", "Co", "Zs", "Zl", "Zp"})
# One line of free text: no control characters at all (newline and tab included), no
# line or paragraph separators, and none of the bidirectional embeddings, overrides
# and isolates that would show the text in another order than it was typed.
_FORBIDDEN_IN_LINE: Final = frozenset({"Cc", "Cs", "Cn", "Zl", "Zp"})
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

MAX_BUDGET_LENGTH: Final = 100
# An event's id in the original TypeScript bot's database (VARCHAR(64), unique).
MAX_LEGACY_ID: Final = 64
MAX_NOTES_LENGTH: Final = 500


def check_id(value: object, field: str) -> int:
    """A Discord id (snowflake): a positive integer that fits a signed 64-bit column.

    Accepts an int or a string of decimal digits (exports and the original bot write
    ids as strings, since they do not fit a JavaScript number)."""
    allowed = f"expected a Discord id: decimal digits, from 1 to {MAX_ID}"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInput(field, allowed)
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            raise InvalidInput(field, allowed)
        number = int(value)
    else:
        number = value
    if not 1 <= number <= MAX_ID:
        raise InvalidInput(field, allowed)
    return number


def check_int32(value: object, field: str, *, minimum: int = MIN_INT32) -> int:
    """An integer (not a bool, a float or a string) that fits a 32-bit column."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"expected an integer from {minimum} to {MAX_INT32}")
    if not minimum <= value <= MAX_INT32:
        raise InvalidInput(field, f"expected an integer from {minimum} to {MAX_INT32}")
    return value


def check_text(value: object, field: str, *, max_length: int, allow_empty: bool = True) -> str:
    """A string of at most `max_length` characters without control characters (tab and
    newline aside), lone surrogates or unassigned code points."""
    if not isinstance(value, str):
        raise InvalidInput(field, "expected a string")
    if len(value) > max_length:
        raise InvalidInput(field, f"at most {max_length} characters, got {len(value)}")
    if not allow_empty and not value.strip():
        raise InvalidInput(field, "must not be empty")
    for char in value:
        if char not in "\t\n" and unicodedata.category(char) in _FORBIDDEN_TEXT:
            raise InvalidInput(
                field,
                f"contains {_codepoint(char)}; control characters, lone "
                "surrogates and unassigned characters are not allowed",
            )
    return value


def check_line(value: object, field: str, *, max_length: int) -> str | None:
    """One line of free text as stored: stripped, at most `max_length` characters, no
    control characters (newlines and tabs included), line separators or bidirectional
    controls. None, or nothing but whitespace, is "not set" (None).

    Every refusal is `InvalidInput(field, ...)` and names the limit. The text is never
    quoted back: it may be private (a participant's notes)."""
    allowed = f"at most {max_length} characters on one line, without control characters"
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, f"{allowed}; got {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    if len(text) > max_length:
        raise InvalidInput(field, f"{allowed}; this one has {len(text)} characters")
    for char in text:
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _FORBIDDEN_IN_LINE:
            raise InvalidInput(field, f"{allowed}; it contains {_codepoint(char)}")
    return text


def validate_budget(value: object) -> str | None:
    """An event's budget as stored ("€20–30"): one line of at most 100 characters, or
    None for no budget. `InvalidInput("budget", ...)` otherwise."""
    return check_line(value, "budget", max_length=MAX_BUDGET_LENGTH)


def validate_notes(value: object) -> str | None:
    """A participant's notes for their santa (sizes, allergies, a delivery hint): one
    line of at most 500 characters, or None for no notes. `InvalidInput("notes", ...)`
    otherwise, never quoting the text."""
    return check_line(value, "notes", max_length=MAX_NOTES_LENGTH)


def link_problem(text: str) -> str | None:
    """Why `text` cannot be shown as a link (None when it can): whitespace, invisible or
    bidirectional-control characters, and the characters Discord's Markdown or a link
    renderer would read as something else (`<`, `>`, `|`, backticks, quotes, braces,
    backslashes, `^`)."""
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN_IN_LINKS:
            return f"it contains {_codepoint(char)} (spaces and invisible characters)"
        if char in '<>|`"{}\\^':
            return f"it contains {char!r}"
    return None


def _codepoint(char: str) -> str:
    name = unicodedata.name(char, "") if unicodedata.category(char) != "Cs" else ""
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def shown(value: object) -> str:
    """A value as a message shows it: repr, cut short, always encodable."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
