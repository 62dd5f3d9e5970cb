"""`telesales customer assign` as a lead's administrator runs it: shops change hands all or nothing, each move is
in the audit log under `system:<OS user>`, and every refusal is one sentence with the database untouched."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text

from db.csv_import import import_file
from db.models import PlannedCall
from db.tables import CUSTOMER
from tests.conftest import run_cli, table_snapshot

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
CUSTOMERS = "code,name,tier,order_weekday,operator\nC1,张记,5,1,wang\nC2,李记,5,1,wang\nC3,赵记,5,2,\n"
SYSTEM = f"system:{getpass.getuser()}"


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    import_file(engine, "customers", path, at=AT, actor="test")
    url = engine.url.render_as_string(hide_password=False)
    for login, role in (("wang", "order_taker"), ("li", "order_taker"), ("zhao", "order_taker")):
        added = run_cli("--db", url, "user", "add", login, "--name", login, "--role", role, input="1234\n")
        assert added.exit_code == 0, added.stderr
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET active = false WHERE login = 'zhao'"))
    return url


def operators(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(CUSTOMER.c.code, CUSTOMER.c.operator)).all())


def queue(url: str, operator: str) -> list[str]:
    result = run_cli("--db", url, "calls", "queue", "--date", "2026-11-23", "--operator", operator, "--json")
    assert result.exit_code == 0, result.stderr
    return [row["customer"] for row in json.loads(result.stdout)]


def test_assign_moves_shops_and_audits_each(url: str, engine: Engine) -> None:
    assert queue(url, "li") == []
    result = run_cli("--db", url, "customer", "assign", "C1", "C3", "C1", "--operator", "li")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["2 shops given to li", "  C1: wang -> li", "  C3: - -> li"]
    assert operators(engine) == {"C1": "li", "C2": "wang", "C3": "li"}
    assert queue(url, "li") == ["C1"] and queue(url, "wang") == ["C2"]
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, action, entity_id, detail FROM audit_log WHERE action = 'customer_assign' ORDER BY id")
        ).all()
    assert [(a, act, e, json.loads(d)) for a, act, e, d in rows] == [
        (SYSTEM, "customer_assign", "C1", {"from": "wang", "to": "li", "planned_calls_moved": 0}),
        (SYSTEM, "customer_assign", "C3", {"from": None, "to": "li", "planned_calls_moved": 0}),
    ]
    again = run_cli("--db", url, "customer", "assign", "C1", "C2", "--operator", "li", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout) == {
        "operator": "li",
        "moved": [{"customer": "C2", "from": "wang"}],
        "unchanged": ["C1"],
        "planned_calls_moved": 0,
    }


def test_a_planned_retention_call_goes_with_the_shop(url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        cid = conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.code == "C2")).scalar_one()
        planned = PlannedCall.__table__  # type: ignore[attr-defined]
        for reason in ("retention", "ticket_callback"):
            conn.execute(
                insert(planned).values(
                    customer_id=cid, reason=reason, due_at=AT, operator="wang", created_by="lead", created_at=AT
                )
            )
    result = run_cli("--db", url, "customer", "assign", "C2", "--operator", "li")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "1 planned retention calls went with them"
    with engine.connect() as conn:
        got = conn.execute(text("SELECT reason, operator FROM planned_call ORDER BY reason")).all()
    assert [tuple(r) for r in got] == [("retention", "li"), ("ticket_callback", "wang")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("C1", "C9", "C8", "--operator", "li"), "unknown customers 'C9', 'C8'; nothing was changed"),
        (("C1", "--operator", "nobody"), "unknown operator 'nobody'; nothing was changed"),
        (("C1", "--operator", "=2+5"), "unknown operator '=2+5'; nothing was changed"),
        (("C1", "--operator", "x" * 41), f"unknown operator '{'x' * 40}'; nothing was changed"),
        (("C1", "--operator", "zhao"), "operator 'zhao' is disabled; enable the login first; nothing was changed"),
        (("", "--operator", "li"), "give at least one customer code"),
    ],
)
def test_assign_refusals_change_nothing(url: str, engine: Engine, args: tuple[str, ...], message: str) -> None:
    before = table_snapshot(engine)
    result = run_cli("--db", url, "customer", "assign", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"telesales: {message}\n")
    assert table_snapshot(engine) == before


def test_assign_refusal_as_json(url: str, engine: Engine) -> None:
    result = run_cli("--db", url, "customer", "assign", "C1", "C9", "--operator", "li", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": "unknown_customer",
        "message": "unknown customer 'C9'; nothing was changed",
        "customers": ["C9"],
    }
    assert operators(engine)["C1"] == "wang"


def test_assign_needs_codes_and_operator(url: str) -> None:
    assert run_cli("--db", url, "customer", "assign", "C1").exit_code == 2
    assert run_cli("--db", url, "customer", "assign", "--operator", "li").exit_code == 2


def test_assign_as_a_person_needs_their_pin_and_a_lead_role(url: str, engine: Engine) -> None:
    """`--as` signs in with the PIN from standard input: an order taker is refused (exit 3), a wrong PIN too, and
    a shift lead's move is recorded under the lead's own login."""
    added = run_cli("--db", url, "user", "add", "boss", "--name", "Boss", "--role", "shift_lead", input="5678\n")
    assert added.exit_code == 0, added.stderr
    before = operators(engine)
    taker = run_cli("--db", url, "customer", "assign", "C1", "--operator", "li", "--as", "wang", input="1234\n")
    assert taker.exit_code == 3 and "order_taker" in taker.stderr
    wrong = run_cli("--db", url, "customer", "assign", "C1", "--operator", "li", "--as", "boss", input="0000\n")
    assert wrong.exit_code == 3
    assert operators(engine) == before
    done = run_cli("--db", url, "customer", "assign", "C1", "--operator", "li", "--as", "boss", input="5678\n")
    assert done.exit_code == 0, done.stderr
    assert operators(engine)["C1"] == "li"
    with engine.connect() as conn:
        actors = conn.execute(text("SELECT actor FROM audit_log WHERE action = 'customer_assign'")).scalars().all()
    assert actors == ["boss"]
