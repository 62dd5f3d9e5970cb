"""Plain-text tables for the command line, measured in terminal cells: a hanzi takes two, so len() would
misalign every Chinese name."""

from __future__ import annotations

from rich.cells import cell_len

from tui.cells import pad


def table(rows: list[list[str]]) -> str:
    """Rows of cells as aligned columns two spaces apart."""
    widths = [max(cell_len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
