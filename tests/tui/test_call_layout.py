"""What the order taker must read on the call screen is on screen at 80×24, not cut and not below the fold.

Issue 16: the card (phone, the account manager's note) was below the fold and unreachable, the script step cut
mid-sentence with its hint hidden, the draft's 余量 header cut. These tests read the terminal as painted (the
compositor's cells), so text scrolled out of view or cut at the edge does not count as shown."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, update
from textual.app import App

from db.tables import CUSTOMER
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import open_call
from tui.app import TelesalesApp
from tui.screens.call import CallScreen

NOTE = "上午进货忙,请下午两点后再打。"


def painted(app: App[None]) -> str:
    """The terminal's cells as painted now, rows run together without white space: a full-width panel's wrapped
    sentence reads as one, and the spaces Chinese text is drawn with do not count."""
    rows = app.screen._compositor.render_strips()
    return "".join("".join(strip.text.split()) for strip in rows)


def squeeze(text: str) -> str:
    return "".join(text.split())


async def settled(pilot: object) -> None:
    for _ in range(5):
        await pilot.pause()  # type: ignore[attr-defined]


async def test_phone_and_note_in_view_at_80x24(demo_engine: Engine, tmp_path: Path) -> None:
    with demo_engine.begin() as conn:
        conn.execute(update(CUSTOMER).values(notes=NOTE))
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await settled(pilot)
        assert call.view is not None and call.view.card.phone
        screen = painted(app)
        assert squeeze(call.view.card.phone) in screen, screen
        assert squeeze(NOTE) in screen, screen


async def test_full_card_on_f11(demo_engine: Engine, tmp_path: Path) -> None:
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await pilot.press("f11")
        await settled(pilot)
        assert not isinstance(app.screen, CallScreen)
        assert call.view is not None
        assert squeeze(call.view.card.name) in painted(app)
        await pilot.press("escape")
        await settled(pilot)
        assert app.screen is call


async def test_script_step_in_full_with_its_hint_at_80x24(demo_engine: Engine, tmp_path: Path) -> None:
    """Every step of the demo script, the long 资讯 step included (it was cut at 「我给您简单介绍一」), is
    painted whole with its hint when the order taker steps to it with F3."""
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        for _ in range(40):
            if call.script is not None:
                break
            await pilot.pause()
        assert call.script is not None and len(call.script.steps) >= 3
        for index, step in enumerate(call.script.steps[:4]):
            await settled(pilot)
            assert call.step == index
            screen = painted(app)
            assert squeeze(step.text) in screen, (index, screen)
            if step.hint:
                assert squeeze(step.hint) in screen, (index, screen)
            await pilot.press("f3")


async def test_suggestion_rows_fit_and_the_detail_line_says_the_whole_reason(
    demo_engine: Engine, tmp_path: Path
) -> None:
    """At 80×24 each row ends in a reason that fits (「17/20次」, not 「近20」 cut) and no scrollbar is drawn in the
    rows; the highlighted line's full reason is in the detail line and follows the cursor. At 120×40 the rows
    have room for the full reasons."""
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await settled(pilot)
        assert call.view is not None
        lines = call.view.suggestion.lines
        assert len(lines) >= 2 and all(line.brief for line in lines)
        screen = painted(app)
        first = lines[0].brief.split("·")[0]
        assert squeeze(first) in screen, screen
        assert squeeze(lines[0].reason) in screen  # the detail line
        table = call.query_one("#suggest-table")
        assert not table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        await pilot.press("f7", "down")
        await settled(pilot)
        assert squeeze(lines[1].reason) in painted(app)
        await pilot.resize_terminal(120, 40)
        await settled(pilot)
        rows = painted(app)
        assert rows.count(squeeze(lines[1].reason)) == 2, rows  # in its row and in the detail line


async def test_every_draft_column_header_at_80x24(demo_engine: Engine, tmp_path: Path) -> None:
    """With the whole suggestion in the draft (the longest names of the demo), 品规 条 金额 余量 are all
    painted: 余量 was cut to 「余」."""
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await pilot.press("f2")
        await settled(pilot)
        assert call.draft is not None and len(call.draft.lines) >= 5
        table = call.query_one("#draft-table")
        assert not table.show_horizontal_scrollbar
        row = app.screen._compositor.render_strips()[table.region.y]
        header = row.crop(table.region.x, table.region.right).text  # cells, not characters: 品 is two
        assert header.split() == ["品规", "条", "金额", "余量"], header
