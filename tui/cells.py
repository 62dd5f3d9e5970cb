"""Widths in terminal cells, for the screens and the command line alike: a hanzi takes two cells, so `len()`
would misalign every Chinese name and cut it in the wrong place."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text


def pad(value: str, width: int) -> str:
    """`value` filled with spaces to `width` cells; a longer value is left whole."""
    return value + " " * max(0, width - cell_len(value))


def fit(text: str, width: int) -> Text:
    """`text` cut to `width` cells with an ellipsis, never half a character."""
    out = Text(text, no_wrap=True, overflow="ellipsis")
    if cell_len(text) > width:
        out.truncate(width, overflow="ellipsis")
    return out
