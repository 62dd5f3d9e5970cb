from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from orders.settings import load_settings
from tests.conftest import run_cli


def test_defaults_are_the_call_centre_defaults() -> None:
    s = load_settings()
    assert s.timezone == "Asia/Shanghai"
    assert s.cutoff_time == time(17, 0)
    assert s.lang == "zh"
    assert s.resolved_database_url().endswith("/data/telesales.db")


def test_file_then_environment_then_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text('lang = "en"\ncutoff_time = "16:30"\ntimezone = "Asia/Urumqi"\n')
    s = load_settings()
    assert (s.lang, s.cutoff_time, s.timezone) == ("en", time(16, 30), "Asia/Urumqi")
    monkeypatch.setenv("TELESALES_TIMEZONE", "Asia/Shanghai")
    assert load_settings().timezone == "Asia/Shanghai"
    assert load_settings(lang="zh").lang == "zh"


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        load_settings(timezone="Mars/Olympus")


def test_a_bad_setting_reaches_the_user_as_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_LANG", "fr")
    result = run_cli("db", "status")
    assert result.exit_code == 1
    assert result.stderr.startswith("telesales: setting lang:")


def test_a_working_day_must_end_after_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_WORK_START", "18:00")
    with pytest.raises(ValidationError, match="work_start 18:00 must be before work_end 17:30"):
        load_settings()
    result = run_cli("calls", "queue")
    assert result.exit_code == 1
    assert result.stderr == "telesales: settings: work_start 18:00 must be before work_end 17:30\n"
