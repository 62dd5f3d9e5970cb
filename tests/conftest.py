"""Shared fixtures: an isolated environment per test, and real SQLite and PostgreSQL databases built
through the same migrations users run.

PostgreSQL tests each get their own database, dropped afterwards. When the server is absent they skip
with the reason, unless TELESALES_REQUIRE_PG=1 (CI), where they fail.

Speed without sharing state: the migrations run once per test process into a template (an SQLite file, a
PostgreSQL database), and each test gets its own copy (a file copy, `CREATE DATABASE … TEMPLATE`) with a fresh
`database_id`, as a database migrated from nothing has; the small demo likewise. PostgreSQL databases are
dropped by a thread beside the tests (a drop waits for a checkpoint, seconds on a busy server), and all are gone
before the process ends.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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


class _Dropper:
    """Drops this process's PostgreSQL test databases on a thread of its own, in the order they were handed over;
    `finish` waits until every one is gone (session end)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def drop(self, name: str) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pg-test-dropper", daemon=True)
            self._thread.start()
        self._queue.put(name)

    def _run(self) -> None:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 10})
        try:
            while (name := self._queue.get()) is not None:
                try:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                except Exception:  # a server gone at the end of a run leaves a database behind, as before
                    pass
        finally:
            admin.dispose()

    def finish(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


_DROPPER = _Dropper()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _DROPPER.finish()


def _pg_database(template: str | None = None) -> str:
    """A new PostgreSQL database (empty, or a copy of `template`); its name."""
    admin = _pg_admin_engine()
    assert admin is not None
    name = f"telesales_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    finally:
        admin.dispose()
    return name


def _pg_url_of(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    name = _pg_database()
    try:
        yield _pg_url_of(name)
    finally:
        _DROPPER.drop(name)


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated as `prepared_database` does, once per test process: the template of the
    `engine` fixture's databases. Nobody connects to it after it is built (a template must be unused)."""
    name = _pg_database()
    try:
        with _fixed_env():
            eng = make_engine(_pg_url_of(name))
            try:
                prepared_database(eng)
            finally:
                eng.dispose()
        yield name
    finally:
        _DROPPER.drop(name)


@pytest.fixture
def pg_migrated_url(_pg_template: str) -> Iterator[str]:
    """A PostgreSQL database as `prepared_database` leaves it (a copy of the template), with its own identity."""
    name = _pg_database(_pg_template)
    try:
        url = _pg_url_of(name)
        _new_identity(url)
        yield url
    finally:
        _DROPPER.drop(name)


@pytest.fixture(scope="session")
def _pg_demo_template(_pg_template: str) -> Iterator[str]:
    """The small demo (seed 1) built at the fixed clock on a copy of `_pg_template`, once per test process."""
    from tui.demo import SIZES, ensure_demo

    name = _pg_database(_pg_template)
    try:
        with _fixed_env():
            eng = make_engine(_pg_url_of(name))
            try:
                ensure_demo(eng, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)
            finally:
                eng.dispose()
        yield name
    finally:
        _DROPPER.drop(name)


@pytest.fixture
def pg_demo_url(_pg_demo_template: str) -> Iterator[str]:
    """A copy of the PostgreSQL demo, with its own identity."""
    name = _pg_database(_pg_demo_template)
    try:
        url = _pg_url_of(name)
        _new_identity(url)
        yield url
    finally:
        _DROPPER.drop(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'telesales.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on both backends. With `engine` (or `demo_db`) in the test, PostgreSQL's database is
    already migrated (and holds the demo): a copy of the template; `engine` and `demo_db` copy SQLite's."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    if "demo_db" in request.fixturenames:
        return str(request.getfixturevalue("pg_demo_url"))
    return str(request.getfixturevalue("pg_migrated_url" if "engine" in request.fixturenames else "pg_url"))


@contextmanager
def _fixed_env() -> Iterator[None]:
    """The environment `_isolated_env` gives a test, for building a template outside any test."""
    import tempfile

    with pytest.MonkeyPatch.context() as mp, tempfile.TemporaryDirectory(prefix="telesales-tpl-") as tmp:
        for key in list(os.environ):
            if key.startswith("TELESALES_") and key not in ("TELESALES_REQUIRE_PG", "TELESALES_TEST_PG_ADMIN"):
                mp.delenv(key)
        mp.setenv("TELESALES_DATA_DIR", str(Path(tmp) / "data"))
        mp.setenv("TELESALES_CONFIG", str(Path(tmp) / "config.toml"))
        mp.setenv("TELESALES_NOW", FIXED_NOW)
        clock.reset()
        try:
            yield
        finally:
            clock.reset()


def _new_identity(url: str) -> None:
    """Give a copied database an identity of its own (migration 0007 writes a random one), so that two databases
    of one test are never taken for the same."""
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(text("UPDATE app_meta SET value = :id WHERE key = 'database_id'"), {"id": uuid.uuid4().hex})
    finally:
        eng.dispose()


def copy_sqlite(template: Path, url: str) -> None:
    """Put a copy of the SQLite file `template` at `url`'s path (with its private mode), with its own identity."""
    path = Path(url.removeprefix("sqlite:///"))
    assert not path.exists(), f"{path} exists already"
    shutil.copy(template, path)
    _new_identity(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head, once per test process."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    with _fixed_env():
        eng = make_engine(f"sqlite:///{path}")
        migrate.upgrade(eng)
        eng.dispose()
    return path


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo (seed 1) at the fixed clock, built once per test process through the migrations users run."""
    from tui.demo import SIZES, ensure_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with _fixed_env():
        eng = make_engine(f"sqlite:///{path}")
        migrate.upgrade(eng)
        ensure_demo(eng, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)
        eng.dispose()
    return path


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
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty database on each backend, with `clock_override` on: a copy of a database
    `prepared_database` made (SQLite allows the fixed clock by default)."""
    if db_url.startswith("sqlite"):
        copy_sqlite(request.getfixturevalue("sqlite_template"), db_url)
    eng = make_engine(db_url)
    clock.reset()
    yield eng
    eng.dispose()


@pytest.fixture
def demo_db(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The small demo (seed 1, at the fixed clock) on each backend, as `ensure_demo` on `engine` leaves it: a copy
    of the one built once per test process."""
    assert "engine" not in request.fixturenames, "demo_db is the test's database; it does not go with engine"
    if db_url.startswith("sqlite"):
        copy_sqlite(request.getfixturevalue("demo_file"), db_url)
    eng = make_engine(db_url)
    clock.reset()
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite database (a copy of one migrated once per process)."""
    copy_sqlite(sqlite_template, sqlite_url)
    eng = make_engine(sqlite_url)
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
