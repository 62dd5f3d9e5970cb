"""`telesales suggest` as a user scripts it, on both databases: the contract's JSON, quotas and supply
respected, reasons in either language, and clear errors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from db.tables import APP_META, PRODUCT, SUPPLY_USAGE
from orders.clock import week_of
from tests.conftest import run_cli

DATA = Path(__file__).resolve().parents[1] / "data"
WEEK = date(2026, 11, 23)  # TELESALES_NOW is that Monday


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    """Three shops with twelve weeks of history; 软中华 is tight this week, 硬中华 is short of supply."""
    url = engine.url.render_as_string(hide_password=False)
    (tmp_path / "customers.csv").write_text(
        "code,name,tier,order_weekday,district\n"
        "C1,张记小卖部,12,1,芙蓉区\n"
        "C2,Lee Mart,25,3,芙蓉区\n"
        "C3,王家便利店,8,1,天心区\n",
        encoding="utf-8",
    )
    rows = ["customer_code,order_date,product_code,qty"]
    for k in range(1, 13):
        monday = WEEK - timedelta(weeks=k)
        rows += [f"C1,{monday},901002,5", f"C1,{monday},902002,3", f"C1,{monday},901001,4"]
        if k % 2 == 0:
            rows.append(f"C1,{monday},910001,2")  # every other week
        rows += [f"C2,{monday + timedelta(days=2)},904001,10", f"C3,{monday},910001,6"]
    (tmp_path / "history.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "quotas.csv").write_text(
        f"week,product_code,tier_from,tier_to,max_qty\n{WEEK},901002,1,15,2\n{WEEK},901002,16,30,6\n", encoding="utf-8"
    )
    (tmp_path / "supply.csv").write_text(f"week,product_code,total_qty\n{WEEK},901001,50\n", encoding="utf-8")
    for kind, path in (
        ("catalog", DATA / "catalog.csv"),
        ("customers", tmp_path / "customers.csv"),
        ("history", tmp_path / "history.csv"),
        ("quotas", tmp_path / "quotas.csv"),
        ("supply", tmp_path / "supply.csv"),
    ):
        result = run_cli("--db", url, "import", kind, str(path))
        assert result.exit_code == 0, result.stderr
    return url


def suggest_json(url: str, *args: str) -> dict[str, object]:
    result = run_cli("--db", url, "suggest", *args, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def lines_of(out: dict[str, object]) -> dict[str, dict[str, object]]:
    lines = out["lines"]
    assert isinstance(lines, list)
    return {str(line["code"]): line for line in lines}


def test_contract_shape_with_quota_respected_and_a_substitute(url: str) -> None:
    out = suggest_json(url, "C1")
    assert out["customer"] == "C1" and out["week"] == "2026-11-23"
    lines = lines_of(out)
    for line in lines.values():
        assert set(line) >= {"code", "name", "qty", "reason"}
        assert isinstance(line["qty"], int) and line["qty"] > 0
        assert isinstance(line["reason"], str) and line["reason"]
    assert lines["902002"]["qty"] == 3
    assert lines["902002"]["reason"] == "近12次订货订过12次,每次3条"
    assert lines["901002"]["qty"] == 2  # 5 usually, quota 2 for tiers 1-15
    assert str(lines["901002"]["reason"]).startswith("中华(软)本周限量2条,已按限量建议2条;同价位可选")
    subs = [line for line in lines.values() if line.get("kind") == "substitute"]
    assert len(subs) == 1 and subs[0]["qty"] == 3 and subs[0]["replaces"] == "901002"
    assert lines["910001"]["qty"] == 2  # 2 cartons every other week, left out last week: due this week
    assert lines["910001"]["reason"] == "约每2次订货订一次,每次2条,这次该订了"


def test_supply_already_taken_by_other_shops_caps_the_line(url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        pid = conn.execute(select(PRODUCT.c.id).where(PRODUCT.c.code == "901001")).scalar_one()
        conn.execute(insert(SUPPLY_USAGE).values(week=WEEK, product_id=pid, used_qty=47))
    line = lines_of(suggest_json(url, "C1"))["901001"]
    assert line["qty"] == 3
    assert str(line["reason"]).startswith("中华(硬)本周货源紧张,仅剩3条")


def test_english_reasons_with_lang(url: str) -> None:
    lines = lines_of(suggest_json(url, "C1", "--lang", "en"))
    assert lines["902002"]["reason"] == "ordered 12 of the last 12 times, 3 cartons a time"
    text = run_cli("--db", url, "--lang", "en", "suggest", "C1")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0] == "C1  week of 2026-11-23"


def test_text_output_lines_up_in_terminal_cells(url: str) -> None:
    from rich.cells import cell_len

    result = run_cli("--db", url, "suggest", "C1")
    assert result.exit_code == 0
    rows = result.stdout.splitlines()[1:]
    assert len(rows) >= 4
    # the reason starts in the same terminal column on every line, Chinese names or not
    starts = {
        cell_len(r[: r.index(" 近")]) if " 近" in r else cell_len(r[: r.index(" 中华(软)本周")])
        for r in rows
        if " 近" in r or " 中华(软)本周" in r
    }
    assert len(starts) == 1, result.stdout


def test_all_prints_one_object_a_line_for_the_weeks_active_customers(url: str) -> None:
    result = run_cli("--db", url, "suggest", "--all", "--json")
    assert result.exit_code == 0
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["customer"] for o in objects] == ["C1", "C2", "C3"]
    assert all(o["week"] == "2026-11-23" for o in objects)
    day = run_cli("--db", url, "suggest", "--all", "--day", "2026-11-25", "--json")
    assert [json.loads(line)["customer"] for line in day.stdout.splitlines()] == ["C2"]


def test_another_week_is_named_by_its_monday(url: str) -> None:
    out = suggest_json(url, "C2", "--week", "2026-12-03")
    assert out["week"] == str(week_of(date(2026, 12, 3)))
    line = lines_of(out)["904001"]
    # 10 a week, and nothing ordered the week before: half of that week made up (a shop never seen to skip)
    assert line["qty"] == 15 and "上周没订货" in str(line["reason"])


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("NOPE",), 1, "no customer with code 'NOPE'"),
        (("C1", "--week", "next week"), 1, "--week 'next week' is not a date (YYYY-MM-DD)"),
        (("C1", "--all"), 2, "give either CUSTOMER_CODE or --all"),
        ((), 2, "missing: give a customer code, or --all"),
        (("C1", "--day", "2026-11-23"), 1, "--day goes with --all"),
    ],
)
def test_bad_input(url: str, args: tuple[str, ...], code: int, message: str) -> None:
    result = run_cli("--db", url, "suggest", *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_customer_as_json(url: str) -> None:
    result = run_cli("--db", url, "suggest", "NOPE", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": "unknown_customer", "message": "no customer with code 'NOPE'"}


def test_the_weeks_shared_index_is_computed_once_and_kept_until_the_history_changes(
    url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orders.suggest_data as suggest_data

    first = suggest_json(url, "C1")
    with engine.connect() as conn:
        kept = conn.execute(select(APP_META.c.value).where(APP_META.c.key == suggest_data.INDEX_KEY)).scalar()
    assert kept and '"stamp"' in kept

    def scan(*_args: object) -> None:
        raise AssertionError("the history was scanned again")

    suggest_data._INDEXES.clear()  # as a new process: only the database remembers
    monkeypatch.setattr(suggest_data, "load_season", scan)
    assert suggest_json(url, "C1") == first

    (tmp_path / "more.csv").write_text(
        f"customer_code,order_date,product_code,qty\nC3,{WEEK - timedelta(days=1)},902002,1\n", encoding="utf-8"
    )
    assert run_cli("--db", url, "import", "history", str(tmp_path / "more.csv")).exit_code == 0
    with pytest.raises(AssertionError, match="scanned again"):
        suggest_data.daily_index(engine, WEEK)  # the history changed: the index is computed afresh


def test_console_script_loads_only_the_named_command() -> None:
    """`telesales suggest` imports only its own command module (start-up counts for `suggest --all`), so the
    map from command name to module must name every command the full command line has, and each one's module."""
    import subprocess
    import sys

    import tui.cli

    app = tui.cli.app  # every command registered
    names = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert names == set(tui.cli.COMMANDS)
    for info in app.registered_commands:
        assert tui.cli.COMMANDS[str(info.name)] == info.callback.__module__.rsplit(".", 1)[-1]
    code = (
        "import sys, tui.cli; tui.cli.load_commands(['--db', 'x', 'suggest', '--all']); "
        "print(sorted(m for m in sys.modules if m.startswith('tui.cli.') and m.endswith(('_cmd', '_cmds'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['tui.cli.suggest_cmd']"
