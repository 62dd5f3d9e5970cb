"""Administering logins (who may change whom, every change audited), and a lockout that holds when thirty
terminals guess at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

import orders.users as users_module
from db.models import AuditLog, LoginFailure, User
from orders.settings import Settings, load_settings
from orders.users import (
    LoginError,
    PermissionDenied,
    SignedIn,
    UserError,
    add_user,
    authenticate,
    known_operator,
    list_users,
    set_active,
    set_pin,
    set_role,
    system_actor,
    unlock_user,
)
from tests.conftest import table_snapshot

SH = ZoneInfo("Asia/Shanghai")
NINE = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
ADMIN = SignedIn("root", "管理员", "admin")
LEAD = SignedIn("lead", "刘敏", "shift_lead")
WANG = SignedIn("wang", "王芳", "order_taker")


@pytest.fixture
def settings() -> Settings:
    return load_settings(login_max_attempts=3, login_lock_minutes=15)


@pytest.fixture
def users(engine: Engine) -> Engine:
    add_user(engine, "root", "管理员", "admin", "9090")
    add_user(engine, "lead", "刘敏", "shift_lead", "0000")
    add_user(engine, "lead2", "周强", "shift_lead", "0000")
    add_user(engine, "wang", "王芳", "order_taker", "1234")
    return engine


def audit(engine: Engine, action: str) -> list[tuple[str, str, dict[str, object]]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(AuditLog.actor), col(AuditLog.entity_id), col(AuditLog.detail))
            .where(col(AuditLog.action) == action)
            .order_by(col(AuditLog.id))
        ).all()
    return [(r[0], r[1], json.loads(r[2] or "{}")) for r in rows]


def lock(engine: Engine, settings: Settings, login: str = "wang") -> None:
    for _ in range(settings.login_max_attempts):
        with pytest.raises(LoginError):
            authenticate(engine, settings, login, "8888")


def test_the_list_shows_role_lock_and_disabled_admins_first(users: Engine, settings: Settings) -> None:
    lock(users, settings)
    set_active(users, "lead2", False, by=ADMIN)
    rows = {u.login: u for u in list_users(users, by=LEAD)}
    assert [u.login for u in list_users(users, by=LEAD)] == ["root", "lead", "lead2", "wang"]
    assert rows["wang"].locked(NINE) and rows["wang"].locked_until == NINE + timedelta(minutes=15)
    assert not rows["lead2"].active and rows["lead"].active
    assert rows["wang"].as_json(SH, NINE)["locked_until"] == "2026-11-23T09:15:00+08:00"
    with pytest.raises(PermissionDenied):
        list_users(users, by=WANG)


def test_a_lead_unlocks_at_once_and_it_is_audited(users: Engine, settings: Settings) -> None:
    lock(users, settings)
    with pytest.raises(LoginError) as caught:
        authenticate(users, settings, "wang", "1234")
    assert caught.value.kind == "locked"
    assert unlock_user(users, "wang", by=LEAD) is True
    assert authenticate(users, settings, "wang", "1234").login == "wang"
    assert audit(users, "user_unlock") == [("lead", "wang", {"was_locked": True, "failed_attempts": 0})]
    # an order taker cannot, and nobody unlocks a login that does not exist
    with pytest.raises(PermissionDenied):
        unlock_user(users, "lead", by=WANG)
    with pytest.raises(UserError, match="unknown login 'ghost'") as err:
        unlock_user(users, "ghost", by=LEAD)
    assert err.value.kind == "unknown_user"


def test_a_disabled_login_cannot_sign_in_until_enabled(users: Engine, settings: Settings) -> None:
    assert set_active(users, "wang", False, by=LEAD) is True
    with pytest.raises(LoginError) as caught:
        authenticate(users, settings, "wang", "1234")
    assert caught.value.kind == "inactive"
    assert set_active(users, "wang", False, by=LEAD) is False  # already: no second audit row
    assert set_active(users, "wang", True, by=LEAD) is True
    assert authenticate(users, settings, "wang", "1234").login == "wang"
    assert [(a, e) for a, e, _ in audit(users, "user_disable")] == [("lead", "wang")]
    assert [(a, e) for a, e, _ in audit(users, "user_enable")] == [("lead", "wang")]


def test_a_lead_runs_order_takers_only_an_admin_runs_leads(users: Engine) -> None:
    before = table_snapshot(users)
    refusals = [
        lambda: set_active(users, "lead2", False, by=LEAD),
        lambda: set_pin(users, "lead2", "5555", by=LEAD),
        lambda: set_role(users, "wang", "shift_lead", by=LEAD),
        lambda: set_role(users, "lead2", "order_taker", by=LEAD),
        lambda: add_user(users, "boss", "老板", "admin", "1111", by=LEAD),
        lambda: add_user(users, "lead3", "新班长", "shift_lead", "1111", by=LEAD),
        lambda: add_user(users, "li", "小李", "order_taker", "1111", by=WANG),
        lambda: set_pin(users, "lead", "5555", by=WANG),
        lambda: unlock_user(users, "root", by=LEAD),
    ]
    for refuse in refusals:
        with pytest.raises(PermissionDenied) as caught:
            refuse()
        assert caught.value.kind == "permission"
    assert table_snapshot(users) == before
    # what a lead may: add an order taker, reset their PIN, disable them
    add_user(users, "li", "小李", "order_taker", "1111", by=LEAD)
    set_pin(users, "li", "2222", by=LEAD)
    set_active(users, "li", False, by=LEAD)
    # an admin and the system actor make leads
    assert set_role(users, "wang", "shift_lead", by=ADMIN) is True
    add_user(users, "lead3", "新班长", "shift_lead", "1111", by=system_actor("alice"))
    assert audit(users, "user_set_role") == [("root", "wang", {"role": "shift_lead", "was": "order_taker"})]
    assert audit(users, "user_add")[-1] == ("system:alice", "lead3", {"role": "shift_lead"})


def test_nobody_disables_or_demotes_themselves(users: Engine) -> None:
    with pytest.raises(UserError, match="cannot disable your own login"):
        set_active(users, "root", False, by=ADMIN)
    with pytest.raises(UserError, match="cannot change your own role"):
        set_role(users, "root", "order_taker", by=ADMIN)


def test_a_new_pin_replaces_the_old_and_ends_the_lock(users: Engine, settings: Settings) -> None:
    lock(users, settings)
    set_pin(users, "wang", "4321", by=LEAD)
    assert authenticate(users, settings, "wang", "4321").login == "wang"
    with pytest.raises(LoginError):
        authenticate(users, settings, "wang", "1234")
    set_pin(users, "wang", "5678", by=WANG)  # everyone may change their own
    with pytest.raises(UserError, match="4 to 12 digits"):
        set_pin(users, "wang", "12", by=LEAD)
    assert [(a, e) for a, e, _ in audit(users, "user_set_pin")] == [("lead", "wang"), ("wang", "wang")]
    with users.connect() as conn:
        stored = conn.execute(select(col(AuditLog.detail)).where(col(AuditLog.action) == "user_set_pin")).scalars()
        assert all("5678" not in d and "4321" not in d for d in stored)  # a PIN is never written down


def test_an_operator_must_be_a_known_enabled_login(users: Engine) -> None:
    assert known_operator(users, " wang ") == "wang"
    for value in ("ghost", "=2+5", "o" * 41, "", "system:alice"):
        with pytest.raises(UserError, match="unknown operator") as caught:
            known_operator(users, value)
        assert caught.value.kind == "unknown_operator"
    set_active(users, "wang", False, by=LEAD)
    with pytest.raises(UserError, match="disabled"):
        known_operator(users, "wang")


def test_the_system_actor_is_named_for_the_os_user_and_fits_the_column() -> None:
    assert system_actor("alice") == SignedIn("system:alice", "alice", "admin")
    assert len(system_actor("x" * 60).login) == 32


def test_unknown_and_known_logins_answer_alike_and_both_run_the_kdf(
    users: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer must not tell an unknown login from a wrong PIN: the same words, and the same work (the PIN
    is checked against a hash on both paths, so the unknown one is not answered in a fraction of the time).
    The work is counted, not timed: a timing assertion fails on a loaded machine and proves nothing on an idle
    one."""
    import orders.users as users_module

    checked: list[str] = []
    real = users_module.verify_pin

    def counting(pin: str, pin_hash: str) -> bool:
        checked.append(pin_hash)
        return real(pin, pin_hash)

    monkeypatch.setattr(users_module, "verify_pin", counting)

    def answer(login: str) -> tuple[str, str, int]:
        before = len(checked)
        with pytest.raises(LoginError) as caught:
            authenticate(users, settings, login, "8888")
        return str(caught.value), caught.value.kind, len(checked) - before

    known = [answer("lead2") for _ in range(2)]
    unknown = [answer("nobody") for _ in range(2)]
    assert set(known + unknown) == {("unknown operator ID or wrong PIN", "bad_credentials", 1)}
    # the same KDF at the same cost for the dummy hash and the real ones
    assert {"$".join(h.split("$")[:4]) for h in checked} == {"$".join(checked[0].split("$")[:4])}
    assert checked[0].startswith("scrypt$")


def test_thirty_parallel_wrong_pins_are_never_followed_by_an_accepted_right_one(
    users: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty terminals guess at once while the owner types the right PIN on five more. The right PINs read the
    row before any guess is counted and are held in their KDF until every guess is done, the worst timing a
    real race can produce: without the re-read after the KDF they were accepted and cleared the lock."""
    real_verify = users_module.verify_pin
    guesses_done = threading.Event()

    def slow_right_pin(pin: str, stored: str) -> bool:
        if pin == "1234":
            guesses_done.wait(120)
        return real_verify(pin, stored)

    monkeypatch.setattr(users_module, "verify_pin", slow_right_pin)
    start = threading.Barrier(35)
    results: list[tuple[str, str]] = []
    guard = threading.Lock()

    def attempt(pin: str) -> None:
        start.wait()
        try:
            authenticate(users, settings, "wang", pin)
            outcome = "accepted"
        except LoginError as exc:
            outcome = exc.kind
        with guard:
            results.append((pin, outcome))

    guesses = [threading.Thread(target=attempt, args=("8888",)) for _ in range(30)]
    owner = [threading.Thread(target=attempt, args=("1234",)) for _ in range(5)]
    for th in guesses + owner:
        th.start()
    for th in guesses:
        th.join(timeout=120)
    guesses_done.set()
    for th in owner:
        th.join(timeout=120)
    assert len(results) == 35
    wrong = [o for p, o in results if p == "8888"]
    assert set(wrong) <= {"bad_credentials", "locked"} and "locked" in wrong
    assert [o for p, o in results if p == "1234"] == ["locked"] * 5
    with users.connect() as conn:
        locked_until = conn.execute(select(col(User.locked_until)).where(col(User.login) == "wang")).scalar()
    assert locked_until == NINE + timedelta(minutes=15)  # the lock the guesses set still stands
    with pytest.raises(LoginError) as caught:
        authenticate(users, settings, "wang", "1234")
    assert caught.value.kind == "locked"
    # every guess was counted: three locked the login (audited once); the rest were refused by the lock
    assert len(audit(users, "login_locked")) == 1
    assert wrong.count("bad_credentials") == settings.login_max_attempts - 1


def attempt_at(engine: Engine, settings: Settings, login: str, pin: str = "8888") -> tuple[str, str, object]:
    """What a terminal shows for one attempt, with the login name taken out so two names can be compared."""
    with pytest.raises(LoginError) as caught:
        authenticate(engine, settings, login, pin)
    return str(caught.value).replace(repr(login), "<login>"), caught.value.kind, caught.value.locked_until


def failure_rows(engine: Engine) -> dict[str, tuple[int, datetime | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(LoginFailure.login), col(LoginFailure.failures), col(LoginFailure.locked_until))
        ).all()
    return {r[0]: (int(r[1]), r[2]) for r in rows}


def test_an_unknown_login_locks_like_a_known_one(
    users: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: a real login answered "locked" after `login_max_attempts` wrong PINs and an invented one never
    did, so a few tries told which operator IDs exist. Attempt by attempt both now answer alike."""
    for _ in range(settings.login_max_attempts + 1):
        assert attempt_at(users, settings, "ghost") == attempt_at(users, settings, "wang")
    text, kind, until = attempt_at(users, settings, "ghost")
    assert kind == "locked" and until == NINE + timedelta(minutes=15)
    assert text == "login <login> is locked after too many wrong PINs until 09:15; try again then or ask a shift lead"
    assert attempt_at(users, settings, "wang", "1234") == (text, kind, until)  # the right PIN waits too
    assert failure_rows(users) == {"ghost": (0, NINE + timedelta(minutes=15))}
    assert [(a, e, d["unknown_login"]) for a, e, d in audit(users, "login_locked") if "unknown_login" in d] == [
        ("ghost", "ghost", True)
    ]
    # the lock ends for both at the same minute, the count starts again, and the ended lock's row is gone
    monkeypatch.setenv("TELESALES_NOW", (NINE + timedelta(minutes=15, seconds=1)).isoformat())
    assert attempt_at(users, settings, "ghost")[1] == "bad_credentials"
    assert authenticate(users, settings, "wang", "1234").login == "wang"
    assert failure_rows(users) == {"ghost": (1, None)}
    # a lead cannot unlock a name that does not exist: that stays an error for the (trusted) administrator
    with pytest.raises(UserError) as err:
        unlock_user(users, "ghost", by=LEAD)
    assert err.value.kind == "unknown_user"


def test_unknown_login_rows_are_bounded(users: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Junk names cannot grow `login_failure` without end: past the cap the longest idle go, ended locks are
    deleted on the next write, and a name longer than any login never reaches the database."""
    monkeypatch.setattr(users_module, "MAX_UNKNOWN_LOGINS", 3)
    for minute, name in enumerate(["a1", "a2", "a3", "a4", "a5"]):
        monkeypatch.setenv("TELESALES_NOW", (NINE + timedelta(minutes=minute)).isoformat())
        attempt_at(users, settings, name)
    assert sorted(failure_rows(users)) == ["a3", "a4", "a5"]
    attempt_at(users, settings, "x" * 33)
    assert sorted(failure_rows(users)) == ["a3", "a4", "a5"]
    lock(users, settings, "a5")
    assert failure_rows(users)["a5"][1] is not None
    monkeypatch.setenv("TELESALES_NOW", (NINE + timedelta(hours=1)).isoformat())
    attempt_at(users, settings, "a3")
    assert failure_rows(users) == {"a3": (2, None), "a4": (1, None)}


def test_thirty_parallel_guesses_at_one_unknown_name_lock_it_once(users: Engine, settings: Settings) -> None:
    """Parallel first attempts at a new name all insert its row; they must neither collide nor go uncounted."""
    start = threading.Barrier(30)
    kinds: list[str] = []
    guard = threading.Lock()

    def attempt() -> None:
        start.wait()
        kind = attempt_at(users, settings, "ghost")[1]
        with guard:
            kinds.append(str(kind))

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert sorted(kinds) == ["bad_credentials"] * (settings.login_max_attempts - 1) + ["locked"] * (
        30 - settings.login_max_attempts + 1
    )
    assert failure_rows(users) == {"ghost": (0, NINE + timedelta(minutes=15))}
    assert len(audit(users, "login_locked")) == 1
