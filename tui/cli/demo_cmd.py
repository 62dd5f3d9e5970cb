"""`telesales demo` and starting the TUI.

The demo goes into its own SQLite file unless `--db` names a database, so trying the demo can never touch the
user's real data; and a database that holds customers but no demo is refused before anything is written.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy import Engine

from db.engine import describe
from orders.settings import Settings
from orders.summary import Summary, summarize
from tui.cli.main import CliError, CliState, DbOption, app, cli_errors, open_database, state_of
from tui.cli.progress import progress_bar
from tui.demo import DEMO_PIN, SIZES, DemoError, demo_database_url, ensure_demo


class Size(StrEnum):
    small = "small"
    large = "large"


def run_tui(engine: Engine, settings: Settings) -> None:
    """Start the TUI; the language is set before the app module is imported, as its bindings require."""
    from tui.i18n import set_language

    set_language(settings.lang)
    from tui.app import TelesalesApp

    TelesalesApp(engine, settings).run()


def describe_summary(summary: Summary, database: str) -> list[str]:
    """The lines `--no-tui` prints: where the demo is and what it holds, so a script or a person can check."""
    users = ", ".join(f"{login} ({role})" for login, role in summary.users.items())
    history = f"{summary.history_lines:,} lines over {summary.history_weeks} weeks"
    if summary.first_order:
        history += f" ({summary.first_order} to {summary.last_order})"
    weeks = ", ".join(w.isoformat() for w in summary.quota_weeks)
    return [
        f"database:     {database}",
        f"today:        {summary.today.isoformat()}",
        f"products:     {summary.products} ({summary.discontinued} discontinued)",
        f"customers:    {summary.customers:,} ({summary.inactive_customers} inactive)",
        f"history:      {history}",
        f"users:        {len(summary.users)}: {users}",
        f"logins:       demo (order taker) and lead (shift lead), PIN {DEMO_PIN}",
        f"quotas:       {summary.quotas} rows (weeks {weeks})" if weeks else f"quotas:       {summary.quotas} rows",
        f"supply:       {summary.supply_rows} rows",
        f"open tickets: {summary.open_tickets} ({summary.overdue_tickets} overdue, "
        f"{summary.due_within_hour} due within the hour)",
    ]


@app.command("demo")
def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same demo.")] = 1,
    size: Annotated[Size, typer.Option("--size", help="small: ~200 customers; large: ~5,000.")] = Size.small,
    no_tui: Annotated[bool, typer.Option("--no-tui", help="Print where the demo is and what it holds; exit.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Replace an existing demo instead of reusing it.")] = False,
    db: DbOption = None,
) -> None:
    """Build a realistic demo database (its own file unless --db is given) and start the TUI on it."""
    with cli_errors():
        given = state_of(ctx, db)
        # The configured database (TELESALES_DATABASE_URL, config file) is deliberately not the default here.
        url = given.db_url or demo_database_url(size.value, seed)
        state = CliState(db_url=url, lang=given.lang)
        settings = state.settings()
        engine = open_database(state, check_clock=False)  # the demo turns clock_override on as it builds
        try:
            with progress_bar() as progress:
                result = ensure_demo(
                    engine, settings.zone, size=SIZES[size.value], seed=seed, rebuild=rebuild, progress=progress
                )
        except DemoError as exc:
            raise CliError(str(exc), kind="not_a_demo") from exc
        where = describe(engine)
        if result.built:
            typer.echo(f"built the {size.value} demo (seed {seed}) in {result.seconds:.1f} s")
        else:
            typer.echo(
                f"reusing the {result.meta.size} demo (seed {result.meta.seed}) built at {result.meta.built_at}; "
                "--rebuild starts afresh"
            )
        if no_tui:
            for line in describe_summary(summarize(engine, settings.zone), where):
                typer.echo(line)
            return
    run_tui(engine, settings)
