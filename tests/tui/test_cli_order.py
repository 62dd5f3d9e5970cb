"""`telesales order ...` as a script drives it: the contract's JSON shapes, exit codes 0 / 1 / 3, one-sentence
errors on stderr, and a database left exactly as it was whenever an order is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

import tui.cli.order_cmds  # noqa: F401  (registers `order` until tui/cli/__init__.py imports it)
from db.csv_import import import_file
from orders.clock import now
from orders.users import add_user, system_actor
from tests.conftest import run_cli, table_snapshot

FILES = {
    "catalog": "code,name,price_per_carton,status\nA,中华(软),583.50,active\nB,玉溪(软),230.50,active\n"
    "D,红塔山(老版),95,discontinued\n",
    "customers": "code,name,tier,order_weekday\nC1,张记小卖部,5,1\nC2,李记超市,20,1\n",
    "quotas": "week,product_code,tier_from,tier_to,max_qty\n2026-11-23,A,1,30,3\n",
    "supply": "week,product_code,total_qty\n2026-11-23,B,5\n",
}


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    for kind, content in FILES.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=now(), actor="test")
    for login, name in (("wang", "小王"), ("li", "小李")):
        add_user(engine, login, name, "order_taker", "1234")
    return engine.url.render_as_string(hide_password=False)


def ok_json(url: str, *args: str) -> Any:
    result = run_cli("--db", url, "order", *args, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_place_prints_the_contract_json(url: str) -> None:
    out = ok_json(url, "place", "C1", "A=2", "B=1", "--operator", "wang")
    assert isinstance(out["order_id"], int)
    assert out["customer"] == "C1" and out["week"] == "2026-11-23"
    assert [{"code": ln["code"], "qty": ln["qty"]} for ln in out["lines"]] == [
        {"code": "A", "qty": 2},
        {"code": "B", "qty": 1},
    ]
    assert out["lines"][0]["price_per_carton"] == "583.50" and out["operator"] == "wang"
    later = ok_json(url, "place", "C1", "B=1", "--week", "2026-12-03")  # any day names its week
    assert later["week"] == "2026-11-30"
    assert later["operator"] == system_actor().login  # no --operator, no --as: the database's administrator


def test_place_as_text(url: str) -> None:
    result = run_cli("--db", url, "order", "place", "C1", "A=2", "B=1")
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("order 1 placed: C1 张记小卖部, week 2026-11-23, 2 lines, 3 cartons, 1397.50 yuan")
    assert lines[2].split() == ["A", "中华(软)", "2", "583.50"]


def test_quota_and_supply_refusals_are_exit_3_and_change_nothing(url: str, engine: Engine) -> None:
    ok_json(url, "place", "C2", "B=4")
    before = table_snapshot(engine)
    refused = run_cli("--db", url, "order", "place", "C1", "A=4", "B=2", "--json")
    assert refused.exit_code == 3
    out = json.loads(refused.stdout)
    assert out["error"] == "quota_exceeded" and "nothing was changed" in out["message"]
    assert [{k: ln[k] for k in ("code", "qty", "reason", "limit", "remaining")} for ln in out["lines"]] == [
        {"code": "A", "qty": 4, "reason": "quota_exceeded", "limit": 3, "remaining": 3},
        {"code": "B", "qty": 2, "reason": "supply_exhausted", "limit": 5, "remaining": 1},
    ]
    plain = run_cli("--db", url, "order", "place", "C1", "A=4", "B=2")
    assert plain.exit_code == 3 and plain.stdout == ""
    assert plain.stderr.count("\n") == 1 and plain.stderr.startswith("telesales: order refused")
    assert "A=4" in plain.stderr and "B=2" in plain.stderr
    assert table_snapshot(engine) == before


def test_after_the_cutoff_is_exit_3(url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T17:05:00+08:00")
    before = table_snapshot(engine)
    result = run_cli("--db", url, "order", "place", "C1", "B=1", "--json")
    assert result.exit_code == 3
    out = json.loads(result.stdout)
    assert out["error"] == "cutoff_passed" and out["cutoff"] == "2026-11-23T17:00:00+08:00"
    assert out["lines"][0]["code"] == "B" and out["lines"][0]["reason"] == "cutoff_passed"
    past = run_cli("--db", url, "order", "place", "C1", "B=1", "--week", "2026-11-16")
    assert past.exit_code == 3 and "cut-off" in past.stderr
    assert table_snapshot(engine) == before


@pytest.mark.parametrize(
    ("args", "kind", "named"),
    [
        (("C1", "A"), "bad_argument", "'A' is not CODE=QTY"),
        (("C1", "=2"), "bad_argument", "'=2' is not CODE=QTY"),
        (("C1", "A=x"), "bad_quantity", "'A=x': the quantity 'x' is not a whole number"),
        (("C1", "A=1.5"), "bad_quantity", "'A=1.5'"),
        (("C1", "A=0"), "bad_quantity", "A=0: a quantity must be a whole number of cartons from 1 to 1000"),
        (("C1", "B=1", "A=-2"), "bad_quantity", "A=-2"),
        (("C1", "X9=1"), "unknown_product", "X9=1: no product has code 'X9'"),
        (("C1", "D=1"), "inactive_product", "D=1: 红塔山(老版) is discontinued"),
        (("C1", "A=1", "B=1", "A=2"), "duplicate_product", "A=2: product A is already on this order"),
        (("NOPE", "A=1"), "unknown_customer", "unknown customer 'NOPE'"),
        (("C1", "A=1", "--week", "next monday"), "bad_input", "--week 'next monday' is not a date"),
    ],
)
def test_bad_input_is_exit_1_naming_the_argument(
    url: str, engine: Engine, args: tuple[str, ...], kind: str, named: str
) -> None:
    before = table_snapshot(engine)
    result = run_cli("--db", url, "order", "place", *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("telesales: ") and result.stderr.count("\n") == 1
    assert named in result.stderr
    as_json = run_cli("--db", url, "order", "place", *args, "--json")
    assert as_json.exit_code == 1
    out = json.loads(as_json.stdout)
    assert out["error"] == kind and named in out["message"]
    assert table_snapshot(engine) == before


def test_every_bad_argument_is_listed_at_once(url: str) -> None:
    out = run_cli("--db", url, "order", "place", "C1", "A=x", "B", "A=2", "--json")
    assert out.exit_code == 1
    assert [ln["code"] for ln in json.loads(out.stdout)["lines"]] == ["A", "B"]


def test_full_width_input_reads_as_meant(url: str) -> None:
    out = ok_json(url, "place", "C1", "A＝２")  # typed with a Chinese input method
    assert out["lines"][0]["qty"] == 2


def test_amend_cancel_show_and_list(url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = str(ok_json(url, "place", "C1", "A=3", "--operator", "wang")["order_id"])
    amended = ok_json(url, "amend", order_id, "A=1", "B=2", "--operator", "li")
    assert [(ln["code"], ln["qty"]) for ln in amended["lines"]] == [("A", 1), ("B", 2)]
    assert amended["changed_at"] == "2026-11-23T09:00:00+08:00"
    ok_json(url, "place", "C1", "A=2")  # the 2 cartons the amend gave back
    shown = ok_json(url, "show", order_id)
    assert shown["order_id"] == int(order_id) and shown["status"] == "placed"
    listed = ok_json(url, "list", "C1", "--week", "2026-11-25")
    assert [o["order_id"] for o in listed] == [int(order_id), int(order_id) + 1]
    cancelled = ok_json(url, "cancel", order_id)
    assert cancelled["status"] == "cancelled"
    again = run_cli("--db", url, "order", "cancel", order_id)
    assert again.exit_code == 3 and "already cancelled" in again.stderr
    assert len(ok_json(url, "list", "C1")) == 1 and len(ok_json(url, "list", "C1", "--all")) == 2
    missing = run_cli("--db", url, "order", "show", "999", "--json")
    assert missing.exit_code == 1 and json.loads(missing.stdout)["error"] == "unknown_order"
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T18:00:00+08:00")
    late = run_cli("--db", url, "order", "amend", str(int(order_id) + 1), "A=1", "--json")
    assert late.exit_code == 3 and json.loads(late.stdout)["error"] == "cutoff_passed"
    with engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_log WHERE entity = 'order' ORDER BY id")).scalars()
        assert list(actions) == ["order_placed", "order_amended", "order_placed", "order_cancelled"]
