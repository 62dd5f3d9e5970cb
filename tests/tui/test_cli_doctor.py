"""`telesales doctor` as an administrator reads it: one line per check, what to fix, exit 1 on a failure."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from db import migrate
from tests.conftest import run_cli

NO_CLOCK: dict[str, Any] = {"TELESALES_NOW": None}


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def checks(url: str, env: dict[str, Any] | None = None) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run_cli("--db", url, "doctor", "--json", env=env)
    out = json.loads(result.stdout)
    assert out["ok"] == (result.exit_code == 0)
    return result.exit_code, {c["check"]: c for c in out["checks"]}


def test_a_healthy_terminal_is_all_ok(engine: Engine, tmp_path: Path) -> None:
    code, found = checks(url_of(engine), env=NO_CLOCK)
    assert code == 0
    assert found["connection"]["status"] == "ok" and found["schema"]["status"] == "ok"
    assert found["policy"]["status"] == "ok"
    if engine.dialect.name == "sqlite":
        assert found["clock"]["message"] == "embedded SQLite: this terminal's clock is the database's"
        assert found["database file"]["status"] == "ok"
    else:
        assert found["clock"]["status"] == "ok" and "of the server's" in found["clock"]["message"]
        # the test database lets TELESALES_NOW fix the clock: on a real centre's that is worth a warning
        assert found["fixed-clock"]["status"] == "warn"
        fix = "on a real centre's database run `telesales config set clock_override false`"
        assert found["fixed-clock"]["fix"] == fix
    text_out = run_cli("--db", url_of(engine), "doctor", env=NO_CLOCK)
    assert text_out.exit_code == 0
    assert [line.split()[0] for line in text_out.stdout.splitlines()][:3] == ["ok", "ok", "ok"]


def test_files_open_to_others_fail_with_the_chmod_to_run(engine: Engine, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    os.chmod(data, 0o755)
    config = tmp_path / "config.toml"
    config.write_text('lang = "en"\n', encoding="utf-8")
    os.chmod(config, 0o666)
    result = run_cli("--db", url_of(engine), "doctor")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("fail data folder") and line.endswith(f"chmod 700 {data}") for line in lines)
    assert any(line.startswith("fail settings file") and line.endswith(f"chmod 600 {config}") for line in lines)
    if engine.dialect.name == "sqlite":
        db_file = Path(engine.url.database or "")
        os.chmod(db_file, 0o644)
        _, found = checks(url_of(engine))
        assert found["database file"]["status"] == "fail" and found["database file"]["fix"] == f"chmod 600 {db_file}"


def test_policy_keys_a_terminal_sets_are_said_to_be_ignored(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.toml").write_text('cutoff_time = "16:30"\nlang = "en"\n', encoding="utf-8")
    monkeypatch.setenv("TELESALES_LOGIN_MAX_ATTEMPTS", "100000")
    run_cli("--db", url_of(engine), "config", "set", "cutoff_time", "17:00")
    _, found = checks(url_of(engine))
    ignored = found["policy-file"]
    assert ignored["status"] == "warn" and ignored["message"] == (
        f"{tmp_path / 'config.toml'} sets cutoff_time, which the database's policy decides: ignored here"
    )
    if engine.dialect.name == "sqlite":  # no row for it: the embedded database's own terminal still decides
        assert "policy-environment" not in found
    else:
        assert found["policy-environment"]["message"].startswith("TELESALES_LOGIN_MAX_ATTEMPTS is set, but")


def test_a_refused_fixed_clock_and_a_broken_policy_fail(engine: Engine) -> None:
    url = url_of(engine)
    assert run_cli("--db", url, "config", "set", "clock_override", "false", env=NO_CLOCK).exit_code == 0
    code, found = checks(url)
    assert code == 1 and found["fixed-clock"]["status"] == "fail"
    assert found["fixed-clock"]["fix"] == "unset TELESALES_NOW (every command refuses to run with it here)"
    with engine.begin() as conn:
        conn.execute(text("UPDATE policy SET value = '[0]' WHERE key = 'clock_override'"))
        conn.execute(
            text("INSERT INTO policy (key, value, updated_at, updated_by) SELECT 'work_days', '[9]', updated_at, 'x' "
                 "FROM policy WHERE key = 'clock_override'")
        )
    code, found = checks(url, env=NO_CLOCK)
    assert code == 1 and found["policy"]["status"] == "fail"
    assert "work_days = [9]" in found["policy"]["message"]


def test_an_old_schema_warns_and_an_unreachable_database_fails(engine: Engine) -> None:
    migrate.downgrade(engine, "0007")
    _, found = checks(url_of(engine), env=NO_CLOCK)
    assert found["schema"]["status"] == "warn" and "needs" in found["schema"]["message"]
    assert found["schema"]["fix"].startswith("run `telesales db upgrade`")
    code, found = checks("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert code == 1 and found["connection"]["status"] == "fail"
    assert "schema" not in found


def test_doctor_creates_no_database(tmp_path: Path) -> None:
    result = run_cli("doctor")
    assert result.exit_code == 1
    assert result.stdout.startswith("fail connection  there is no database at ")
    assert not (tmp_path / "data" / "telesales.db").exists()
