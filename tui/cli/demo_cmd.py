"""`telesales demo` and starting the TUI (in progress: being written in this session)."""

from __future__ import annotations

from sqlalchemy import Engine

from orders.settings import Settings


def run_tui(engine: Engine, settings: Settings) -> None:
    raise NotImplementedError("the TUI entry point is being written")
