"""The call queue shows the due time, the phone and, in the team's view, whose shop it is: abbreviated at 80
columns, with the owner, tier and last order too from 100 (issue 16). Read from the terminal as painted."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from orders.calls import call_queue, record_call
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import sign_in_to_queue, workers_done
from tui.app import TelesalesApp
from tui.i18n import t

CALLBACK = datetime.fromisoformat("2026-11-23T15:30:00+08:00")


def painted_rows(app: TelesalesApp) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def squeeze(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize(
    ("size", "team", "columns"),
    [
        ((80, 24), False, ["status", "due", "shop", "phone", "owner", "flags"]),
        ((80, 24), True, ["status", "due", "whose", "shop", "phone", "flags"]),
        ((120, 40), False, ["status", "due", "shop", "phone", "owner", "tier", "last", "flags"]),
        ((120, 40), True, ["status", "due", "whose", "shop", "phone", "owner", "tier", "last", "flags"]),
    ],
)
async def test_due_phone_and_whose_shop_in_view(
    demo_engine: Engine, tmp_path: Path, size: tuple[int, int], team: bool, columns: list[str]
) -> None:
    settings = Settings()
    shop = call_queue(demo_engine, settings, operator="demo")[3]
    assert shop.phone
    record_call(demo_engine, settings, shop.customer, "callback_requested", operator="demo", callback_at=CALLBACK)
    app = TelesalesApp(demo_engine, settings, drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=size) as pilot:
        queue = await sign_in_to_queue(pilot)
        if team:
            await pilot.press("t")
            for _ in range(40):
                await workers_done(app)
                await pilot.pause()
                if queue.team and queue.entries and queue.entries[0].operator is not None and "whose" in queue._keys():
                    break
        labels = [t("queue.col." + key) for key in columns]

        def drawn(rows: list[str]) -> bool:
            """The view's header and the shop's row both painted (a loaded machine repaints the team's view late)."""
            heads = [row for row in rows if all(label in row for label in labels)]
            return bool(heads) and any(squeeze(shop.name) in squeeze(r) for r in rows)

        for _ in range(150):  # bounded (a loaded machine paints late): the assertions below say what was missing
            await workers_done(app)
            await pilot.pause(0.05)
            if drawn(painted_rows(app)):
                break
        rows = painted_rows(app)
        header = next((row for row in rows if t("queue.col.shop") in row and t("queue.col.phone") in row), "")
        for label in labels:
            assert label in header, (label, header)
        # in this order, and the last one (the flags) not cut at the edge
        assert [header.index(label) for label in labels] == sorted(header.index(label) for label in labels)
        row = next((r for r in rows if squeeze(shop.name) in squeeze(r)), "")
        assert row, ("the shop's row is not painted", shop.name, "\n".join(rows), [e.name for e in queue.entries][:20])
        assert "15:30" in row and shop.phone in row, row
        assert t("outcome.callback_requested") in row, row  # asked for 15:30: not due yet
        if team:
            assert "小王" in row and "demo" not in row, row  # the name the team knows, not the login
        if size[0] >= 100:
            assert shop.owner and squeeze(shop.owner) in squeeze(row), row
