"""`telesales suggest CODE` and `telesales suggest --all`: the suggested order, with its reasons.

A thin shell over `orders.suggest_data` (the bulk read) and `orders.suggest` (the rules); this module only
parses arguments and prints.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, cast

import typer
from rich.cells import cell_len

from orders.suggest import Suggestion
from orders.suggest_data import UnknownCustomer, suggestions
from tui.cells import pad
from tui.cli.main import CliError, DbOption, JsonOption, Refusals, app, cli_errors, database, emit_json, state_of
from tui.cli.options import LangOption, WeekOption, parse_date, parse_week

BAD_DATE = "{option} {raw!r} is not a date (YYYY-MM-DD)"


def as_json(s: Suggestion) -> dict[str, Any]:
    return {
        "customer": s.customer,
        "week": s.week.isoformat(),
        "lines": [
            {"code": line.code, "name": line.name, "qty": line.qty, "reason": line.reason, "kind": line.kind}
            | ({"replaces": line.replaces} if line.replaces else {})
            for line in s.lines
        ],
        "short": [{"code": x.code, "name": x.name, "wanted": x.wanted, "reason": x.reason} for x in s.short],
    }


def _print_text(s: Suggestion, lang: str) -> None:
    head = f"{s.customer}  week of {s.week}" if lang == "en" else f"{s.customer}  {s.week} 当周建议"
    typer.echo(head)
    if not s.lines and not s.short:
        typer.echo("  no suggestion: no recent orders" if lang == "en" else "  暂无建议:近期没有订货记录")
    if s.lines:
        name_w = max(cell_len(line.name) for line in s.lines)
        for line in s.lines:
            typer.echo(f"  {line.code:<8} {pad(line.name, name_w)} {line.qty:>3}  {line.reason}")
    for x in s.short:
        typer.echo(f"  {x.code:<8} {x.name}  -  {x.reason}")


@app.command("suggest")
def suggest_cmd(
    ctx: typer.Context,
    customer: Annotated[str | None, typer.Argument(metavar="CUSTOMER_CODE", help="The shop's code.")] = None,
    all_customers: Annotated[
        bool, typer.Option("--all", help="Every active customer whose order day falls in the week.")
    ] = False,
    week: WeekOption = None,
    day: Annotated[
        str | None,
        typer.Option("--day", metavar="DATE", help="With --all: only the customers whose order day is DATE."),
    ] = None,
    lang: LangOption = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The suggested order for a customer's order in a week: whole cartons within quota and supply, each line
    with a reason to read out; same-price substitutes for what is short."""
    if customer is not None and all_customers:
        raise typer.BadParameter("give either CUSTOMER_CODE or --all, not both", param_hint="CUSTOMER_CODE")
    if customer is None and not all_customers:
        raise typer.BadParameter("missing: give a customer code, or --all", param_hint="CUSTOMER_CODE")
    with cli_errors(json_out):
        if day is not None and not all_customers:
            raise CliError("--day goes with --all")
        state = state_of(ctx, db, lang)
        settings = state.settings()
        language = cast(Literal["zh", "en"], settings.lang)
        monday = parse_week(week, message=BAD_DATE, kind="bad_date")
        order_day = parse_date(day, "--day", message=BAD_DATE, kind="bad_date")
        if order_day is not None and monday is None:
            monday = order_day
        if order_day is not None and monday is not None and not monday <= order_day < monday + timedelta(days=7):
            raise CliError("--day must fall in the week given by --week")  # before the database is touched
        unknown: Refusals = {UnknownCustomer: lambda exc: CliError(str(exc), kind="unknown_customer")}
        with database(state, unknown) as engine:
            made = suggestions(
                engine,
                settings,
                codes=[customer] if customer is not None else None,
                week=monday,
                weekday=order_day.isoweekday() if order_day is not None else None,
                lang=language,
            )
        for s in made:
            if json_out:
                emit_json(as_json(s))
            else:
                _print_text(s, language)
