"""A database that goes away mid-call: the banner shows, the draft survives on disk, and the order places
once the database is back. On PostgreSQL, for real: the app's connections are killed and new ones refused."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, func, select, text

from db.engine import make_engine
from db.migrate import upgrade
from db.tables import ORDER
from orders.drafts import DraftStore
from orders.settings import Settings
from tests.conftest import PG_ADMIN_URL
from tests.tui.flows import open_call
from tui.app import TelesalesApp
from tui.demo import SIZES, ensure_demo
from tui.screens.call import CallScreen
from tui.widgets.banner import DbBanner

KILL = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"


def set_reachable(name: str, reachable: bool) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if reachable else "false"}'))
        if not reachable:
            conn.execute(text(KILL), {"d": name})
    admin.dispose()


async def test_the_call_survives_a_dropped_database_and_places_when_it_is_back(pg_url: str, tmp_path: Path) -> None:
    engine: Engine = make_engine(pg_url)
    upgrade(engine)
    ensure_demo(engine, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)
    name = pg_url.rsplit("/", 1)[1]
    store = DraftStore(tmp_path / "drafts")
    app = TelesalesApp(engine, Settings(), drafts=store)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            call = await open_call(pilot)
            assert isinstance(call, CallScreen) and call.draft is not None and call.draft.call_id is not None
            await pilot.press(*"yx 3", "enter")
            await pilot.pause()
            typed = [(x.code, x.qty) for x in call.draft.lines]
            assert len(typed) == 1 and typed[0][1] == 3  # 玉溪, hard or soft as this shop usually takes

            set_reachable(name, False)
            await pilot.press("f5")
            await pilot.pause()
            await pilot.press("enter")  # place: the database is gone
            for _ in range(60):
                await pilot.pause(0.05)
                if app.db_down:
                    break
            assert app.db_down
            assert app.screen.query_one(DbBanner).has_class("shown")
            app.flush_drafts()
            saved = store.load("demo", call.code)
            assert saved is not None and [(x.code, x.qty) for x in saved.lines] == typed

            set_reachable(name, True)
            for _ in range(200):
                await pilot.pause(0.05)
                if isinstance(app.screen, CallScreen) and app.screen.placed:
                    break
            assert isinstance(app.screen, CallScreen) and app.screen.placed
            assert not app.db_down
            app.flush_drafts()
            # the database has the draft as it stands after the outage (its placed lines gone), not an older copy
            elsewhere = DraftStore(tmp_path / "terminal-b", engine).load("demo", call.code)
            assert elsewhere is not None and elsewhere.call_id == call.draft.call_id
            assert [(x.code, x.qty) for x in elsewhere.lines] == [(x.code, x.qty) for x in call.draft.lines] == []
    finally:
        set_reachable(name, True)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ORDER)).scalar() == 1
    engine.dispose()
