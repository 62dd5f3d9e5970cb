"""The shift lead's dashboard, retention list and coverage at 80×24, driven by keys as a lead would."""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from sqlalchemy import Engine, select
from textual.widgets import DataTable, Static

from db.models import AuditLog, PlannedCall
from orders.calls import call_queue, record_call
from orders.clock import today
from orders.coverage import brand_coverage
from orders.report import day_figures
from orders.retention import retention_list
from orders.settings import Settings
from tests.tui.flows import workers_done
from tests.tui.test_app import make_app, text_of
from tui.help import HelpScreen
from tui.screens.lead import CoverageScreen, DashboardScreen, RetentionScreen
from tui.screens.queue import QueueScreen
from tui.screens.tickets import TicketQueueScreen


async def settle(pilot: object, done: object, tries: int = 100) -> None:
    """Let workers finish and the screen catch up until `done()` holds."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(tries):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]
        if done():  # type: ignore[operator]
            return
    raise AssertionError(f"the screen did not settle: {app.screen}")


async def sign_in_lead(pilot: object) -> DashboardScreen:
    await pilot.press(*"lead", "enter", *"0000", "enter")  # type: ignore[attr-defined]
    app = pilot.app  # type: ignore[attr-defined]
    await settle(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard is not None)
    return app.screen  # type: ignore[no-any-return]


def cells(table: DataTable, row: int) -> list[str]:  # type: ignore[type-arg]
    return [str(getattr(c, "plain", c)) for c in table.get_row_at(row)]


async def test_a_lead_signs_in_to_the_dashboard_and_sees_calls_made_on_other_terminals(
    demo_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings()
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        dash = await sign_in_lead(pilot)
        due = len(call_queue(demo_engine, settings))
        done = day_figures(demo_engine, today(settings.zone), settings).total.shops_done
        totals = text_of(dash.query_one("#dash-totals", Static))
        assert f"完成 {done}/{due} 户" in totals and "已拨 0 通" in totals
        # two calls made by the order taker on another terminal; the lead refreshes (the poll does the same)
        queue = call_queue(demo_engine, settings, operator="demo")
        record_call(demo_engine, settings, queue[0].customer, "no_answer", operator="demo", duration_s=30)
        record_call(demo_engine, settings, queue[1].customer, "refused", operator="demo", duration_s=90)
        await pilot.press("f5")
        await settle(pilot, lambda: dash.dashboard is not None and dash.dashboard.report.total.calls_done == 2)
        totals = text_of(dash.query_one("#dash-totals", Static))
        # progress counts shops: the refused shop is done, the one that did not answer is not
        assert f"完成 {done + 1}/{due} 户" in totals and "已拨 2 通" in totals and "平均通话 1:00" in totals
        outcomes = text_of(dash.query_one("#dash-outcomes", Static))
        assert any(line.startswith("无人接听") and line.rstrip().endswith(" 1") for line in outcomes.splitlines())
        table = dash.query_one("#dash-table", DataTable)
        report = day_figures(demo_engine, today(settings.zone), settings)
        assert report.operators["demo"].calls_done == 2
        first = cells(table, 0)
        assert first[0] == "小王" and first[2] == "2"  # the demo login's name, and its calls done
        assert cells(table, table.row_count - 1)[0] == "全班"
        # the previous day, and back
        await pilot.press("left_square_bracket")
        await settle(pilot, lambda: dash.dashboard is not None and dash.dashboard.day < today(settings.zone))
        assert "已拨 0 通" in text_of(dash.query_one("#dash-totals", Static))
        await pilot.press("home")
        await settle(pilot, lambda: dash.dashboard is not None and dash.dashboard.day == today(settings.zone))
        # F1 lists the dashboard's keys, the footer's four and the rest
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = {k for k, _, _ in app.screen.keys}
        assert {"t", "r", "c", "q", "[", "]", "Home", "F5", "F1"} <= keys
        await pilot.press("escape")
        # q: the lead takes calls too; Esc comes back to the dashboard
        await pilot.press("q")
        await settle(pilot, lambda: isinstance(app.screen, QueueScreen) and bool(app.screen.entries))
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_retention_list_and_scheduling_a_personal_call(demo_engine: Engine, tmp_path: Path) -> None:
    settings = Settings()
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_lead(pilot)
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, RetentionScreen) and bool(app.screen.rows))
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        expected = retention_list(demo_engine, today(settings.zone), settings=settings)
        table = screen.query_one("#ret-table", DataTable)
        assert table.row_count == len(expected)
        top = expected[0]
        row = cells(table, 0)
        assert row[0] == top.name
        assert row[3] == f"{top.earlier_orders}→{top.recent_orders}"
        assert top.name in text_of(screen.query_one("#ret-why", Static))
        await pilot.press("p")
        await settle(pilot, lambda: bool(screen.rows) and screen.rows[0].scheduled)
        with demo_engine.connect() as conn:
            planned = conn.execute(select(PlannedCall.reason, PlannedCall.created_by)).all()
            audited = conn.execute(select(AuditLog.actor).where(AuditLog.actor == "lead")).all()
        assert planned == [("retention", "lead")]
        assert audited
        assert cells(table, 0)[7] == "已安排"
        # asking again changes nothing and says why
        await pilot.press("p")
        await pilot.pause()
        with demo_engine.connect() as conn:
            assert len(conn.execute(select(PlannedCall.id)).all()) == 1
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_coverage_by_district_then_by_tier(demo_engine: Engine, tmp_path: Path) -> None:
    settings = Settings()
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_lead(pilot)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        table = screen.query_one("#cov-table", DataTable)
        await settle(pilot, lambda: table.row_count > 0)
        assert screen.week is not None
        expected = brand_coverage(demo_engine, screen.week, by="district", settings=settings)
        assert table.row_count == len(expected)
        first = cells(table, 0)
        assert first[0] == expected[0].brand and first[1] == "全部"
        assert first[2] == f"{expected[0].share:.1%}"
        await pilot.press("g")
        tiers = brand_coverage(demo_engine, screen.week, by="tier", settings=settings)
        await settle(pilot, lambda: table.row_count == len(tiers) and "档位" in text_of(screen.query_one("#cov-title")))
        assert any(cells(table, i)[1] == "1-5" for i in range(min(table.row_count, 20)))
        # back to the dashboard, and on to the ticket queue
        await pilot.press("escape", "t")
        await settle(pilot, lambda: isinstance(app.screen, TicketQueueScreen) and app.screen.loaded)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_an_order_taker_cannot_read_the_lead_screens(demo_engine: Engine, tmp_path: Path) -> None:
    """The TUI sends an order taker to the call queue; a lead screen pushed anyway shows a refusal, no figures."""
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"demo", "enter", *"0000", "enter")
        await settle(pilot, lambda: isinstance(app.screen, QueueScreen))
        assert "t" not in app.screen.active_bindings or app.screen.active_bindings["t"].binding.action != "tickets"
        dash = DashboardScreen()
        await app.push_screen(dash)
        await settle(pilot, lambda: "班长" in text_of(dash.query_one("#dash-totals", Static)))
        assert dash.dashboard is None
        assert "此页面仅限班长和管理员" in text_of(dash.query_one("#dash-totals", Static))
        app.pop_screen()
        ret = RetentionScreen()
        await app.push_screen(ret)
        await settle(pilot, lambda: "班长" in text_of(ret.query_one("#ret-title", Static)))
        assert ret.rows == []


def on_screen(app: object) -> str:
    """The screen as drawn, row by row: what the lead actually sees (clipping and wrapping included)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())  # type: ignore[attr-defined]


async def drawn(pilot: object, wanted: list[str], tries: int = 50) -> str:
    """The screen once it shows every wanted text (or after `tries` repaints): a repaint can lag the update."""
    app = pilot.app  # type: ignore[attr-defined]
    seen = ""
    for _ in range(tries):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]
        seen = on_screen(app)
        if all(w in seen for w in wanted):
            break
    return seen


async def test_at_80x24_every_outcome_label_the_whole_header_and_whole_brand_names(
    demo_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        dash = await sign_in_lead(pilot)
        assert dash.dashboard is not None
        q = dash.dashboard.open_tickets
        labels = ["已订货", "无人接听", "占线", "约定回电", "拒绝订货", "已停业", "号码错误", "已回复"]
        header = f"未结 {q.total}(超时 {q.overdue},一小时内到期 {q.due_soon})"  # not cut mid-bracket
        seen = await drawn(pilot, [*labels, header])
        for wanted in [*labels, header]:
            assert wanted in seen, (wanted, seen)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        table = screen.query_one("#cov-table", DataTable)
        await settle(pilot, lambda: table.row_count > 0)
        # whole brand names: the brand column is as wide as its longest name, and every column fits the screen
        brands = {cells(table, i)[0] for i in range(table.row_count)}
        brand_col = table.columns[table.ordered_columns[0].key]
        assert brand_col.get_render_width(table) - 2 * table.cell_padding >= max(cell_len(b) for b in brands)
        assert sum(c.get_render_width(table) for c in table.ordered_columns) <= table.size.width
