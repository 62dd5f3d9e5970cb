"""`telesales order place|amend|cancel|show|list`: thin shells over `orders.placement`, which owns every rule
(quota, supply, cut-off, what counts as a bad line); this module only reads `CODE=QTY` arguments and turns
outcomes into text, JSON and exit codes.

`--operator` must be a known, enabled login; it defaults to the `--as` login, else the system actor
(`system:<OS user>`, the database's administrator: see `tui.cli.actor`).
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from contextlib import AbstractContextManager
from typing import Annotated

import typer
from sqlalchemy import Engine

from db.export import yuan
from orders.clock import now, week_of
from orders.placement import (
    BAD_QUANTITY,
    LineProblem,
    PlacedOrder,
    PlacementError,
    amend_order,
    cancel_order,
    get_order,
    orders_for_week,
    place_order,
)
from tui.cli.actor import AsOption, acting, operator_for
from tui.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_REFUSED,
    CliError,
    CliState,
    DbOption,
    JsonOption,
    app,
    cli_errors,
    database,
    emit_json,
    state_of,
)
from tui.cli.options import CustomerArgument, WeekOption, parse_week
from tui.cli.text import table

order_app = typer.Typer(help="Orders: place, amend, cancel, look up.", no_args_is_help=True)
app.add_typer(order_app, name="order")

_QTY = re.compile(r"[+-]?\d+", re.ASCII)

ItemsArgument = Annotated[
    list[str],
    typer.Argument(metavar="CODE=QTY", help="Product code and cartons, e.g. 901001=2 (each product once)."),
]
OperatorOption = Annotated[
    str | None,
    typer.Option("--operator", help="Who took the order: a known login; default the --as login, else system:<you>."),
]


def _operator(engine: Engine, state: CliState, actor: str | None, given: str | None) -> str:
    """The operator to record, once the `--as` login (if any) has signed in and `--operator` is a known login."""
    by = acting(engine, state, actor)
    return operator_for(engine, by, given) or by.login


def parse_items(items: list[str]) -> list[tuple[str, int]]:
    """`CODE=QTY` arguments as (code, cartons); every malformed one is named in one error.

    NFKC first, so a full-width ＝ or ３ typed with a Chinese input method reads as what the user meant. A
    quantity of 0 or below parses here and is refused by placement, the one authority on what a quantity is.
    """
    parsed: list[tuple[str, int]] = []
    bad: list[LineProblem] = []
    for raw in items:
        text = unicodedata.normalize("NFKC", raw).strip()
        code, sep, qty = text.rpartition("=")
        code, qty = code.strip(), qty.strip()
        if not sep or not code:
            bad.append(LineProblem(text, None, "bad_argument", text=f"'{raw}' is not CODE=QTY (e.g. 901001=2)"))
        elif not _QTY.fullmatch(qty):
            why = f"'{raw}': the quantity '{qty}' is not a whole number of cartons"
            bad.append(LineProblem(code, None, BAD_QUANTITY, text=why))
        else:
            parsed.append((code, int(qty)))
    if bad:
        raise CliError(
            "order not placed: " + "; ".join(p.text for p in bad),
            kind=bad[0].reason,
            lines=[p.as_json() for p in bad],
        )
    return parsed


def _placement_error(exc: PlacementError) -> CliError:
    code = EXIT_REFUSED if exc.refused else EXIT_BAD_INPUT
    details = {k: v for k, v in exc.as_json().items() if k not in ("error", "message")}
    return CliError(exc.message, kind=exc.kind, code=code, **details)


def _order_database(state: CliState) -> AbstractContextManager[Engine]:
    """Open the database for one order command; a refusal becomes its message, details and exit code."""
    return database(state, {PlacementError: _placement_error})


def _lines_table(order: PlacedOrder) -> str:
    rows = [["CODE", "NAME", "QTY", "PRICE"]]
    rows += [[ln.code, ln.name, str(ln.qty), yuan(ln.price_fen)] for ln in order.lines]
    return textwrap.indent(table(rows), "  ")


def _summary(order: PlacedOrder, verb: str) -> str:
    return (
        f"order {order.order_id} {verb}: {order.customer} {order.customer_name}, week {order.week.isoformat()}, "
        f"{len(order.lines)} lines, {order.cartons} cartons, {yuan(order.total_fen)} yuan"
    )


@order_app.command("place")
def place_cmd(
    ctx: typer.Context,
    customer: CustomerArgument,
    items: ItemsArgument,
    week: WeekOption = None,
    operator: OperatorOption = None,
    call: Annotated[int | None, typer.Option("--call", help="Id of the call the order was taken in.")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Place an order with every rule the TUI applies: quotas, the week's supply, the cut-off. All or nothing."""
    with cli_errors(as_json):
        lines = parse_items(items)
        # unbounded: placement names the weeks an order may be for (exit 3), which covers any date's week
        when = parse_week(week, bounded=False, lines=[])  # an order error always lists its lines, none here
        state = state_of(ctx, db)
        settings = state.settings()
        with _order_database(state) as engine:
            order = place_order(
                engine,
                settings,
                customer,
                lines,
                week=when,
                operator=_operator(engine, state, actor, operator),
                call_id=call,
            )
        if as_json:
            emit_json(order.as_json(settings.zone))
            return
        typer.echo(_summary(order, "placed"))
        typer.echo(_lines_table(order))


@order_app.command("amend")
def amend_cmd(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(metavar="ORDER_ID")],
    items: ItemsArgument,
    operator: OperatorOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Replace an order's lines before the cut-off; quota and supply follow the difference."""
    with cli_errors(as_json):
        lines = parse_items(items)
        state = state_of(ctx, db)
        settings = state.settings()
        with _order_database(state) as engine:
            order = amend_order(engine, settings, order_id, lines, operator=_operator(engine, state, actor, operator))
        if as_json:
            emit_json(order.as_json(settings.zone))
            return
        typer.echo(_summary(order, "amended"))
        typer.echo(_lines_table(order))


@order_app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(metavar="ORDER_ID")],
    operator: OperatorOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Cancel an order before the cut-off; its cartons go back to the quota and the week's supply."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        with _order_database(state) as engine:
            order = cancel_order(engine, settings, order_id, operator=_operator(engine, state, actor, operator))
        if as_json:
            emit_json(order.as_json(settings.zone))
            return
        typer.echo(f"order {order.order_id} cancelled: {order.customer}, week {order.week.isoformat()}")


@order_app.command("show")
def show_cmd(
    ctx: typer.Context,
    order_id: Annotated[int, typer.Argument(metavar="ORDER_ID")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One order with its lines and status."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        with _order_database(state) as engine:
            order = get_order(engine, order_id)
        if as_json:
            emit_json(order.as_json(settings.zone))
            return
        typer.echo(_summary(order, order.status))
        placed = order.placed_at.astimezone(settings.zone).isoformat(timespec="seconds")
        typer.echo(f"  placed {placed} by {order.operator}")
        typer.echo(_lines_table(order))


@order_app.command("list")
def list_cmd(
    ctx: typer.Context,
    customer: CustomerArgument,
    week: WeekOption = None,
    include_cancelled: Annotated[bool, typer.Option("--all", help="Show cancelled orders too.")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """A customer's orders in a week: what quotas count."""
    with cli_errors(as_json):
        when = parse_week(week, lines=[])
        state = state_of(ctx, db)
        settings = state.settings()
        monday = when or week_of(now().astimezone(settings.zone).date())
        with _order_database(state) as engine:
            orders = orders_for_week(engine, customer, monday, include_cancelled=include_cancelled)
        if as_json:
            emit_json([o.as_json(settings.zone) for o in orders])
            return
        if not orders:
            typer.echo(f"no orders for {customer} in the week of {monday.isoformat()}")
            return
        for order in orders:
            typer.echo(_summary(order, order.status))
            typer.echo(_lines_table(order))
