"""Shared fixtures: an isolated environment per test, and real SQLite and PostgreSQL databases built
through the same migrations users run.

PostgreSQL tests each get their own database, dropped afterwards. When the server is absent they skip
with the reason, unless TELESALES_REQUIRE_PG=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner, Result

from db import migrate
from db.engine import make_engine, write_transaction
from orders import clock
from orders.policy import allow_fixed_clock

PG_ADMIN_URL = os.environ.get("TELESALES_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FIXED_NOW = "2026-11-23T09:00:00+08:00"  # a Monday morning in the call centre


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config or database, and every test sees the same clock."""
    kept = ("TELESALES_REQUIRE_PG", "TELESALES_REQUIRE_PHONE", "TELESALES_TEST_PG_ADMIN")
    for key in list(os.environ):
        if key.startswith("TELESALES_") and key not in kept:
            monkeypatch.delenv(key)
    monkeypatch.setenv("TELESALES_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TELESALES_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("TELESALES_NOW", FIXED_NOW)
    clock.reset()  # a command run in-process registered its database's clock; the next test starts afresh


def _pg_admin_engine() -> Engine | None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "no server here"
        engine.dispose()
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"
        if os.environ.get("TELESALES_REQUIRE_PG") == "1":
            pytest.fail(f"{reason} (TELESALES_REQUIRE_PG=1)")
        pytest.skip(reason)
    return engine


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    admin = _pg_admin_engine()
    assert admin is not None
    name = f"telesales_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'telesales.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on both backends."""
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


def prepared_database(eng: Engine) -> Engine:
    """Migrate `eng` as users do, and let TELESALES_NOW fix its clock as a test database must (PostgreSQL keeps
    its server's clock otherwise; SQLite allows it by default)."""
    migrate.upgrade(eng)
    if eng.dialect.name != "sqlite":
        with write_transaction(eng) as conn:
            allow_fixed_clock(conn, actor="system:tests")
        clock.reset()
    return eng


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend, with `clock_override` on."""
    eng = prepared_database(make_engine(db_url))
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = make_engine(sqlite_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


def run_cli(*args: str, input: str | None = None, env: dict[str, Any] | None = None) -> Result:
    """Run `telesales ARGS` in-process, as the console script would, keeping stdout and stderr apart."""
    from tui.cli import app

    return CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=False)


def table_snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to assert that a refused command changed nothing."""
    from sqlmodel import SQLModel

    import db.models  # noqa: F401

    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in SQLModel.metadata.tables.items():
            out[name] = sorted(tuple(r) for r in conn.execute(table.select()).all())
    return out
