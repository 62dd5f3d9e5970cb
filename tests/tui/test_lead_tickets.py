"""The shift lead's ticket screens at 80×24, driven by keys as a lead would, asserting on the database.

The lead signs in, opens the ticket queue, and works one complaint from open to closed: a note, an assignment,
in progress, an escalation (first refused for want of a reason), a new due time, resolved, closed. Each change
is checked in `ticket` and `ticket_event` with the lead as actor; each refusal is checked to write nothing and
to keep what was typed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlmodel import col
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from db.models import TICKET_CATEGORIES, Ticket, TicketEvent
from orders.drafts import DraftStore
from orders.settings import Settings
from orders.tickets import STILL_OPEN, count_queue
from tests.conftest import table_snapshot
from tests.tui.flows import workers_done
from tui.app import TelesalesApp
from tui.help import HelpScreen
from tui.screens.call import CallScreen
from tui.screens.login import LoginScreen
from tui.screens.tickets import TicketDetailScreen, TicketQueueScreen
from tui.screens.tickets.dialogs import AssignDialog, DueDialog, EscalateDialog, NoteDialog, StatusDialog, TicketDialog
from tui.screens.tickets.filter import FilterDialog


def text_of(widget: Static, width: int = 78) -> str:
    """What the widget shows, as plain text laid out in terminal cells (Chinese takes two)."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(widget.content)
    return out.getvalue()


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))


async def settle(pilot: Pilot[Any], until: Callable[[], bool] = lambda: False, tries: int = 50) -> None:
    """Let workers finish and messages land, until `until()` holds (or a few rounds when it never does)."""
    for _ in range(tries):
        await workers_done(pilot.app)
        await pilot.pause()
        if until():
            return


async def sign_in(pilot: Pilot[Any], login: str) -> None:
    await pilot.press(*login, "enter", *"0000", "enter")
    app = pilot.app
    await settle(pilot, lambda: getattr(app, "user", None) is not None and not isinstance(app.screen, LoginScreen))
    assert getattr(app, "user", None) is not None, "sign-in failed"


async def open_queue(pilot: Pilot[Any]) -> TicketQueueScreen:
    queue = TicketQueueScreen()
    pilot.app.push_screen(queue)
    await settle(pilot, lambda: queue.loaded)
    assert queue.loaded
    return queue


async def open_ticket(pilot: Pilot[Any], ticket_id: int) -> TicketDetailScreen:
    detail = TicketDetailScreen(ticket_id)
    pilot.app.push_screen(detail)
    await settle(pilot, lambda: detail.view is not None)
    assert detail.view is not None
    return detail


def ticket(engine: Engine, ticket_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(Ticket.__table__).where(Ticket.__table__.c.id == ticket_id)).one()  # type: ignore[attr-defined]


def events(engine: Engine, ticket_id: int) -> list[Any]:
    table = TicketEvent.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return list(conn.execute(select(table).where(table.c.ticket_id == ticket_id).order_by(table.c.id)).all())


async def until_closed(pilot: Pilot[Any], dialog: TicketDialog) -> None:
    await settle(pilot, lambda: not dialog.is_attached)
    assert not dialog.is_attached, text_of(dialog.query_one("#dialog-error", Static))


def error_text(dialog: Screen[Any]) -> str:
    return text_of(dialog.query_one("#dialog-error", Static))


async def test_queue_counts_order_and_fit_at_80_columns(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "lead")
        queue = await open_queue(pilot)
        counts = count_queue(demo_engine)
        header = text_of(queue.query_one("#tickets-counts", Static))
        assert f"未结 {counts.total}" in header
        assert f"超时 {counts.overdue}" in header
        assert f"一小时内到期 {counts.due_soon}" in header
        assert counts.overdue and counts.due_soon  # the demo has both, so the marks below are exercised
        flags = [item.ticket.overdue for item in queue.items]
        assert len(queue.items) == counts.total
        assert flags == sorted(flags, reverse=True), "overdue tickets come first"
        table = queue.query_one("#tickets-table", DataTable)
        first, after = table.get_row_at(0), table.get_row_at(counts.overdue)
        assert first[1].plain == "超时" and "red" in str(first[1].style)
        assert after[1].plain in ("将到", "")
        soon = [i for i, item in enumerate(queue.items) if item.ticket.due_soon]
        assert soon and table.get_row_at(soon[0])[1].plain == "将到"
        # every column fits the 80 columns, counted in terminal cells (Chinese shop names are two a character)
        width = sum(column.get_render_width(table) for column in table.columns.values())
        assert width <= 80 - 1, width
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = text_of(app.screen.query_one("#help-keys", Static))
        for key in ("Enter", "f", "/", "r", "x", "F1", "Ctrl+P"):
            assert f"\n{key} " in "\n" + keys, key
        await pilot.press("escape")
        app.save_screenshot(str(tmp_path / "ticket_queue.svg"))
        assert (tmp_path / "ticket_queue.svg").stat().st_size > 0


async def test_lead_works_a_ticket_from_open_to_closed(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "lead")
        queue = await open_queue(pilot)
        index = next(
            i for i, item in enumerate(queue.items) if item.ticket.status == "open" and item.ticket.assigned_to is None
        )
        ticket_id = queue.items[index].ticket.ticket_id
        await pilot.press(*["down"] * index, "enter")
        await settle(pilot, lambda: isinstance(app.screen, TicketDetailScreen) and app.screen.view is not None)
        detail = app.screen
        assert isinstance(detail, TicketDetailScreen) and detail.ticket_id == ticket_id
        assert f"#{ticket_id}" in text_of(detail.query_one("#ticket-head", Static))
        assert queue.items[index].ticket.customer_name in text_of(detail.query_one("#ticket-customer", Static), 40)
        app.save_screenshot(str(tmp_path / "ticket_detail.svg"))
        before = len(events(demo_engine, ticket_id))

        # a note
        await pilot.press("n")
        dialog = app.screen
        assert isinstance(dialog, NoteDialog)
        await pilot.press(*"已联系配送中心", "enter")
        await until_closed(pilot, dialog)
        last = events(demo_engine, ticket_id)[-1]
        assert (last.kind, last.actor, last.note) == ("note", "lead", "已联系配送中心")
        await settle(pilot, lambda: "已联系配送中心" in text_of(detail.query_one("#ticket-history", Static)))
        assert "已联系配送中心" in text_of(detail.query_one("#ticket-history", Static))

        # assigning to a login that does not exist is refused by the domain: nothing written, text kept
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, AssignDialog)
        snapshot = table_snapshot(demo_engine)
        await pilot.press(*"nobody", "enter")
        await settle(pilot, lambda: bool(error_text(dialog).strip()))
        assert dialog.is_attached and "nobody" in error_text(dialog)
        assert dialog.query_one("#assign", Input).value == "nobody"
        assert table_snapshot(demo_engine) == snapshot
        dialog.query_one("#assign", Input).value = ""
        await pilot.press(*"lead", "enter")
        await until_closed(pilot, dialog)
        assert ticket(demo_engine, ticket_id).assigned_to == "lead"
        last = events(demo_engine, ticket_id)[-1]
        assert (last.kind, last.actor) == ("assign", "lead")

        # in progress: the first move offered from open
        await pilot.press("s")
        dialog = app.screen
        assert isinstance(dialog, StatusDialog)
        await pilot.press("enter")
        await until_closed(pilot, dialog)
        row = ticket(demo_engine, ticket_id)
        assert row.status == "in_progress" and row.first_response_at is not None
        last = events(demo_engine, ticket_id)[-1]
        assert (last.kind, last.actor, last.from_status, last.to_status) == ("status", "lead", "open", "in_progress")

        # escalating without a reason is refused before anything is written; what was typed stays
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, EscalateDialog)
        snapshot = table_snapshot(demo_engine)
        await pilot.press(*"manager", "enter", "enter")
        await settle(pilot, lambda: bool(error_text(dialog).strip()))
        assert dialog.is_attached and "原因" in error_text(dialog)
        assert dialog.query_one("#escalate-to", Input).value == "manager"
        assert table_snapshot(demo_engine) == snapshot
        await pilot.press(*"连续三周缺货", "enter")
        await until_closed(pilot, dialog)
        assert ticket(demo_engine, ticket_id).escalated_to == "manager"
        last = events(demo_engine, ticket_id)[-1]
        assert (last.kind, last.actor) == ("escalate", "lead") and "连续三周缺货" in last.note

        # a new due time, with its reason
        await pilot.press("d")
        dialog = app.screen
        assert isinstance(dialog, DueDialog)
        await pilot.press(*"2026-11-24 10:00", "enter", *"等配送中心回复", "enter")
        await until_closed(pilot, dialog)
        assert ticket(demo_engine, ticket_id).due_at.astimezone(UTC) == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
        last = events(demo_engine, ticket_id)[-1]
        assert (last.kind, last.actor) == ("due_changed", "lead") and "等配送中心回复" in last.note

        # resolved, with a note on the same event
        await pilot.press("s")
        dialog = app.screen
        assert isinstance(dialog, StatusDialog)
        await pilot.press("down", "tab", *"已补发", "enter")  # in_progress offers waiting_customer, resolved
        await until_closed(pilot, dialog)
        row = ticket(demo_engine, ticket_id)
        assert row.status == "resolved" and row.resolved_at is not None
        last = events(demo_engine, ticket_id)[-1]
        assert (last.kind, last.actor, last.to_status, last.note) == ("status", "lead", "resolved", "已补发")

        # closed; then there is no move left, and the screen says so instead of opening a dialog
        await pilot.press("s")
        dialog = app.screen
        assert isinstance(dialog, StatusDialog)
        await pilot.press("down", "enter")  # resolved offers in_progress (reopen), closed
        await until_closed(pilot, dialog)
        row = ticket(demo_engine, ticket_id)
        assert row.status == "closed" and row.closed_at is not None
        assert events(demo_engine, ticket_id)[-1].to_status == "closed"
        await settle(pilot, lambda: "已关闭" in text_of(detail.query_one("#ticket-head", Static)))
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is detail
        assert {e.actor for e in events(demo_engine, ticket_id)[before:]} == {"lead"}

        # Esc: back to the queue, which reads again and no longer lists the closed ticket
        await pilot.press("escape")
        await settle(pilot, lambda: ticket_id not in [i.ticket.ticket_id for i in queue.items])
        assert app.screen is queue
        assert ticket_id not in [i.ticket.ticket_id for i in queue.items]
        assert f"未结 {count_queue(demo_engine).total}" in text_of(queue.query_one("#tickets-counts", Static))


async def test_filter_by_category_and_district_and_search_by_shop(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "lead")
        queue = await open_queue(pilot)
        everything = list(queue.items)
        category = everything[0].ticket.category
        wanted = [i.ticket.ticket_id for i in everything if i.ticket.category == category]
        assert 0 < len(wanted) < len(everything)

        # f, Tab to the category list, choose it, Enter
        await pilot.press("f")
        assert isinstance(app.screen, FilterDialog)
        await pilot.press("tab", *["down"] * (TICKET_CATEGORIES.index(category) + 1), "enter")
        await settle(pilot, lambda: queue.flt.category == category and len(queue.items) == len(wanted))
        assert queue.flt.category == category
        assert [i.ticket.ticket_id for i in queue.items] == wanted
        assert queue.query_one("#tickets-table", DataTable).row_count == len(wanted)
        assert "类别" in text_of(queue.query_one("#tickets-filter", Static))

        # and a district on top (→ moves across to it): only that district's tickets of that category
        district = queue.items[0].district
        choices = queue.choices
        assert choices is not None and district is not None
        await pilot.press("f", "right", "right", "right", *["down"] * (choices.districts.index(district) + 1))
        await pilot.press("enter")
        await settle(pilot, lambda: queue.flt.district == district)
        assert queue.items and all(i.district == district and i.ticket.category == category for i in queue.items)

        # x drops every filter
        await pilot.press("x")
        await settle(pilot, lambda: len(queue.items) == len(everything))
        assert [i.ticket.ticket_id for i in queue.items] == [i.ticket.ticket_id for i in everything]

        # / and a shop name: the list narrows as it is typed; Enter opens the highlighted ticket
        shop = everything[-1].ticket.customer_name
        await pilot.press("slash", *shop)
        await settle(pilot, lambda: queue.flt.search == shop and len(queue.items) < len(everything))
        assert queue.items and all(shop in i.ticket.customer_name for i in queue.items)
        assert "搜索" in text_of(queue.query_one("#tickets-search-label", Static))
        # search by the licence number too
        code = everything[-1].ticket.customer
        box = queue.query_one("#tickets-search", Input)
        box.value = ""
        await pilot.press(*code)
        await settle(pilot, lambda: queue.flt.search == code)
        assert {i.ticket.customer for i in queue.items} == {code}
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, TicketDetailScreen) and app.screen.view is not None)
        assert isinstance(app.screen, TicketDetailScreen)
        assert app.screen.ticket_id in {i.ticket.ticket_id for i in queue.items}


async def test_the_call_back_key_opens_the_call_screen_with_the_callback_script(
    demo_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "lead")
        with demo_engine.connect() as conn:
            ticket_id = conn.execute(select(col(Ticket.id)).where(col(Ticket.status).in_(STILL_OPEN))).scalar()
        assert ticket_id is not None
        detail = await open_ticket(pilot, int(ticket_id))
        assert detail.view is not None
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, CallScreen))
        call = app.screen
        assert isinstance(call, CallScreen)
        assert call.code == detail.view.card.code and call.script_name == "callback"


async def test_an_order_taker_is_refused_lead_only_changes(demo_engine: Engine, tmp_path: Path) -> None:
    """The TUI does not route order takers here, but the domain refuses them too: through the dialog, the
    refusal is shown, nothing is written, and what was typed stays."""
    with demo_engine.connect() as conn:
        assigned = conn.execute(
            select(col(Ticket.id)).where(col(Ticket.assigned_to) == "lead", col(Ticket.status) == "in_progress")
        ).scalar()
    assert assigned is not None
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "demo")
        await open_ticket(pilot, int(assigned))
        snapshot = table_snapshot(demo_engine)

        await pilot.press("d")
        dialog = app.screen
        assert isinstance(dialog, DueDialog)
        await pilot.press(*"2026-11-30 10:00", "enter", *"客户出差", "enter")
        await settle(pilot, lambda: bool(error_text(dialog).strip()))
        assert dialog.is_attached
        assert "only a shift lead" in error_text(dialog)
        assert dialog.query_one("#due-time", Input).value == "2026-11-30 10:00"
        assert dialog.query_one("#due-reason", Input).value == "客户出差"
        assert table_snapshot(demo_engine) == snapshot
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, AssignDialog)
        await pilot.press(*"demo", "enter")
        await settle(pilot, lambda: bool(error_text(dialog).strip()))
        assert dialog.is_attached and "only a shift lead" in error_text(dialog)
        assert dialog.query_one("#assign", Input).value == "demo"
        assert table_snapshot(demo_engine) == snapshot


async def test_a_lost_database_keeps_the_dialog_and_its_text(
    demo_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection drops as the lead saves a note: the banner shows, the dialog stays with the note, and
    Enter saves it once the database answers again."""
    import tui.screens.tickets.dialogs as screens

    real = screens.update_ticket

    def gone(*_args: object, **_kwargs: object) -> Any:
        raise OperationalError("UPDATE ticket", {}, Exception("server closed the connection unexpectedly"))

    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "lead")
        with demo_engine.connect() as conn:
            ticket_id = conn.execute(select(col(Ticket.id)).where(col(Ticket.status) == "open")).scalar()
        assert ticket_id is not None
        await open_ticket(pilot, int(ticket_id))
        snapshot = table_snapshot(demo_engine)
        monkeypatch.setattr(screens, "update_ticket", gone)
        await pilot.press("n")
        dialog = app.screen
        assert isinstance(dialog, NoteDialog)
        await pilot.press(*"客户下午回电", "enter")
        await settle(pilot, lambda: bool(error_text(dialog).strip()))
        assert dialog.is_attached and "数据库连接中断" in error_text(dialog)
        assert dialog.query_one("#note", Input).value == "客户下午回电"
        assert app.db_down or app.db_error
        assert table_snapshot(demo_engine) == snapshot
        monkeypatch.setattr(screens, "update_ticket", real)
        await pilot.press("enter")
        await until_closed(pilot, dialog)
        assert events(demo_engine, int(ticket_id))[-1].note == "客户下午回电"
