"""The one engine factory, for the embedded SQLite file and a shared PostgreSQL.

No engine is built at import time: the URL comes from settings or the command line, and tests build their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

SQLITE_BUSY_TIMEOUT_MS = 10_000


def is_connection_error(exc: BaseException) -> bool:
    """A database that went away (server down, connection killed, file locked out) rather than a bug.

    Here, beside the engine, because both backends' ways of failing are known here; the screens show a banner
    and retry for these, and report anything else as a fault."""
    return isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


class DatabaseUrlError(ValueError):
    """The database URL cannot be used; the message is one sentence for the user."""


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine with the settings each backend needs for many terminals at once.

    SQLite: WAL so readers never block the writer, foreign keys on (off by default in SQLite), a busy timeout
    so a second writer waits instead of failing, and the driver's own transaction handling switched off so that
    `write_transaction()` can issue `BEGIN IMMEDIATE` and serialise writers up front.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"'{url}' is not a database URL; use e.g. sqlite:///path/to/file.db "
            "or postgresql+psycopg://user@host/dbname"
        ) from exc
    backend = parsed.get_backend_name()
    kwargs: dict[str, Any] = {"echo": echo}
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise DatabaseUrlError(f"cannot open database {url}: folder {parent} does not exist")
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    elif backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
    else:
        raise DatabaseUrlError(f"database '{backend}' is not supported; use sqlite:/// or postgresql+psycopg://")
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseUrlError(
            f"the driver for {parsed.drivername} is not installed; install telesales[pg] for PostgreSQL"
        ) from exc
    if backend == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see _on_begin
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for writes that must serialise (quota use, imports): all or nothing.

    On SQLite it takes the write lock at BEGIN, so two terminals cannot both read a quota and then both write;
    on PostgreSQL it is a plain transaction, and callers use row locks or conditional updates.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            yield conn


def describe(engine: Engine) -> str:
    """The URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)
