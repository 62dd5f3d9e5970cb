"""The call screen's layout at the call centre's size and at a roomy one, guarded by SVG snapshots.

Run `pytest tests/tui/test_snapshots.py --snapshot-update` after a deliberate layout change, look at the
report, and commit the new snapshots.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from orders.drafts import DraftStore
from orders.settings import Settings
from tui.app import TelesalesApp
from tui.demo import SIZES, ensure_demo
from tui.screens.call import CallScreen


@pytest.fixture
def demo_engine(sqlite_engine: Engine) -> Engine:
    ensure_demo(sqlite_engine, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)
    return sqlite_engine


async def open_next_call(pilot: Any) -> None:
    app = pilot.app
    await pilot.press(*"demo", "enter", *"0000", "enter")
    for _ in range(60):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if getattr(app.screen, "entries", None):
            break
    await pilot.press("n")
    for _ in range(60):
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, CallScreen) and screen.view is not None and screen.script is not None and app.matcher:
            break
    await pilot.press(*"rzh 2")
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_call_screen_layout(snap_compare: Any, demo_engine: Engine, tmp_path: Path, size: tuple[int, int]) -> None:
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    assert snap_compare(app, terminal_size=size, run_before=open_next_call)
