"""The Typer app, the global options, and the one place errors become messages and exit codes.

Exit codes (contract): 0 success, 1 bad input, 2 usage error (Typer's own), 3 refused by a business rule.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, NoReturn

import typer
import typer.core
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from db.engine import DatabaseUrlError, describe, make_engine
from db.migrate import SchemaError, ensure_current
from db.private_files import private_dir
from orders.clock import ClockError, fixed_clock_requested
from orders.clock import now as clock_now
from orders.policy import Policy, PolicyError, load_policy, use_clock
from orders.policy import apply as apply_policy
from orders.settings import Settings, config_file, data_dir, load_settings, settings_error_text
from orders.users import PermissionDenied

EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3

class _TelesalesGroup(typer.core.TyperGroup):
    """The root command: refuses an argument holding NUL before any command reads it.

    No name, code, date or text of ours can hold NUL, PostgreSQL refuses it in any parameter (a lookup of a
    customer code with one fails as a driver error), and SQLite would store it. A real command line cannot even
    carry one, so only a program calling us in-process can send it; one check here covers every command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Any: Typer's click Context is private
        for arg in args:
            if "\x00" in arg:
                shown = repr(arg) if len(arg) <= 40 else repr(arg[:40]) + "…"
                error = CliError(f"the argument {shown} holds a NUL character, which no name, code, date or text may")
                _fail(error, as_json="--json" in args or "--stdin" in args)
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_TelesalesGroup,
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
    """What the global options decided, shared with every command through Typer's context.

    `settings()` is the one Settings object of the command; `open_database` lays the database's policy over
    that same object (see `orders.policy.apply`), so a command that took it before opening the database works by
    the policy too."""

    db_url: str | None = None
    lang: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    policy: Policy | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(database_url=self.db_url, lang=self.lang)
            except ValidationError as exc:
                raise CliError(settings_error_text(exc)) from exc
            except SettingsError as exc:  # a TELESALES_* variable that is not even the right shape (a list, a table)
                raise CliError(f"settings: {exc}; write lists as JSON, e.g. TELESALES_WORK_DAYS='[1,2,3,4,5]'") from exc
            except tomllib.TOMLDecodeError as exc:
                raise CliError(f"the settings file {config_file()} is not valid TOML: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise CliError(f"the settings file {config_file()} is not UTF-8 text") from exc
            except OSError as exc:
                raise CliError(f"cannot read the settings file {config_file()}: {exc.strerror or exc}") from exc
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


def open_database(
    state: CliState, *, migrate: bool = True, strict_policy: bool = True, check_clock: bool = True
) -> Engine:
    """Connect, check the database answers, and bring its schema to head (or say how to); then read the policy
    (one SELECT), lay it over the command's settings and register the clock it allows.

    `strict_policy=False` keeps going when a policy row is not valid (`config` must still open a database whose
    policy it is about to fix); `check_clock=False` does not refuse a TELESALES_NOW the database does not allow
    here and now (`config`, `doctor`, and `demo`, which turns it on), leaving that to the first reading of the
    clock. Without `migrate` (the `db` commands) nothing is read: the schema may be too old to have a policy."""
    settings = state.settings()
    if settings.database_url is None:
        private_dir(data_dir())  # the embedded default's folder may not exist yet; it holds PIN hashes
    engine = make_engine(settings.resolved_database_url())
    if migrate:
        try:
            ensure_current(engine, auto_upgrade=settings.auto_upgrade)
            state.policy = load_policy(engine, at_head=True)
            use_clock(engine, settings, state.policy)
        except DBAPIError as exc:
            raise unreachable(engine, exc) from exc
        try:
            apply_policy(settings, state.policy)
        except PolicyError:
            if strict_policy:
                raise
        if check_clock and fixed_clock_requested():
            clock_now()  # a TELESALES_NOW this database does not allow is refused before anything is done
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
    """The database cannot be used at all: a server that does not answer, or a file that is no database."""
    reason = _reason(exc)
    if isinstance(exc, OperationalError):
        return CliError(f"cannot reach the database at {describe(engine)}: {reason}", kind="database_unreachable")
    return CliError(f"cannot use the database at {describe(engine)}: {reason}", kind="database")


def _reason(exc: DBAPIError) -> str:
    """The driver's own first line, without SQLAlchemy's statement and parameters dump."""
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


@contextmanager
def cli_errors(as_json: bool = False) -> Iterator[None]:
    """The one boundary where every failure of a command becomes one readable sentence (or a JSON error) and
    its exit code. Known failures get their own words; anything else still ends as one sentence, exit 1, kind
    `internal`, never a traceback (a script reading stderr must not have to parse Python).

    Commands check what they can before the database sees it (ids, dates, names); the database branches here
    are for what only the database can say (a file that is no database, a server gone away)."""
    try:
        yield
    except CliError as exc:
        _fail(exc, as_json)
    except PolicyError as exc:
        if not as_json and not (len(exc.problems) == 1 and exc.problems[0] in exc.message):
            for line in exc.problems:
                typer.echo(line, err=True)
        _fail(CliError(exc.message, kind="bad_policy", problems=exc.problems), as_json)
    except PermissionDenied as exc:
        _fail(CliError(str(exc), kind=exc.kind, code=EXIT_REFUSED, **exc.details), as_json)
    except (DatabaseUrlError, SchemaError, ClockError) as exc:
        _fail(CliError(str(exc), kind="database" if not isinstance(exc, ClockError) else "clock"), as_json)
    except OperationalError as exc:
        _fail(CliError(f"the database failed: {_reason(exc)}", kind="database"), as_json)
    except DBAPIError as exc:
        refused = f"the database refused the command: {_reason(exc)}; nothing was changed"
        _fail(CliError(refused, kind="database"), as_json)
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise  # Typer's own exits and usage errors (exit 2) already speak the contract
    except OSError as exc:
        name = str(exc.filename) if exc.filename is not None else "a file"
        shown = name if len(name) <= 80 else name[:80] + "…"
        _fail(CliError(f"cannot use {shown}: {exc.strerror or exc}", kind="bad_input"), as_json)
    except Exception as exc:  # the last resort: a bug, said in one sentence rather than a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        message = f"internal error ({type(exc).__name__}{': ' + first if first else ''}); please report it"
        _fail(CliError(message, kind="internal"), as_json)


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
