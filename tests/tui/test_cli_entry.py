"""`telesales entry` as a script runs it: JSON lines in and out, plain lines, the text form, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import run_cli

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def db(engine: Engine, tmp_path: Path) -> str:
    """The shared catalog and a shop with two past orders, imported through `telesales import`."""
    url = engine.url.render_as_string(hide_password=False)
    customers = tmp_path / "customers.csv"
    customers.write_text("code,name,tier,order_weekday\nC1,张记小卖部,5,1\nC2,李记,5,2\n", encoding="utf-8")
    history = tmp_path / "history.csv"
    history.write_text(
        "customer_code,order_date,product_code,qty\n"
        "C1,2026-11-09,903001,4\nC1,2026-11-09,907003,3\n"
        "C1,2026-11-16,904001,8\nC1,2026-11-16,901002,2\nC1,2026-11-16,907003,3\n",
        encoding="utf-8",
    )
    for kind, path in (("catalog", DATA / "catalog.csv"), ("customers", customers), ("history", history)):
        assert run_cli("--db", url, "import", kind, str(path)).exit_code == 0
    return url


def test_stdin_json_lines_follow_the_contract(db: str) -> None:
    lines = [
        json.dumps({"text": "老样子 红塔山改成五条", "customer": "C1", "draft": []}, ensure_ascii=False),
        json.dumps(
            {"text": "利群去掉 再来两条芙蓉王", "customer": "C1", "draft": [{"code": "903001", "qty": 6}]},
            ensure_ascii=False,
        ),
        "软中华三条 那个谁来着",
    ]
    result = run_cli("--db", db, "entry", "--stdin", "--json", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stdout + result.stderr
    first, second, third = (json.loads(line) for line in result.stdout.splitlines())
    assert first["text"] == "老样子 红塔山改成五条"
    assert [(d["code"], d["qty"]) for d in first["draft"]] == [("904001", 8), ("901002", 2), ("907003", 5)]
    assert first["draft"][0]["name"] == "芙蓉王(硬)"
    assert set(first["changes"][0]) == {"op", "code", "name", "qty", "was", "heard", "confusable_with"}
    assert [(c["op"], c["code"], c["qty"], c["was"]) for c in second["changes"]] == [
        ("remove", "903001", None, 6),
        ("add", "904001", 2, None),
    ]
    assert second["draft"] == [{"code": "904001", "name": "芙蓉王(硬)", "qty": 2}]
    assert [(d["code"], d["qty"]) for d in third["draft"]] == [("901002", 3)]
    (unclear,) = third["unclear"]
    assert unclear["reason"] == "no_product" and set(unclear) == {"heard", "reason", "candidates"}


def test_plain_lines_use_the_customer_given(db: str) -> None:
    result = run_cli("--db", db, "entry", "--stdin", "--customer", "C1", input="红塔山两条\n老样子\n\n")
    assert result.exit_code == 0, result.stdout
    outs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outs) == 3
    assert outs[0]["draft"] == [{"code": "907003", "name": "红塔山(经典1956)", "qty": 2}]  # the shop's usual
    assert len(outs[1]["draft"]) == 3
    assert outs[2] == {"text": "", "draft": [], "changes": [], "unclear": []}


def test_a_json_line_names_its_own_customer(db: str) -> None:
    line = json.dumps({"text": "老样子", "customer": "C2"}, ensure_ascii=False)
    result = run_cli("--db", db, "entry", "--stdin", "--customer", "C1", input=line + "\n")
    out = json.loads(result.stdout)
    assert out["draft"] == [] and out["unclear"][0]["reason"] == "no_last_order"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("{not json", "bad_json"),
        ('{"draft": []}', "bad_json"),
        ('["text"]', "bad_json"),
        ('{"text": "x", "customer": "NOPE"}', "unknown_customer"),
        ('{"text": "x", "draft": [{"code": "999999", "qty": 1}]}', "unknown_product"),
        ('{"text": "x", "draft": [{"code": "901002", "qty": 0}]}', "bad_qty"),
        ('{"text": "x", "draft": [{"code": "901002", "qty": 1.5}]}', "bad_qty"),
        ('{"text": "x", "draft": [{"code": "901002", "qty": 1}, {"code": "901002", "qty": 2}]}', "bad_draft"),
        ('{"text": "x", "draft": "901002=1"}', "bad_draft"),
    ],
)
def test_a_bad_line_answers_an_error_naming_it_and_the_rest_still_runs(db: str, line: str, kind: str) -> None:
    result = run_cli("--db", db, "entry", "--stdin", input=f"利群两条\n{line}\n利群三条\n")
    assert result.exit_code == 1
    first, bad, last = (json.loads(out) for out in result.stdout.splitlines())
    assert bad["error"] == kind and bad["line"] == 2
    assert bad["message"].startswith("line 2: ") and "\n" not in bad["message"]
    assert first["draft"][0]["qty"] == 2 and last["draft"][0]["qty"] == 3
    assert "Traceback" not in result.stdout + result.stderr


def test_unknown_customer_option_stops_before_reading(db: str) -> None:
    result = run_cli("--db", db, "entry", "--stdin", "--customer", "NOPE", input="利群两条\n")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": "unknown_customer",
        "message": "no customer with code 'NOPE'",
        "customer": "NOPE",
    }
    text = run_cli("--db", db, "entry", "利群两条", "--customer", "NOPE")
    assert text.exit_code == 1 and text.stderr.strip() == "telesales: no customer with code 'NOPE'"


def test_text_form_prints_changes_and_the_draft(db: str) -> None:
    result = run_cli("--db", db, "entry", "芙蓉王少一条 软中华两条 祥云", "--customer", "C1", "--draft", "904001=8")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "芙蓉王少一条 软中华两条 祥云"
    assert any(line.strip().startswith("~ 904001") and "8 → 7" in line for line in lines)
    assert any(line.strip().startswith("+ 901002") for line in lines)
    assert any(line.strip().startswith("? 「祥云」 no_quantity") for line in lines)
    assert lines[-3] == "draft:"


def test_text_form_json(db: str) -> None:
    result = run_cli("--db", db, "entry", "改成四条", "--draft", "901002=2", "--draft", "903001=6", "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert [(d["code"], d["qty"]) for d in out["draft"]] == [("901002", 2), ("903001", 4)]


@pytest.mark.parametrize(
    ("draft", "needle"), [("901002", "CODE=QTY"), ("901002=x", "CODE=QTY"), ("999=1", "999"), ("901002=-1", "-1")]
)
def test_bad_draft_option_is_bad_input(db: str, draft: str, needle: str) -> None:
    result = run_cli("--db", db, "entry", "利群两条", "--draft", draft)
    assert result.exit_code == 1
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["entry"], ["entry", "利群", "--stdin"], ["entry", "利群", "--bogus"]])
def test_usage_errors_exit_2(db: str, args: list[str]) -> None:
    assert run_cli("--db", db, *args, input="").exit_code == 2
