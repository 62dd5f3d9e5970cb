"""Fixtures the screen tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from tests.conftest import copy_sqlite


@pytest.fixture
def demo_engine(sqlite_url: str, demo_file: Path) -> Iterator[Engine]:
    """The small demo (about 200 shops, logins demo and lead, seed 1) on a fresh SQLite database: a copy of the
    one built once per test process (`demo_file`), with its own identity."""
    copy_sqlite(demo_file, sqlite_url)
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()
