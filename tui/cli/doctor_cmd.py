"""`telesales doctor`: one line per check (ok, warn or fail) and what to do; exit 1 when anything fails.

The checks are `orders/doctor.py`; this module gets the settings and the engine without side effects (no
migration, no database file created) and prints."""

from __future__ import annotations

import typer

from db.engine import DatabaseUrlError, make_engine
from orders.doctor import Check, missing_database, run_checks
from tui.cli.main import EXIT_BAD_INPUT, CliError, DbOption, JsonOption, app, emit_json, state_of


@app.command("doctor")
def doctor(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Check the connection, schema, policy, clock difference and file permissions; say what to fix."""
    checks = _checks(ctx, db)
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        emit_json({"ok": not failed, "checks": [c.as_json() for c in checks]})
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            fix = f"; {c.fix}" if c.fix else ""
            typer.echo(f"{c.status:<4} {c.name.ljust(width)}  {c.message}{fix}")
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


def _checks(ctx: typer.Context, db: str | None) -> list[Check]:
    state = state_of(ctx, db)
    try:
        settings = state.settings()
    except CliError as exc:  # the terminal's own settings: nothing else can be checked without them
        return [Check("settings", "fail", exc.message, "fix the file or variable named")]
    missing = missing_database(settings)
    if missing is not None:
        return [missing]
    try:
        engine = make_engine(settings.resolved_database_url())
    except DatabaseUrlError as exc:
        return [Check("connection", "fail", str(exc))]
    try:
        return run_checks(engine, settings)
    finally:
        engine.dispose()
