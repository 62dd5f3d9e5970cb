"""`telesales calls queue|start|record|release`: thin shells over `orders.calls` and `orders.claims`, which own
the calling order, the status rules, the callback times and who holds a shop; this module parses arguments
and turns results into text, JSON and exit codes.

Every malformed value (an outcome, a date, a time, a duration) is parsed here or in `orders/` rather than by
Typer, so it exits 1 with a sentence, as the contract wants for bad input, not 2 with a usage dump.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import Engine

from orders.calls import CallError, QueueEntry, call_queue, queue_progress, record_call, start_call
from orders.claims import InCall, claim_of, lead_release
from tui.cli.actor import AsOption, acting, operator_for
from tui.cli.main import (
    EXIT_REFUSED,
    EXIT_USAGE,
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
from tui.cli.options import CustomerArgument, DayOption, parse_date, parse_moment
from tui.cli.text import table as aligned

calls_app = typer.Typer(help="The day's call list and call outcomes.", no_args_is_help=True)
app.add_typer(calls_app, name="calls")


def _calls_database(state: CliState) -> AbstractContextManager[Engine]:
    zone = state.settings().zone
    return database(
        state,
        {
            InCall: lambda exc: CliError(
                str(exc),
                kind=exc.kind,
                code=EXIT_REFUSED,
                in_call_by=exc.holder,
                since=exc.since.astimezone(zone).isoformat(timespec="seconds"),
            ),
            CallError: lambda exc: CliError(str(exc), kind=exc.kind),
        },
    )


def _parse_duration(raw: str) -> int:
    try:
        seconds = int(raw)
    except ValueError as exc:
        raise CliError(f"--duration {raw!r} is not a whole number of seconds") from exc
    if seconds < 0:
        raise CliError(f"--duration {seconds}: a call cannot last less than 0 seconds")
    return seconds


def _flags(entry: QueueEntry) -> str:
    flags = []
    if entry.open_ticket:
        flags.append("ticket")
    if entry.retention_risk:
        flags.append("falling")
    return ",".join(flags)


def _status(entry: QueueEntry, zone: ZoneInfo) -> str:
    if entry.in_call_by is not None and entry.since is not None:
        return f"in call: {entry.in_call_name or entry.in_call_by} since {entry.since.astimezone(zone):%H:%M}"
    if entry.status == "to_call":
        return "to call"
    return f"called: {entry.status}" + (" (done)" if entry.done else "")


@calls_app.command("queue")
def queue_cmd(
    ctx: typer.Context,
    day: DayOption = None,
    operator: Annotated[
        str | None, typer.Option("--operator", help="Only this order taker's customers; default the whole team.")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The day's call list: callbacks due at their time, then key customers, then the rest."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        zone = settings.zone
        wanted = parse_date(day, "--date")
        with _calls_database(state) as engine:
            entries = call_queue(engine, settings, day=wanted, operator=operator)
        if as_json:
            emit_json([e.as_json(zone) for e in entries])
            return
        done, due = queue_progress(entries)
        if not entries:
            typer.echo("no calls due")
            return
        table = [["#", "DUE", "CUSTOMER", "SHOP", "OWNER", "TIER", "STATUS", "LAST ORDER", "FLAGS"]]
        for n, e in enumerate(entries, 1):
            when = e.due_at.astimezone(zone).strftime("%H:%M") if e.due_at is not None else ""
            tier = f"{e.tier}*" if e.key_customer else str(e.tier)
            last = e.last_order.isoformat() if e.last_order else "-"
            table.append([str(n), when, e.customer, e.name, e.owner or "", tier, _status(e, zone), last, _flags(e)])
        typer.echo(aligned(table))
        typer.echo(f"done {done} / due {due}")


@calls_app.command("record")
def record_cmd(
    ctx: typer.Context,
    customer: CustomerArgument,
    outcome: Annotated[
        str,
        typer.Option("--outcome", help="ordered, no_answer, busy, closed, refused, wrong_number, callback_requested."),
    ],
    callback_at: Annotated[
        str | None, typer.Option("--callback-at", help="When to call back, ISO-8601 (needed for callback_requested).")
    ] = None,
    duration: Annotated[str | None, typer.Option("--duration", help="Length of the call in seconds.")] = None,
    operator: Annotated[
        str | None,
        typer.Option("--operator", help="Who made the call: a known login; default the --as login, else the shop's."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note on the call.")] = "",
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Record how a call ended; no answer and busy schedule a callback by themselves."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        zone = settings.zone
        when = parse_moment(callback_at, "--callback-at", zone)
        seconds = _parse_duration(duration) if duration is not None else None
        with _calls_database(state) as engine:
            who = operator_for(engine, acting(engine, state, actor), operator)
            record = record_call(
                engine, settings, customer, outcome, operator=who, duration_s=seconds, callback_at=when, note=note
            )
        if as_json:
            emit_json(record.as_json(zone))
            return
        line = f"call {record.call_id} recorded: {record.customer} {record.name} {record.outcome}"
        if record.callback_at is not None:
            line += f", call back {record.callback_at.astimezone(zone).isoformat(timespec='minutes')}"
        typer.echo(line)


OperatorOption = Annotated[
    str | None, typer.Option("--operator", help="Who makes the call: a known login; default the --as login.")
]


@calls_app.command("start")
def start_cmd(
    ctx: typer.Context,
    customer: CustomerArgument,
    operator: OperatorOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Claim the shop and open a call to it; refused (exit 3) while another order taker's call holds it."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        settings = state.settings()
        zone = settings.zone
        with _calls_database(state) as engine:
            who = operator_for(engine, acting(engine, state, actor), operator)
            if who is None:
                message = "calls start needs --operator (who makes the call) or --as"
                raise CliError(message, kind="usage", code=EXIT_USAGE)
            call_id = start_call(engine, customer, who, settings)
            claim = claim_of(engine, settings, customer)
        held = claim.since if claim is not None else None  # None only if a lead released it in between
        since = held.astimezone(zone).isoformat(timespec="seconds") if held is not None else None
        if as_json:
            emit_json({"call_id": call_id, "customer": customer, "operator": who, "since": since})
            return
        typer.echo(f"call {call_id} started: {customer} held by {who} since {since}")


@calls_app.command("release")
def release_cmd(
    ctx: typer.Context,
    customer: CustomerArgument,
    actor: AsOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """A shift lead (--as) or the administrator frees a shop held by a call (a terminal left open); audited.
    Exit 3 for an order taker."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        zone = state.settings().zone
        with _calls_database(state) as engine:
            released = lead_release(engine, customer, acting(engine, state, actor))
        if as_json:
            emit_json(
                {
                    "customer": customer,
                    "released": released is not None,
                    "in_call_by": released.operator if released is not None else None,
                    "since": released.since.astimezone(zone).isoformat(timespec="seconds") if released else None,
                }
            )
            return
        if released is None:
            typer.echo(f"shop {customer} was not held by a call; nothing to release")
        else:
            when = released.since.astimezone(zone).strftime("%H:%M")
            typer.echo(f"shop {customer} released from {released.name}'s call (held since {when})")
