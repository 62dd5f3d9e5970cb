"""`telesales customer assign CODE... --operator ID`: give shops to another order taker.

A thin shell over `orders.customers.assign_customers`, which owns the rule (all or nothing, a known and active
operator, one audit row per shop). Without `--as` the CLI acts as the database's administrator and is recorded
as `system:<OS user>`; with `--as ID` the login signs in with its PIN from standard input and must be a shift lead
or admin (tui/cli/actor.py decides the actor for every command).
"""

from __future__ import annotations

from typing import Annotated

import typer

from orders.customers import AssignError, assign_customers
from tui.cli.actor import AsOption, acting
from tui.cli.main import CliError, DbOption, JsonOption, app, cli_errors, database, emit_json, state_of

customer_app = typer.Typer(help="Shops: who calls them.", no_args_is_help=True)
app.add_typer(customer_app, name="customer")


def _refused(exc: AssignError) -> CliError:
    return CliError(str(exc), kind=exc.kind, **exc.details)


@customer_app.command("assign")
def assign(
    ctx: typer.Context,
    codes: Annotated[list[str], typer.Argument(metavar="CODE...", help="The shops' customer codes.")],
    operator: Annotated[str, typer.Option("--operator", metavar="ID", help="The order taker who gets them.")],
    as_login: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Make ID the usual order taker of every shop named: all or nothing, and audited."""
    state = state_of(ctx, db)
    with cli_errors(as_json), database(state, {AssignError: _refused}) as engine:
        by = acting(engine, state, as_login)
        done = assign_customers(engine, codes, operator, actor=by.login, by=None if as_login is None else by)
        if as_json:
            emit_json(done.as_json())
            return
        moved = len(done.moved)
        typer.echo(f"{moved} shop{'s' if moved != 1 else ''} given to {done.operator}", nl=not done.unchanged)
        if done.unchanged:
            typer.echo(f" ({len(done.unchanged)} already {done.operator}'s)")
        for code, was in done.moved.items():
            typer.echo(f"  {code}: {was or '-'} -> {done.operator}")
        if done.planned_calls_moved:
            typer.echo(f"{done.planned_calls_moved} planned retention calls went with them")
