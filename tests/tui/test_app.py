"""The TUI at the call centre's terminal size, driven by keys as an order taker would."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, func, select
from textual.widgets import DataTable, Footer, Input, Static

from db.models import Call
from db.tables import AUDIT, ORDER, ORDER_LINE
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import workers_done
from tui.app import TelesalesApp
from tui.help import HelpScreen
from tui.screens.call import CallScreen
from tui.screens.login import LoginScreen
from tui.screens.queue import QueueScreen
from tui.screens.summary import SummaryScreen


def text_of(widget: Static) -> str:
    """What the widget shows, as plain text (rich lays out Chinese as double-width cells, like the terminal)."""
    out = io.StringIO()
    Console(file=out, width=78, color_system=None).print(widget.content)
    return out.getvalue()


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))


async def sign_in(pilot: object, login: str = "demo", pin: str = "0000") -> None:
    await pilot.press(*login, "enter", *pin, "enter")  # type: ignore[attr-defined]
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(50):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]
        if isinstance(app.screen, QueueScreen) and app.screen.entries:
            return


async def test_login_shows_the_demo_logins_and_refuses_a_wrong_pin(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(app)
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        logins = text_of(app.screen.query_one("#demo-logins", Static))
        assert "演示账号: demo / lead, PIN 0000" in logins
        assert app.screen.query_one(Footer)
        await pilot.press(*"demo", "enter", *"9999", "enter")
        await workers_done(app)
        await pilot.pause()
        assert "工号或 PIN 不对" in text_of(app.screen.query_one("#login-error", Static))
        assert app.screen.query_one("#login-pin", Input).value == ""
        assert app.screen.query_one("#login-id", Input).value == "demo"  # what was typed is kept


async def test_summary_from_the_login_screen_and_f1_help(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await workers_done(app)
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        table = text_of(app.screen.query_one("#summary-table", Static))
        assert "零售户" in table and "200 户" in table
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = text_of(app.screen.query_one("#help-keys", Static))
        for key in ("F1", "r", "Ctrl+P", "Esc"):
            assert f"\n{key} " in "\n" + keys, key
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)


async def test_an_order_takers_call_from_queue_to_outcome(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue.entries
        progress = text_of(queue.query_one("#queue-progress", Static))
        assert f"0/{len(queue.entries)}" in progress
        await pilot.press("n")
        for _ in range(50):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, CallScreen) and app.screen.view is not None and app.matcher is not None:
                break
        call = app.screen
        assert isinstance(call, CallScreen) and call.view is not None
        code = call.code
        await pilot.press("f2")
        await pilot.pause()
        assert call.draft is not None
        suggested = {line.code: line.qty for line in call.view.suggestion.lines}
        assert {line.code: line.qty for line in call.draft.lines} == suggested
        await pilot.press(*"rzh 2")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        rzh = next(line for line in call.draft.lines if line.code == "901002")
        assert rzh.qty == 2  # a product already in the draft is set to what was said, never silently added to
        assert call.query_one("#brand", Input).value == ""
        saved = DraftStore(tmp_path / "drafts", demo_engine)  # this terminal's folder, bound to the database
        app.flush_drafts()
        on_disk = saved.load("demo", code)
        assert on_disk is not None and [(x.code, x.qty) for x in on_disk.lines] == [
            (x.code, x.qty) for x in call.draft.lines
        ]
        want = {x.code: x.qty for x in call.draft.lines}
        await pilot.press("f5")
        await pilot.pause()
        await pilot.press("enter")
        for _ in range(50):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, CallScreen) and app.screen.placed:
                break
        assert isinstance(app.screen, CallScreen) and app.screen.placed, app.screen
        with demo_engine.connect() as conn:
            lines = conn.execute(
                select(ORDER_LINE.c.qty, ORDER.c.call_id).join(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
            ).all()
        assert sum(q for q, _c in lines) == sum(want.values())
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")  # "ordered" is highlighted once an order was placed
        for _ in range(50):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, QueueScreen):
                break
        assert isinstance(app.screen, QueueScreen)
        app.flush_drafts()
        assert saved.load("demo", code) is None
    with demo_engine.connect() as conn:
        outcome = conn.execute(select(Call.outcome, Call.duration_s).where(Call.id == lines[0][1])).one()  # type: ignore[arg-type]
        assert outcome[0] == "ordered" and outcome[1] is not None
        assert conn.execute(select(func.count()).select_from(AUDIT).where(AUDIT.c.action == "call_recorded")).scalar()


async def test_a_crashed_call_reopens_with_its_draft(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("n")
        for _ in range(50):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, CallScreen) and app.matcher is not None:
                break
        call = app.screen
        assert isinstance(call, CallScreen)
        code = call.code
        await pilot.press(*"yx 3", "enter", *"bs 一")
        await pilot.pause()
        app.flush_drafts()
    # the terminal is gone; a new app on the same disk opens the same call with what was typed
    app2 = make_app(demo_engine, tmp_path)
    async with app2.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        for _ in range(50):
            await workers_done(app2)
            await pilot.pause()
            if isinstance(app2.screen, CallScreen):
                break
        call2 = app2.screen
        assert isinstance(call2, CallScreen) and call2.code == code
        assert call2.draft is not None and [x.qty for x in call2.draft.lines] == [3]
        assert call2.query_one("#brand", Input).value == "bs 一"
        assert isinstance(call2.query_one("#draft-table", DataTable), DataTable)
