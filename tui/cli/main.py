"""The Typer app, the global options, and the one place errors become messages and exit codes.

Exit codes (contract): 0 success, 1 bad input, 2 usage error (Typer's own), 3 refused by a business rule.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from db.engine import DatabaseUrlError, describe, make_engine
from db.migrate import SchemaError, ensure_current
from orders.clock import ClockError
from orders.settings import Settings, data_dir, load_settings
from orders.users import PermissionDenied

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3

app = typer.Typer(
    name="telesales",
    help="Telesales: the phone order taker's terminal assistant.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class CliError(Exception):
    """A failure the user can act on: one sentence, a machine-readable kind, an exit code."""

    def __init__(self, message: str, *, kind: str = "bad_input", code: int = EXIT_BAD_INPUT, **details: Any):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.code = code
        self.details = details


@dataclass
class CliState:
    """What the global options decided, shared with every command through Typer's context."""

    db_url: str | None = None
    lang: str | None = None
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(database_url=self.db_url, lang=self.lang)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise CliError(f"setting {where}: {first['msg']}") from exc
        return self._settings


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy database URL (also accepted before the command)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@app.callback(invoke_without_command=True)
def _global(
    ctx: typer.Context,
    db: DbOption = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en")] = None,
) -> None:
    """Start the TUI on the configured database when no command is given."""
    ctx.obj = CliState(db_url=db, lang=lang)
    if ctx.invoked_subcommand is None:
        from tui.cli.demo_cmd import run_tui

        with cli_errors():
            state: CliState = ctx.obj
            engine = open_database(state)
            run_tui(engine, state.settings())


def state_of(ctx: typer.Context, db: str | None = None, lang: str | None = None) -> CliState:
    """The global state, with a `--db` or `--lang` given after the command taking precedence."""
    state: CliState = ctx.obj if isinstance(ctx.obj, CliState) else CliState()
    if db is not None:
        state.db_url = db
        state._settings = None
    if lang is not None:
        state.lang = lang
        state._settings = None
    return state


def open_database(state: CliState, *, migrate: bool = True) -> Engine:
    """Connect, check the database answers, and bring its schema to head (or say how to)."""
    settings = state.settings()
    if settings.database_url is None:
        data_dir().mkdir(parents=True, exist_ok=True)  # the embedded default's folder may not exist yet
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        try:
            ensure_current(engine, auto_upgrade=settings.auto_upgrade)
        except OperationalError as exc:
            raise unreachable(engine, exc) from exc
    return engine


Refusals = Mapping[type[Exception], Callable[[Any], CliError]]  # a domain error class -> the CliError it becomes


@contextmanager
def database(state: CliState, refusals: Refusals | None = None) -> Iterator[Engine]:
    """Open the database for one command and always close it. A domain error named in `refusals` becomes the
    CliError its function makes (message, kind, exit code), so a command module says only that much."""
    engine = open_database(state)
    try:
        yield engine
    except Exception as exc:
        for kind, convert in (refusals or {}).items():
            if isinstance(exc, kind):
                raise convert(exc) from exc
        raise
    finally:
        engine.dispose()


def unreachable(engine: Engine, exc: DBAPIError) -> CliError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return CliError(f"cannot reach the database at {describe(engine)}: {reason}", kind="database_unreachable")


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


@contextmanager
def cli_errors(as_json: bool = False) -> Iterator[None]:
    """Turn every expected failure into one readable sentence (or a JSON error) and its exit code."""
    try:
        yield
    except CliError as exc:
        _fail(exc, as_json)
    except PermissionDenied as exc:
        _fail(CliError(str(exc), kind=exc.kind, code=EXIT_REFUSED, **exc.details), as_json)
    except (DatabaseUrlError, SchemaError, ClockError) as exc:
        _fail(CliError(str(exc), kind="database" if not isinstance(exc, ClockError) else "clock"), as_json)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        _fail(CliError(f"the database failed: {reason}", kind="database"), as_json)


def _fail(exc: CliError, as_json: bool) -> NoReturn:
    if as_json:
        emit_json({"error": exc.kind, "message": exc.message, **exc.details})
    else:
        typer.echo(f"telesales: {exc.message}", err=True)
    raise typer.Exit(exc.code)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("telesales: interrupted", err=True)
        sys.exit(130)
