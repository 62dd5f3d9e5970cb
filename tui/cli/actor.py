"""Who a command acts for, and who it records: the one place the CLI decides an actor.

Without `--as`, a command acts as the database's administrator: whoever can run it already holds the database
URL, so no role check could stop them, and pretending otherwise would only hide who did it. They are recorded
as `system:<OS user>`. With `--as ID`, the command acts for that login, and only once its PIN (read from standard
input, never from an argument) signs in as the TUI's login screen would: the same lockout, the same answer for
a wrong PIN and an unknown login, and the login's role decides what it may do.

`--operator` names who took an order, a complaint or a call; it must be a known, enabled login, so reports and
the ERP export never carry a name nobody can sign in as (or a spreadsheet formula). An order taker acting with
`--as` may name only themselves.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from sqlalchemy import Engine

from orders.users import (
    LoginError,
    PermissionDenied,
    SignedIn,
    UserError,
    authenticate,
    is_system,
    known_operator,
    system_actor,
)
from tui.cli.main import EXIT_REFUSED, CliError, CliState

AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="ID",
        help="Act as this login; its PIN is read from standard input. Without it: the database's administrator.",
    ),
]


def read_secret(prompt: str, *, twice: bool = False, what: str = "PIN") -> str:
    """One PIN from standard input: asked (twice when `twice`, for a new PIN) on a terminal, one line when piped.
    Never from an argument: it would sit in the shell history and the process list."""
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if twice and getpass.getpass(f"{prompt.rstrip(': ')} again: ") != first:
            raise CliError("the two PINs differ; nothing was saved")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CliError(f"no {what} on standard input; pipe it in, one line each, e.g. `echo 1234 | telesales ...`")
    return line.rstrip("\r\n")


def acting(engine: Engine, state: CliState, login: str | None) -> SignedIn:
    """The actor of one command: the system actor without `--as`, else the login once its PIN signs in. A wrong
    PIN, an unknown, locked or disabled login is refused (exit 3) before anything is changed."""
    if login is None:
        return system_actor()
    pin = read_secret(f"PIN for {login}: ", what=f"PIN for --as {login}")
    try:
        return authenticate(engine, state.settings(), login, pin)
    except LoginError as exc:
        raise CliError(str(exc), kind=exc.kind, code=EXIT_REFUSED) from exc


def operator_for(engine: Engine, actor: SignedIn, given: str | None) -> str | None:
    """The `--operator` to record, checked: a known, enabled login (exit 1 naming it otherwise). Without one, the
    `--as` login (None for the system actor: the command's own default applies). An order taker acting for
    themselves may not record work as someone else's (exit 3)."""
    if given is None:
        return None if is_system(actor) else actor.login
    try:
        login = known_operator(engine, given)
    except UserError as exc:
        raise CliError(str(exc), kind=exc.kind) from exc
    if actor.role == "order_taker" and login != actor.login:
        raise PermissionDenied(
            f"{actor.login} (order_taker) may record only their own work, not {login}'s",
            role=actor.role,
            allowed=("shift_lead", "admin"),
        )
    return login
