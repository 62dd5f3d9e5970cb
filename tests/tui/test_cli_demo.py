"""`telesales demo`: its own file, reused on the next run, and never poured into a real database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from db.engine import make_engine
from db.models import Customer, Ticket
from orders.clock import now
from orders.settings import data_dir
from tests.conftest import run_cli, table_snapshot


def test_no_tui_builds_its_own_file_and_says_what_it_holds() -> None:
    result = run_cli("demo", "--no-tui")
    assert result.exit_code == 0, result.stderr
    path = data_dir() / "demo-small-seed1.db"
    assert path.is_file()
    out = result.stdout
    assert str(path) in out
    assert "customers:    200" in out
    assert "products:     153" in out
    assert "over 30 weeks" in out
    assert "demo (order taker) and lead (shift lead), PIN 0000" in out
    assert "quotas:" in out and "supply:" in out
    assert "open tickets: 12" in out and "overdue" in out
    assert result.stderr == "", "no progress bar when stderr is not a terminal"


def test_second_run_reuses_the_demo_and_keeps_what_users_typed() -> None:
    assert run_cli("demo", "--no-tui", "--seed", "5").exit_code == 0
    engine = make_engine(f"sqlite:///{data_dir() / 'demo-small-seed5.db'}")
    with engine.begin() as conn:  # a complaint logged during the previous session
        at = now()
        conn.execute(
            insert(Ticket).values(customer_id=1, category="other", text="老板说下周出差", opened_by="demo",
                                  opened_at=at, due_at=at + timedelta(hours=8))
        )
    before = table_snapshot(engine)

    again = run_cli("demo", "--no-tui", "--seed", "5")
    assert again.exit_code == 0, again.stderr
    assert "reusing the small demo (seed 5)" in again.stdout
    assert "open tickets: 13" in again.stdout
    assert table_snapshot(engine) == before  # reused, not rebuilt: the ticket typed meanwhile is still there

    rebuilt = run_cli("demo", "--no-tui", "--seed", "5", "--rebuild")
    assert rebuilt.exit_code == 0
    assert "built the small demo" in rebuilt.stdout and "open tickets: 12" in rebuilt.stdout
    engine.dispose()


def test_refuses_a_database_with_real_customers(sqlite_url: str) -> None:
    assert run_cli("--db", sqlite_url, "db", "upgrade").exit_code == 0
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(insert(Customer).values(code="430102100001", name="福满多便利店", tier=6, order_weekday=2))
    before = table_snapshot(engine)
    for args in (("--db", sqlite_url, "demo", "--no-tui"), ("demo", "--db", sqlite_url, "--no-tui", "--rebuild")):
        result = run_cli(*args)
        assert result.exit_code == 1
        assert "not a demo database" in result.stderr
        assert result.stdout == ""
    assert table_snapshot(engine) == before
    engine.dispose()


def test_db_option_puts_the_demo_where_asked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mine.db'}"
    result = run_cli("demo", "--db", url, "--no-tui", "--seed", "2")
    assert result.exit_code == 0, result.stderr
    assert str(tmp_path / "mine.db") in result.stdout
    assert not (data_dir() / "demo-small-seed2.db").exists()
    other = run_cli("demo", "--db", url, "--no-tui", "--seed", "3")
    assert other.exit_code == 1 and "--rebuild" in other.stderr
