"""The read-back at 80x24 (issue 16): every line's quantity and amount in sight, and a refusal in a block of its
own that names the refused product and why in full, with Enter gone from the footer while nothing can be placed."""

from __future__ import annotations

import io
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlalchemy import Engine, delete, insert, select
from textual.app import App
from textual.containers import Vertical
from textual.widgets import Static

from db.tables import CUSTOMER, PRODUCT, QUOTA
from orders.clock import today, week_of
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import open_call, workers_done
from tui.app import TelesalesApp
from tui.money import yuan
from tui.screens.dialogs import ReadbackScreen

ZONE = ZoneInfo("Asia/Shanghai")


def rendered(widget: Static) -> list[str]:
    """The widget's content as it is drawn, at the width the widget has on screen."""
    out = io.StringIO()
    Console(file=out, width=widget.content_size.width, color_system=None).print(widget.content)
    return out.getvalue().splitlines()


def footer_text(app: App[None]) -> str:
    """The bottom row of the screen as drawn (the footer)."""
    return app.screen._compositor.render_strips()[-1].text


async def settle(pilot: object, until: object, rounds: int = 80) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(rounds):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]
        if until():  # type: ignore[operator]
            return


async def test_every_quantity_and_amount_in_sight_and_a_refusal_names_the_line(
    demo_engine: Engine, tmp_path: Path
) -> None:
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await pilot.press("f2")
        await settle(pilot, lambda: call.draft is not None and len(call.draft.lines) > 1)
        await pilot.press("f5")
        await settle(pilot, lambda: isinstance(app.screen, ReadbackScreen))
        readback = app.screen
        assert isinstance(readback, ReadbackScreen)
        assert readback.query_one(Vertical).outer_size.width == 80  # the whole width
        table = readback.query_one("#readback-table", Static)
        rows = rendered(table)
        assert call.draft is not None
        for line in call.draft.lines:
            row = next(r for r in rows if line.name in r)
            assert yuan(line.total_fen) in row and yuan(line.price_fen) in row, row
        await settle(pilot, lambda: "Enter" in footer_text(app))
        assert "Enter" in footer_text(app)

        # another terminal's rule for this shop: a quota of 1 on the first line's product
        first = call.draft.lines[0]
        assert first.qty > 1
        with demo_engine.begin() as conn:
            pid = conn.execute(select(PRODUCT.c.id).where(PRODUCT.c.code == first.code)).scalar_one()
            cid = conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.code == call.code)).scalar_one()
            week = week_of(today(ZONE))
            conn.execute(delete(QUOTA).where(QUOTA.c.product_id == pid, QUOTA.c.week == week))
            conn.execute(
                insert(QUOTA).values(week=week, product_id=pid, tier_from=1, tier_to=30, customer_id=cid, max_qty=1)
            )
        await pilot.press("enter")
        await settle(pilot, lambda: readback.refused)
        assert app.screen is readback and readback.refused
        block = " ".join(rendered(readback.query_one("#readback-error", Static)))
        assert "未下单" in block
        assert f"{first.name} 超出本周限量1条,还可订1条" in block, block
        for _ in range(20):  # the footer repaints after the bindings change
            await pilot.pause()
            if "Enter" not in footer_text(app):
                break
        assert "Enter" not in footer_text(app)  # nothing can be placed: Enter is not offered
        assert "Esc" in footer_text(app)
