"""`telesales ticket open|list|show|update`: thin shells over `orders.tickets`, which owns every rule; this
module turns outcomes into text, JSON and exit codes."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated

import typer
from sqlalchemy import Engine

from orders.clock import now
from orders.tickets import (
    Change,
    TicketError,
    TicketRefused,
    TicketRow,
    get_ticket,
    iso,
    list_tickets,
    open_ticket,
    reply_promise,
    update_ticket,
)
from tui.cli.actor import AsOption, acting, operator_for
from tui.cli.main import (
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
from tui.cli.options import CustomerArgument, parse_moment
from tui.cli.text import table as aligned

ticket_app = typer.Typer(help="Complaint tickets: log, list, follow up.", no_args_is_help=True)
app.add_typer(ticket_app, name="ticket")


def _cli_error(exc: TicketError) -> CliError:
    if isinstance(exc, TicketRefused):
        return CliError(str(exc), kind=exc.kind, code=EXIT_REFUSED, **exc.details)
    return CliError(str(exc), kind=exc.kind)


def _ticket_database(state: CliState) -> AbstractContextManager[Engine]:
    """Open the database for one ticket command; a rule's refusal becomes its message and exit code."""
    return database(state, {TicketError: _cli_error})


def _flag(row: TicketRow) -> str:
    if row.overdue:
        return "OVERDUE"
    if row.due_soon:
        return "due<1h"
    return ""


@ticket_app.command("open")
def open_cmd(
    ctx: typer.Context,
    customer: CustomerArgument,
    category: Annotated[str, typer.Option("--category", help="counterfeit, delivery_error, ... other.")],
    text: Annotated[str, typer.Option("--text", help="The complaint in the customer's words.")],
    operator: Annotated[
        str | None, typer.Option("--operator", help="Who took the complaint: a known login; default the --as login.")
    ] = None,
    product: Annotated[str | None, typer.Option("--product", help="Product code the complaint names.")] = None,
    order: Annotated[int | None, typer.Option("--order", help="Order id the complaint names.")] = None,
    call: Annotated[int | None, typer.Option("--call", help="Id of the call it came from.")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Log a complaint; prints the committed reply time to read out to the customer."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        with _ticket_database(state) as engine:
            by = acting(engine, state, actor)
            row = open_ticket(
                engine,
                customer,
                category,
                text,
                settings=settings,
                operator=operator_for(engine, by, operator) or by.login,
                product_code=product,
                order_id=order,
                call_id=call,
            )
        promise = reply_promise(row.due_at, settings.zone, lang=settings.lang)
        if as_json:
            emit_json({**row.as_json(settings.zone), "promise": promise})
            return
        repeat = f" (repeat of #{row.repeat_of})" if row.repeat_of is not None else ""
        typer.echo(f"ticket {row.ticket_id} opened{repeat}, due {iso(row.due_at, settings.zone)}")
        typer.echo(promise)


@ticket_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="Only this status, or 'all'; default: every ticket still open.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only tickets past their due time.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many, most urgent first.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The complaint queue, most urgent first."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        zone = state.settings().zone
        with _ticket_database(state) as engine:
            rows = list_tickets(engine, status=status, overdue=overdue, limit=limit)
        if as_json:
            emit_json([r.as_json(zone) for r in rows])
            return
        if not rows:
            typer.echo("no tickets")
            return
        table = [["ID", "CUSTOMER", "NAME", "CATEGORY", "STATUS", "DUE", "FLAG"]]
        for r in rows:
            due = r.due_at.astimezone(zone).strftime("%m-%d %H:%M")
            table.append([str(r.ticket_id), r.customer, r.customer_name, r.category, r.status, due, _flag(r)])
        typer.echo(aligned(table))


@ticket_app.command("show")
def show_cmd(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """One ticket with its full history."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        zone = settings.zone
        with _ticket_database(state) as engine:
            detail = get_ticket(engine, ticket_id)
        t = detail.ticket
        if as_json:
            emit_json({**t.as_json(zone), "history": [e.as_json(zone) for e in detail.events]})
            return
        lines = [
            f"ticket {t.ticket_id}  {t.customer} {t.customer_name}  {t.category}  {t.status}",
            f"due {iso(t.due_at, zone)} {_flag(t)}".rstrip(),
            f"opened {iso(t.opened_at, zone)} by {t.opened_by}",
            f"assigned to {t.assigned_to or '-'}, escalated to {t.escalated_to or '-'}",
        ]
        if t.repeat_of is not None:
            lines.append(f"repeat of #{t.repeat_of}")
        lines += ["", t.text, "", "history:"]
        for e in detail.events:
            move = f" {e.from_status or ''}→{e.to_status}" if e.to_status else ""
            lines.append(f"  {iso(e.at, zone)}  {e.actor}  {e.kind}{move}  {e.note}".rstrip())
        typer.echo("\n".join(lines))


@ticket_app.command("update")
def update_cmd(
    ctx: typer.Context,
    ticket_id: Annotated[int, typer.Argument(metavar="ID")],
    status: Annotated[str | None, typer.Option("--status", help="New status.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note for the history.")] = None,
    assign: Annotated[str | None, typer.Option("--assign", help="Give the ticket to this user.")] = None,
    escalate: Annotated[bool, typer.Option("--escalate", help="Escalate (needs --reason).")] = False,
    escalate_to: Annotated[
        str, typer.Option("--escalate-to", help="Who receives it: shift_lead (default) or an account manager.")
    ] = "shift_lead",
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why: needed to escalate or to move a due time.")
    ] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="New due time, ISO-8601 (shift leads only; needs --reason).")
    ] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Change a ticket; every change is kept in its history."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        zone = state.settings().zone
        change = Change(
            status=status,
            note=note,
            assign=assign,
            escalate_to=escalate_to if escalate else None,
            reason=reason,
            due=parse_moment(due, "--due", zone),
        )
        with _ticket_database(state) as engine:
            row, done = update_ticket(engine, ticket_id, change, actor=acting(engine, state, actor), at=now())
        if as_json:
            emit_json({**row.as_json(zone), "changes": done})
            return
        typer.echo(f"ticket {row.ticket_id}: {'; '.join(done) or 'nothing changed'}")
