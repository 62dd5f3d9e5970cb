"""Typing faster than the screen: entries and Enter keys sent in one burst, as tmux `send-keys` or a fast
order taker delivers them, each land where they were meant."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from textual.widgets import Input

from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.burst import burst, typed
from tests.tui.flows import open_call, sign_in_to_queue, workers_done
from tests.tui.test_brand_box_entry import draft_of, under_box
from tui.app import TelesalesApp
from tui.screens.call import CallScreen
from tui.screens.dialogs import ReadbackScreen
from tui.screens.queue import QueueScreen
from tui.widgets.brand_box import BrandBox


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))


async def test_id_enter_pin_enter_in_one_burst_signs_in(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await burst(pilot, typed("demo\n0000\n"))
        for _ in range(50):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, QueueScreen):
                break
        assert isinstance(app.screen, QueueScreen), app.screen.query_one("#login-id", Input).value


async def test_entries_and_enter_keys_in_one_burst_are_separate_entries(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await burst(pilot, typed("中华软 2\n玉溪软 3\n"))
        assert draft_of(call) == {"中华(软)": 2, "玉溪(软)": 3}
        # two entries, not one run together: under the box only the last entry's change
        assert under_box(call).strip() == "+ 玉溪(软) 3"
        await burst(pilot, typed("中华软 1\n利群"))
        assert draft_of(call) == {"中华(软)": 1, "玉溪(软)": 3}
        assert call.query_one(BrandBox).input.value == "利群"


async def test_n_then_an_order_and_f5_in_one_burst_all_reach_the_call(demo_engine: Engine, tmp_path: Path) -> None:
    """`n` claims the shop in the database before the call opens; what is typed meanwhile is the shop's order,
    not the queue's single-letter keys (r refreshes, o opens my orders, u releases, Enter opens the highlighted
    shop): every entry lands in the draft and F5 reads them all back."""
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_queue(pilot)
        await burst(pilot, ["n", *typed("rzh 2\nyx 3\nfurongwang 1\n"), "f5"])
        for _ in range(60):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, ReadbackScreen):
                break
        assert isinstance(app.screen, ReadbackScreen), (app.screen, [str(n.message) for n in app._notifications])
        call = app.screen_stack[-2]
        assert isinstance(call, CallScreen)
        assert draft_of(call) == {"中华(软)": 2, "玉溪(硬)": 3, "芙蓉王(硬)": 1}
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["QueueScreen", "CallScreen", "ReadbackScreen"]


async def test_an_entry_and_f5_in_one_burst_read_back_that_entry(demo_engine: Engine, tmp_path: Path) -> None:
    """F5 is the screen's key, the entries go through the brand box: in one burst the read-back still comes
    after the entries, with them, never with 「the draft is empty」."""
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await burst(pilot, [*typed("rzh 2\nyx 3\n"), "f5"])
        for _ in range(40):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, ReadbackScreen):
                break
        assert isinstance(app.screen, ReadbackScreen), [str(n.message) for n in app._notifications]
        assert draft_of(call) == {"中华(软)": 2, "玉溪(硬)": 3}
        assert not any("草稿是空的" in str(n.message) for n in app._notifications)
