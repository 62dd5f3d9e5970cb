"""The read-back's layout at 80x24 and 120x40, before and after a refusal, guarded by SVG snapshots.

The dialog is shown over a bare host app with a fixed draft and fixed flags, so the snapshot changes only when the
read-back does (not when the call screen underneath changes). Update with `--snapshot-update` after a deliberate
change and look at the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.reactive import reactive

from orders.drafts import Draft, DraftLine
from orders.placement import LineProblem, PlacementError
from orders.readback import Flag, line_flags
from tui.screens.dialogs import ReadbackScreen

LINES = [
    DraftLine("901001", "黄鹤楼(软1916)", 3, 88000),
    DraftLine("901002", "中华(硬)", 12, 38160, alternative="902001 中华(软)"),
    DraftLine("901003", "广州双喜(硬金五叶神新)", 6, 12190),
    DraftLine("901004", "白沙(硬精品三代)", 1, 12930),
]
USUAL = {"901001": 3, "901002": 2, "901004": None}


class FixedView:
    """The call view's one method the read-back uses, with fixed figures (a quota of 10 on 中华(硬))."""

    def flags(self, line: DraftLine, lang: Any) -> list[Flag]:
        quota = 10 if line.code == "901002" else None
        return line_flags(line, usual=USUAL.get(line.code, 6), quota_left=quota, lang=lang)


class Host(App[None]):
    db_down: reactive[bool] = reactive(False)  # every screen of ours watches it

    def __init__(self, refused: bool) -> None:
        super().__init__()
        self.refused = refused

    def on_mount(self) -> None:
        draft = Draft(operator="demo", customer="C1", lines=[DraftLine(**vars(x)) for x in LINES])
        screen = ReadbackScreen("C1", draft, FixedView())  # type: ignore[arg-type]
        self.push_screen(screen)
        if self.refused:
            problem = LineProblem("901002", 12, "quota_exceeded", limit=10, remaining=10, name="中华(硬)")
            self.call_after_refresh(screen._refused, PlacementError("refused", kind="quota_exceeded", lines=[problem]))


@pytest.mark.parametrize("refused", [False, True])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_readback_layout(snap_compare: Any, tmp_path: Path, size: tuple[int, int], refused: bool) -> None:
    async def settle(pilot: Any) -> None:
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(Host(refused), terminal_size=size, run_before=settle)
