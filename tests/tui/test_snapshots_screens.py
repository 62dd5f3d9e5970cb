"""Every screen and dialog at 80×24 (the call centre's terminal), in Chinese and in English, guarded by SVG
snapshots; the call screen and the read-back also at 120×40 (issue 16).

Each snapshot is the demo (small, seed 1, built once per test process by `demo_file` in `tests/conftest.py`
and copied per test) at the fixed clock of `tests/conftest.py`, reached by the keys an order taker or a shift
lead presses. English: `BINDINGS` descriptions are fixed when a screen class is created, so the `english`
fixture imports our screens afresh with the language set (and puts the Chinese ones back afterwards); this
works in any process, so under xdist too.

After a deliberate layout change: `pytest tests/tui/test_snapshots_screens.py --snapshot-update`, look at the
report (and at the SVGs), and commit them.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import workers_done
from tui import i18n

Steps = Callable[[Any], Awaitable[None]]

# ------------------------------------------------------------------------------------------- the demo, copied


@pytest.fixture
def demo_copy(demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A copy of the demo for one test, named by a relative path: the summary screen shows the database's URL,
    and a temporary directory's name would differ from run to run."""
    shutil.copyfile(demo_file, tmp_path / "telesales.db")
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///telesales.db")
    yield engine
    engine.dispose()


# ------------------------------------------------------------------------------------------- the language


def _ours(name: str) -> bool:
    """Modules whose classes carry translated text: every module of `tui` but the translation tables."""
    return name.startswith("tui.") and not name.startswith("tui.i18n")


@pytest.fixture(params=["zh", "en"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    """The screens' language. For English the screens are imported afresh after `set_language("en")`, as
    `run_tui` does before importing them; the Chinese modules are put back after the test."""
    language: str = request.param
    saved = {name: module for name, module in sys.modules.items() if _ours(name)}
    before = i18n.language()
    i18n.set_language(language)
    if language != "zh":
        for name in saved:
            del sys.modules[name]
    try:
        yield language
    finally:
        i18n.set_language(before)
        for name in [n for n in sys.modules if _ours(n)]:
            del sys.modules[name]
        sys.modules.update(saved)


def app_module() -> ModuleType:
    """`tui.app` as imported for the current language (fresh for English: see `lang`)."""
    import importlib

    return importlib.import_module("tui.app")


def make_app(engine: Engine, tmp_path: Path) -> Any:
    app = app_module().TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    app.NOTIFICATION_TIMEOUT = 600  # a notice stays for the picture, however slow the machine
    return app


# ------------------------------------------------------------------------------------------- keys


async def settle(pilot: Any, until: Callable[[Any], bool] | None = None, rounds: int = 80) -> None:
    """Let workers finish and the screen repaint; with `until`, wait (bounded) until it holds for the app."""
    app = pilot.app
    for _ in range(rounds):
        await workers_done(app)
        await pilot.pause()
        if until is None or until(app):
            break
    if until is not None:
        assert until(app), f"not reached: {app.screen}"
    for _ in range(3):
        await workers_done(app)
        await pilot.pause()


def on(name: str) -> Callable[[Any], bool]:
    return lambda app: type(app.screen).__name__ == name


def listed(name: str) -> Callable[[Any], bool]:
    """On screen `name` with its list loaded: the table has rows and the focus (its cursor row is drawn in the
    focused colour only then)."""

    def check(app: Any) -> bool:
        focused = app.screen.focused
        return on(name)(app) and focused is not None and getattr(focused, "row_count", 0) > 0

    return check


async def sign_in(pilot: Any, login: str = "demo") -> None:
    await settle(pilot, lambda app: app.matcher is not None and on("LoginScreen")(app))
    await pilot.press(*login, "enter", *"0000", "enter")
    home = "QueueScreen" if login == "demo" else "DashboardScreen"
    await settle(pilot, lambda app: on(home)(app) and (home != "QueueScreen" or bool(app.screen.entries)))


async def call(pilot: Any) -> None:
    await sign_in(pilot)
    await pilot.press("n")
    await settle(
        pilot,
        lambda app: on("CallScreen")(app) and app.screen.view is not None and app.screen.script is not None,
    )


async def call_with_draft(pilot: Any) -> None:
    await call(pilot)
    await pilot.press("f2")
    await settle(pilot)


def then(first: Steps, *keys: str, screen: str | None = None, rows: bool = False) -> Steps:
    """`first`, then `keys`, waiting for `screen` when given (with its list loaded when `rows`)."""

    async def steps(pilot: Any) -> None:
        await first(pilot)
        await pilot.press(*keys)
        await settle(pilot, (listed if rows else on)(screen) if screen else None)

    return steps


async def login(pilot: Any) -> None:
    await settle(pilot, lambda app: app.matcher is not None and on("LoginScreen")(app))


async def queue(pilot: Any) -> None:
    await sign_in(pilot)


async def lead(pilot: Any) -> None:
    await sign_in(pilot, "lead")


async def ticket(pilot: Any) -> None:
    await lead(pilot)
    await pilot.press("t")
    await settle(pilot, lambda app: on("TicketQueueScreen")(app))
    await pilot.press("enter")
    await settle(pilot, lambda app: on("TicketDetailScreen")(app) and app.screen.view is not None)


async def placed(pilot: Any) -> None:
    """The suggested order read back and placed (Enter on the read-back): the call screen, its week's order."""
    await call_with_draft(pilot)
    await pilot.press("f5")
    await settle(pilot, on("ReadbackScreen"))
    await pilot.press("enter")
    await settle(pilot, lambda app: on("CallScreen")(app) and bool(app.screen.placed) and bool(app.screen.week_orders))


async def ordered(pilot: Any) -> None:
    """`placed`, then the call ended with its first outcome (ordered) and 「我今天的订单」 opened from the queue."""
    await placed(pilot)
    await pilot.press("f10")
    await settle(pilot, on("OutcomeScreen"))
    await pilot.press("enter")
    await settle(pilot, lambda app: on("QueueScreen")(app) and bool(app.screen.entries))
    await pilot.press("o")
    await settle(pilot, listed("MyOrdersScreen"))


async def stale_draft(pilot: Any) -> None:
    """A draft kept on leaving a call (Esc, then Enter: leave, the draft is kept); meanwhile the office stops
    serving the shop (done in the database, not at a terminal); the order taker signs out (Ctrl+O) and in again,
    and the sign-in review offers to discard the draft that can no longer be placed."""
    from sqlalchemy import update
    from sqlmodel import col

    from db.models import Customer

    await call_with_draft(pilot)
    code = pilot.app.screen.code
    await pilot.press("escape")
    await settle(pilot, on("LeaveCallDialog"))
    await pilot.press("enter")
    await settle(pilot, lambda app: on("QueueScreen")(app) and bool(app.screen.entries))
    pilot.app.flush_drafts()
    with pilot.app.engine.begin() as conn:
        conn.execute(update(Customer).where(col(Customer.code) == code).values(active=False))
    await pilot.press("ctrl+o")
    await settle(pilot, lambda app: app.matcher is not None and on("LoginScreen")(app))
    await pilot.press(*"demo", "enter", *"0000", "enter")
    await settle(pilot, on("StaleDraftDialog"))


SCREENS: dict[str, Steps] = {
    "login": login,
    "summary": then(login, "f9", screen="SummaryScreen"),
    "queue": queue,
    "queue_team": then(queue, "t"),
    "find_shop": then(queue, "slash", *"jd", screen="FindShopDialog"),
    "my_orders": then(queue, "o", screen="MyOrdersScreen"),
    "call": call,
    "call_draft": call_with_draft,
    "call_typing": then(call, *"rzh 2"),  # the brand box's candidates
    "quantity": then(call_with_draft, "f6", "enter", screen="QuantityDialog"),
    "readback": then(call_with_draft, "f5", screen="ReadbackScreen"),
    "outcome": then(call_with_draft, "f10", screen="OutcomeScreen"),
    "callback": then(call, "f10", *["down"] * 5, "tab", *"15:30", screen="OutcomeScreen"),
    "complaint": then(call, "f8", screen="ComplaintScreen"),
    "note": then(call, "f9", screen="NoteDialog"),
    "card": then(call, "f11", screen="CardDialog"),
    "leave_call": then(call, "escape", screen="LeaveCallDialog"),
    "help": then(call, "f1", screen="HelpScreen"),
    "quit_call": then(call, "ctrl+q", screen="QuitDuringCallDialog"),
    "amend_readback": then(placed, "f12", "f5", screen="AmendReadback"),
    "amend_cancel_confirm": then(ordered, "x", screen="ConfirmDialog"),
    "draft_review": stale_draft,
    "dashboard": lead,
    "tickets": then(lead, "t", screen="TicketQueueScreen", rows=True),
    "ticket_filter": then(lead, "t", "f", screen="FilterDialog"),
    "ticket_detail": ticket,
    "ticket_status": then(ticket, "s", screen="StatusDialog"),
    "ticket_note": then(ticket, "n", screen="NoteDialog"),
    "ticket_assign": then(ticket, "a", screen="AssignDialog"),
    "ticket_escalate": then(ticket, "e", screen="EscalateDialog"),
    "ticket_due": then(ticket, "d", screen="DueDialog"),
    "retention": then(lead, "r", screen="RetentionScreen", rows=True),
    "coverage": then(lead, "c", screen="CoverageScreen", rows=True),
    "shops_assign": then(then(lead, "r", screen="RetentionScreen", rows=True), "a", screen="AssignShopsDialog"),
    "users": then(lead, "u", screen="UsersScreen", rows=True),
    "users_pin": then(then(lead, "u", screen="UsersScreen", rows=True), "p", screen="PinDialog"),
}
WIDE = ["call_draft", "call_typing", "readback"]


def steady(steps: Steps) -> Steps:
    """`steps`, then every text box's cursor held still (shown): a blinking one is on or off by the time the
    picture is taken."""

    async def run(pilot: Any) -> None:
        from textual.widgets import DataTable, Input

        await steps(pilot)
        for screen in pilot.app.screen_stack:
            for box in screen.query(Input):
                box.cursor_blink = False
        # a table sizes its columns to new rows when its message queue is idle, which a loaded machine may not
        # reach before the picture: wait until no table has rows or cells left to measure, then for the repaint
        # (a screen may fill its table again when a second load lands: settled means three quiet looks in a row)
        quiet = 0
        for _ in range(100):
            await workers_done(pilot.app)
            tables = list(pilot.app.screen.query(DataTable))
            busy = any(t._require_update_dimensions or t._updated_cells or t._new_rows for t in tables)
            quiet = 0 if busy else quiet + 1
            if quiet >= 3:
                break
            await pilot.pause(0.05)
        for table in pilot.app.screen.query(DataTable):  # lines drawn before the last sizing are kept in a cache
            table._clear_caches()
            table.refresh()
        await pilot.pause()
        await pilot.pause()

    return run


@pytest.mark.parametrize("name", list(SCREENS))
def test_screen_at_80x24(snap_compare: Any, demo_copy: Engine, tmp_path: Path, lang: str, name: str) -> None:
    assert snap_compare(make_app(demo_copy, tmp_path), terminal_size=(80, 24), run_before=steady(SCREENS[name]))


@pytest.mark.parametrize("name", WIDE)
def test_screen_at_120x40(snap_compare: Any, demo_copy: Engine, tmp_path: Path, lang: str, name: str) -> None:
    assert snap_compare(make_app(demo_copy, tmp_path), terminal_size=(120, 40), run_before=steady(SCREENS[name]))
