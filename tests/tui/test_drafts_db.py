"""Drafts follow the operator between terminals and never cross databases, driven as an order taker would.

Each `TelesalesApp` is one terminal; a terminal's data folder is the `DraftStore` root it is given."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, update
from sqlmodel import col

from db.engine import make_engine
from db.migrate import upgrade
from db.models import CallDraft, Customer
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import open_call, sign_in_to_queue, workers_done
from tui.app import TelesalesApp
from tui.demo import SIZES, ensure_demo
from tui.screens.call import CallScreen
from tui.screens.draft_dialogs import StaleDraftDialog
from tui.screens.queue import QueueScreen


def terminal(engine: Engine, data: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(data / "drafts"))


async def leave_a_draft(engine: Engine, data: Path) -> tuple[str, list[tuple[str, int]]]:
    """Open the next call on a terminal, take an order of 玉溪 three cartons, and walk away (the terminal dies)."""
    app = terminal(engine, data)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await pilot.press(*"yx 3", "enter")
        await pilot.pause()
        assert call.draft is not None
        typed = [(x.code, x.qty) for x in call.draft.lines]
        assert len(typed) == 1
        app.flush_drafts()
        return call.code, typed


async def settle(pilot: object, app: TelesalesApp) -> None:
    for _ in range(40):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]


async def sign_in(pilot: object, app: TelesalesApp) -> None:
    """Sign in and let the queue load and the drafts be reviewed (which may open a call or a dialog)."""
    await pilot.press(*"demo", "enter", *"0000", "enter")  # type: ignore[attr-defined]
    await settle(pilot, app)


def draft_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CallDraft)).scalar_one())


async def test_a_draft_left_on_one_terminal_reopens_on_another(demo_engine: Engine, tmp_path: Path) -> None:
    code, typed = await leave_a_draft(demo_engine, tmp_path / "terminal-a")
    app = terminal(demo_engine, tmp_path / "terminal-b")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, app)
        call = app.screen
        assert isinstance(call, CallScreen) and call.code == code
        assert call.draft is not None and [(x.code, x.qty) for x in call.draft.lines] == typed


async def test_a_draft_of_another_database_never_opens(demo_engine: Engine, tmp_path: Path) -> None:
    code, _typed = await leave_a_draft(demo_engine, tmp_path / "terminal")
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    ensure_demo(other, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)  # the same shops, codes and logins
    try:
        app = terminal(other, tmp_path / "terminal")  # the same terminal, pointed at the other database
        async with app.run_test(size=(80, 24)) as pilot:
            queue = await sign_in_to_queue(pilot)
            await settle(pilot, app)
            assert app.screen is queue  # no call reopened, no dialog in the way
            assert code in [e.customer for e in queue.entries]
            await pilot.press("n")  # and the queue works: the same first shop, opened afresh
            await settle(pilot, app)
            call = app.screen
            assert isinstance(call, CallScreen) and call.code == code
            assert call.draft is not None and call.draft.lines == []
    finally:
        other.dispose()
    assert draft_rows(demo_engine) == 1  # still waiting on its own database


async def test_a_deactivated_shops_draft_is_offered_to_discard_and_the_queue_opens(
    demo_engine: Engine, tmp_path: Path
) -> None:
    code, _typed = await leave_a_draft(demo_engine, tmp_path / "terminal")
    with demo_engine.begin() as conn:
        conn.execute(update(Customer).where(col(Customer.code) == code).values(active=False))
    app = terminal(demo_engine, tmp_path / "terminal")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, StaleDraftDialog)
        said = " ".join(str(s.content) for s in dialog.query("Static"))
        assert "已停用" in said and "1 个品规 · 3 条" in said, said
        await pilot.press("enter")  # discard
        await settle(pilot, app)
        assert isinstance(app.screen, QueueScreen)
        app.flush_drafts()
    assert draft_rows(demo_engine) == 0
    assert not list((tmp_path / "terminal" / "drafts").rglob("*.json"))


async def test_a_stale_draft_kept_for_later_is_asked_again(demo_engine: Engine, tmp_path: Path) -> None:
    code, _typed = await leave_a_draft(demo_engine, tmp_path / "terminal")
    with demo_engine.begin() as conn:
        conn.execute(update(Customer).where(col(Customer.code) == code).values(active=False))
    for _ in range(2):
        app = terminal(demo_engine, tmp_path / "terminal")
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, app)
            assert isinstance(app.screen, StaleDraftDialog)
            await pilot.press("escape")  # keep it
            await settle(pilot, app)
            assert isinstance(app.screen, QueueScreen)
    assert draft_rows(demo_engine) == 1
