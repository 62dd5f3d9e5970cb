"""`telesales user add|list|unlock|disable|enable|set-pin|set-role`: administering logins from a shell.

PINs come from standard input, never from an argument (it would sit in shell history and in the process list).
With `--as ID` the acting login's PIN is the first line read and a new PIN the next; on a terminal each is asked
for (a new one twice). Every rule (who may change whom) is in `orders.users`; every change is audited there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from orders.clock import now
from orders.users import (
    UserError,
    add_user,
    list_users,
    set_active,
    set_pin,
    set_role,
    unlock_user,
)
from tui.cli.actor import AsOption, acting, read_secret
from tui.cli.main import CliError, DbOption, JsonOption, app, cli_errors, database, emit_json, state_of
from tui.cli.text import table

user_app = typer.Typer(help="Logins: order takers, shift leads, admins.", no_args_is_help=True)
app.add_typer(user_app, name="user")

LoginArgument = Annotated[str, typer.Argument(metavar="ID", help="The login (operator ID).")]
_REFUSALS: dict[type[Exception], Callable[[Any], CliError]] = {UserError: lambda exc: CliError(str(exc), kind=exc.kind)}


@user_app.command("add")
def add(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(metavar="ID", help="Operator ID used to sign in.")],
    name: Annotated[str, typer.Option("--name", help="Name shown on screen and in scripts.")],
    role: Annotated[str, typer.Option("--role", help="order_taker, shift_lead or admin.")],
    actor: AsOption = None,
    db: DbOption = None,
) -> None:
    """Create a login; the PIN is read from standard input (asked twice on a terminal). A shift lead (--as) may
    add order takers; only an admin adds leads and admins."""
    with cli_errors():
        state = state_of(ctx, db)
        with database(state, _REFUSALS) as engine:
            by = acting(engine, state, actor)
            pin = read_secret("PIN: ", twice=True)
            add_user(engine, login, name, role, pin, by=by)
        typer.echo(f"user {login} ({role}) created")


@user_app.command("list")
def list_cmd(ctx: typer.Context, actor: AsOption = None, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Every login: role, whether it is disabled, and until when it is locked."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        zone = state.settings().zone
        with database(state, _REFUSALS) as engine:
            users = list_users(engine, by=acting(engine, state, actor))
        at = now()
        if as_json:
            emit_json([u.as_json(zone, at) for u in users])
            return
        rows = [["ID", "NAME", "ROLE", "STATUS", "LOCKED UNTIL"]]
        for u in users:
            locked = u.locked_until if u.locked(at) else None
            until = locked.astimezone(zone).strftime("%Y-%m-%d %H:%M") if locked is not None else ""
            rows.append([u.login, u.name, u.role, "enabled" if u.active else "disabled", until])
        typer.echo(table(rows))


@user_app.command("unlock")
def unlock_cmd(ctx: typer.Context, login: LoginArgument, actor: AsOption = None, db: DbOption = None) -> None:
    """End a login's lock at once (and forget its wrong PINs so far)."""
    with cli_errors():
        state = state_of(ctx, db)
        with database(state, _REFUSALS) as engine:
            was_locked = unlock_user(engine, login, by=acting(engine, state, actor))
        typer.echo(f"user {login} unlocked" if was_locked else f"user {login} was not locked; wrong PINs forgotten")


def _set_active(ctx: typer.Context, login: str, active: bool, actor: str | None, db: str | None) -> None:
    with cli_errors():
        state = state_of(ctx, db)
        with database(state, _REFUSALS) as engine:
            changed = set_active(engine, login, active, by=acting(engine, state, actor))
        word = "enabled" if active else "disabled"
        typer.echo(f"user {login} {word}" if changed else f"user {login} was already {word}")


@user_app.command("disable")
def disable_cmd(ctx: typer.Context, login: LoginArgument, actor: AsOption = None, db: DbOption = None) -> None:
    """Stop a login from signing in (TUI and --as); its history stays. A lead disables order takers only."""
    _set_active(ctx, login, False, actor, db)


@user_app.command("enable")
def enable_cmd(ctx: typer.Context, login: LoginArgument, actor: AsOption = None, db: DbOption = None) -> None:
    """Let a disabled login sign in again."""
    _set_active(ctx, login, True, actor, db)


@user_app.command("set-pin")
def set_pin_cmd(ctx: typer.Context, login: LoginArgument, actor: AsOption = None, db: DbOption = None) -> None:
    """Give a login a new PIN, read from standard input (asked twice on a terminal); it also ends a lock."""
    with cli_errors():
        state = state_of(ctx, db)
        with database(state, _REFUSALS) as engine:
            by = acting(engine, state, actor)
            set_pin(engine, login, read_secret(f"new PIN for {login}: ", twice=True, what="new PIN"), by=by)
        typer.echo(f"user {login}: PIN changed")


@user_app.command("set-role")
def set_role_cmd(
    ctx: typer.Context,
    login: LoginArgument,
    role: Annotated[str, typer.Argument(metavar="ROLE", help="order_taker, shift_lead or admin.")],
    actor: AsOption = None,
    db: DbOption = None,
) -> None:
    """Change a login's role; only an admin makes or unmakes shift leads and admins."""
    with cli_errors():
        state = state_of(ctx, db)
        with database(state, _REFUSALS) as engine:
            changed = set_role(engine, login, role, by=acting(engine, state, actor))
        typer.echo(f"user {login} is now {role}" if changed else f"user {login} was already {role}")
