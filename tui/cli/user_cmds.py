"""`telesales user add`: the PIN comes from standard input, never from an argument (it would sit in shell
history and in the process list)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from orders.users import UserError, add_user
from tui.cli.main import CliError, DbOption, app, cli_errors, open_database, state_of

user_app = typer.Typer(help="Logins: order takers, shift leads, admins.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _read_pin() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("PIN: ")
        second = getpass.getpass("PIN again: ")
        if first != second:
            raise CliError("the two PINs differ; nothing was saved")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CliError("no PIN on standard input; pipe it in, e.g. `echo 1234 | telesales user add ...`")
    return line.rstrip("\r\n")


@user_app.command("add")
def add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(metavar="ID", help="Operator ID used to sign in.")],
    name: Annotated[str, typer.Option("--name", help="Name shown on screen and in scripts.")],
    role: Annotated[str, typer.Option("--role", help="order_taker, shift_lead or admin.")],
    db: DbOption = None,
) -> None:
    """Create a login; the PIN is read from standard input (asked twice on a terminal)."""
    with cli_errors():
        pin = _read_pin()
        engine = open_database(state_of(ctx, db))
        try:
            add_user(engine, login, name, role, pin)
        except UserError as exc:
            raise CliError(str(exc)) from exc
        typer.echo(f"user {login} ({role}) created")
