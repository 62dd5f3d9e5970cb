"""Cell-width helpers shared by the screens and the command line (`tui/cells.py`)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from tui.cells import fit


@pytest.mark.parametrize("width", [5, 8, 9, 14, 40])
def test_shop_names_are_cut_in_terminal_cells(width: int) -> None:
    cut = fit("解放西路便利店A解放", width)
    assert cut.cell_len <= width and cell_len(cut.plain) == cut.cell_len
    assert cut.plain.endswith("…") == (cell_len("解放西路便利店A解放") > width)
