"""`telesales user ...` and the trusted actor, as an administrator scripts them on SQLite and PostgreSQL: `--as`
needs the login's PIN on standard input, without it the change is recorded as `system:<OS user>`, an
`--operator` must be a known login, and every refusal is one sentence, the right exit code and no change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from db.csv_import import import_file
from db.models import AuditLog, TicketEvent
from orders.clock import now
from orders.settings import load_settings
from orders.tickets import open_ticket
from orders.users import add_user, authenticate, system_actor
from tests.conftest import run_cli, table_snapshot

FILES = {
    "catalog": "code,name,price_per_carton\nA,中华(软),583.50\n",
    "customers": "code,name,tier,order_weekday,operator\nC1,张记小卖部,5,1,wang\n",
}


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    for kind, content in FILES.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=now(), actor="test")
    add_user(engine, "root", "管理员", "admin", "9090")
    add_user(engine, "lead", "刘敏", "shift_lead", "0000")
    add_user(engine, "wang", "小王", "order_taker", "1234")
    open_ticket(engine, "C1", "other", "问问", settings=load_settings(), operator="wang")
    return engine.url.render_as_string(hide_password=False)


def audit_actors(engine: Engine, action: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(AuditLog.actor), col(AuditLog.entity_id)).where(col(AuditLog.action) == action)
        ).all()
    return [(r[0], r[1]) for r in rows]


def refused(result: object, code: int) -> str:
    """The one sentence on stderr of a refused command, after checking its exit code."""
    stderr: str = result.stderr  # type: ignore[attr-defined]
    assert result.exit_code == code, (result.stdout, stderr)  # type: ignore[attr-defined]
    assert stderr.startswith("telesales: ") and stderr.count("\n") == 1, stderr
    return stderr


def test_list_shows_every_login_with_lock_and_state(url: str, engine: Engine) -> None:
    for _ in range(5):
        run_cli("--db", url, "ticket", "update", "1", "--note", "x", "--as", "wang", input="9999\n")
    out = run_cli("--db", url, "user", "list", "--json")
    assert out.exit_code == 0, out.stderr
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    assert list(rows) == ["root", "lead", "wang"]
    assert rows["wang"]["locked_until"] == "2026-11-23T09:15:00+08:00" and rows["wang"]["active"] is True
    assert rows["lead"] == rows["lead"] | {"name": "刘敏", "role": "shift_lead", "locked_until": None}
    text = run_cli("--db", url, "user", "list").stdout.splitlines()
    assert text[0].split() == ["ID", "NAME", "ROLE", "STATUS", "LOCKED", "UNTIL"]
    assert text[3].split() == ["wang", "小王", "order_taker", "enabled", "2026-11-23", "09:15"]
    denied = run_cli("--db", url, "user", "list", "--as", "wang", "--json", input="1234\n")
    assert denied.exit_code == 3 and json.loads(denied.stdout)["error"] == "locked"


def test_a_lead_unlocks_resets_a_pin_and_disables_with_the_pin_on_stdin(url: str, engine: Engine) -> None:
    settings = load_settings()
    for _ in range(5):
        run_cli("--db", url, "ticket", "update", "1", "--note", "x", "--as", "wang", input="9999\n")
    ok = run_cli("--db", url, "user", "unlock", "wang", "--as", "lead", input="0000\n")
    assert ok.exit_code == 0 and ok.stdout == "user wang unlocked\n", ok.stderr
    assert authenticate(engine, settings, "wang", "1234").login == "wang"
    # the new PIN is the line after the lead's own
    ok = run_cli("--db", url, "user", "set-pin", "wang", "--as", "lead", input="0000\n4321\n")
    assert ok.exit_code == 0 and ok.stdout == "user wang: PIN changed\n", ok.stderr
    assert authenticate(engine, settings, "wang", "4321").login == "wang"
    ok = run_cli("--db", url, "user", "disable", "wang", "--as", "lead", input="0000\n")
    assert ok.exit_code == 0 and ok.stdout == "user wang disabled\n"
    gone = run_cli("--db", url, "ticket", "update", "1", "--note", "x", "--as", "wang", "--json", input="4321\n")
    assert gone.exit_code == 3 and json.loads(gone.stdout)["error"] == "inactive"
    assert run_cli("--db", url, "user", "enable", "wang").exit_code == 0
    who = system_actor().login
    assert audit_actors(engine, "user_unlock") == [("lead", "wang")]
    assert audit_actors(engine, "user_set_pin") == [("lead", "wang")]
    assert audit_actors(engine, "user_disable") == [("lead", "wang")]
    assert audit_actors(engine, "user_enable") == [(who, "wang")]


def test_only_an_admin_or_the_system_actor_makes_leads(url: str, engine: Engine) -> None:
    before = table_snapshot(engine)
    for args, stdin in (
        (("user", "set-role", "wang", "shift_lead", "--as", "lead"), "0000\n"),
        (("user", "add", "boss", "--name", "老板", "--role", "admin", "--as", "lead"), "0000\n1111\n"),
        (("user", "disable", "root", "--as", "lead"), "0000\n"),
        (("user", "set-pin", "lead", "--as", "wang"), "1234\n5555\n"),
    ):
        assert "may not" in refused(run_cli("--db", url, *args, input=stdin), 3)
    assert table_snapshot(engine) == before
    added = run_cli("--db", url, "user", "add", "li", "--name", "小李", "--role", "order_taker", "--as", "lead",
                    input="0000\n2222\n")
    assert added.exit_code == 0 and added.stdout == "user li (order_taker) created\n", added.stderr
    promoted = run_cli("--db", url, "user", "set-role", "li", "shift_lead", "--as", "root", input="9090\n")
    assert promoted.exit_code == 0 and promoted.stdout == "user li is now shift_lead\n"
    assert run_cli("--db", url, "user", "set-role", "wang", "shift_lead").exit_code == 0  # the system actor
    assert audit_actors(engine, "user_set_role") == [("root", "li"), (system_actor().login, "wang")]
    bad = refused(run_cli("--db", url, "user", "set-role", "wang", "boss"), 1)
    assert "role 'boss': must be one of order_taker, shift_lead, admin" in bad
    assert "unknown login 'ghost'" in refused(run_cli("--db", url, "user", "unlock", "ghost"), 1)


def test_a_wrong_pin_is_exit_3_and_changes_nothing(url: str, engine: Engine) -> None:
    snapshot = table_snapshot(engine)
    result = run_cli("--db", url, "ticket", "update", "1", "--status", "resolved", "--as", "lead", input="1111\n")
    assert refused(result, 3) == "telesales: unknown operator ID or wrong PIN\n"
    unknown = run_cli("--db", url, "ticket", "update", "1", "--status", "resolved", "--as", "ghost", input="1111\n")
    assert unknown.stderr == result.stderr and unknown.exit_code == 3  # the same answer: nobody learns who exists
    after = table_snapshot(engine)
    assert after["ticket"] == snapshot["ticket"] and after["ticket_event"] == snapshot["ticket_event"]
    assert "no PIN for --as lead on standard input" in refused(run_cli("--db", url, "user", "list", "--as", "lead"), 1)


def test_an_order_taker_cannot_close_a_ticket_or_move_its_due_time(url: str, engine: Engine) -> None:
    assert run_cli("--db", url, "ticket", "update", "1", "--status", "resolved", "--as", "wang",
                   input="1234\n").exit_code == 0
    before = table_snapshot(engine)
    closing = run_cli("--db", url, "ticket", "update", "1", "--status", "closed", "--as", "wang", "--json",
                      input="1234\n")
    assert closing.exit_code == 3 and json.loads(closing.stdout)["error"] == "permission"
    moving = run_cli("--db", url, "ticket", "update", "1", "--due", "2026-11-25T10:00", "--reason", "客户出差",
                     "--as", "wang", input="1234\n")
    assert "only a shift lead may change a due time" in refused(moving, 3)
    no_reason = run_cli("--db", url, "ticket", "update", "1", "--due", "2026-11-25T10:00", "--as", "lead",
                        input="0000\n")
    assert "needs a reason (--reason)" in refused(no_reason, 1)
    assert table_snapshot(engine)["ticket"] == before["ticket"]
    # the system actor closes, and the history says who did
    assert run_cli("--db", url, "ticket", "update", "1", "--status", "closed").exit_code == 0
    with engine.connect() as conn:
        last = conn.execute(select(col(TicketEvent.actor)).order_by(col(TicketEvent.id).desc()).limit(1)).scalar()
    assert last == system_actor().login and last.startswith("system:")


@pytest.mark.parametrize(
    "args",
    [
        ("order", "place", "C1", "A=1"),
        ("ticket", "open", "C1", "--category", "other", "--text", "x"),
        ("calls", "record", "C1", "--outcome", "busy"),
        ("calls", "start", "C1"),
    ],
    ids=["order", "ticket", "record", "start"],
)
@pytest.mark.parametrize("operator", ["nobody", "o" * 41, "=2+5"])
def test_an_unknown_operator_is_refused_by_name(url: str, engine: Engine, args: tuple[str, ...], operator: str) -> None:
    before = table_snapshot(engine)
    result = run_cli("--db", url, *args, "--operator", operator)
    assert "unknown operator '" + operator[:20] in refused(result, 1)
    as_json = run_cli("--db", url, *args, "--operator", operator, "--json")
    assert json.loads(as_json.stdout)["error"] == "unknown_operator"
    assert table_snapshot(engine) == before


def test_an_order_taker_records_only_their_own_work(url: str, engine: Engine) -> None:
    mine = run_cli("--db", url, "order", "place", "C1", "A=1", "--as", "wang", "--json", input="1234\n")
    assert mine.exit_code == 0 and json.loads(mine.stdout)["operator"] == "wang"  # --operator follows --as
    before = table_snapshot(engine)
    other = run_cli("--db", url, "calls", "record", "C1", "--outcome", "busy", "--as", "wang", "--operator", "lead",
                    input="1234\n")
    assert "may record only their own work" in refused(other, 3)
    assert table_snapshot(engine) == before
    for_wang = run_cli("--db", url, "calls", "record", "C1", "--outcome", "busy", "--as", "lead", "--operator",
                       "wang", "--json", input="0000\n")
    assert for_wang.exit_code == 0 and json.loads(for_wang.stdout)["operator"] == "wang"
