"""`telesales db upgrade|status`."""

from __future__ import annotations

import typer

from db import migrate
from db.engine import describe
from tui.cli.main import DbOption, app, cli_errors, open_database, state_of, unreachable

db_app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade(ctx: typer.Context, db: DbOption = None) -> None:
    """Migrate the database schema to the newest revision."""
    with cli_errors():
        engine = open_database(state_of(ctx, db), migrate=False)
        from sqlalchemy.exc import DBAPIError

        try:
            before = migrate.current(engine)
            migrate.upgrade(engine)
        except DBAPIError as exc:
            raise unreachable(engine, exc) from exc
        after = migrate.current(engine)
        if before == after:
            typer.echo(f"{describe(engine)}: already at {after} (head)")
        else:
            typer.echo(f"{describe(engine)}: upgraded {before or 'empty'} -> {after}")


@db_app.command("status")
def status(ctx: typer.Context, db: DbOption = None) -> None:
    """Show the database's schema revision and whether it is current."""
    with cli_errors():
        engine = open_database(state_of(ctx, db), migrate=False)
        from sqlalchemy.exc import DBAPIError

        try:
            rev = migrate.current(engine)
        except DBAPIError as exc:
            raise unreachable(engine, exc) from exc
        head = migrate.head()
        state = "current" if rev == head else ("empty: run `telesales db upgrade`" if rev is None else "behind")
        typer.echo(f"database: {describe(engine)}")
        typer.echo(f"revision: {rev or 'none'} (head {head}, {state})")
