"""The SQLite file deleted or replaced while a call is open: F5 + Enter places nothing, says that the file is
gone, keeps the read-back open and the draft on disk (before, the order was reported placed and lost)."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
import typer
from rich.console import Console
from sqlalchemy import Engine, func, select
from textual.widgets import Static

from db.engine import DatabaseFileGone, make_engine
from db.tables import ORDER
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import open_call, workers_done
from tui.app import TelesalesApp
from tui.cli.main import cli_errors
from tui.screens.call import CallScreen
from tui.screens.dialogs import ReadbackScreen
from tui.widgets.banner import DbBanner


def shown(widget: Static) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(widget.content)
    return " ".join(out.getvalue().split())


def orders_in(path: Path) -> int:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ORDER)).scalar() or 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_no_order_is_reported_placed_into_a_gone_file(
    how: str, demo_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    with demo_engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = tmp_path / "backup.db"
    shutil.copy(path, backup)  # the same database, restored from a copy: every table there, writes would work
    store = DraftStore(tmp_path / "drafts")
    app = TelesalesApp(demo_engine, Settings(), drafts=store)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        assert isinstance(call, CallScreen) and call.draft is not None and call.draft.call_id is not None
        await pilot.press(*"yx 3", "enter")
        await pilot.pause()
        typed = [(x.code, x.qty) for x in call.draft.lines]
        assert len(typed) == 1

        if how == "deleted":
            path.unlink()
        else:
            os.replace(backup, path)
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(60):
            await workers_done(app)
            await pilot.pause()
            if app.db_down:
                break
        assert app.db_down and not call.placed
        readback = app.screen
        assert isinstance(readback, ReadbackScreen) and readback.waiting_for_db  # open, waiting
        banner = readback.query_one(DbBanner)
        assert banner.has_class("shown")
        said = shown(banner)
        assert "数据库文件已被删除或替换" in said and str(path) in said, said
        assert "无人" not in said and "sqlite" not in said.lower().replace(str(path).lower(), "")
        assert "数据库文件不见了" in shown(readback.query_one("#readback-status", Static))
        app.flush_drafts()
        saved = store.load("demo", call.code)
        assert saved is not None and [(x.code, x.qty) for x in saved.lines] == typed
        assert [(x.code, x.qty) for x in call.draft.lines] == typed

        await pilot.press("escape")  # back to the call: the draft is still there, nothing was placed
        await pilot.pause()
        assert app.screen is call and [(x.code, x.qty) for x in call.draft.lines] == typed
    if how == "deleted":
        assert not path.exists()  # not even an empty file recreated at the path
    else:
        assert orders_in(path) == 0


def test_the_cli_says_one_sentence_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as caught, cli_errors():
        raise DatabaseFileGone("/srv/telesales.db", "was deleted")
    assert caught.value.exit_code == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "telesales: the database failed: the database file /srv/telesales.db was deleted after it was opened;"
        " nothing more is written to it"
    )
