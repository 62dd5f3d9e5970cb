"""Notices cover no figure and end with their call (issue 16).

Textual's toasts were drawn over the draft's total (「已带入建议 14 行」 after F2) and the queue's columns, and
「通话已结束」 was still up on the next call. A notice is now said on the screen's notice line, in the header's
place, and belongs to the screen it was said on. These tests read the terminal as painted."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from textual.widgets import DataTable, Static

from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import open_call, open_next_call, workers_done
from tui.app import TelesalesApp
from tui.i18n import t
from tui.screens.call import CallScreen
from tui.screens.queue import QueueScreen


def painted_rows(app: TelesalesApp) -> list[str]:
    return ["".join(strip.text.split()) for strip in app.screen._compositor.render_strips()]


async def settled(pilot: object, app: TelesalesApp) -> None:
    for _ in range(5):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    app = TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    app.NOTIFICATION_TIMEOUT = 600  # still up when read, however slow the machine
    return app


async def test_the_draft_total_is_in_view_under_the_f2_notice_at_80x24(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await pilot.press("f2")
        await settled(pilot, app)
        assert call.draft is not None and call.draft.lines
        said = t("call.taken", n=len(call.draft.lines))
        assert call.notice() == said
        rows = painted_rows(app)
        total = "".join(str(call.query_one("#draft-total", Static).render()).split())
        assert total and any(total in row for row in rows), rows  # the total's whole line, not covered
        assert any("".join(said.split()) in row for row in rows), rows  # and the notice is read too
        # every column header of the draft is painted as well
        header = rows[call.query_one("#draft-table", DataTable).region.y]
        for key in ("name", "qty", "amount", "left"):
            assert t("draft.col." + key) in header, header


async def test_a_calls_notice_is_gone_on_the_next_call(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        first = await open_call(pilot)
        await pilot.press("f2")
        await settled(pilot, app)
        assert first.notice()
        await pilot.press("f10")
        await settled(pilot, app)
        await pilot.press("enter")  # no answer (highlighted: the draft was not placed), then past the warning
        for _ in range(5):
            if isinstance(app.screen, QueueScreen):
                break
            await pilot.press("enter")
            await settled(pilot, app)
        assert isinstance(app.screen, QueueScreen), app.screen
        ended = app.screen.notice()
        assert ended == t("call.ended", outcome=t("outcome.no_answer"))  # said on the queue
        second = await open_next_call(pilot)
        await settled(pilot, app)
        assert isinstance(second, CallScreen) and second is not first
        assert second.notice() == ""
        squeezed = "".join(ended.split())
        assert not any(squeezed in row for row in painted_rows(app))
        await pilot.press("escape", "enter")  # leave the call: back on the queue, nothing from before is said
        await settled(pilot, app)
        assert isinstance(app.screen, QueueScreen)
        assert not any(squeezed in row for row in painted_rows(app))
