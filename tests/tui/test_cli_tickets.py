"""`telesales ticket ...` as a user scripts it: exit codes, the JSON keys of the contract, one-sentence errors,
and a database left unchanged when a change is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import Engine, select
from sqlmodel import col

from db.csv_import import import_file
from db.models import TicketEvent
from orders.clock import now
from orders.users import add_user, system_actor
from tests.conftest import run_cli, table_snapshot


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    csv = tmp_path / "customers.csv"
    csv.write_text("code,name,tier,order_weekday\nC1,张记小卖部,5,1\nC2,Lee Mart,30,2\n", encoding="utf-8")
    import_file(engine, "customers", csv, at=now(), actor="test")
    add_user(engine, "wang", "小王", "order_taker", "1234")
    add_user(engine, "lead", "刘敏", "shift_lead", "1234")
    return engine.url.render_as_string(hide_password=False)


def open_json(url: str, *args: str) -> dict[str, object]:
    result = run_cli("--db", url, "ticket", "open", *args, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def test_open_prints_the_contract_json_with_the_centre_offset(url: str) -> None:
    out = open_json(url, "C1", "--category", "counterfeit", "--text", "中华像假烟", "--operator", "wang")
    assert out["status"] == "open"
    assert out["due_at"] == "2026-11-23T13:00:00+08:00"  # Monday 09:00 + 4 working hours
    assert isinstance(out["ticket_id"], int)
    assert out["promise"] == "我们会在今天下午1点前给您答复"
    text = run_cli("--db", url, "ticket", "open", "C1", "--category", "delivery_error", "--text", "少一条")
    assert text.exit_code == 0
    assert text.stdout.splitlines() == [
        f"ticket {int(out['ticket_id']) + 1} opened, due 2026-11-23T17:00:00+08:00",  # type: ignore[call-overload]
        "我们会在今天下午5点前给您答复",
    ]


def test_due_time_across_a_weekend_and_a_holiday(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_NOW", "2026-11-28T16:00:00+08:00")  # Saturday afternoon
    # and Monday is a holiday: the centre's policy (an environment variable would not count on PostgreSQL)
    assert run_cli("--db", url, "config", "set", "holidays", '["2026-11-30"]').exit_code == 0
    out = open_json(url, "C1", "--category", "delivery_error", "--text", "送错了")
    assert out["due_at"] == "2026-12-01T15:00:00+08:00"  # 1.5 h Saturday, 6.5 h Tuesday


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("NOPE", "--category", "price", "--text", "贵"), "unknown customer 'NOPE'"),
        (("C1", "--category", "rude", "--text", "贵"), "unknown category 'rude'; use one of counterfeit, "),
        (("C1", "--category", "price", "--text", " "), "text must not be empty"),
        (("C1", "--category", "price", "--text", "贵" * 2001), "text is 2001 characters, at most 2000"),
    ],
)
def test_bad_input_is_exit_1_with_one_sentence(url: str, engine: Engine, args: tuple[str, ...], message: str) -> None:
    before = table_snapshot(engine)
    result = run_cli("--db", url, "ticket", "open", *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"telesales: {message}") and result.stderr.count("\n") == 1
    as_json = run_cli("--db", url, "ticket", "open", *args, "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"] == "bad_input"
    assert table_snapshot(engine) == before


def test_list_json_and_an_aligned_table(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_NOW", "2026-11-20T09:00:00+08:00")
    late = open_json(url, "C1", "--category", "counterfeit", "--text", "假烟")
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T09:00:00+08:00")
    fresh = open_json(url, "C2", "--category", "price", "--text", "太贵")
    result = run_cli("--db", url, "ticket", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["ticket_id"], r["customer"], r["category"], r["status"], r["overdue"]) for r in rows] == [
        (late["ticket_id"], "C1", "counterfeit", "open", True),
        (fresh["ticket_id"], "C2", "price", "open", False),
    ]
    assert rows[0]["due_at"] == "2026-11-20T13:00:00+08:00"
    overdue = json.loads(run_cli("--db", url, "ticket", "list", "--overdue", "--json").stdout)
    assert [r["ticket_id"] for r in overdue] == [late["ticket_id"]]
    assert json.loads(run_cli("--db", url, "ticket", "list", "--status", "closed", "--json").stdout) == []
    table = run_cli("--db", url, "ticket", "list").stdout.splitlines()
    assert len(table) == 3 and "张记小卖部" in table[1] and "OVERDUE" in table[1]
    category_at = table[0].index("CATEGORY")
    # the CATEGORY column starts at the same terminal cell on every line, whatever the width of the names
    assert {cell_len(line[: line.index(cat)]) for line, cat in zip(table[1:], ("counterfeit", "price"), strict=True)} \
        == {category_at}
    bad = run_cli("--db", url, "ticket", "list", "--status", "done")
    assert bad.exit_code == 1 and "unknown status 'done'" in bad.stderr


def test_update_keeps_every_change_and_show_prints_the_history(url: str, engine: Engine) -> None:
    tid = str(open_json(url, "C1", "--category", "damaged", "--text", "烟盒压坏")["ticket_id"])
    result = run_cli("--db", url, "ticket", "update", tid, "--status", "in_progress", "--note", "已联系配送",
                     "--assign", "wang", "--as", "wang", "--json", input="1234\n")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert (out["status"], out["assigned_to"]) == ("in_progress", "wang")
    assert out["changes"] == ["status open → in_progress", "assigned to wang"]
    esc = run_cli("--db", url, "ticket", "update", tid, "--escalate", "--reason", "需要换货", "--as", "wang",
                  input="1234\n")
    assert esc.exit_code == 0 and esc.stdout == f"ticket {tid}: escalated to shift_lead\n"
    shown = run_cli("--db", url, "ticket", "show", tid)
    assert shown.exit_code == 0
    assert "烟盒压坏" in shown.stdout and "wang  status open→in_progress  已联系配送" in shown.stdout
    assert "wang  escalate  to shift_lead: 需要换货" in shown.stdout
    history = json.loads(run_cli("--db", url, "ticket", "show", tid, "--json").stdout)["history"]
    assert [e["kind"] for e in history] == ["opened", "status", "assign", "escalate"]
    with engine.connect() as conn:
        # opened without --as: the database's administrator, recorded as such
        actors = conn.execute(select(col(TicketEvent.actor))).scalars().all()
    assert actors == [system_actor().login, "wang", "wang", "wang"]


def test_refusals_are_exit_3_and_change_nothing(url: str, engine: Engine) -> None:
    tid = str(open_json(url, "C1", "--category", "price", "--text", "涨价")["ticket_id"])
    before = table_snapshot(engine)
    moved = run_cli("--db", url, "ticket", "update", tid, "--status", "closed")
    assert moved.exit_code == 3
    assert moved.stderr == (f"telesales: ticket {tid} cannot go from open to closed; "
                            "allowed: in_progress, waiting_customer, resolved\n")
    denied = run_cli("--db", url, "ticket", "update", tid, "--due", "2026-11-30T10:00:00+08:00", "--as", "wang",
                     "--reason", "客户同意", "--json", input="1234\n")
    assert denied.exit_code == 3
    assert json.loads(denied.stdout)["error"] == "permission"
    assert table_snapshot(engine) == before
    ok = run_cli("--db", url, "ticket", "update", tid, "--due", "2026-11-30T10:00", "--as", "lead", "--reason",
                 "客户同意", "--json", input="1234\n")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["due_at"] == "2026-11-30T10:00:00+08:00"


@pytest.mark.parametrize(
    "args",
    [("show", "999"), ("update", "999", "--note", "x"), ("update", "1", "--due", "tomorrow"),
     ("update", "1", "--due", "2026-11-30T10:00")],  # a due time needs --reason
)
def test_unknown_ticket_user_or_malformed_due_is_exit_1(url: str, args: tuple[str, ...]) -> None:
    open_json(url, "C1", "--category", "other", "--text", "问问")
    result = run_cli("--db", url, "ticket", *args)
    assert result.exit_code == 1 and result.stderr.startswith("telesales: ")
    assert "Traceback" not in result.stderr
