"""The call screen's additions of issue 21, driven as an order taker would at 80x24: live quota and supply left,
the note on the call, the shop that already ordered this week (amend, or a deliberate second order), my orders
today (cancel after a confirmation), and finding a calling shop for an inbound call."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import Engine, insert, select
from textual.widgets import DataTable, Static

from db.models import Call
from db.tables import ORDER, PRODUCT, QUOTA, SUPPLY
from orders.clock import today, week_of
from orders.drafts import DraftStore
from orders.placement import PlacedOrder, place_order
from orders.settings import Settings
from tests.tui.flows import open_call, sign_in_to_queue, workers_done
from tui.app import TelesalesApp
from tui.screens.call import CallScreen
from tui.screens.find_shop import FindShopDialog
from tui.screens.my_orders import MyOrdersScreen
from tui.screens.queue import QueueScreen
from tui.widgets.candidates import CandidateList

ZONE = ZoneInfo("Asia/Shanghai")


def plain(renderable: object, width: int = 200) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return " ".join(out.getvalue().split())


def draft_rows(call: CallScreen) -> list[str]:
    table = call.query_one("#draft-table", DataTable)
    return [" ".join(plain(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def settle(pilot: object, until: object = None, rounds: int = 80) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(rounds):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]
        if until is not None and until():  # type: ignore[operator]
            return


async def add_line(pilot: object, call: CallScreen, code: str, name: str, qty: int) -> None:
    """Type the product into the brand box as heard (its name, or its code when the name is ambiguous)."""
    for typed in (name, code):
        await pilot.press(*f"{typed} {qty}", "enter")  # type: ignore[attr-defined]
        await settle(pilot, lambda: any(x.code == code for x in call.draft.lines) if call.draft else False, 20)
        if call.draft is not None and any(x.code == code for x in call.draft.lines):
            return
        call.query_one("#brand").value = ""  # type: ignore[attr-defined]
    raise AssertionError(f"could not type {name} ({code})")


def free_product(engine: Engine) -> tuple[str, str]:
    """An active product without a quota rule this week (so only its supply limits it)."""
    with engine.connect() as conn:
        limited = {p for (p,) in conn.execute(select(QUOTA.c.product_id))}
        rows = conn.execute(select(PRODUCT.c.id, PRODUCT.c.code, PRODUCT.c.name).where(PRODUCT.c.status == "active"))
        for pid, code, name in rows:
            if pid not in limited:
                return code, name
    raise AssertionError("no product without a quota")


async def test_supply_consumed_elsewhere_shows_on_the_open_calls_candidates_and_draft(
    demo_db: Engine, tmp_path: Path
) -> None:
    engine = demo_db  # the small demo, seed 1, on this backend
    code, name = free_product(engine)
    week = week_of(today(ZONE))
    with engine.begin() as conn:
        pid = conn.execute(select(PRODUCT.c.id).where(PRODUCT.c.code == code)).scalar_one()
        conn.execute(SUPPLY.delete().where(SUPPLY.c.product_id == pid, SUPPLY.c.week == week))
        conn.execute(insert(SUPPLY).values(week=week, product_id=pid, total_qty=100))
    settings = Settings(limits_refresh_seconds=0.3)
    app = TelesalesApp(engine, settings, drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        assert call.draft is not None
        await add_line(pilot, call, code, name, 8)
        assert [(x.code, x.qty) for x in call.draft.lines] == [(code, 8)]
        assert "货100" in draft_rows(call)[0]

        other = next(e.customer for e in app.screen_stack[-2].entries if e.customer != call.code)  # type: ignore[attr-defined]
        place_order(engine, settings, other, [(code, 95)], operator="wang")  # another terminal
        await settle(pilot, lambda: "货5" in draft_rows(call)[0], 60)
        row = draft_rows(call)[0]
        assert "货5" in row and "超" in row and "!" in row  # 8 no longer fits in 5 left
        await pilot.press(*name)
        await settle(pilot, rounds=5)
        shown = plain(call.query_one(CandidateList).render())
        assert "货5" in shown


async def test_a_note_on_the_call_is_recorded_and_shown_on_the_card_next_time(
    demo_engine: Engine, tmp_path: Path
) -> None:
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        code = call.code
        await pilot.press("f9")
        await pilot.pause()
        await pilot.press(*"老板说下周装修", "enter")
        await pilot.pause()
        assert call.draft is not None and call.draft.note == "老板说下周装修"
        await pilot.press("f10")
        await pilot.pause()
        await pilot.press("enter")  # no answer is highlighted
        await settle(pilot, lambda: isinstance(app.screen, QueueScreen))
        assert isinstance(app.screen, QueueScreen), [str(n.message) for n in app._notifications]
        with demo_engine.connect() as conn:
            notes = [n for (n,) in conn.execute(select(Call.note).where(Call.note != ""))]  # type: ignore[arg-type]
        assert notes == ["老板说下周装修"]
        queue = app.screen
        entry = next(e for e in queue.entries if e.customer == code)
        app.push_screen(CallScreen(code, entry))
        await settle(pilot, lambda: isinstance(app.screen, CallScreen) and app.screen.view is not None)
        assert "老板说下周装修" in plain(app.screen.query_one("#card", Static).content)


async def call_on_a_shop_that_ordered(
    pilot: Any, engine: Engine, settings: Settings
) -> tuple[CallScreen, PlacedOrder, str, str]:
    """Sign in; the first shop of the queue orders 3 cartons of a product without a quota; its call opens with
    this week's orders read. (the call, that order, the product's code and name)"""
    app = pilot.app
    queue = await sign_in_to_queue(pilot)
    code, name = free_product(engine)
    first = place_order(engine, settings, queue.entries[0].customer, [(code, 3)], operator="demo")
    app.push_screen(CallScreen(queue.entries[0].customer, queue.entries[0]))
    await settle(pilot, lambda: isinstance(app.screen, CallScreen) and bool(app.screen.week_orders))
    call = app.screen
    assert isinstance(call, CallScreen)
    return call, first, code, name


async def test_a_shop_that_ordered_says_so_amends_that_order_and_a_second_order_asks_first(
    demo_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings()
    app = TelesalesApp(demo_engine, settings, drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call, first, code, name = await call_on_a_shop_that_ordered(pilot, demo_engine, settings)
        top = plain(call.query_one("#week-orders", Static).content)
        assert f"本周已下单 #{first.order_id} · 3条" in top
        assert "小王" in top and "demo" not in top  # who placed it, by name
        await pilot.press("f12")  # amend: the order's lines come into the draft
        await pilot.pause()
        assert call.draft is not None and [(x.code, x.qty) for x in call.draft.lines] == [(code, 3)]
        call.query_one("#draft-table", DataTable).focus()
        await pilot.press("plus", "plus")
        await pilot.press("f5")
        await pilot.pause()
        assert f"修改订单 #{first.order_id}" in plain(app.screen.query_one(".title", Static).content)
        # the footer and the hint say what Enter does here: it amends, it does not place a new order
        assert "Enter 修改订单" in plain(app.screen.query_one("#readback-status", Static).content)
        assert app.screen.active_bindings["enter"].binding.description == "修改订单"
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, CallScreen) and bool(call.placed))
        with demo_engine.connect() as conn:
            orders = conn.execute(select(ORDER.c.id, ORDER.c.status).where(ORDER.c.status == "placed")).all()
        assert [o.id for o in orders] == [first.order_id]  # amended, not a second order
        from orders.placement import get_order

        assert [(x.code, x.qty) for x in get_order(demo_engine, first.order_id).lines] == [(code, 5)]

        # a second order, deliberately: the read-back says so and Enter asks once more
        await add_line(pilot, call, code, name, 1)
        await pilot.press("f5")
        await pilot.pause()
        title = plain(app.screen.query_one(".title", Static).content)
        assert "本周第2单" in title
        await pilot.press("enter")
        await pilot.pause()
        with demo_engine.connect() as conn:
            assert conn.execute(select(ORDER.c.id).where(ORDER.c.status == "placed")).all() == [(first.order_id,)]
        assert "再按 Enter 确认" in plain(app.screen.query_one("#readback-error", Static).content)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, CallScreen))
        with demo_engine.connect() as conn:
            assert len(conn.execute(select(ORDER.c.id).where(ORDER.c.status == "placed")).all()) == 2


async def test_f5_typed_with_the_call_opening_waits_for_the_weeks_orders_and_asks_before_a_second_order(
    demo_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys faster than the screen: the call opened, a line typed and F5 in one burst, on a shop another
    terminal ordered a moment ago, while the week's orders are still being read (held here until F5 is in).
    The read-back must be the one that asks about a second order, never the plain one that would place it
    unasked; and F5 is not lost: the read-back opens once they are read."""
    import tui.screens.call as call_module

    reading = threading.Event()
    real = call_module.orders_for_week

    def slow(*args: Any, **kwargs: Any) -> Any:
        reading.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(call_module, "orders_for_week", slow)
    settings = Settings()
    app = TelesalesApp(demo_engine, settings, drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await sign_in_to_queue(pilot)
        shop = queue.entries[0].customer
        code, name = free_product(demo_engine)
        place_order(demo_engine, settings, shop, [(code, 3)], operator="zhang")  # another terminal, just now
        await pilot.press("enter", *name, "space", "2", "enter", "f5")  # no pause: typed as the call opens
        await pilot.pause()
        assert isinstance(app.screen, CallScreen)  # not read back yet: whether the shop ordered is not known
        assert any("正在读取本周订单" in str(n.message) for n in app._notifications)
        reading.set()
        await settle(pilot, lambda: not isinstance(app.screen, CallScreen))
        assert "本周第2单" in plain(app.screen.query_one(".title", Static).content)
        call = app.screen_stack[-2]
        assert isinstance(call, CallScreen) and call.draft is not None
        assert [(x.code, x.qty) for x in call.draft.lines] == [(code, 2)]  # the line typed in the burst is there
        await pilot.press("enter")  # a second order is asked for once more: nothing placed yet
        await pilot.pause()
        with demo_engine.connect() as conn:
            assert len(conn.execute(select(ORDER.c.id).where(ORDER.c.status == "placed")).all()) == 1


async def amend_and_die(engine: Engine, data: Path, settings: Settings) -> tuple[str, int, str]:
    """On one terminal: a shop ordered 3 cartons; F12 amends, one carton more, and the terminal dies before F5."""
    app = TelesalesApp(engine, settings, drafts=DraftStore(data / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call, first, code, _name = await call_on_a_shop_that_ordered(pilot, engine, settings)
        await pilot.press("f12")
        await pilot.pause()
        call.query_one("#draft-table", DataTable).focus()
        await pilot.press("plus")
        await pilot.pause()
        assert call.draft is not None and [(x.code, x.qty) for x in call.draft.lines] == [(code, 4)]
        app.flush_drafts()
    return call.code, first.order_id, code


async def test_an_amend_interrupted_by_a_restart_still_amends_and_never_places_twice(
    demo_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings()
    shop, order_id, code = await amend_and_die(demo_engine, tmp_path / "terminal-a", settings)
    app = TelesalesApp(demo_engine, settings, drafts=DraftStore(tmp_path / "terminal-b" / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"demo", "enter", *"0000", "enter")  # the sign-in review reopens the call's draft
        await settle(pilot, lambda: isinstance(app.screen, CallScreen) and app.screen.amending is not None)
        call = app.screen
        assert isinstance(call, CallScreen) and call.code == shop
        assert call.draft is not None and [(x.code, x.qty) for x in call.draft.lines] == [(code, 4)]
        assert f"正在修改 #{order_id}" in plain(call.query_one("#week-orders", Static).content)
        await pilot.press("f5")
        await pilot.pause()
        assert f"修改订单 #{order_id}" in plain(app.screen.query_one(".title", Static).content)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, CallScreen) and bool(call.placed))
    with demo_engine.connect() as conn:
        placed = conn.execute(select(ORDER.c.id).where(ORDER.c.status == "placed")).all()
    assert placed == [(order_id,)]  # amended, not a second order of the same lines
    from orders.placement import get_order

    assert [(x.code, x.qty) for x in get_order(demo_engine, order_id).lines] == [(code, 4)]


async def test_an_amended_order_cancelled_meanwhile_is_said_and_the_lines_stay(
    demo_engine: Engine, tmp_path: Path
) -> None:
    from orders.placement import cancel_order

    settings = Settings()
    data = tmp_path / "terminal"
    shop, order_id, code = await amend_and_die(demo_engine, data, settings)
    cancel_order(demo_engine, settings, order_id, operator="demo")  # from "my orders" on another terminal
    app = TelesalesApp(demo_engine, settings, drafts=DraftStore(data / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"demo", "enter", *"0000", "enter")
        said = f"订单 #{order_id} 已不能修改"
        await settle(pilot, lambda: any(said in str(n.message) for n in app._notifications))
        call = app.screen
        assert isinstance(call, CallScreen) and call.code == shop
        assert any(said in str(n.message) for n in app._notifications)
        assert call.amending is None and call.draft is not None and call.draft.amending is None
        assert [(x.code, x.qty) for x in call.draft.lines] == [(code, 4)]  # nothing typed is lost


async def test_my_orders_today_cancels_after_confirmation_and_refuses_after_the_cut_off(
    demo_engine: Engine, tmp_path: Path, monkeypatch: object
) -> None:
    settings = Settings()
    app = TelesalesApp(demo_engine, settings, drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await sign_in_to_queue(pilot)
        code, _name = free_product(demo_engine)
        shops = [e.customer for e in queue.entries[:2]]
        older = place_order(demo_engine, settings, shops[0], [(code, 2)], operator="demo")
        newer = place_order(demo_engine, settings, shops[1], [(code, 4)], operator="demo")
        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, MyOrdersScreen) and bool(app.screen.orders))
        screen = app.screen
        assert isinstance(screen, MyOrdersScreen)
        table = screen.query_one(DataTable)
        first_row = " ".join(plain(c) for c in table.get_row_at(0))
        assert f"#{newer.order_id}" in first_row and "4" in first_row  # newest first
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("n")  # not cancelled
        await settle(pilot, rounds=5)
        with demo_engine.connect() as conn:
            assert conn.execute(select(ORDER.c.status).where(ORDER.c.id == newer.order_id)).scalar() == "placed"
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, lambda: "已撤单" in " ".join(plain(c) for c in table.get_row_at(0)), 40)
        with demo_engine.connect() as conn:
            assert conn.execute(select(ORDER.c.status).where(ORDER.c.id == newer.order_id)).scalar() == "cancelled"
            assert conn.execute(select(ORDER.c.status).where(ORDER.c.id == older.order_id)).scalar() == "placed"

        monkeypatch.setenv("TELESALES_NOW", "2026-11-29T23:00:00+08:00")  # type: ignore[attr-defined]
        table.move_cursor(row=1)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, rounds=10)
        assert any("本周已过截单时间" in str(n.message) for n in app._notifications)
        with demo_engine.connect() as conn:
            assert conn.execute(select(ORDER.c.status).where(ORDER.c.id == older.order_id)).scalar() == "placed"


async def test_a_calling_shop_is_found_by_initials_and_opens_with_the_inbound_script(
    demo_engine: Engine, tmp_path: Path
) -> None:
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        queue = await sign_in_to_queue(pilot)
        listed = {e.customer for e in queue.entries}
        from orders.find_shop import load_shops, rank_shops

        target = next(s for s in load_shops(demo_engine) if s.code not in listed and s.phone)
        await pilot.press("slash")
        await settle(pilot, lambda: isinstance(app.screen, FindShopDialog) and app.screen.shops is not None)
        dialog = app.screen
        assert isinstance(dialog, FindShopDialog)
        digits = "".join(ch for ch in target.phone if ch.isdigit())[-6:]
        await pilot.press(*digits)
        await pilot.pause()
        assert dialog.hits and dialog.hits[0].code == rank_shops(dialog.shops or [], digits)[0].code
        position = next(i for i, h in enumerate(dialog.hits) if h.code == target.code)
        for _ in range(position):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, CallScreen) and app.screen.script is not None)
        call = app.screen
        assert isinstance(call, CallScreen) and call.code == target.code
        assert call.script is not None and call.script.name == "inbound"
        assert "订货热线" in plain(call.query_one("#script", Static).content)
