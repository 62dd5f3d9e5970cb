"""A lead gives falling shops to another order taker from the retention list, at 80x24, by keys."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select
from textual.widgets import DataTable, Input, Static

from db.models import AuditLog, Customer
from tests.conftest import table_snapshot
from tests.tui.test_app import make_app, text_of
from tests.tui.test_lead_screens import cells, settle, sign_in_lead
from tui.help import HelpScreen
from tui.screens.assign_dialog import AssignShopsDialog
from tui.screens.lead import RetentionScreen


def operator_of(engine: Engine, code: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(Customer.operator).where(Customer.code == code)).scalar_one()


async def test_a_lead_gives_marked_shops_to_another_order_taker(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_lead(pilot)
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, RetentionScreen) and len(app.screen.rows) >= 2)
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        first, second = screen.rows[0], screen.rows[1]
        target = next(login for login in ("zhao", "chen", "li") if login not in (first.operator, second.operator))
        table = screen.query_one("#ret-table", DataTable)
        assert f"电访员 {first.operator or '-'}" in text_of(screen.query_one("#ret-why", Static))
        # Space marks a shop and moves down; the marked shops say so in the list
        await pilot.press("space", "space")
        assert cells(table, 0)[0] == "* " + first.name and cells(table, 1)[0] == "* " + second.name
        # F1 lists the keys the footer has no room for
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert {"a", "Space", "p"} <= {k for k, _, _ in app.screen.keys}
        await pilot.press("escape")
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, AssignShopsDialog))
        dialog = app.screen
        assert isinstance(dialog, AssignShopsDialog)
        assert dialog.shops == [(first.code, first.name), (second.code, second.name)]
        assert "把 2 户转给另一位电访员" in text_of(dialog.query_one(".title", Static))
        await settle(pilot, lambda: "zhao 小赵" in text_of(dialog.query_one("#assign-people", Static)))
        # an unknown login: refused in the dialog, which stays open; nothing changed
        before = table_snapshot(demo_engine)
        await pilot.press(*"nobody", "enter")
        await settle(pilot, lambda: "nobody" in text_of(dialog.query_one("#assign-error", Static)))
        assert "没有工号 nobody,未作任何改动" in text_of(dialog.query_one("#assign-error", Static))
        assert app.screen is dialog and table_snapshot(demo_engine) == before
        # every line of the dialog is inside the 80x24 screen
        for widget in dialog.query("Static, Input"):
            region = widget.region
            assert region.right <= 80 and region.bottom <= 24, widget
        await pilot.press(*["backspace"] * 6, *target, "enter")
        await settle(pilot, lambda: isinstance(app.screen, RetentionScreen) and not screen.marked)
        assert operator_of(demo_engine, first.code) == target and operator_of(demo_engine, second.code) == target
        with demo_engine.connect() as conn:
            audits = conn.execute(
                select(AuditLog.actor, AuditLog.entity_id, AuditLog.detail).where(AuditLog.action == "customer_assign")
            ).all()
        assert sorted((actor, code, json.loads(d)["to"]) for actor, code, d in audits) == sorted(
            [("lead", first.code, target), ("lead", second.code, target)]
        )
        await settle(pilot, lambda: screen.rows[0].operator == target)  # reloaded
        assert cells(table, 0)[0] == first.name  # the marks are gone
        await pilot.press("up", "up")
        assert f"电访员 {target}" in text_of(screen.query_one("#ret-why", Static))


async def test_without_marks_a_gives_the_shop_under_the_cursor_and_esc_gives_nothing(
    demo_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_lead(pilot)
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, RetentionScreen) and len(app.screen.rows) >= 2)
        screen = app.screen
        assert isinstance(screen, RetentionScreen)
        await pilot.press("down", "a")
        await settle(pilot, lambda: isinstance(app.screen, AssignShopsDialog))
        dialog = app.screen
        assert isinstance(dialog, AssignShopsDialog)
        assert dialog.shops == [(screen.rows[1].code, screen.rows[1].name)]
        before = table_snapshot(demo_engine)
        await pilot.press("enter")  # nothing typed: asked for a login
        await pilot.pause()
        assert "请输入工号" in text_of(dialog.query_one("#assign-error", Static))
        assert isinstance(dialog.query_one("#assign-operator", Input), Input)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, RetentionScreen))
        assert table_snapshot(demo_engine) == before
