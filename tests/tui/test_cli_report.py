"""`telesales report day` as a lead or a script uses it: the contract's JSON exactly, the table in Chinese and in
English within 80 columns, the default date, and a bad date as one sentence with exit code 1.

The day is the one `tests/orders/test_report.py` builds (Monday 2026-11-23, clock at 16:30), so the figures
here are the ones checked there against the rules, seen through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import Engine

from tests.conftest import run_cli
from tests.orders.test_report import build_day


@pytest.fixture
def url(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    build_day(engine, tmp_path, monkeypatch)
    return engine.url.render_as_string(hide_password=False)


def figures(due: int, done: int, outcomes: dict[str, int], orders: int, cartons: int, avg: float | None,
            opened: int, on_time: int, late: int, shops: tuple[int, int] = (0, 0)) -> dict[str, object]:
    every = ("ordered", "no_answer", "busy", "closed", "refused", "wrong_number", "callback_requested", "replied")
    return {
        "calls_due": due,
        "calls_done": done,
        "outcomes": {o: outcomes.get(o, 0) for o in every},
        "orders": orders,
        "cartons": cartons,
        "avg_call_seconds": avg,
        "complaints_opened": opened,
        "tickets_closed_on_time": on_time,
        "tickets_closed_late": late,
        "shops_due": shops[0],
        "shops_done": shops[1],
    }


def test_json_is_the_contract_exactly(url: str) -> None:
    result = run_cli("--db", url, "report", "day", "--date", "2026-11-23", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "date": "2026-11-23",
        "total": figures(8, 6, {"ordered": 3, "no_answer": 1, "busy": 1, "refused": 1}, 4, 15, 89.0, 3, 2, 1, (8, 4)),
        "operators": {
            "demo": figures(4, 3, {"ordered": 2, "no_answer": 1}, 2, 10, 95.0, 2, 0, 1, (4, 2)),
            "lead": figures(0, 0, {}, 0, 0, None, 0, 1, 0),
            "li": figures(3, 2, {"ordered": 1, "busy": 1}, 2, 5, 80.0, 1, 1, 0, (3, 1)),
            "wang": figures(0, 1, {"refused": 1}, 0, 0, None, 0, 0, 0),
        },
    }
    assert result.stdout.count("\n") == 1  # one JSON document, one line


def test_the_date_defaults_to_today_and_db_may_follow_the_command(url: str) -> None:
    today = run_cli("report", "day", "--json", "--db", url)
    assert today.exit_code == 0, today.stderr
    assert json.loads(today.stdout) == json.loads(run_cli("--db", url, "report", "day", "--date", "2026-11-23",
                                                          "--json").stdout)
    tuesday = json.loads(run_cli("--db", url, "report", "day", "--date", "2026-11-24", "--json").stdout)
    assert tuesday["date"] == "2026-11-24"
    assert (tuesday["total"]["calls_due"], tuesday["total"]["calls_done"]) == (1, 1)


def test_the_table_in_chinese(url: str) -> None:
    result = run_cli("--db", url, "report", "day", "--date", "2026-11-23")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "2026-11-23 日报"
    assert lines[1].split() == [
        "工号", "姓名", "完成户", "应访", "已访", "订单", "条数", "均时(秒)", "新投诉", "按时", "超时",
    ]
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:7]}
    assert rows == {
        "demo": ["小王", "2/4", "4", "3", "2", "10", "95.0", "2", "0", "1"],
        "lead": ["班长老周", "0/0", "0", "0", "0", "0", "-", "0", "1", "0"],
        "li": ["小李", "1/3", "3", "2", "2", "5", "80.0", "1", "1", "0"],
        "wang": ["小汪", "0/0", "0", "1", "0", "0", "-", "0", "0", "0"],
        "合计": ["4/8", "8", "6", "4", "15", "89.0", "3", "2", "1"],
    }
    # columns line up in terminal cells although names are hanzi: demo's average sits under its heading
    assert cell_len(lines[2][: lines[2].index("95.0")]) == cell_len(lines[1][: lines[1].index("均时")])
    assert "demo  已订货 2  无人接听 1" in result.stdout
    assert "合计  已订货 3  无人接听 1  占线 1  拒绝订货 1" in result.stdout
    assert "重复投诉 1 件" in result.stdout
    assert "当前未结工单 2 张(超时 1,一小时内到期 1)" in result.stdout
    assert all(cell_len(line) <= 80 for line in lines), max(lines, key=cell_len)


def test_the_table_in_english_with_the_language_option(url: str) -> None:
    for args in (("--lang", "en", "report", "day"), ("report", "day", "--lang", "en")):
        result = run_cli("--db", url, *args)
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "Day report 2026-11-23"
        assert lines[1].split() == ["login", "name", "shops", "due", "done", "orders", "ctns", "avg", "s",
                                    "compl.", "on", "time", "late"]
        assert lines[6].split() == ["total", "4/8", "8", "6", "4", "15", "89.0", "3", "2", "1"]
        assert "total  ordered 3  no answer 1  busy 1  refused 1" in result.stdout
        assert "open tickets now: 2 (1 overdue, 1 due within the hour)" in result.stdout
        assert all(cell_len(line) <= 80 for line in lines), max(lines, key=cell_len)


def test_a_bad_date_is_one_sentence_and_exit_1(url: str) -> None:
    result = run_cli("--db", url, "report", "day", "--date", "2026-13-01")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "telesales: --date '2026-13-01' is not a date; write YYYY-MM-DD, e.g. 2026-11-23\n"
    )
    as_json = run_cli("--db", url, "report", "day", "--date", "monday", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {
        "error": "bad_input",
        "message": "--date 'monday' is not a date; write YYYY-MM-DD, e.g. 2026-11-23",
    }
