"""The one engine factory, for the embedded SQLite file and a shared PostgreSQL.

No engine is built at import time: the URL comes from settings or the command line, and tests build their own.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from db.private_files import create_private_file

SQLITE_BUSY_TIMEOUT_MS = 10_000


def is_connection_error(exc: BaseException) -> bool:
    """A database that went away (server down, connection killed, file locked out or deleted) rather than a bug.

    Here, beside the engine, because both backends' ways of failing are known here; the screens show a banner
    and retry for these, and report anything else as a fault."""
    return isinstance(exc, (OperationalError, DatabaseFileGone)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


class DatabaseFileGone(OperationalError):
    """The embedded SQLite file was deleted or replaced after the engine first opened it.

    SQLite would go on writing to the deleted file's inode (or to a fresh empty file at the path), so every
    order and ticket would be reported saved and then be lost; the engine refuses every transaction instead.
    An `OperationalError`, so every path that already treats a failing database as "lost, try again" (the
    screens' banner, placement's guard, the CLI's one sentence) does so here too; `str()` is one sentence.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        sentence = f"the database file {path} {reason} after it was opened; nothing more is written to it"
        super().__init__(None, None, _FileGoneReason(sentence))
        self.sentence = sentence

    def __str__(self) -> str:
        return self.sentence

    def __reduce__(self) -> Any:  # picklable, as SQLAlchemy's errors are, with our own arguments
        return (type(self), (self.path, self.reason))


def database_file_gone(exc: BaseException) -> DatabaseFileGone | None:
    """The `DatabaseFileGone` behind `exc` (itself, or what it was raised from), so that a caller who got a
    wrapped error (placement turns database errors into its own) can still say the file is gone."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DatabaseFileGone):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class _FileGoneReason(Exception):
    """The `orig` of `DatabaseFileGone`: readers that print a driver error's first line print our sentence."""


@dataclass
class _FileIdentity:
    """Which file an SQLite engine opened: the path, and (device, inode) as of its first connection.

    A descriptor on the file is held for the engine's life: with it open, a deleted file's inode cannot be
    handed to a new file at the same path (filesystems reuse freed inode numbers at once), which would make
    a replaced file look like the one opened once the pool's connections have closed."""

    path: str
    ident: tuple[int, int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, owner: Engine) -> None:
        with self.lock:
            if self.ident is None:
                fd = os.open(self.path, os.O_RDONLY)
                weakref.finalize(owner, os.close, fd)
                st = os.fstat(fd)
                self.ident = (st.st_dev, st.st_ino)

    def check(self) -> None:
        """Raise `DatabaseFileGone` unless the file at the path is still the one first opened (one stat)."""
        if self.ident is None:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise DatabaseFileGone(self.path, "was deleted") from None
        except OSError as exc:
            raise DatabaseFileGone(self.path, f"cannot be checked ({exc.strerror or exc})") from exc
        if (st.st_dev, st.st_ino) != self.ident:
            raise DatabaseFileGone(self.path, "was replaced by another file")


_FILES: weakref.WeakKeyDictionary[Engine, _FileIdentity] = weakref.WeakKeyDictionary()


def check_database_file(engine: Engine) -> None:
    """Raise `DatabaseFileGone` when the engine's SQLite file is no longer the file it opened.

    Every transaction on an engine from `make_engine` already checks this at BEGIN; this is for callers that
    want to ask without starting one. A no-op for PostgreSQL, in-memory and `file:` URI databases."""
    identity = _FILES.get(engine)
    if identity is not None:
        identity.check()


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
        database = parsed.database or ""
        file_path = None
        if database and database != ":memory:" and not database.startswith("file:"):
            file_path = os.path.abspath(database)  # as sqlite3 resolves it now: a later chdir must not move it
        _configure_sqlite(engine, _FileIdentity(file_path) if file_path else None)
    return engine


def _configure_sqlite(engine: Engine, identity: _FileIdentity | None) -> None:
    """Pragmas on every new connection, our own BEGIN, and the file check before both.

    The file's identity is recorded on the first connection (SQLite creates a missing file then); afterwards a
    new connection is refused when the file is gone (SQLite would quietly create an empty one at the path) and
    every BEGIN, read or write, checks the file is still the one opened: one `os.stat`, before anything is
    written, so nothing can be reported saved that went to a deleted file."""
    if identity is not None:
        _FILES[engine] = identity

        @event.listens_for(engine, "do_connect")
        def _before_connect(_dialect: Any, _record: Any, _cargs: Any, _cparams: Any) -> None:
            identity.check()
            if identity.ident is None:
                create_private_file(Path(identity.path))  # SQLite would create it 0644: it holds PIN hashes

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if identity is not None:
            identity.record(engine)
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
        if identity is not None:
            identity.check()  # raised before BEGIN is sent: the connection is left as it was
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for writes that must serialise (quota use, imports): all or nothing.

    On SQLite it takes the write lock at BEGIN, so two terminals cannot both read a quota and then both write;
    on PostgreSQL it is a plain transaction, and callers use row locks or conditional updates. On SQLite the
    file is checked again once the lock is held (BEGIN checked it before waiting for the lock, which can take
    seconds), so a write the caller will report as saved never goes to a deleted or replaced file.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_immediate=True)
        with conn.begin():
            check_database_file(engine)
            yield conn


def describe(engine: Engine) -> str:
    """The URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)
