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


# ------------------------------------------------------------------------------------ files (issue 17)

CSV_HEADER = (
    "date,operator,calls_due,calls_done,orders,cartons,avg_call_seconds,complaints_opened,tickets_closed_on_time,"
    "tickets_closed_late,shops_due,shops_done,outcome_ordered,outcome_no_answer,outcome_busy,outcome_closed,"
    "outcome_refused,outcome_wrong_number,outcome_callback_requested,outcome_replied"
)


def test_day_as_csv_has_the_json_figures_one_row_per_operator_then_the_total(url: str) -> None:
    result = run_cli("--db", url, "report", "day", "--date", "2026-11-23", "--csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        CSV_HEADER,
        "2026-11-23,demo,4,3,2,10,95.0,2,0,1,4,2,2,1,0,0,0,0,0,0",
        "2026-11-23,lead,0,0,0,0,,0,1,0,0,0,0,0,0,0,0,0,0,0",
        "2026-11-23,li,3,2,2,5,80.0,1,1,0,3,1,1,0,1,0,0,0,0,0",
        "2026-11-23,wang,0,1,0,0,,0,0,0,0,0,0,0,0,0,1,0,0,0",
        "2026-11-23,(total),8,6,4,15,89.0,3,2,1,8,4,3,1,1,0,1,0,0,0",
    ]
    both = run_cli("--db", url, "report", "day", "--csv", "--json")
    assert (both.exit_code, both.stdout) == (1, '{"error": "bad_input", "message": "choose one of --json and --csv"}\n')


def _sum_days(url: str, monday: str) -> dict[str, object]:
    """The week's figures as the seven `report day --json` outputs add up, the week report's definition."""
    total: dict[str, object] = {}
    start = int(monday[-2:])
    for day in range(start, start + 7):
        date = f"2026-11-{day:02d}" if day <= 30 else f"2026-12-{day - 30:02d}"
        figures = json.loads(run_cli("--db", url, "report", "day", "--date", date, "--json").stdout)["total"]
        for key, value in figures.items():
            if key == "outcomes":
                outcomes = total.setdefault(key, {})
                assert isinstance(outcomes, dict)
                for name, n in value.items():
                    outcomes[name] = outcomes.get(name, 0) + n
            elif key != "avg_call_seconds":
                total[key] = int(total.get(key, 0)) + value  # type: ignore[call-overload]
    return total


def test_week_json_adds_up_the_days(url: str) -> None:
    result = run_cli("--db", url, "report", "week", "--week", "2026-11-26", "--json")  # a Thursday: its week
    assert result.exit_code == 0, result.stderr
    week = json.loads(result.stdout)
    assert (week["week"], week["to"]) == ("2026-11-23", "2026-11-29")
    expected = _sum_days(url, "2026-11-23")
    assert {k: v for k, v in week["total"].items() if k != "avg_call_seconds"} == expected
    assert week["total"]["calls_done"] == 7 and week["total"]["orders"] == 4  # Monday's 6 calls and Tuesday's 1
    assert set(week["operators"]) == {"demo", "lead", "li", "wang"}
    assert week["operators"]["demo"]["cartons"] == 10
    default = run_cli("--db", url, "report", "week", "--json")  # this week, by the clock
    assert json.loads(default.stdout) == week


def test_week_as_csv_and_as_a_table(url: str) -> None:
    result = run_cli("--db", url, "report", "week", "--csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == CSV_HEADER.replace("date,", "week,", 1)
    assert [line.split(",")[1] for line in lines[1:]] == ["demo", "lead", "li", "wang", "(total)"]
    assert all(line.startswith("2026-11-23,") for line in lines[1:])
    table = run_cli("--db", url, "--lang", "en", "report", "week")
    assert table.exit_code == 0, table.stderr
    shown = table.stdout.splitlines()
    assert shown[0] == "Week report 2026-11-23 to 2026-11-29"
    assert shown[2].split()[:2] == ["demo", "小王"]
    assert all(cell_len(line) <= 80 for line in shown), max(shown, key=cell_len)


def test_a_bad_week_is_one_sentence(url: str) -> None:
    result = run_cli("--db", url, "report", "week", "--week", "next", "--csv")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "telesales: --week 'next' is not a date; write YYYY-MM-DD (any day of the week)\n"
