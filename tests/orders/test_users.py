from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from db.models import AuditLog, User
from orders.users import UserError, add_user, hash_pin, verify_pin
from tests.conftest import run_cli, table_snapshot


def test_pin_hash_is_salted_and_verifies() -> None:
    a, b = hash_pin("0000"), hash_pin("0000")
    assert a != b  # salted
    assert "0000" not in a
    assert verify_pin("0000", a) and verify_pin("0000", b)
    assert not verify_pin("0001", a)
    assert not verify_pin("0000", "garbage")


def test_add_user_stores_only_the_hash_and_audits(engine: Engine) -> None:
    add_user(engine, "wang", "王芳", "order_taker", "4321")
    with engine.connect() as conn:
        user = conn.execute(select(User)).one()
        audit = conn.execute(select(AuditLog)).one()
    assert (user.login, user.name, user.role) == ("wang", "王芳", "order_taker")
    assert "4321" not in user.pin_hash and verify_pin("4321", user.pin_hash)
    assert (audit.action, audit.entity_id) == ("user_add", "wang")


@pytest.mark.parametrize(
    ("login", "role", "pin", "message"),
    [
        ("wang", "boss", "1234", "role 'boss'"),
        ("wang", "order_taker", "12", "PIN: must be 4 to 12 digits"),
        ("wang", "order_taker", "abcd", "PIN: must be 4 to 12 digits"),
        ("王 芳", "order_taker", "1234", "login '王 芳'"),
    ],
)
def test_bad_user_is_refused(engine: Engine, login: str, role: str, pin: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        add_user(engine, login, "王芳", role, pin)


def test_cli_reads_pin_from_stdin_never_an_argument(db_url: str, engine: Engine) -> None:
    result = run_cli("--db", db_url, "user", "add", "lead2", "--name", "李班长", "--role", "shift_lead",
                     input="987654\n")
    assert result.exit_code == 0, result.stderr
    with engine.connect() as conn:
        user = conn.execute(select(User).where(User.login == "lead2")).one()  # type: ignore[arg-type]
    assert user.role == "shift_lead" and verify_pin("987654", user.pin_hash)
    assert run_cli("user", "add", "x", "--name", "X", "--role", "admin", "--pin", "1234").exit_code == 2


def test_cli_duplicate_or_bad_user_changes_nothing(db_url: str, engine: Engine) -> None:
    add_user(engine, "wang", "王芳", "order_taker", "4321")
    before = table_snapshot(engine)
    dup = run_cli("--db", db_url, "user", "add", "wang", "--name", "另一个", "--role", "order_taker", input="1111\n")
    assert dup.exit_code == 1 and "login 'wang' already exists" in dup.stderr
    bad = run_cli("--db", db_url, "user", "add", "zhao", "--name", "赵", "--role", "chief", input="1111\n")
    assert bad.exit_code == 1 and "must be one of order_taker, shift_lead, admin" in bad.stderr
    empty = run_cli("--db", db_url, "user", "add", "zhao", "--name", "赵", "--role", "admin", input="")
    assert empty.exit_code == 1 and "no PIN on standard input" in empty.stderr
    assert table_snapshot(engine) == before
