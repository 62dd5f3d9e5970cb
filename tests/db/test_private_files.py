"""What another local user can read: the data folder is 0700, the embedded database (PIN hashes, shops' phones)
and a draft's mirror file 0600 when telesales creates them, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from db.engine import make_engine
from db.private_files import create_private_file, private_dir
from orders.drafts import Draft, DraftLine, DraftStore
from tests.conftest import run_cli


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _open_umask() -> Iterator[None]:
    """The usual desktop umask, under which plain mkdir and SQLite make 0755 folders and 0644 files."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_default_database_and_its_folder_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "home" / "share" / "telesales"
    monkeypatch.setenv("TELESALES_DATA_DIR", str(data))
    result = run_cli("config", "show")
    assert result.exit_code == 0, result.stderr
    assert mode(data) == 0o700 and mode(data.parent) == 0o700  # the folders created for it too
    assert mode(data / "telesales.db") == 0o600


def test_sqlite_files_are_created_private_with_their_journal(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with engine.connect() as conn:
        conn.execute(text("SELECT x FROM t")).all()
        assert mode(path) == 0o600
        wal = Path(f"{path}-wal")
        assert wal.exists() and mode(wal) == 0o600  # SQLite gives the journal the database file's mode
    engine.dispose()


def test_an_existing_file_or_folder_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o750)
    os.chmod(shared, 0o750)
    assert private_dir(shared) == shared and mode(shared) == 0o750
    (shared / "db").write_bytes(b"")
    os.chmod(shared / "db", 0o640)
    assert not create_private_file(shared / "db") and mode(shared / "db") == 0o640


def test_a_drafts_mirror_is_private(tmp_path: Path) -> None:
    root = tmp_path / "data" / "drafts"
    store = DraftStore(root)
    store.save(Draft(operator="wang", customer="C1", lines=[DraftLine(code="A", name="中华", qty=2, price_fen=58350)]))
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files and all(mode(p) == 0o600 for p in files)
    assert mode(root) == 0o700 and mode(root.parent) == 0o700
