"""`telesales calls queue|record` as a user scripts them: the contract's JSON keys, calling order, aligned text
with Chinese names, one-sentence errors with exit code 1, and nothing written when a record is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from sqlalchemy import Engine

from orders.users import add_user
from tests.conftest import run_cli, table_snapshot

CUSTOMERS = """code,name,tier,order_weekday,owner,operator
C1,张记烟酒商行,25,1,张老板,wang
C2,Lee Mart,5,1,Mr Lee,wang
C3,王府超市,22,1,王总,li
C4,周家铺子,9,2,周师傅,wang
"""


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    url = engine.url.render_as_string(hide_password=False)
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    result = run_cli("--db", url, "import", "customers", str(path))
    assert result.exit_code == 0, result.stderr
    for login, name in (("wang", "小王"), ("li", "小李")):
        add_user(engine, login, name, "order_taker", "1234")
    return url


def as_json(url: str, *args: str) -> Any:
    result = run_cli("--db", url, *args, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_queue_json_is_an_array_in_calling_order_with_the_contract_keys(url: str) -> None:
    queue = as_json(url, "calls", "queue")
    assert [row["customer"] for row in queue] == ["C1", "C3", "C2"]  # key customers (tier >= 20) first
    first = queue[0]
    assert {
        "customer": "C1",
        "name": "张记烟酒商行",
        "reason": "order_day",
        "due_at": None,
        "status": "to_call",
    }.items() <= first.items()
    assert (first["owner"], first["tier"], first["open_ticket"], first["retention_risk"]) == (
        "张老板",
        25,
        False,
        False,
    )
    assert [row["customer"] for row in as_json(url, "calls", "queue", "--operator", "wang")] == ["C1", "C2"]
    assert [row["customer"] for row in as_json(url, "calls", "queue", "--date", "2026-11-24")] == ["C4"]


def test_record_then_queue_shows_the_outcome_and_the_callback(url: str) -> None:
    record = as_json(url, "calls", "record", "C2", "--outcome", "no_answer", "--duration", "30", "--operator", "wang")
    assert isinstance(record["call_id"], int)
    assert (record["customer"], record["outcome"], record["duration_s"]) == ("C2", "no_answer", 30)
    assert record["callback_at"] == "2026-11-23T10:00:00+08:00"
    assert record["started_at"] == "2026-11-23T08:59:30+08:00"
    as_json(url, "calls", "record", "C1", "--outcome", "ordered")
    queue = as_json(url, "calls", "queue", "--operator", "wang")
    assert [(r["customer"], r["reason"], r["due_at"], r["status"]) for r in queue] == [
        ("C2", "callback", "2026-11-23T10:00:00+08:00", "no_answer"),
        ("C1", "order_day", None, "ordered"),
    ]


def test_a_callback_time_without_offset_is_the_centres_local_time(url: str) -> None:
    record = as_json(
        url, "calls", "record", "C3", "--outcome", "callback_requested", "--callback-at", "2026-11-23T15:30"
    )
    assert record["callback_at"] == "2026-11-23T15:30:00+08:00"
    assert record["operator"] == "li"  # no --operator: the customer's own order taker


def test_queue_text_lines_up_chinese_and_latin_names(url: str) -> None:
    as_json(url, "calls", "record", "C1", "--outcome", "refused", "--operator", "wang")
    result = run_cli("--db", url, "calls", "queue")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "done 1 / due 3"
    table = lines[:-1]
    assert table[0].split()[:4] == ["#", "DUE", "CUSTOMER", "SHOP"]
    starts = [
        cell_len(line[: line.index(word)])
        for line, word in zip(table, ["OWNER", "张老板", "王总", "Mr Lee"], strict=True)
    ]
    assert len(set(starts)) == 1, table  # the owner column starts at the same cell on every row
    assert "called: refused (done)" in table[1] and "to call" in table[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["C1", "--outcome", "answered"], "unknown outcome 'answered'; use one of ordered, no_answer, busy"),
        (["C1", "--outcome", "callback_requested"], "callback_requested needs the time the customer asked for"),
        (["C1", "--outcome", "callback_requested", "--callback-at", "tomorrow 3pm"], "is not an ISO-8601 date-time"),
        (["C1", "--outcome", "callback_requested", "--callback-at", "2026-11-23T08:00:00+08:00"], "not in the future"),
        (["C1", "--outcome", "ordered", "--duration", "-5"], "a call cannot last less than 0 seconds"),
        (["C1", "--outcome", "ordered", "--duration", "ninety"], "is not a whole number of seconds"),
        (["NOPE", "--outcome", "ordered"], "unknown customer 'NOPE'"),
    ],
)
def test_bad_records_exit_1_with_one_sentence_and_change_nothing(
    url: str, engine: Engine, args: list[str], message: str
) -> None:
    before = table_snapshot(engine)
    result = run_cli("--db", url, "calls", "record", *args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("telesales: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    as_json_result = run_cli("--db", url, "calls", "record", *args, "--json")
    assert as_json_result.exit_code == 1
    error = json.loads(as_json_result.stdout)
    assert error["error"] == "bad_input" and message in error["message"]
    assert table_snapshot(engine) == before


def test_a_bad_date_exits_1(url: str) -> None:
    result = run_cli("--db", url, "calls", "queue", "--date", "23/11/2026")
    assert result.exit_code == 1
    assert "--date '23/11/2026' is not a date; write YYYY-MM-DD" in result.stderr
