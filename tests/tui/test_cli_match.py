"""`telesales match` as a user and a script run it: the JSON contract, the text list, stdin, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import Engine, insert, select

from db.models import Customer, HistoryLine, Product
from tests.conftest import run_cli

DATA = Path(__file__).resolve().parent.parent / "data"


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def db(engine: Engine, tmp_path: Path) -> str:
    """The shared catalog and one shop, imported through `telesales import` as a user would."""
    url = url_of(engine)
    assert run_cli("--db", url, "import", "catalog", str(DATA / "catalog.csv")).exit_code == 0
    customers = tmp_path / "customers.csv"
    customers.write_text("code,name,tier,order_weekday\nC1,张记小卖部,5,1\n", encoding="utf-8")
    assert run_cli("--db", url, "import", "customers", str(customers)).exit_code == 0
    return url


def test_json_contract(db: str) -> None:
    result = run_cli("--db", db, "match", "软中华两条", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["query"] == "软中华两条"
    assert out["quantity"] == 2
    assert len(out["candidates"]) == 5
    assert out["candidates"][0] == {"code": "901002", "name": "中华(软)", "score": 100.0}
    scores = [c["score"] for c in out["candidates"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)


def test_case_is_fifty_cartons_and_no_quantity_is_null(db: str) -> None:
    assert json.loads(run_cli("--db", db, "match", "硬玉溪一件", "--json").stdout)["quantity"] == 50
    assert json.loads(run_cli("--db", db, "match", "硬玉溪", "--json").stdout)["quantity"] is None


def test_limit(db: str) -> None:
    out = json.loads(run_cli("--db", db, "match", "中华", "--limit", "2", "--json").stdout)
    assert [c["code"] for c in out["candidates"]] == ["901001", "901002"]


def test_text_output_lists_rank_code_name_score_in_aligned_columns(db: str) -> None:
    result = run_cli("--db", db, "match", "hhl软蓝", "--limit", "3")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "hhl软蓝"
    rows = lines[1:]
    assert len(rows) == 3
    assert rows[0].split()[:3] == ["1", "905001", "黄鹤楼(软蓝)"]
    # the score column starts at the same terminal cell on every row, whatever the width of the names
    ends = {cell_len(row.rstrip()) for row in rows}
    assert len(ends) == 1


def test_customer_ranks_the_shops_usual_product_first(db: str, engine: Engine) -> None:
    with engine.begin() as conn:
        cid = conn.execute(select(Customer.id).where(Customer.code == "C1")).scalar_one()  # type: ignore[call-overload]
        pid = conn.execute(select(Product.id).where(Product.code == "901002")).scalar_one()  # type: ignore[call-overload]
        conn.execute(insert(HistoryLine).values(customer_id=cid, product_id=pid, order_date=date(2026, 11, 2), qty=5))
    plain = json.loads(run_cli("--db", db, "match", "中华", "--json").stdout)
    known = json.loads(run_cli("--db", db, "match", "中华", "--customer", "C1", "--json").stdout)
    assert plain["candidates"][0]["code"] == "901001"
    assert known["candidates"][0]["code"] == "901002"


def test_stdin_one_json_object_per_line(db: str) -> None:
    phrases = ["硬中华三条", "", "ＲＺＨ", "😀", "xhm 2", "9999件 软中华"]
    result = run_cli("--db", db, "match", "--stdin", input="\n".join(phrases) + "\n")
    assert result.exit_code == 0, result.stderr
    outs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["query"] for o in outs] == phrases
    assert (outs[0]["candidates"][0]["code"], outs[0]["quantity"]) == ("901001", 3)
    assert outs[1]["candidates"] == [] and outs[1]["note"] == "empty_query"
    assert outs[2]["candidates"][0]["code"] == "901002"
    assert outs[3]["candidates"] == []
    assert (outs[4]["candidates"][0]["code"], outs[4]["quantity"]) == ("908001", 2)
    assert outs[5]["quantity"] is None and outs[5]["note"] == "quantity_too_large"


@pytest.mark.parametrize("query", ["   ", "两条", "😀😀", "x" * 500, "中" * 500])
def test_bad_queries_answer_clearly_with_exit_0(db: str, query: str) -> None:
    result = run_cli("--db", db, "match", query, "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) >= {"query", "quantity", "candidates"}
    assert len(out["candidates"]) <= 5


def test_empty_query_in_text_says_no_candidates(db: str) -> None:
    result = run_cli("--db", db, "match", " ")
    assert result.exit_code == 0
    assert "no candidates" in result.stdout


def test_unknown_customer_is_bad_input(db: str) -> None:
    result = run_cli("--db", db, "match", "中华", "--customer", "NOPE", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": "unknown_customer", "message": "no customer with code 'NOPE'"}
    text = run_cli("--db", db, "match", "中华", "--customer", "NOPE")
    assert text.exit_code == 1 and "NOPE" in text.stderr


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_limit_below_one_is_bad_input(db: str, limit: str) -> None:
    result = run_cli("--db", db, "match", "中华", "--limit", limit)
    assert result.exit_code == 1
    assert "--limit" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["match"], ["match", "中华", "--stdin"], ["match", "中华", "--limit", "many"], ["match", "中华", "--bogus"]],
)
def test_usage_errors_exit_2(db: str, args: list[str]) -> None:
    assert run_cli("--db", db, *args, input="").exit_code == 2
