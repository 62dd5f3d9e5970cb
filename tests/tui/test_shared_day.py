"""Two order takers on one database, as a centre runs its day: one shop, one call, and nothing counted twice.

Two apps run in one test against one database (SQLite and PostgreSQL), each with its own data folder as two
terminals would have: A opens a shop, B's queue shows it in A's call, Enter on it is refused, `n` gives B
another shop; A places; B records no answer on it; the shop stays ordered in both queues and the report.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from textual.worker import WorkerCancelled

from db.models import Call, Order
from orders.calls import call_queue
from orders.drafts import DraftStore
from orders.report import day_figures
from orders.settings import Settings
from tests.conftest import run_cli
from tests.tui.flows import open_next_call, sign_in_to_queue, workers_done
from tui.app import TelesalesApp
from tui.demo import SIZES, ensure_demo
from tui.screens.call import CallScreen
from tui.screens.dialogs import OutcomeScreen, ReadbackScreen
from tui.screens.queue import QueueScreen

ZONE = ZoneInfo("Asia/Shanghai")


def shown(app: Any) -> str:
    """The screen's text as the terminal shows it (toasts included)."""
    from textual.geometry import Region

    parts = []
    for widget in app.screen.query("*"):
        if widget.display and widget.size.area:
            region = Region(0, 0, widget.size.width, max(widget.size.height, widget.virtual_size.height))
            parts.append("\n".join(strip.text for strip in widget.render_lines(region)))
    return "\n".join(parts) + "\n".join(str(n.message) for n in app._notifications)


async def settle(pilot: Any, test: Any = None, rounds: int = 80) -> None:
    for _ in range(rounds):
        with contextlib.suppress(WorkerCancelled):  # a screen that went back cancels its loads: done waiting
            await workers_done(pilot.app)
        await pilot.pause()
        if test is not None and test():
            return
    if test is not None:
        assert test(), "the screen never got there"


async def test_two_order_takers_one_shop_one_call_and_ordered_stays_ordered(demo_db: Engine, tmp_path: Path) -> None:
    engine = demo_db  # the small demo, seed 1, on this backend
    settings = Settings()
    a = TelesalesApp(engine, settings, drafts=DraftStore(tmp_path / "a"))
    b = TelesalesApp(engine, settings, drafts=DraftStore(tmp_path / "b"))
    async with a.run_test(size=(80, 24)) as pa, b.run_test(size=(80, 24)) as pb:
        await sign_in_to_queue(pa, "demo")
        call = await open_next_call(pa)
        shop = call.code
        await settle(pa, lambda: call.draft is not None and call.draft.call_id is not None)

        await pb.press(*"zhang", "enter", *"0000", "enter")
        await settle(pb, lambda: isinstance(b.screen, QueueScreen))
        queue_b = b.screen
        assert isinstance(queue_b, QueueScreen)
        await pb.press("t")  # the team's list: demo's shops too
        await settle(pb, lambda: any(e.customer == shop and e.in_call_by == "demo" for e in queue_b.entries))
        row = next(i for i, e in enumerate(queue_b.entries) if e.customer == shop)
        await settle(pb, lambda: "通话中" in shown(b))
        table = queue_b.query_one("#queue-table")
        table.move_cursor(row=row)  # type: ignore[attr-defined]
        await pb.press("enter")
        await settle(pb, lambda: "请打下一家" in shown(b))
        assert b.screen is queue_b, "Enter on a shop in another order taker's call must not open it"

        other = await open_next_call(pb)
        assert other.code != shop
        await settle(pb, lambda: other.draft is not None and other.draft.call_id is not None)

        # A takes the suggestion and places it
        await pa.press("f2")
        await settle(pa, lambda: bool(call.draft and call.draft.lines))
        await pa.press("f5")
        await settle(pa, lambda: isinstance(a.screen, ReadbackScreen))
        await pa.press("enter")
        await settle(pa, lambda: bool(call.placed))
        await pa.press("f10")
        await settle(pa, lambda: isinstance(a.screen, OutcomeScreen))
        await pa.press("enter")  # ordered is highlighted once placed
        await settle(pa, lambda: isinstance(a.screen, QueueScreen))

    # B's terminal (or the CLI on its behalf) records no answer on the shop A ordered
    url = engine.url.render_as_string(hide_password=False)
    result = run_cli("--db", url, "calls", "record", shop, "--outcome", "no_answer", "--operator", "zhang")
    assert result.exit_code == 0, result.stderr

    with engine.connect() as conn:
        orders = conn.execute(select(Order.id).join(Call, Call.id == Order.call_id)).all()  # type: ignore[arg-type]
        outcomes = [o for (o,) in conn.execute(select(Call.outcome).order_by(Call.id))]  # type: ignore[arg-type]
    assert len(orders) == 1
    assert "no_answer" in outcomes
    for operator in ("demo", None):
        entry = next(e for e in call_queue(engine, settings, operator=operator) if e.customer == shop)
        assert (entry.status, entry.done, entry.in_call_by) == ("ordered", True, None)
    day = datetime.fromisoformat("2026-11-23T09:00:00+08:00").date()
    total = day_figures(engine, day, settings).total
    assert total.orders == 1
    assert total.shops_done >= 1


async def test_a_callback_time_in_the_past_keeps_the_dialog_and_tomorrow_is_recorded(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T15:31:00+08:00")
    ensure_demo(engine, ZONE, size=SIZES["small"], seed=1)
    app = TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_to_queue(pilot)
        call = await open_next_call(pilot)
        await settle(pilot, lambda: call.draft is not None and call.draft.call_id is not None)
        await pilot.press("f10")
        await settle(pilot, lambda: isinstance(app.screen, OutcomeScreen))
        dialog = app.screen
        assert isinstance(dialog, OutcomeScreen)
        for _ in range(dialog.outcomes.index("callback_requested") - dialog.outcomes.index("no_answer")):
            await pilot.press("down")
        await pilot.press("tab", *"09:00", "enter")
        await settle(pilot, rounds=5)
        assert app.screen is dialog, "a refused time must keep the dialog open"
        assert "09:00 已经过了" in shown(app), shown(app)
        with engine.connect() as conn:
            assert conn.execute(select(Call.outcome).where(Call.id == call.draft.call_id)).scalar() is None  # type: ignore[arg-type,union-attr]
        for _ in range(5):
            await pilot.press("backspace")
        await pilot.press(*"明天10:00")
        await settle(pilot, lambda: "11-24 10:00" in shown(app), 20)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, QueueScreen))
        with engine.connect() as conn:
            outcome, callback_at = conn.execute(
                select(Call.outcome, Call.callback_at).where(Call.id == call.draft.call_id)  # type: ignore[arg-type,union-attr]
            ).one()
        assert outcome == "callback_requested"
        assert callback_at.astimezone(ZONE).isoformat() == "2026-11-24T10:00:00+08:00"


async def test_a_call_opened_on_a_shop_held_elsewhere_goes_back_saying_who(demo_db: Engine, tmp_path: Path) -> None:
    """Two terminals that opened the same shop at once (or a list read before the other's claim): the second
    call screen says who holds the shop and since when, and goes back to the queue without a call row."""
    engine = demo_db  # the small demo, seed 1, on this backend
    settings = Settings()
    app = TelesalesApp(engine, settings, drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await sign_in_to_queue(pilot)
        shop = queue.entries[0].customer
        url = engine.url.render_as_string(hide_password=False)
        held = run_cli("--db", url, "calls", "start", shop, "--operator", "zhang", "--json")
        assert held.exit_code == 0, held.stderr
        app.push_screen(CallScreen(shop, queue.entries[0]))
        await settle(pilot, lambda: isinstance(app.screen, QueueScreen) and "小张" in shown(app))
        assert "小张" in shown(app)
        with engine.connect() as conn:
            mine = conn.execute(select(Call.id).where(Call.operator == "demo")).all()  # type: ignore[arg-type]
        assert mine == []


async def test_a_lead_frees_a_shop_held_by_a_dead_terminal(demo_db: Engine, tmp_path: Path) -> None:
    engine = demo_db  # the small demo, seed 1, on this backend
    settings = Settings()
    url = engine.url.render_as_string(hide_password=False)
    shop = call_queue(engine, settings)[0].customer
    assert run_cli("--db", url, "calls", "start", shop, "--operator", "zhang").exit_code == 0
    app = TelesalesApp(engine, settings, drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"lead", "enter", *"0000", "enter")
        await settle(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, QueueScreen) and bool(app.screen.entries))
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        row = next(i for i, e in enumerate(queue.entries) if e.customer == shop)
        assert queue.entries[row].in_call_by == "zhang"
        queue.query_one("#queue-table").move_cursor(row=row)  # type: ignore[attr-defined]
        await pilot.press("u")
        await settle(pilot, lambda: "已释放" in shown(app) and "小张" in shown(app))
        await settle(pilot, lambda: next(e for e in queue.entries if e.customer == shop).in_call_by is None)
    assert next(e for e in call_queue(engine, settings) if e.customer == shop).in_call_by is None


async def test_an_order_taker_cannot_free_a_colleagues_shop(demo_engine: Engine, tmp_path: Path) -> None:
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await sign_in_to_queue(pilot)
        assert queue.check_action("release", ()) is False
        assert "释放" not in shown(app)
