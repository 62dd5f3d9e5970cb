"""`telesales import KIND FILE` and `telesales export orders --week DATE`: thin shells over `db.csv_import`
and `db.export`, which own the rules; this module only turns their outcomes into text and exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from db.csv_import import KINDS, ImportFileError, ImportRowErrors, check_source, import_file
from db.export import order_rows, write_atomically, write_orders_csv
from orders.clock import now
from orders.users import system_actor
from tui.cli.main import CliError, DbOption, app, cli_errors, open_database, state_of
from tui.cli.options import parse_week
from tui.cli.progress import progress_bar

MAX_LISTED = 50  # bad rows printed in full; a wrong export can fail every row, and 10,000 lines help nobody

export_app = typer.Typer(help="Write data out for the ERP.", no_args_is_help=True)
app.add_typer(export_app, name="export")


def _report_rows(exc: ImportRowErrors) -> None:
    for err in exc.errors[:MAX_LISTED]:
        typer.echo(f"{exc.file}:{err.line}: {err.reason}", err=True)
    more = exc.count - min(len(exc.errors), MAX_LISTED)
    if more > 0:
        typer.echo(f"... and {more} more bad rows", err=True)


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(metavar="KIND", help=f"What the file holds: {', '.join(KINDS)}.")],
    file: Annotated[str, typer.Argument(metavar="FILE", help="The CSV file (UTF-8, one header row).")],
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="The file's text encoding, e.g. gb18030 (default utf-8)."),
    ] = None,
    replace_week: Annotated[
        bool,
        typer.Option(
            "--replace-week",
            help="quotas and supply: each week in the file keeps only the file's rows (others of it are removed).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import a CSV file: every row is checked first, and one bad row imports nothing."""
    with cli_errors():
        try:
            # the file's own problems (unknown kind, missing, a device or a pipe) come first, whether or not the
            # database is reachable
            check_source(file, kind, encoding, replace_week)
        except ImportFileError as exc:
            raise CliError(str(exc)) from exc
        engine = open_database(state_of(ctx, db))
        try:
            with progress_bar() as progress:
                result = import_file(
                    engine,
                    kind,
                    file,
                    at=now(),
                    actor=system_actor().login,
                    encoding=encoding,
                    progress=progress,
                    replace_week=replace_week,
                )
        except ImportFileError as exc:
            raise CliError(str(exc)) from exc
        except ImportRowErrors as exc:
            _report_rows(exc)
            bad = exc.count
            raise CliError(
                f"{bad} bad row{'s' if bad != 1 else ''} of {exc.rows} in {exc.file}; nothing was imported",
                bad_rows=bad,
            ) from exc
        finally:
            engine.dispose()
        if kind == "history":
            typer.echo(f"imported {result.rows} history rows from {file}")
        else:
            typer.echo(f"imported {result.rows} {kind} rows from {file} ({result.new} new, {result.updated} updated)")
        for week, change in result.weeks.items():
            typer.echo(
                f"week {week.isoformat()} replaced: {change.added} added, {change.updated} updated, "
                f"{change.removed} removed"
            )


BAD_WEEK = "{option} {raw!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23"


@export_app.command("orders")
def export_orders(
    ctx: typer.Context,
    week: Annotated[str, typer.Option("--week", metavar="DATE", help="Any date in the week (YYYY-MM-DD).")],
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write here (atomically) instead of to stdout."),
    ] = None,
    db: DbOption = None,
) -> None:
    """The week's placed orders, one line per product, as CSV for the ERP."""
    with cli_errors():
        monday = parse_week(week, message=BAD_WEEK)
        state = state_of(ctx, db)
        zone = state.settings().zone
        target = Path(output) if output else None
        if target is not None and not target.parent.is_dir():
            raise CliError(f"cannot write {output}: folder {target.parent} does not exist")
        engine = open_database(state)
        try:
            rows = order_rows(engine, monday, zone)
            if target is None:
                write_orders_csv(rows, sys.stdout)
                return
            try:
                count = write_atomically(target, lambda fh: write_orders_csv(rows, fh))
            except OSError as exc:
                raise CliError(f"cannot write {output}: {exc.strerror or exc}") from exc
        finally:
            engine.dispose()
        typer.echo(f"exported {count} order lines of week {monday.isoformat()} to {output}")
