"""What a name or a free text typed at a terminal may hold, checked before it reaches the database.

PostgreSQL refuses NUL in text and a varchar longer than its column; SQLite stores both, so the same input would
work on one backend and fail as a driver error on the other. A control character (an escape sequence, a
backspace) stored once garbles every screen, report and export that shows it later. So both are refused up
front, in one sentence naming the field, on every backend.
"""

from __future__ import annotations

import unicodedata

MAX_LOGIN = 32  # the width of every operator / login column
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")  # a pasted note keeps its line breaks and tabs


def shown(value: str, width: int = 40) -> str:
    """`value` quoted for a message, cut short so a 10,000-character argument does not become the message."""
    return repr(value) if len(value) <= width else repr(value[:width]) + f"… ({len(value)} characters)"


def operator_problem(value: str, what: str = "operator") -> str | None:
    """Why `value` cannot be recorded as who did something (operator, actor, assignee); None when it can."""
    cleaned = value.strip()
    if not cleaned or len(cleaned) > MAX_LOGIN:
        return f"{what} must be 1 to {MAX_LOGIN} characters, not {shown(value)}"
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        return f"{what} {shown(value)} holds a control or invisible character; use letters, digits and punctuation"
    return None


def text_problem(value: str, what: str = "text") -> str | None:
    """Why a free text (a complaint, a note) cannot be stored; None when it can. Line breaks and tabs may stay."""
    bad = sorted({ch for ch in value if unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS_ALLOWED})
    if bad:
        names = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:5])
        return f"{what} holds control characters ({names}); remove them and try again"
    return None
