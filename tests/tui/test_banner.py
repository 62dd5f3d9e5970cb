"""The database banner says what happened, in the screen's language, and only for a real outage: a fault such as
a widget queried on a closing screen is not a lost database, a worker's answer for a screen that is gone is
dropped, the driver's words never reach the order taker, and a lead's screen does not speak of drafts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.widgets import Static

from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import workers_done
from tui.app import TelesalesApp
from tui.messages import Refused
from tui.screens.base import BaseScreen, db_worker
from tui.widgets.banner import DbBanner

DRIVER = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


class Lead(BaseScreen[None]):
    """A screen without a draft, as the lead's are."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []

    def compose(self) -> ComposeResult:
        yield DbBanner()
        yield Static("", id="out")

    @db_worker("slow")
    def answer(self, text: str) -> None:
        self.post_message(Refused(text))

    def on_refused(self, message: Refused) -> None:
        self.heard.append(message.text)
        self.query_one("#out", Static).update(message.text)


class Call(Lead):
    KEEPS_DRAFT = True


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))


def said(banner: DbBanner) -> str:
    return str(banner.render())


async def test_a_fault_that_is_no_connection_error_never_shows_the_banner(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(sqlite_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Call()
        await app.push_screen(screen)
        app.database_failed(NoMatches("No nodes match '#brand' on CallScreen()"))
        await pilot.pause()
        assert not app.db_down and not screen.query_one(DbBanner).has_class("shown")


async def test_the_outage_banner_has_no_driver_text_and_speaks_of_drafts_only_where_there_is_one(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(sqlite_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        lead = Lead()
        await app.push_screen(lead)
        app.database_failed(OperationalError("SELECT 1", {}, Exception(DRIVER)))
        await pilot.pause()
        banner = lead.query_one(DbBanner)
        assert banner.has_class("shown")
        text = said(banner)
        assert "数据库连接中断" in text and "草稿" not in text
        assert "127.0.0.1" not in text and "port" not in text
        assert "127.0.0.1" in app.db_error  # kept for logs and tests
        call = Call()
        await app.push_screen(call)
        await pilot.pause()
        text = said(call.query_one(DbBanner))
        assert "草稿已保存在本机" in text and "127.0.0.1" not in text


async def test_an_answer_for_a_screen_that_is_gone_is_dropped(sqlite_engine: Engine, tmp_path: Path) -> None:
    app = make_app(sqlite_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Call()
        await app.push_screen(screen)
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        screen.answer("迟到的回答")  # a worker finishing after the order taker left the call
        await workers_done(app)
        await pilot.pause()
        assert screen.heard == []
        assert not app.db_down and app.is_running
        assert not any("NoMatches" in str(n.message) for n in app._notifications)
