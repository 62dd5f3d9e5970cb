"""The embedded database file must be the one that was opened: a deleted or replaced SQLite file refuses every
transaction instead of taking writes that would be reported saved and then lost."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from db import migrate
from db.engine import (
    DatabaseFileGone,
    check_database_file,
    database_file_gone,
    is_connection_error,
    make_engine,
    write_transaction,
)
from db.tables import ORDER
from orders.placement import OrderDatabaseError, place_order
from orders.settings import Settings
from orders.tickets import open_ticket


@pytest.fixture
def opened(tmp_path: Path) -> tuple[Engine, Path]:
    path = tmp_path / "telesales.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    return engine, path


def write_one(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER)"))
        conn.execute(text("INSERT INTO probe VALUES (1)"))


def test_a_deleted_file_refuses_writes_and_reads_and_is_not_recreated(opened: tuple[Engine, Path]) -> None:
    engine, path = opened
    write_one(engine)
    path.unlink()
    with pytest.raises(DatabaseFileGone) as caught:
        write_one(engine)
    assert is_connection_error(caught.value)
    assert str(caught.value) == (
        f"the database file {path} was deleted after it was opened; nothing more is written to it"
    )
    with pytest.raises(DatabaseFileGone), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()  # new connections: SQLite would quietly create an empty file at the path
    with pytest.raises(DatabaseFileGone), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert not path.exists()
    with pytest.raises(DatabaseFileGone):
        check_database_file(engine)


def test_a_replaced_file_is_refused_even_a_copy_of_itself(opened: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, path = opened
    write_one(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    os.replace(copy, path)  # a restore from a backup while the app runs: every table is there
    with pytest.raises(DatabaseFileGone, match="was replaced by another file"):
        write_one(engine)
    engine.dispose()  # even once every connection to the old file is closed (its inode number could be reused)
    path.unlink()
    path.touch()
    with pytest.raises(DatabaseFileGone, match="replaced"):
        write_one(engine)


def test_the_same_file_put_back_works_again(opened: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, path = opened
    write_one(engine)
    aside = tmp_path / "aside.db"
    os.rename(path, aside)
    with pytest.raises(DatabaseFileGone):
        write_one(engine)
    os.rename(aside, path)
    write_one(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM probe")).scalar() == 2


def test_the_domain_writes_refuse_and_say_why(opened: tuple[Engine, Path]) -> None:
    engine, path = opened
    path.unlink()
    with pytest.raises(OrderDatabaseError) as placing:
        place_order(engine, Settings(), "C001", [("901002", 1)], operator="demo")
    gone = database_file_gone(placing.value)
    assert gone is not None and gone.path == str(path)
    assert not placing.value.maybe_written  # refused before anything was written: safe to place again
    with pytest.raises(DatabaseFileGone) as ticketing:
        open_ticket(engine, "C001", "damaged", "words", settings=Settings(), operator="demo")
    assert database_file_gone(ticketing.value) is not None and is_connection_error(ticketing.value)
    assert not path.exists()


def test_memory_and_postgres_style_engines_have_no_file_to_check() -> None:
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(text("(SELECT 1)"))).scalar() == 1
    check_database_file(engine)  # nothing to check: no error
    assert database_file_gone(ValueError("x")) is None


def test_no_order_goes_into_a_file_that_replaced_it(opened: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, path = opened
    other = tmp_path / "other.db"
    other_engine = make_engine(f"sqlite:///{other}")
    migrate.upgrade(other_engine)
    other_engine.dispose()
    os.replace(other, path)
    with pytest.raises(OrderDatabaseError):
        place_order(engine, Settings(), "C001", [("901002", 1)], operator="demo")
    fresh = make_engine(f"sqlite:///{path}")
    with fresh.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ORDER)).scalar() == 0
    fresh.dispose()
