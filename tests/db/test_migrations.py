"""The schema users get is the one the migrations build, and it refuses bad rows by itself."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from db import migrate
from db.engine import make_engine
from db.models import Customer, HistoryLine, Product, Quota, User
from tests.conftest import run_cli


def test_upgrade_builds_every_table_and_reaches_head(engine: Engine) -> None:
    assert migrate.current(engine) == migrate.head()
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_the_fast_head_constant_is_alembics_head(engine: Engine) -> None:
    """`ensure_current` skips Alembic when the database is at `HEAD`; a new migration must move it too, or
    every start would take the slow path (and a database at the new head would look behind)."""
    assert migrate.head() == migrate.HEAD
    assert migrate._at_head(engine)
    migrate.downgrade(engine, "0003")
    assert not migrate._at_head(engine)
    migrate.ensure_current(engine)  # the slow path migrates it back to head
    assert migrate._at_head(engine)


def test_migrations_match_the_models(engine: Engine) -> None:
    """A model changed without a migration would make tests pass on a schema users never get."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert migrate.current(engine) is None
    assert "product" not in inspect(engine).get_table_names()
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()


def _product(conn: object, code: str = "901001", price_fen: int = 38160) -> int:
    result = conn.execute(insert(Product).values(code=code, name="中华(硬)", price_fen=price_fen))  # type: ignore[attr-defined]
    return int(result.inserted_primary_key[0])


def _customer(conn: object, code: str = "C1", tier: int = 5, weekday: int = 1) -> int:
    result = conn.execute(  # type: ignore[attr-defined]
        insert(Customer).values(code=code, name="好又多便利店", tier=tier, order_weekday=weekday)
    )
    return int(result.inserted_primary_key[0])


@pytest.mark.parametrize(
    ("tier", "weekday"),
    [(0, 1), (31, 1), (5, 0), (5, 8)],
)
def test_schema_refuses_tier_and_weekday_out_of_range(engine: Engine, tier: int, weekday: int) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _customer(conn, tier=tier, weekday=weekday)


def test_schema_refuses_zero_qty_unknown_foreign_key_and_duplicate_code(engine: Engine) -> None:
    with engine.begin() as conn:
        pid = _product(conn)
        cid = _customer(conn)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(HistoryLine).values(customer_id=cid, product_id=pid, order_date=date(2026, 11, 2), qty=0))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(HistoryLine).values(customer_id=cid, product_id=999, order_date=date(2026, 11, 2), qty=1))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _product(conn, code="901001")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _product(conn, code="901999", price_fen=0)
    with engine.connect() as conn:
        assert conn.execute(select(HistoryLine)).all() == []
        assert len(conn.execute(select(Product)).all()) == 1


def test_quota_keys_tier_rules_and_customer_overrides_separately(engine: Engine) -> None:
    monday = date(2026, 11, 23)
    with engine.begin() as conn:
        pid = _product(conn)
        cid = _customer(conn)
        conn.execute(insert(Quota).values(week=monday, product_id=pid, tier_from=1, tier_to=10, max_qty=2))
        conn.execute(
            insert(Quota).values(week=monday, product_id=pid, tier_from=1, tier_to=10, customer_id=cid, max_qty=5)
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Quota).values(week=monday, product_id=pid, tier_from=1, tier_to=10, max_qty=3))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(Quota).values(week=monday, product_id=pid, tier_from=2, tier_to=3, customer_id=cid, max_qty=4)
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(Quota).values(week=monday, product_id=pid, tier_from=9, tier_to=3, max_qty=4))


def test_datetimes_come_back_aware_and_equal_on_both_backends(engine: Engine) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with engine.begin() as conn:
        conn.execute(insert(User).values(login="wang", name="王芳", role="order_taker", pin_hash="x", created_at=local))
    with engine.connect() as conn:
        stored = conn.execute(select(User.created_at)).scalar_one()  # type: ignore[call-overload]
    assert stored.tzinfo is not None
    assert stored == local
    assert stored.astimezone(UTC).hour == 1


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(sqlite_url: str) -> None:
    eng = make_engine(sqlite_url)
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    eng.dispose()


def test_db_status_and_upgrade_commands(db_url: str) -> None:
    before = run_cli("--db", db_url, "db", "status")
    assert before.exit_code == 0
    assert "revision: none" in before.stdout
    assert "run `telesales db upgrade`" in before.stdout
    up = run_cli("db", "upgrade", "--db", db_url)  # --db accepted after the command too
    assert up.exit_code == 0, up.stderr
    assert f"-> {migrate.head()}" in up.stdout
    after = run_cli("--db", db_url, "db", "status")
    assert f"revision: {migrate.head()} (head {migrate.head()}, current)" in after.stdout


def test_a_command_on_an_empty_database_migrates_it_first(sqlite_url: str) -> None:
    result = run_cli("--db", sqlite_url, "user", "add", "wang", "--name", "王芳", "--role", "order_taker",
                     input="1234\n")
    assert result.exit_code == 0, result.stderr
    assert migrate.current(make_engine(sqlite_url)) == migrate.head()


def test_a_schema_newer_than_this_version_is_refused(sqlite_url: str) -> None:
    eng = make_engine(sqlite_url)
    migrate.upgrade(eng)
    with eng.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    result = run_cli("--db", sqlite_url, "user", "add", "wang", "--name", "王芳", "--role", "order_taker",
                     input="1234\n")
    assert result.exit_code == 1
    assert "newer than this version of telesales knows" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_auto_upgrade_off_tells_the_user_to_upgrade(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_AUTO_UPGRADE", "false")
    result = run_cli("--db", sqlite_url, "user", "add", "wang", "--name", "王芳", "--role", "order_taker",
                     input="1234\n")
    assert result.exit_code == 1
    assert "run `telesales db upgrade`" in result.stderr
    assert migrate.current(make_engine(sqlite_url)) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", "cannot reach the database at postgresql+psycopg://nobody@"),
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/x", "is not supported"),
        ("sqlite:////no/such/folder/t.db", "folder /no/such/folder does not exist"),
    ],
)
def test_unusable_database_url_is_one_sentence_and_exit_1(url: str, expected: str) -> None:
    result = run_cli("--db", url, "db", "status")
    assert result.exit_code == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_database_url_from_environment(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_DATABASE_URL", sqlite_url)
    result = run_cli("db", "status")
    assert sqlite_url in result.stdout


def test_embedded_default_lives_in_the_data_dir(tmp_path: object) -> None:
    result = run_cli("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert "/data/telesales.db" in result.stdout
