"""The shared policy: who wins between the database, a terminal's file and its environment, on each backend;
values checked by the settings' own validators; every change audited; the clock the policy allows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from db.models import AuditLog
from orders import clock
from orders.policy import (
    Policy,
    PolicyError,
    StoredValue,
    change_policy,
    check_changes,
    effective,
    entries,
    fixed_clock_allowed,
    import_policy,
    load_policy,
    measure_offset,
    overridden_terminal_keys,
    parse_value,
    use_clock,
)
from orders.settings import POLICY_KEYS, Settings, load_settings
from orders.users import PermissionDenied, SignedIn, system_actor

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ALICE = system_actor("alice")


def _row(key: str, value: object) -> StoredValue:
    return StoredValue(key, value, AT, "system:test")


def _terminal(tmp_path: Path, body: str) -> Settings:
    (tmp_path / "config.toml").write_text(body, encoding="utf-8")
    return load_settings()


def test_a_database_row_beats_the_terminal_file_on_both_backends(tmp_path: Path) -> None:
    terminal = _terminal(tmp_path, 'cutoff_time = "16:30"\nlang = "en"\n')
    for backend in ("sqlite", "postgresql"):
        settings = effective(terminal, Policy(backend, {"cutoff_time": _row("cutoff_time", "17:00")}))
        assert settings.cutoff_time == time(17, 0), backend
        assert settings.lang == "en"  # the terminal's own key stays the terminal's


def test_without_a_row_sqlite_keeps_the_file_and_postgresql_the_default(tmp_path: Path) -> None:
    terminal = _terminal(tmp_path, 'cutoff_time = "16:30"\n')
    assert effective(terminal, Policy("sqlite", {})).cutoff_time == time(16, 30)
    assert effective(terminal, Policy("postgresql", {})).cutoff_time == time(17, 0)


def test_the_environment_cannot_loosen_the_lockout_on_a_shared_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_LOGIN_MAX_ATTEMPTS", "100000")
    terminal = load_settings()
    assert effective(terminal, Policy("postgresql", {})).login_max_attempts == 5
    assert overridden_terminal_keys(Policy("postgresql", {})) == {"login_max_attempts": "environment"}
    assert overridden_terminal_keys(Policy("sqlite", {})) == {}


def test_a_bad_database_row_is_named_with_its_value() -> None:
    bad = Policy("postgresql", {"work_days": _row("work_days", [1, 9])})
    with pytest.raises(PolicyError, match=r"work_days = \[1, 9\].*config set work_days"):
        effective(Settings(), bad)


def test_values_are_written_as_in_toml_or_bare() -> None:
    assert parse_value("cutoff_time", "16:30") == "16:30"
    assert parse_value("cutoff_time", "16:30:00") == time(16, 30)
    assert parse_value("work_days", "[1,2,3,4,5]") == [1, 2, 3, 4, 5]
    assert parse_value("clock_override", "true") is True
    assert parse_value("company_name", "2026") == "2026"  # a name, never a number
    assert parse_value("company_name", "长沙市烟草公司") == "长沙市烟草公司"
    with pytest.raises(PolicyError, match="cannot set 'cutof_time' to '16:30': cutof_time is not a policy key"):
        parse_value("cutof_time", "16:30")


def test_changes_are_checked_together_by_the_settings_validators() -> None:
    ok, problems = check_changes(Settings(), {"work_start": "09:00", "work_end": "18:00"})
    assert problems == [] and ok.work_end == time(18)
    _, problems = check_changes(Settings(), {"work_start": "18:00"})
    assert problems == ["work_start: work_start 18:00 must be before work_end 17:30"]
    _, problems = check_changes(Settings(), {"work_days": [0], "login_max_attempts": 0})
    assert [p.split(":")[0] for p in problems] == ["work_days", "login_max_attempts"]


def test_a_change_is_written_and_audited_and_a_bad_one_changes_nothing(engine: Engine) -> None:
    changes = change_policy(engine, Settings(), {"cutoff_time": "16:30"}, by=ALICE)
    assert [(c.key, c.old, c.new) for c in changes] == [("cutoff_time", "17:00", "16:30")]
    policy = load_policy(engine)
    assert policy.rows["cutoff_time"].value == "16:30" and policy.rows["cutoff_time"].updated_by == "system:alice"
    with pytest.raises(PolicyError, match="cannot set cutoff_time: '25:00'"):
        change_policy(engine, Settings(), {"cutoff_time": "25:00"}, by=ALICE)
    assert change_policy(engine, Settings(), {"cutoff_time": "16:30"}, by=system_actor("bob")) == []  # no change
    with engine.connect() as conn:
        audit = conn.execute(select(AuditLog.actor, AuditLog.action, AuditLog.entity_id, AuditLog.detail)).all()  # type: ignore[call-overload]
    assert [(a, b, c, json.loads(d)) for a, b, c, d in audit] == [
        ("system:alice", "policy_set", "cutoff_time", {"old": "17:00", "new": "16:30"})
    ]
    assert effective(Settings(), load_policy(engine)).cutoff_time == time(16, 30)


def test_a_broken_row_can_be_set_again(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO policy (key, value, updated_at, updated_by) VALUES ('work_days', '[9]', :at, 'x')"),
            {"at": AT if engine.dialect.name != "sqlite" else AT.replace(tzinfo=None)},
        )
    with pytest.raises(PolicyError):
        effective(Settings(), load_policy(engine))
    change_policy(engine, Settings(), {"work_days": [1, 2, 3]}, by=ALICE)
    assert effective(Settings(), load_policy(engine)).work_days == [1, 2, 3]


def test_import_lists_every_bad_key_and_writes_none(engine: Engine, tmp_path: Path) -> None:
    before = load_policy(engine).rows
    path = tmp_path / "policy.toml"
    path.write_text('cutoff_time = "16:00"\nwork_dayz = [1]\nlogin_lock_minutes = 0\n', encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        import_policy(engine, Settings(), path, by=ALICE)
    assert caught.value.problems[0] == (
        f"{path}: work_dayz: not a policy key (a terminal's own setting stays in its config.toml)"
    )
    assert caught.value.problems[1].startswith(f"{path}: login_lock_minutes: 0 is not valid")
    assert load_policy(engine).rows == before


def test_show_says_where_each_value_comes_from(tmp_path: Path) -> None:
    terminal = _terminal(tmp_path, 'work_end = "18:00"\n')
    policy = Policy("sqlite", {"cutoff_time": _row("cutoff_time", "16:00")})
    shown = {e.key: (e.value, e.source) for e in entries(effective(terminal, policy), policy)}
    assert list(shown) == list(POLICY_KEYS)
    assert shown["cutoff_time"] == ("16:00", "database")
    assert shown["work_end"] == ("18:00", "file")
    assert shown["work_start"] == ("08:30", "default")
    assert shown["clock_override"] == (True, "default")
    shared = Policy("postgresql", {})
    shown = {e.key: (e.value, e.source) for e in entries(effective(terminal, shared), shared)}
    assert shown["work_end"] == ("17:30", "default") and shown["clock_override"] == (False, "default")


def test_telesales_now_is_honoured_only_where_the_policy_allows_it() -> None:
    assert fixed_clock_allowed(Settings(), Policy("sqlite", {}))
    assert not fixed_clock_allowed(Settings(), Policy("postgresql", {}))
    assert not fixed_clock_allowed(Settings(clock_override=True), Policy("postgresql", {}))  # a terminal's own say
    assert fixed_clock_allowed(Settings(), Policy("postgresql", {"clock_override": _row("clock_override", True)}))
    assert not fixed_clock_allowed(Settings(), Policy("sqlite", {"clock_override": _row("clock_override", False)}))


def test_a_refused_fixed_clock_is_never_used_silently(engine: Engine) -> None:
    use_clock(engine, Settings(), Policy(engine.dialect.name, {"clock_override": _row("clock_override", False)}))
    with pytest.raises(clock.ClockError, match="TELESALES_NOW is set, but this database keeps its own clock"):
        clock.now()
    assert abs(clock.real_now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_server_clock_is_measured_once(engine: Engine) -> None:
    """On PostgreSQL the offset is the server's clock minus ours (here the same machine: near zero); on SQLite
    there is no other clock. Registered, it moves every reading of the time."""
    offset = measure_offset(engine)
    assert abs(offset) < timedelta(seconds=2)
    if engine.dialect.name == "sqlite":
        assert offset == timedelta(0)
    clock.use(clock.ClockSource(offset=timedelta(minutes=7)))
    assert abs(clock.real_now() - datetime.now(UTC) - timedelta(minutes=7)) < timedelta(seconds=5)


def test_only_an_admin_changes_the_policy(engine: Engine) -> None:
    lead = SignedIn(login="lead", name="刘敏", role="shift_lead")
    with pytest.raises(PermissionDenied):
        change_policy(engine, Settings(), {"login_max_attempts": 100000}, by=lead)
    assert "login_max_attempts" not in load_policy(engine).rows
    admin = SignedIn(login="boss", name="老板", role="admin")
    assert [c.key for c in change_policy(engine, Settings(), {"login_max_attempts": 3}, by=admin)] == [
        "login_max_attempts"
    ]
    assert load_policy(engine).rows["login_max_attempts"].updated_by == "boss"
