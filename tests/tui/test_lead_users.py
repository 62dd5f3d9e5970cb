"""The logins screen at 80×24, driven by keys as a shift lead would: unlock a locked order taker at once, give
a new PIN typed twice, disable and enable; refused for what a lead may not do, and closed to order takers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from textual.widgets import DataTable, Input, Static

from db.models import AuditLog, User
from orders.settings import Settings
from orders.users import LoginError, add_user, authenticate, list_users, system_actor
from tests.tui.test_app import make_app, text_of
from tests.tui.test_lead_screens import cells, settle, sign_in_lead
from tui.help import HelpScreen
from tui.screens.lead import DashboardScreen
from tui.screens.queue import QueueScreen
from tui.screens.users import PinDialog, UsersScreen


def footer(app: object) -> str:
    return app.screen._compositor.render_strips()[-1].text  # type: ignore[attr-defined,no-any-return]


def status(screen: UsersScreen) -> str:
    return text_of(screen.query_one("#users-status", Static))


def state_of(engine: Engine, login: str) -> tuple[bool, object]:
    with engine.connect() as conn:
        row = conn.execute(select(col(User.active), col(User.locked_until)).where(col(User.login) == login)).one()
    return bool(row[0]), row[1]


def lock(engine: Engine, login: str) -> None:
    for _ in range(Settings().login_max_attempts):
        with pytest.raises(LoginError):
            authenticate(engine, Settings(), login, "9999")


async def open_users(pilot: object) -> UsersScreen:
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.press("u")  # type: ignore[attr-defined]
    await settle(pilot, lambda: isinstance(app.screen, UsersScreen) and bool(app.screen.users))
    return app.screen  # type: ignore[no-any-return]


async def to_row(pilot: object, screen: UsersScreen, login: str) -> None:
    table = screen.query_one("#users-table", DataTable)
    table.move_cursor(row=[u.login for u in screen.users].index(login))
    await pilot.pause()  # type: ignore[attr-defined]


async def test_a_lead_unlocks_resets_a_pin_and_disables_an_order_taker(demo_engine: Engine, tmp_path: Path) -> None:
    lock(demo_engine, "zhang")
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_lead(pilot)
        assert "u 账号" in footer(app)  # the way in is on the dashboard's footer
        screen = await open_users(pilot)
        assert "u 解锁  p 重设PIN  d 停用/启用  Esc 返回" in footer(app)
        table = screen.query_one("#users-table", DataTable)
        logins = [u.login for u in list_users(demo_engine, by=system_actor())]
        assert [cells(table, r)[0] for r in range(table.row_count)] == logins
        assert "锁定 1" in text_of(screen.query_one("#users-title", Static))
        zhang = logins.index("zhang")
        assert cells(table, zhang) == ["zhang", "小张", "电访员", "11-23 09:15", "可用"]
        # u: unlocked at once, and the lead is on record for it
        await to_row(pilot, screen, "zhang")
        await pilot.press("u")
        await settle(pilot, lambda: "zhang 已解锁" in status(screen) and cells(table, zhang)[3] == "")
        assert state_of(demo_engine, "zhang") == (True, None)
        assert authenticate(demo_engine, Settings(), "zhang", "0000").login == "zhang"
        # p: two different PINs are refused in the dialog, which stays open
        await pilot.press("p")
        await settle(pilot, lambda: isinstance(app.screen, PinDialog))
        dialog = app.screen
        assert dialog.query_one("#pin-first", Input).password  # masked
        await pilot.press(*"4321", "enter", *"4322", "enter")
        await pilot.pause()
        assert "两次输入不一致" in text_of(dialog.query_one("#pin-error", Static))
        await pilot.press(*"4321", "enter")
        await settle(pilot, lambda: "zhang 的 PIN 已更新" in status(screen))
        assert authenticate(demo_engine, Settings(), "zhang", "4321").login == "zhang"
        # d: disabled, it cannot sign in; d again enables it
        await pilot.press("d")
        await settle(pilot, lambda: cells(table, zhang)[4] == "已停用")
        assert state_of(demo_engine, "zhang")[0] is False
        with pytest.raises(LoginError) as caught:
            authenticate(demo_engine, Settings(), "zhang", "4321")
        assert caught.value.kind == "inactive"
        await pilot.press("d")
        await settle(pilot, lambda: cells(table, zhang)[4] == "可用")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DashboardScreen))
    with demo_engine.connect() as conn:
        rows = conn.execute(
            select(col(AuditLog.actor), col(AuditLog.action))
            .where(col(AuditLog.entity_id) == "zhang", col(AuditLog.action).like("user_%"))
            .order_by(col(AuditLog.id))
        ).all()
    assert [tuple(r) for r in rows] == [
        ("lead", "user_unlock"),
        ("lead", "user_set_pin"),
        ("lead", "user_disable"),
        ("lead", "user_enable"),
    ]


async def test_a_lead_is_refused_what_only_an_admin_may_and_cannot_disable_themselves(
    demo_engine: Engine, tmp_path: Path
) -> None:
    add_user(demo_engine, "boss", "老板", "admin", "9090")
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_lead(pilot)
        screen = await open_users(pilot)
        await to_row(pilot, screen, "boss")
        await pilot.press("d")
        await settle(pilot, lambda: "你的角色不能管理此账号" in status(screen))
        assert state_of(demo_engine, "boss")[0] is True
        await to_row(pilot, screen, "lead")
        await pilot.press("d")
        await settle(pilot, lambda: "不能停用自己的账号" in status(screen))
        assert state_of(demo_engine, "lead")[0] is True
        # F1 and the palette list the screen's keys
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert {"u", "p", "d", "Esc", "F5"} <= {k for k, _, _ in app.screen.keys}
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"解锁 (u)", "重设PIN (p)", "停用/启用 (d)"} <= set(titles)


async def test_the_dashboard_lists_the_logins_key_in_help_and_the_palette(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in_lead(pilot)
        assert "账号 (u)" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("u", "账号", "账号管理:解锁、重设 PIN、停用") in app.screen.keys


async def test_an_order_taker_cannot_open_the_logins_screen(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"demo", "enter", *"0000", "enter")
        await settle(pilot, lambda: isinstance(app.screen, QueueScreen))
        await pilot.press("u")  # no such key for an order taker
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)
        app.push_screen(UsersScreen())  # and reached anyway, it shows nothing
        await settle(pilot, lambda: "仅限班长和管理员" in text_of(app.screen.query_one("#users-title", Static)))
        assert app.screen.query_one("#users-table", DataTable).row_count == 0


ENGLISH = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    from zoneinfo import ZoneInfo
    from tui import i18n
    i18n.set_language("en")  # before the screens are imported: Textual fixes key labels then
    from db import migrate
    from db.engine import make_engine
    from orders.drafts import DraftStore
    from orders.settings import Settings
    from tui.app import TelesalesApp
    from tui.demo import SIZES, ensure_demo
    from tests.tui.flows import workers_done

    folder = Path(sys.argv[1])
    engine = make_engine(f"sqlite:///{folder / 'en.db'}")
    migrate.upgrade(engine)
    ensure_demo(engine, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)

    async def main() -> None:
        app = TelesalesApp(engine, Settings(lang="en"), drafts=DraftStore(folder / "drafts"))
        out = {}
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"lead", "enter", *"0000", "enter")
            for _ in range(80):
                await workers_done(app)
                await pilot.pause()
            out["dashboard"] = app.screen._compositor.render_strips()[-1].text
            await pilot.press("u")
            for _ in range(40):
                await workers_done(app)
                await pilot.pause()
            out["users"] = [s.text for s in app.screen._compositor.render_strips()]
            await pilot.press("p")
            for _ in range(10):
                await pilot.pause()
            out["pin"] = [s.text for s in app.screen._compositor.render_strips()]
        print(json.dumps(out))

    asyncio.run(main())
    """
)


def test_in_english_every_key_and_column_fits_80_columns(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", ENGLISH, str(tmp_path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    shown = json.loads(run.stdout.splitlines()[-1])
    assert "u Logins" in shown["dashboard"] and "F1 Help" in shown["dashboard"]
    users = shown["users"]
    assert users[2].split() == ["ID", "Name", "Role", "Locked", "until", "State"]
    assert users[3].split() == ["lead", "刘敏", "shift", "lead", "enabled"]
    assert "u Unlock  p New PIN  d Disable  Esc Back  F1 Help" in users[-1]
    assert any("leads manage order takers" in line for line in users)
    assert any("New PIN for lead (刘敏)" in line for line in shown["pin"])
    assert any("New PIN (4-12 digits)" in line for line in shown["pin"])
