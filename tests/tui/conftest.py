"""Fixtures the screen tests share."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from tui.demo import SIZES, ensure_demo


@pytest.fixture
def demo_engine(sqlite_engine: Engine) -> Engine:
    """The small demo (about 200 shops, logins demo and lead) on a fresh SQLite database."""
    ensure_demo(sqlite_engine, ZoneInfo("Asia/Shanghai"), size=SIZES["small"], seed=1)
    return sqlite_engine
