"""The minimal TUI at the call centre's terminal size: the summary, the demo logins, F1 help, q quits."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import Engine
from textual.widgets import Footer, Static

from orders.demo import SIZES, ensure_demo
from orders.settings import Settings
from tui.app import HelpScreen, TelesalesApp


def text_of(widget: Static) -> str:
    """What the widget shows, as plain text (rich lays out Chinese as double-width cells, like the terminal)."""
    out = io.StringIO()
    Console(file=out, width=78, color_system=None).print(widget.content)
    return out.getvalue()


@pytest.fixture
def demo_engine(sqlite_engine: Engine) -> Engine:
    ensure_demo(sqlite_engine, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)
    return sqlite_engine


async def test_summary_shows_counts_and_demo_logins(demo_engine: Engine) -> None:
    app = TelesalesApp(demo_engine, Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = text_of(app.screen.query_one("#summary-table", Static))
        assert "零售户" in table and "200 户" in table
        assert "品规" in table and "153 个" in table
        assert "未结工单" in table and "12 张" in table
        logins = text_of(app.screen.query_one("#demo-logins", Static))
        assert "演示账号: demo / lead, PIN 0000" in logins
        assert "Demo logins: demo / lead, PIN 0000" in logins
        assert app.screen.query_one(Footer)


async def test_f1_lists_every_key_and_q_quits(demo_engine: Engine) -> None:
    app = TelesalesApp(demo_engine, Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = text_of(app.screen.query_one("#help-keys", Static))
        for key in ("F1", "q", "Ctrl+Q", "r", "Ctrl+P"):
            assert f"\n{key} " in "\n" + keys, key
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_an_unreadable_database_shows_a_message_instead_of_crashing(sqlite_url: str) -> None:
    from db.engine import make_engine

    engine = make_engine(sqlite_url)  # never migrated: no tables at all
    app = TelesalesApp(engine, Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        error = text_of(app.screen.query_one("#summary-error", Static))
        assert "读取数据库失败" in error
        assert app.is_running
