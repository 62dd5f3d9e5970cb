"""`telesales script lint|render|list`: thin shells over `scripts_lib` (checking, rendering) and
`orders.script_context` (what a script may say about a shop today)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from orders.clock import now
from orders.script_context import PreparedScript, ScriptContextError, prepare_script
from orders.settings import Settings
from scripts_lib.lint import lint_paths
from scripts_lib.loader import ScriptLibrary, UnknownScript
from tui.cli.main import (
    EXIT_BAD_INPUT,
    CliError,
    DbOption,
    JsonOption,
    Refusals,
    app,
    cli_errors,
    database,
    emit_json,
    state_of,
)
from tui.cli.options import CustomerArgument, parse_date

script_app = typer.Typer(help="Call scripts: check them, and see how they read for a shop.", no_args_is_help=True)
app.add_typer(script_app, name="script")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@script_app.command("lint")
def lint_cmd(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Script files, or folders of *.yaml scripts.")],
    as_json: JsonOption = False,
) -> None:
    """Check call scripts: each problem as FILE:LINE: reason on stdout; exit 1 when there is any."""
    results = list(lint_paths(files))
    problems = [p for _path, found in results for p in found]
    if as_json:
        emit_json({"files": len(results), "problems": [p.as_json() for p in problems]})
    else:
        for problem in problems:
            typer.echo(str(problem))
    if problems:
        bad = sum(1 for _path, found in results if found)
        typer.echo(
            f"telesales: {_plural(len(problems), 'problem')} in {bad} of {_plural(len(results), 'file')}", err=True
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    if not as_json:
        typer.echo(f"ok: {_plural(len(results), 'script')}, no problems")


def _library(settings: Settings) -> ScriptLibrary:
    """The scripts in use; a deployment's file that fails lint is named on stderr and not used."""
    library = ScriptLibrary(settings.scripts_dir)
    for problem in library.problems:
        typer.echo(f"telesales: warning: {problem} (script refused; using the last good version)", err=True)
    return library


def _print(prepared: PreparedScript) -> None:
    ctx = prepared.context
    when = ctx.today.isoformat() if ctx.today else ""
    title = prepared.script.title.either(prepared.lang) or prepared.name
    typer.echo(f"{prepared.name}: {title} | {ctx.shop_code} {ctx.customer} | {when}")
    for n, step in enumerate(prepared.steps, 1):
        typer.echo("")
        typer.echo(f"{n}. {step.kind}" + (f" ({step.id})" if step.id != step.kind else ""))
        typer.echo(step.text)
        if step.hint:
            for line in step.hint.splitlines():
                typer.echo(f"  » {line}")


@script_app.command("render")
def render_cmd(
    ctx: typer.Context,
    customer: CustomerArgument,
    script: Annotated[
        str | None, typer.Option("--script", metavar="NAME", help="This script instead of the one that fits.")
    ] = None,
    day: Annotated[
        str | None, typer.Option("--date", metavar="DATE", help="As on this day (YYYY-MM-DD); default today.")
    ] = None,
    operator: Annotated[
        str | None, typer.Option("--operator", help="Login of the order taker; default the shop's usual one.")
    ] = None,
    inbound: Annotated[bool, typer.Option("--inbound", help="The shop is calling the complaint line.")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The call script as it reads for this customer today: the steps in order, with hints."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        at = now()
        if day is not None:
            at = datetime.combine(parse_date(day, "--date"), at.astimezone(settings.zone).timetz())
        library = _library(settings)
        refusals: Refusals = {
            ScriptContextError: lambda exc: CliError(str(exc)),
            UnknownScript: lambda exc: CliError(str(exc), kind="unknown_script", available=exc.known),
        }
        with database(state, refusals) as engine:
            prepared = prepare_script(
                engine, library, customer, settings=settings, at=at, operator=operator, script=script, inbound=inbound
            )
        if as_json:
            emit_json(prepared.as_json())
        else:
            _print(prepared)


@script_app.command("list")
def list_cmd(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The scripts in use and the file each was read from; refused files are named on stderr."""
    with cli_errors(as_json):
        settings = state_of(ctx).settings()
        library = _library(settings)
        rows = [
            {"script": name, "title": library.get(name).title.either(settings.lang), "file": str(library.source(name))}
            for name in library.names()
        ]
        if as_json:
            emit_json(rows)
            return
        for row in rows:
            typer.echo(f"{row['script']}\t{row['title']}\t{row['file']}")
