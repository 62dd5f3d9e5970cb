"""Keys and dialogs at 80×24 (issue 16): key names written one way, Esc and Ctrl+Q ask before a call is left,
F1 in dialogs, signing out, every complaint category and outcome in sight, the palette in Chinese."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from textual.app import App

from db.models import CALL_OUTCOMES, TICKET_CATEGORIES
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import open_call, workers_done
from tui.app import TelesalesApp
from tui.help import HelpScreen
from tui.i18n import t
from tui.screens.call import CallScreen
from tui.screens.dialogs import ComplaintScreen, OutcomeScreen
from tui.screens.lead import DashboardScreen
from tui.screens.leave_call import LeaveCallDialog, QuitDuringCallDialog
from tui.screens.login import LoginScreen
from tui.screens.queue import QueueScreen

SIZE = (80, 24)


def on_screen(app: App[None]) -> str:
    """What the terminal shows, line by line, as the compositor paints the screen on top (dialogs included)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))


async def settle(pilot: object, times: int = 5) -> None:
    for _ in range(times):
        await workers_done(pilot.app)  # type: ignore[attr-defined]
        await pilot.pause()  # type: ignore[attr-defined]


async def test_f_keys_are_written_in_capitals_in_the_footer_and_help(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_call(pilot)
        await settle(pilot)
        footer = on_screen(app).splitlines()[-1]
        assert "F2" in footer and "F5" in footer, footer
        assert "f2" not in footer and "f5" not in footer, footer
        assert "Ctrl+P" in footer and "palette" not in footer, footer
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = on_screen(app)
        assert "F10" in shown and "F3" in shown
        assert "f10" not in shown and "f3 " not in shown


async def test_esc_on_a_call_asks_and_stay_keeps_the_call(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press(*"rzh")
        await pilot.press("escape")  # clears the typed line first: nothing is asked yet
        await settle(pilot)
        assert app.screen is call and call.query_one("#brand").value == ""  # type: ignore[attr-defined]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LeaveCallDialog)
        shown = on_screen(app)
        assert call.shop_name() in shown and "Enter/y" in shown and "Esc/n" in shown
        await pilot.press("escape")  # Esc again stays: two Esc never lose a call
        await settle(pilot)
        assert app.screen is call and not call.ended


async def test_leaving_a_call_keeps_its_draft_and_goes_back_to_the_queue(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        code = call.code
        await pilot.press("f2")  # the suggestion into the draft
        await settle(pilot)
        assert call.draft is not None and call.draft.lines
        want = [(x.code, x.qty) for x in call.draft.lines]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        app.flush_drafts()
        kept = DraftStore(tmp_path / "drafts", demo_engine).load("demo", code)
        assert kept is not None and [(x.code, x.qty) for x in kept.lines] == want
        # the next time the shop is opened, the call comes back with its draft
        entry = next(e for e in app.screen.entries if e.customer == code)
        app.push_screen(CallScreen(code, entry))
        await settle(pilot, 20)
        again = app.screen
        assert isinstance(again, CallScreen) and again.draft is not None
        assert [(x.code, x.qty) for x in again.draft.lines] == want


async def test_ctrl_q_with_a_call_open_asks_before_quitting(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, QuitDuringCallDialog) and app.is_running
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is call and app.is_running
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not app.is_running


async def test_f1_in_a_dialog_lists_that_dialogs_keys(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_call(pilot)
        for key, dialog, own_key in (("f10", OutcomeScreen, "key.back_call"), ("escape", LeaveCallDialog, "key.stay")):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, dialog)
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen), app.screen
            shown = on_screen(app)
            assert t(own_key) in shown, shown
            assert t("key.take") not in shown  # the call screen's F2 is not this dialog's key
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, dialog)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, CallScreen)


async def test_every_complaint_category_and_outcome_is_in_sight(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_call(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ComplaintScreen)
        shown = on_screen(app)
        for category in TICKET_CATEGORIES:
            assert t("category." + category) in shown, category
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, OutcomeScreen)
        shown = on_screen(app)
        for outcome in app.screen.outcomes:
            assert t("outcome." + outcome) in shown, outcome
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(OutcomeScreen(placed=False, unplaced=0, open_ticket=True))  # a shop with a complaint
        await settle(pilot)
        assert isinstance(app.screen, OutcomeScreen) and len(app.screen.outcomes) == len(CALL_OUTCOMES)
        shown = on_screen(app)
        for outcome in CALL_OUTCOMES:
            assert t("outcome." + outcome) in shown, outcome


async def test_sign_out_from_the_queue_and_refused_during_a_call(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        call = await open_call(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.screen is call and app.user is not None
        assert [n.message for n in app._notifications][-1:] == [t("sign_out.in_call")], list(app._notifications)
        await pilot.press("escape", "y")  # leave the call
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert "Ctrl+O" in on_screen(app) and t("key.sign_out") in on_screen(app)
        await pilot.press("escape", "ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.user is None
        await pilot.press(*"lead", "enter", *"0000", "enter")
        await settle(pilot, 20)
        assert isinstance(app.screen, DashboardScreen) and app.user is not None
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen) and app.user is None


async def test_the_palette_speaks_chinese(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_call(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        shown = on_screen(app)
        assert t("palette.placeholder") in shown
        for english in ("Search for commands", "Maximize", "Keys", "Theme", "Quit", "Screenshot"):
            assert english not in shown, english
        assert t("key.take") in shown  # the screen's own commands, in its language
