"""`telesales match QUERY` and `telesales match --stdin`: what the brand matcher makes of a heard phrase.

A thin shell: the index is built from the database once per run (so `--stdin` pays for it once for any
number of phrases) and every rule lives in `orders.matching`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.cells import cell_len

from orders.match_data import UnknownCode, load_catalog, rank_context
from orders.matching import DEFAULT_LIMIT, MatchIndex, MatchResult, RankContext
from tui.cells import pad
from tui.cli.main import CliError, DbOption, JsonOption, app, cli_errors, emit_json, open_database, state_of


def _print_text(result: MatchResult) -> None:
    heard = f"  quantity: {result.quantity}" if result.quantity is not None else ""
    typer.echo(f"{result.query.strip()}{heard}")
    if result.note:
        typer.echo(f"  note: {result.note}")
    if not result.candidates:
        typer.echo("  no candidates")
        return
    code_w = max(cell_len(c.code) for c in result.candidates)
    name_w = max(cell_len(c.name) for c in result.candidates)
    for rank, cand in enumerate(result.candidates, 1):
        typer.echo(f"{rank:>3}  {pad(cand.code, code_w)}  {pad(cand.name, name_w)}  {cand.score:5.1f}")


@app.command("match")
def match_cmd(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(metavar="QUERY", help="The phrase as heard, e.g. 软中华两条.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many candidates to show.")] = DEFAULT_LIMIT,
    customer: Annotated[
        str | None, typer.Option("--customer", metavar="CODE", help="Rank this shop's usual products first.")
    ] = None,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read one phrase a line; print one JSON object a line.")
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show what the brand matcher makes of a heard phrase: candidates best first, and the cartons heard."""
    if stdin and query is not None:
        raise typer.BadParameter("give either QUERY or --stdin, not both", param_hint="QUERY")
    if not stdin and query is None:
        raise typer.BadParameter("missing: give the heard phrase, or --stdin", param_hint="QUERY")
    json_out = as_json or stdin
    with cli_errors(json_out):
        if limit < 1:
            raise CliError(f"--limit must be at least 1, not {limit}")
        engine = open_database(state_of(ctx, db))
        try:
            try:
                context: RankContext | None = rank_context(engine, customer) if customer is not None else None
            except UnknownCode as exc:
                raise CliError(str(exc), kind="unknown_customer") from exc
            index = MatchIndex.build(load_catalog(engine))
        finally:
            engine.dispose()
        if stdin:
            for line in sys.stdin:
                emit_json(index.match(line.rstrip("\r\n"), limit, context).as_json())
            return
        assert query is not None
        result = index.match(query, limit, context)
        if json_out:
            emit_json(result.as_json())
        else:
            _print_text(result)
