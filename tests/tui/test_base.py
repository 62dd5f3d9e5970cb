"""The screens' scaffold: a worker that raises never quits the app; a lost database becomes the banner and the
screen reloads when it is back; anything else is said in a notice. One place decides, for every screen."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import workers_done
from tui.app import TelesalesApp
from tui.messages import Refused
from tui.screens.base import BaseScreen, db_worker
from tui.widgets.banner import DbBanner


class Probe(BaseScreen[None]):
    """A screen whose worker fails the way it is told to."""

    def __init__(self) -> None:
        super().__init__()
        self.lost: list[str] = []
        self.back = 0

    def compose(self) -> ComposeResult:
        yield DbBanner()
        yield Static("", id="out")

    @db_worker("probe-load")
    def load(self, failure: BaseException | None) -> None:
        if failure is not None:
            raise failure
        self.post_message(Refused("已有计划"))

    def database_lost(self, group: str) -> None:
        self.lost.append(group)

    def database_back(self) -> None:
        self.back += 1

    @on(Refused)
    def _said(self, message: Refused) -> None:
        self.query_one("#out", Static).update(message.text)


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))


async def load(pilot: object, screen: Probe, failure: BaseException | None) -> None:
    """Run the screen's worker and let its answer arrive; the worker always ends normally, its failure
    travelling as a message."""
    screen.load(failure)
    await workers_done(screen.app)
    await pilot.pause()  # type: ignore[attr-defined]


def lost_connection() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


async def test_a_lost_database_in_a_worker_is_the_banner_then_the_screen_hears_it_is_back(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(sqlite_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Probe()
        await app.push_screen(screen)
        await load(pilot, screen, lost_connection())
        assert app.db_down and screen.lost == ["probe-load"]
        assert screen.query_one(DbBanner).has_class("shown")
        assert "server closed the connection" in app.db_error
        for _ in range(60):  # the app probes every DB_RETRY_SECONDS; the database answers
            await pilot.pause(0.1)
            if not app.db_down:
                break
        assert not app.db_down and screen.back == 1
        assert not screen.query_one(DbBanner).has_class("shown")


async def test_a_fault_is_a_notice_and_a_refusal_a_sentence_and_the_app_keeps_running(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(sqlite_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = Probe()
        await app.push_screen(screen)
        await load(pilot, screen, ValueError("一个程序错误"))
        assert not app.db_down and screen.lost == []
        assert any("一个程序错误" in str(n.message) for n in app._notifications)
        await load(pilot, screen, None)
        assert "已有计划" in str(screen.query_one("#out", Static).content)
        assert app.is_running and app.screen is screen
