"""`telesales customer assign CODE... --operator ID`: give shops to another order taker.

A thin shell over `orders.customers.assign_customers`, which owns the rule (all or nothing, a known and active
operator, one audit row per shop). Without `--as` the CLI acts as the database's administrator and is recorded
as `system:<OS user>`, the way the README says.
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from orders.customers import AssignError, assign_customers
from tui.cli.main import CliError, DbOption, JsonOption, app, cli_errors, database, emit_json, state_of

customer_app = typer.Typer(help="Shops: who calls them.", no_args_is_help=True)
app.add_typer(customer_app, name="customer")


def system_actor() -> str:
    """The audit's name for whoever runs the CLI without signing in: the database's administrator, by OS user."""
    try:
        user = getpass.getuser() or "unknown"
    except Exception:  # getuser raises when no user name is known (containers without a passwd entry)
        user = "unknown"
    return f"system:{user}"[:32]


def _refused(exc: AssignError) -> CliError:
    return CliError(str(exc), kind=exc.kind, **exc.details)


@customer_app.command("assign")
def assign(
    ctx: typer.Context,
    codes: Annotated[list[str], typer.Argument(metavar="CODE...", help="The shops' customer codes.")],
    operator: Annotated[str, typer.Option("--operator", metavar="ID", help="The order taker who gets them.")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Make ID the usual order taker of every shop named: all or nothing, and audited."""
    with cli_errors(as_json), database(state_of(ctx, db), {AssignError: _refused}) as engine:
        done = assign_customers(engine, codes, operator, actor=system_actor())
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
