"""`telesales config` as an administrator uses it, and what the policy does to a terminal with its own ideas:
a terminal's cut-off, environment or forged clock never beats the database's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from db.csv_import import import_file
from db.models import AuditLog, Order
from orders.clock import now
from tests.conftest import run_cli, table_snapshot

FILES = {
    "catalog": "code,name,price_per_carton\nA,中华(软),583.50\n",
    "customers": "code,name,tier,order_weekday\nC1,张记小卖部,5,1\n",
}
AT_1645 = "2026-11-23T16:45:00+08:00"  # Monday, C1's order day: after 16:30, before 17:00
NO_CLOCK: dict[str, Any] = {"TELESALES_NOW": None}


@pytest.fixture
def url(engine: Engine, tmp_path: Path) -> str:
    for kind, content in FILES.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        import_file(engine, kind, path, at=now(), actor="test")
    return engine.url.render_as_string(hide_password=False)


def _config_toml(tmp_path: Path, body: str) -> None:
    (tmp_path / "config.toml").write_text(body, encoding="utf-8")


def _place(url: str, at: str = AT_1645) -> Any:
    return run_cli("--db", url, "order", "place", "C1", "A=1", "--json", env={"TELESALES_NOW": at})


def test_set_then_show(url: str) -> None:
    done = run_cli("--db", url, "config", "set", "cutoff_time", "16:30")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == 'cutoff_time: "17:00" -> "16:30"\n'
    assert run_cli("--db", url, "config", "set", "work_days", "[1,2,3,4,5]").exit_code == 0
    shown = run_cli("--db", url, "config", "show", "--json")
    policy = json.loads(shown.stdout)["policy"]
    assert policy["cutoff_time"]["value"] == "16:30" and policy["cutoff_time"]["source"] == "database"
    assert policy["cutoff_time"]["updated_by"].startswith("system:")
    assert policy["work_days"]["value"] == [1, 2, 3, 4, 5]
    assert policy["work_end"] == {"value": "17:30", "source": "default", "updated_at": None, "updated_by": None}
    text = run_cli("--db", url, "config", "show").stdout.splitlines()
    assert text[0].startswith('cutoff_time = "16:30"') and "# database, 2026-11-23 09:00 by system:" in text[0]
    assert text[1].startswith("work_days = [1, 2, 3, 4, 5]")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("cutoff_time", "25:00"), "cannot set cutoff_time: '25:00' is not valid"),
        (("work_days", "[1,9]"), "cannot set work_days: [1, 9] is not valid: work_days must be 1 (Monday) to 7"),
        (("work_start", "18:00"), "cannot set work_start: work_start 18:00 must be before work_end 17:30"),
        (("login_max_attempts", "0"), "cannot set login_max_attempts: 0 is not valid"),
        (("cutof_time", "16:30"), "cannot set 'cutof_time' to '16:30': cutof_time is not a policy key"),
        (("database_url", "sqlite:///x.db"), "cannot set 'database_url' to 'sqlite:///x.db': database_url is not a"),
    ],
)
def test_a_bad_key_or_value_is_one_sentence_and_changes_nothing(
    url: str, engine: Engine, args: tuple[str, str], message: str
) -> None:
    before = table_snapshot(engine)
    result = run_cli("--db", url, "config", "set", *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"telesales: {message}") and result.stderr.count("\n") == 1
    assert table_snapshot(engine) == before


def test_import_is_all_or_nothing_and_lists_every_bad_key(url: str, engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text('cutoff_time = "16:00"\nwork_dayz = [1]\nticket_reply_hours = { price = -1 }\n', encoding="utf-8")
    before = table_snapshot(engine)
    result = run_cli("--db", url, "config", "import", str(bad))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{bad}: work_dayz: not a policy key (a terminal's own setting stays in its config.toml)"
    assert lines[1].startswith(f"{bad}: ticket_reply_hours: ") and "must be positive" in lines[1]
    assert lines[2] == f"telesales: 2 bad keys in {bad}; nothing was changed"
    assert table_snapshot(engine) == before
    good = tmp_path / "good.toml"
    good.write_text('cutoff_time = "16:00"\nholidays = ["2026-10-01"]\n', encoding="utf-8")
    result = run_cli("--db", url, "config", "import", str(good))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"2 policy keys changed from {good}"
    with engine.connect() as conn:
        audited = conn.execute(select(AuditLog.entity_id).where(AuditLog.action == "policy_set")).scalars().all()  # type: ignore[call-overload]
    assert sorted(audited) == ["cutoff_time", "holidays"]
    assert run_cli("--db", url, "config", "import", str(tmp_path / "absent.toml")).exit_code == 1


def test_config_show_round_trips_through_import(url: str, tmp_path: Path) -> None:
    run_cli("--db", url, "config", "set", "ticket_reply_hours", "{ price = 16 }")
    shown = run_cli("--db", url, "config", "show").stdout
    path = tmp_path / "policy.toml"
    path.write_text(shown, encoding="utf-8")
    result = run_cli("--db", url, "config", "import", str(path))
    assert result.exit_code == 0, result.stderr


def test_a_terminals_own_cutoff_follows_the_databases(url: str, engine: Engine, tmp_path: Path) -> None:
    """The issue's case: a terminal with cutoff_time = "16:30" in its file at 16:45, the database saying 17:00."""
    _config_toml(tmp_path, 'cutoff_time = "16:30"\n')
    run_cli("--db", url, "config", "set", "cutoff_time", "17:00")
    placed = _place(url)
    assert placed.exit_code == 0, placed.stdout
    run_cli("--db", url, "config", "set", "cutoff_time", "16:40")
    _config_toml(tmp_path, 'cutoff_time = "17:30"\n')
    refused = _place(url)
    assert refused.exit_code == 3 and json.loads(refused.stdout)["error"] == "cutoff_passed"


def test_without_a_row_only_the_embedded_database_lets_the_file_decide(
    url: str, engine: Engine, tmp_path: Path
) -> None:
    _config_toml(tmp_path, 'cutoff_time = "16:30"\n')
    result = _place(url)
    if engine.dialect.name == "sqlite":  # the terminal's own database: its file is the only say there is
        assert result.exit_code == 3 and json.loads(result.stdout)["error"] == "cutoff_passed"
    else:  # shared: the default 17:00 holds whatever one terminal's file says
        assert result.exit_code == 0, result.stdout


def test_the_environment_cannot_move_the_cutoff_of_a_shared_database(url: str, engine: Engine) -> None:
    result = run_cli(
        "--db", url, "order", "place", "C1", "A=1", "--json",
        env={"TELESALES_NOW": "2026-11-23T17:10:00+08:00", "TELESALES_CUTOFF_TIME": "18:00"},
    )
    if engine.dialect.name == "sqlite":
        assert result.exit_code == 0, result.stdout
    else:
        assert result.exit_code == 3 and json.loads(result.stdout)["error"] == "cutoff_passed"
        shown = json.loads(run_cli("--db", url, "config", "show", "--json",
                                   env={"TELESALES_CUTOFF_TIME": "18:00"}).stdout)
        assert shown["policy"]["cutoff_time"] == {
            "value": "17:00", "source": "default", "updated_at": None, "updated_by": None
        }


def test_a_misspelled_key_in_the_terminals_file_is_named_not_ignored(url: str, tmp_path: Path) -> None:
    _config_toml(tmp_path, 'cutof_time = "16:30"\n')
    result = run_cli("--db", url, "calls", "queue")
    assert result.exit_code == 1
    file = tmp_path / "config.toml"
    assert result.stderr.startswith(f"telesales: the settings file {file}: unknown key cutof_time = '16:30'")
    _config_toml(tmp_path, 'lang = "en"\ncutoff_time = "25:00"\n')
    result = run_cli("--db", url, "calls", "queue")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"telesales: the settings file {file}: cutoff_time = '25:00': ")


def test_a_forged_clock_on_a_shared_database_places_nothing(url: str, engine: Engine) -> None:
    """TELESALES_NOW says Monday 09:00, before the cut-off; the real time is past it. With clock_override off the
    forged time is refused (never used quietly); the server's own clock then says the week is closed."""
    if engine.dialect.name == "sqlite":
        pytest.skip("on the embedded SQLite database the local clock is the only one (clock_override defaults on)")
    off = run_cli("--db", url, "config", "set", "clock_override", "false", env=NO_CLOCK)
    assert off.exit_code == 0, off.stderr
    before = table_snapshot(engine)
    forged = _place(url, "2026-11-23T09:00:00+08:00")
    assert forged.exit_code == 1
    out = json.loads(forged.stdout)
    assert out["error"] == "clock" and "clock_override is off" in out["message"]
    plain = run_cli("--db", url, "order", "place", "C1", "A=1", "--week", "2026-11-23")
    assert plain.exit_code == 1 and "TELESALES_NOW is set" in plain.stderr
    assert table_snapshot(engine) == before
    real = run_cli("--db", url, "order", "place", "C1", "A=1", "--week", "2026-11-23", "--json", env=NO_CLOCK)
    assert real.exit_code == 3 and json.loads(real.stdout)["error"] == "cutoff_passed"
    assert table_snapshot(engine) == before
    on = run_cli("--db", url, "config", "set", "clock_override", "true", env=NO_CLOCK)
    assert on.exit_code == 0, on.stderr
    allowed = _place(url, "2026-11-23T09:00:00+08:00")
    assert allowed.exit_code == 0, allowed.stdout
    with engine.connect() as conn:
        placed_at = conn.execute(select(Order.placed_at)).scalar_one()  # type: ignore[call-overload]
    assert placed_at.isoformat() == "2026-11-23T01:00:00+00:00"


def test_a_database_made_by_db_upgrade_keeps_its_own_clock(pg_url: str) -> None:
    up = run_cli("--db", pg_url, "db", "upgrade")
    assert up.exit_code == 0, up.stderr
    shown = json.loads(run_cli("--db", pg_url, "config", "show", "--json").stdout)
    assert shown["backend"] == "postgresql"
    assert shown["policy"]["clock_override"]["value"] is False
    refused = run_cli("--db", pg_url, "calls", "queue")
    assert refused.exit_code == 1 and "clock_override is off" in refused.stderr
    assert run_cli("--db", pg_url, "calls", "queue", env=NO_CLOCK).exit_code == 0


def test_the_tui_refuses_a_forged_clock_before_it_starts(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.cli.demo_cmd

    started: list[object] = []
    monkeypatch.setattr(tui.cli.demo_cmd, "run_tui", lambda *args: started.append(args))
    result = run_cli("--db", pg_url)
    assert result.exit_code == 1 and "clock_override is off" in result.stderr
    assert started == []


def test_the_tui_works_by_the_databases_policy(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.cli.demo_cmd

    _config_toml(tmp_path, 'cutoff_time = "16:30"\n')
    run_cli("--db", url, "config", "set", "cutoff_time", "17:15")
    started: list[Any] = []
    monkeypatch.setattr(tui.cli.demo_cmd, "run_tui", lambda engine, settings: started.append(settings))
    assert run_cli("--db", url).exit_code == 0
    assert [s.cutoff_time.isoformat() for s in started] == ["17:15:00"]


def test_only_an_admin_changes_the_policy_with_as(url: str, engine: Engine) -> None:
    from orders.users import add_user

    add_user(engine, "wang", "王芳", "order_taker", "1234")
    add_user(engine, "boss", "老板", "admin", "5678")
    before = table_snapshot(engine)
    taker = run_cli("--db", url, "config", "set", "login_max_attempts", "100000", "--as", "wang", input="1234\n")
    assert taker.exit_code == 3 and "wang (order_taker) may not do this" in taker.stderr
    assert table_snapshot(engine) == before
    wrong = run_cli("--db", url, "config", "set", "login_max_attempts", "3", "--as", "boss", input="0000\n")
    assert wrong.exit_code == 3
    admin = run_cli("--db", url, "config", "set", "login_max_attempts", "3", "--as", "boss", input="5678\n")
    assert admin.exit_code == 0, admin.stderr
    shown = json.loads(run_cli("--db", url, "config", "show", "--json").stdout)["policy"]["login_max_attempts"]
    assert (shown["value"], shown["updated_by"]) == (3, "boss")


def test_unset_gives_a_key_back_to_the_default_and_is_audited(url: str, engine: Engine) -> None:
    """A cut-off moved for one busy week must go back to following the default, not to a copy of it."""
    assert run_cli("--db", url, "config", "set", "cutoff_time", "16:30").exit_code == 0
    assert _place(url).exit_code == 3  # 16:45 is after the database's 16:30
    done = run_cli("--db", url, "config", "unset", "cutoff_time")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == 'cutoff_time: "16:30" -> "17:00" (not set in the database)\n'
    policy = json.loads(run_cli("--db", url, "config", "show", "--json").stdout)["policy"]
    assert policy["cutoff_time"]["source"] == "default" and policy["cutoff_time"]["value"] == "17:00"
    assert _place(url).exit_code == 0  # 16:45 is before the default 17:00 again
    with engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(AuditLog).where(AuditLog.entity == "policy"))]
    assert actions == ["policy_set", "policy_unset"]
    again = run_cli("--db", url, "config", "unset", "cutoff_time")
    assert again.exit_code == 0 and again.stdout == "cutoff_time is not set in the database; nothing was changed\n"


def test_unset_refuses_an_unknown_key_and_a_day_that_would_not_make_sense(url: str, engine: Engine) -> None:
    bad = run_cli("--db", url, "config", "unset", "cutof_time")
    assert bad.exit_code == 1 and "cutof_time is not a policy key" in bad.stderr
    assert run_cli("--db", url, "config", "set", "work_end", "20:00").exit_code == 0
    assert run_cli("--db", url, "config", "set", "work_start", "18:00").exit_code == 0
    before = table_snapshot(engine)
    refused = run_cli("--db", url, "config", "unset", "work_end")  # 18:00 to the default 17:30: no day at all
    assert refused.exit_code == 1, refused.stdout
    assert refused.stderr.startswith("telesales: cannot unset work_end:") and "nothing was changed" in refused.stderr
    assert table_snapshot(engine) == before
