"""Signing in: wrong PINs count, enough of them lock the login (audited) for a while, the right PIN resets the
count, and nobody can tell an unknown login from a wrong PIN. Then the role check actions make."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import col

from db.models import AuditLog, User
from orders.settings import Settings, load_settings
from orders.users import (
    LoginError,
    PermissionDenied,
    SignedIn,
    add_user,
    authenticate,
    require_role,
)

SH = ZoneInfo("Asia/Shanghai")
NINE = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # the fixed clock


@pytest.fixture
def settings() -> Settings:
    return load_settings(login_max_attempts=3, login_lock_minutes=15)


@pytest.fixture
def users(engine: Engine) -> Engine:
    add_user(engine, "wang", "王芳", "order_taker", "1234")
    add_user(engine, "lead", "刘敏", "shift_lead", "0000")
    return engine


def failed_attempts(engine: Engine, login: str) -> tuple[int, datetime | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(col(User.failed_attempts), col(User.locked_until)).where(col(User.login) == login)
        ).one()
    return int(row[0]), row[1]


def wrong(engine: Engine, settings: Settings, login: str = "wang") -> LoginError:
    with pytest.raises(LoginError) as caught:
        authenticate(engine, settings, login, "9999")
    return caught.value


def test_the_right_pin_signs_in_with_name_and_role(users: Engine, settings: Settings) -> None:
    assert authenticate(users, settings, "wang", "1234") == SignedIn("wang", "王芳", "order_taker")
    assert authenticate(users, settings, "lead", "0000").role == "shift_lead"


def test_unknown_login_and_wrong_pin_get_the_same_answer(users: Engine, settings: Settings) -> None:
    unknown = wrong(users, settings, "nobody")
    bad_pin = wrong(users, settings, "wang")
    assert str(unknown) == str(bad_pin) == "unknown operator ID or wrong PIN"
    assert unknown.kind == bad_pin.kind == "bad_credentials"
    assert failed_attempts(users, "wang") == (1, None)


def test_repeated_wrong_pins_lock_the_login_and_the_lock_is_audited(users: Engine, settings: Settings) -> None:
    assert wrong(users, settings).kind == "bad_credentials"
    assert wrong(users, settings).kind == "bad_credentials"
    locking = wrong(users, settings)  # the third of three
    assert locking.kind == "locked"
    assert locking.locked_until == NINE + timedelta(minutes=15)
    assert "locked after too many wrong PINs until 09:15" in str(locking)
    with users.connect() as conn:
        audit = conn.execute(select(AuditLog).where(col(AuditLog.action) == "login_locked")).one()
    assert (audit.actor, audit.entity, audit.entity_id) == ("wang", "user", "wang")
    assert audit.at == NINE
    # while locked, even the right PIN is refused with the time it ends, and nothing more is counted
    with pytest.raises(LoginError, match="until 09:15") as caught:
        authenticate(users, settings, "wang", "1234")
    assert caught.value.kind == "locked"
    assert failed_attempts(users, "wang") == (0, NINE + timedelta(minutes=15))
    # other logins are not affected
    assert authenticate(users, settings, "lead", "0000").login == "lead"


def test_the_lock_ends_after_its_minutes(users: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        wrong(users, settings)
    monkeypatch.setenv("TELESALES_NOW", (NINE + timedelta(minutes=15, seconds=1)).isoformat())
    assert authenticate(users, settings, "wang", "1234").login == "wang"
    assert failed_attempts(users, "wang") == (0, None)


def test_a_lock_ending_another_day_names_the_date(users: Engine) -> None:
    overnight = load_settings(login_max_attempts=1, login_lock_minutes=24 * 60)
    assert "until 2026-11-24 09:00" in str(wrong(users, overnight))


def test_success_resets_the_count(users: Engine, settings: Settings) -> None:
    wrong(users, settings)
    wrong(users, settings)
    authenticate(users, settings, "wang", "1234")
    assert failed_attempts(users, "wang") == (0, None)
    assert wrong(users, settings).kind == "bad_credentials"  # two more tries before a lock, not zero


def test_a_disabled_login_is_told_so_only_with_the_right_pin(users: Engine, settings: Settings) -> None:
    with users.begin() as conn:
        conn.execute(update(User).where(col(User.login) == "wang").values(active=False))
    assert wrong(users, settings).kind == "bad_credentials"
    with pytest.raises(LoginError, match="login 'wang' is disabled") as caught:
        authenticate(users, settings, "wang", "1234")
    assert caught.value.kind == "inactive"


def test_roles_are_checked_and_admin_passes() -> None:
    taker = SignedIn("wang", "王芳", "order_taker")
    lead = SignedIn("lead", "刘敏", "shift_lead")
    admin = SignedIn("root", "管理员", "admin")
    require_role(lead, "shift_lead")
    require_role(taker, "order_taker", "shift_lead")
    require_role(admin, "shift_lead")
    with pytest.raises(
        PermissionDenied, match=r"wang \(order_taker\) may not do this; it needs shift_lead or admin"
    ) as e:
        require_role(taker, "shift_lead")
    assert e.value.kind == "permission"
    assert e.value.details == {"role": "order_taker", "allowed": ["shift_lead", "admin"]}
    with pytest.raises(ValueError, match="unknown role"):
        require_role(lead, "boss")
