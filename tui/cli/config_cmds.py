"""`telesales config show|set|import`: the policy every terminal shares, kept in the database.

The rules themselves (which keys, which values, who wins, that only an admin changes them) are `orders/policy.py`;
this module reads the command line and prints. Without `--as` the actor is the database's administrator,
recorded as `system:<OS user>`; with it, an admin's login and PIN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from orders.policy import Change, change_policy, entries, import_policy, parse_value, toml_literal, unset_policy
from orders.settings import POLICY_KEYS
from tui.cli.actor import AsOption, acting
from tui.cli.main import DbOption, JsonOption, app, cli_errors, emit_json, open_database, state_of

config_app = typer.Typer(help="The policy every terminal shares, kept in the database.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def show_cmd(ctx: typer.Context, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Every policy key, its value, and where the value comes from (database or default)."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        engine = open_database(state, check_clock=False)
        engine.dispose()
        assert state.policy is not None  # open_database read it
        shown = entries(settings, state.policy)
        if as_json:
            emit_json(
                {
                    "backend": state.policy.backend,
                    "policy": {
                        e.key: {
                            "value": e.value,
                            "source": e.source,
                            "updated_at": e.updated_at.isoformat() if e.updated_at else None,
                            "updated_by": e.updated_by,
                        }
                        for e in shown
                    },
                }
            )
            return
        # written as a TOML file would be, so `config show > policy.toml` can be edited and imported again
        lines = [(f"{e.key} = {toml_literal(e.value)}" if e.value is not None else f"# {e.key} =", e) for e in shown]
        width = max((len(text) for text, _ in lines if len(text) <= 40), default=0)  # a long table is not aligned to
        for text, e in lines:
            where = e.source
            if e.updated_at is not None:
                stamp = e.updated_at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
                where = f"{e.source}, {stamp} by {e.updated_by}"
            elif e.value is None:
                where = f"{e.source}: not set"
            typer.echo(f"{text.ljust(width)}  # {where}")


@config_app.command("set")
def set_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help=f"One of: {', '.join(POLICY_KEYS)}.")],
    value: Annotated[str, typer.Argument(metavar="VALUE", help='As in TOML: 16:30, "[1,2,3,4,5]", true, 总公司.')],
    as_: AsOption = None,
    db: DbOption = None,
) -> None:
    """Change one policy key for every terminal; the old and new values go to the audit log."""
    with cli_errors():
        parsed = parse_value(key, value)  # an unknown key is refused before the database is opened
        state = state_of(ctx, db)
        settings = state.settings()
        engine = open_database(state, strict_policy=False, check_clock=False)
        try:
            changes = change_policy(engine, settings, {key: parsed}, by=acting(engine, state, as_))
        finally:
            engine.dispose()
        if not changes:
            typer.echo(f"{key} is already {value}; nothing was changed")
            return
        _print_changes(changes)


@config_app.command("unset")
def unset_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help=f"One of: {', '.join(POLICY_KEYS)}.")],
    as_: AsOption = None,
    db: DbOption = None,
) -> None:
    """Remove the database's value of one policy key: every terminal goes back to the default (on SQLite, to
    its own file or environment first); audited."""
    with cli_errors():
        parse_key = key.strip()
        state = state_of(ctx, db)
        # the terminal's own values, taken before opening the database lays the policy over them in place:
        # on SQLite they are what an unset key falls back to
        own = state.settings().model_copy(deep=True)
        engine = open_database(state, strict_policy=False, check_clock=False)
        try:
            change = unset_policy(engine, own, parse_key, by=acting(engine, state, as_))
        finally:
            engine.dispose()
        if change is None:
            typer.echo(f"{parse_key} is not set in the database; nothing was changed")
            return
        typer.echo(f"{change.key}: {_literal(change.old)} -> {_literal(change.new)} (not set in the database)")


@config_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE.toml", help="policy keys as in config.toml")],
    as_: AsOption = None,
    db: DbOption = None,
) -> None:
    """Set every key of a TOML file at once: all of them or, when one is bad, none (each bad key is listed)."""
    with cli_errors():
        path = Path(file)
        state = state_of(ctx, db)
        settings = state.settings()
        engine = open_database(state, strict_policy=False, check_clock=False)
        try:
            changes = import_policy(engine, settings, path, by=acting(engine, state, as_))
        finally:
            engine.dispose()
        if not changes:
            typer.echo(f"the policy already is as {file} says; nothing was changed")
            return
        _print_changes(changes)
        typer.echo(f"{len(changes)} policy key{'s' if len(changes) != 1 else ''} changed from {file}")


def _print_changes(changes: list[Change]) -> None:
    for change in changes:
        typer.echo(f"{change.key}: {_literal(change.old)} -> {_literal(change.new)}")


def _literal(value: Any) -> str:
    return "(not set)" if value is None else toml_literal(value)

