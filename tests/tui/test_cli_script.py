"""`telesales script lint|render|list` as a trainer and an order taker use them: the contract's
`FILE:LINE: reason` lines and exit codes, and the script as it reads for a shop on a given day."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

import tui.cli.script_cmds  # noqa: F401  (registers `script` until tui/cli/__init__.py imports it)
from db.csv_import import import_file
from orders.settings import load_settings
from orders.tickets import open_ticket
from orders.users import add_user
from scripts_lib.loader import SHIPPED_DIR
from tests.conftest import run_cli

SH = ZoneInfo("Asia/Shanghai")
GOOD = (SHIPPED_DIR / "regular.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# ------------------------------------------------------------------------------------------------ lint


def test_lint_of_the_shipped_scripts_is_ok() -> None:
    result = run_cli("script", "lint", str(SHIPPED_DIR))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == "ok: 6 scripts, no problems\n" and result.stderr == ""


def test_lint_prints_each_problem_as_file_line_reason_and_exits_1(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        GOOD.replace("请问是{customer}吗?", "请问是{custmer}吗?").replace("您看这样行吗?", "硬春城,订不订?"),
        encoding="utf-8",
    )
    result = run_cli("script", "lint", str(good), str(bad))
    assert result.exit_code == 1
    typo, question = line_of(GOOD, "请问是{customer}吗?"), line_of(GOOD, "您看这样行吗?")
    assert result.stdout.splitlines() == [
        f"{bad}:{typo}: unknown placeholder {{custmer}}; did you mean {{customer}}?",
        f"{bad}:{question}: negative or take-it-or-leave-it question «订不订»: make a positive suggestion instead, "
        "e.g. 「建议您这周拿两条,您看行吗?」",
    ]
    assert result.stderr == "telesales: 2 problems in 1 of 2 files\n"


def test_lint_of_unreadable_files_is_exit_1_without_a_traceback(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("title: 测试\n".encode("gbk"))
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    result = run_cli("script", "lint", str(gbk), str(empty), str(tmp_path / "missing.yaml"))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{gbk}:1: not UTF-8 text (byte 0xb2): save the file as UTF-8",
        f"{empty}:1: empty file: a script needs a title and steps",
        f"{tmp_path / 'missing.yaml'}:1: cannot read the file: No such file or directory",
    ]


def test_lint_json_lists_the_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: [\n", encoding="utf-8")
    result = run_cli("script", "lint", str(bad), "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["files"] == 1 and out["problems"][0]["file"] == str(bad) and out["problems"][0]["line"] == 2
    assert out["problems"][0]["reason"].startswith("YAML syntax error")
    assert json.loads(run_cli("script", "lint", str(SHIPPED_DIR), "--json").stdout) == {"files": 6, "problems": []}


def test_lint_without_a_file_is_a_usage_error() -> None:
    assert run_cli("script", "lint").exit_code == 2


# ---------------------------------------------------------------------------------------------- render


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    """A shop with an open complaint and a brand under quota in the week before New Year."""
    at = datetime(2026, 12, 14, 9, 0, tzinfo=SH)
    files = {
        "catalog": "code,name,price_per_carton\n901001,中华(硬),381.6\n904001,芙蓉王(硬),250\n",
        "customers": "code,name,tier,order_weekday,owner,operator\nC1,张记小卖部,5,1,张建国,wang\n",
        "history": "customer_code,order_date,product_code,qty\nC1,2026-12-07,901001,2\nC1,2026-12-07,904001,5\n",
        "quotas": "week,product_code,tier_from,tier_to,max_qty\n2026-12-14,901001,1,30,2\n",
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        import_file(engine, kind, path, at=at)
    add_user(engine, "wang", "小王", "order_taker", "1234")
    open_ticket(engine, "C1", "counterfeit", "中华像假烟", settings=load_settings(), operator="wang", at=at)
    return engine.url.render_as_string(hide_password=False)


def test_render_shows_the_steps_for_that_shop_on_that_day(url: str) -> None:
    result = run_cli("--db", url, "script", "render", "C1", "--date", "2026-12-14", "--script", "regular")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("regular: 常规周订货电话 | C1 张记小卖部 | 2026-12-14\n")
    assert "\n1. greeting\n张老板,上午好!我是烟草公司电访员小王,很高兴为您提供服务!\n" in out
    # 09:00 + 4 working hours for a suspected counterfeit
    assert "\n3. information (ticket_status)\n您反映的疑似假烟问题,我们正在处理,\n会在今天下午1点前给您答复。\n" in out
    assert "\n4. information (holiday)\n元旦(1月1日)快到了,节前走货快,可以适当多备一点货。\n" in out
    assert "\n5. information (short_brands)\n这周紧俏的品规:中华(硬)限2条,我按限量尽量给您配足。\n" in out
    assert out.endswith("\n12. close (holiday_wish)\n提前祝您元旦快乐!\n")
    assert "  » 按F5复述;老板说有出入就当场改,改完再读一遍。" in out
    assert "{" not in out


def test_render_json_is_the_steps_in_order(url: str) -> None:
    result = run_cli("--db", url, "--lang", "en", "script", "render", "C1", "--date", "2026-12-14", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert {k: out[k] for k in ("customer", "name", "script", "lang", "date")} == {
        "customer": "C1",
        "name": "张记小卖部",
        "script": "regular",
        "lang": "en",
        "date": "2026-12-14",
    }
    assert out["title"] == "Regular weekly order call"
    assert {"open_ticket", "short_brands", "holiday_near"} <= set(out["flags"])
    kinds = [s["kind"] for s in out["steps"]]
    assert kinds[0] == "greeting" and kinds[-2:] == ["close", "close"] and "readback" in kinds
    assert all(set(s) == {"id", "kind", "text", "hint"} for s in out["steps"])
    assert out["steps"][0]["text"].startswith("Good morning, 张建国! This is 小王 from the tobacco company.")


def test_render_today_reads_the_fixed_clock(url: str) -> None:
    out = json.loads(run_cli("--db", url, "script", "render", "C1", "--json").stdout)
    assert out["date"] == "2026-11-23" and "holiday_near" not in out["flags"]


def test_render_of_an_unknown_customer_is_exit_1(url: str) -> None:
    result = run_cli("--db", url, "script", "render", "NOPE")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "telesales: unknown customer 'NOPE'\n"
    as_json = run_cli("--db", url, "script", "render", "NOPE", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["error"] == "bad_input"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--script", "regualr"), "unknown script 'regualr'; available: callback, complaint, inbound, new_product,"),
        (("--date", "14/12/2026"), "--date '14/12/2026' is not a date; write YYYY-MM-DD"),
        (("--operator", "nobody"), "unknown user 'nobody'"),
    ],
)
def test_render_bad_options_are_exit_1_with_one_sentence(url: str, args: tuple[str, ...], message: str) -> None:
    result = run_cli("--db", url, "script", "render", "C1", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"telesales: {message}") and result.stderr.count("\n") == 1


def test_a_deployment_script_that_fails_lint_is_refused_with_a_warning(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "regular.yaml").write_text(GOOD.replace("请问是{customer}吗?", "请问是{custmer}吗?"), encoding="utf-8")
    monkeypatch.setenv("TELESALES_SCRIPTS_DIR", str(folder))
    result = run_cli("--db", url, "script", "render", "C1", "--script", "regular")
    assert result.exit_code == 0
    where = f"{folder / 'regular.yaml'}:{line_of(GOOD, '请问是')}"
    assert result.stderr == (
        f"telesales: warning: {where}: unknown placeholder {{custmer}}; did you mean {{customer}}? "
        "(script refused; using the last good version)\n"
    )
    assert "请问是张记小卖部吗?" in result.stdout  # the shipped script, filled in

    (folder / "regular.yaml").write_text(
        GOOD.replace("请问是{customer}吗?", "请问是{customer}的老板吗?"), encoding="utf-8"
    )
    result = run_cli("--db", url, "script", "render", "C1", "--script", "regular")
    assert result.stderr == "" and "请问是张记小卖部的老板吗?" in result.stdout


def test_list_names_each_script_and_its_file() -> None:
    result = run_cli("script", "list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["script"] for r in rows] == ["callback", "complaint", "inbound", "new_product", "regular", "retention"]
    assert rows[4] == {"script": "regular", "title": "常规周订货电话", "file": str(SHIPPED_DIR / "regular.yaml")}


def test_the_render_follows_the_clock_into_the_afternoon(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_NOW", (datetime(2026, 12, 14, 15, 0, tzinfo=SH)).isoformat())
    out = json.loads(run_cli("--db", url, "script", "render", "C1", "--json", "--script", "regular").stdout)
    assert out["steps"][0]["text"].startswith("张老板,下午好!")
    assert any("答复晚了" in s["text"] for s in out["steps"])  # the promised 13:00 has passed
