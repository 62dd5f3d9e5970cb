"""`telesales audit [--since DATETIME] [--user ID] [--json]`: the audit rows, newest last.

A thin shell over `orders.audit.audit_rows`. Times are shown on the centre's clock; `--since` is read like every
other moment option (`tui.cli.options.parse_moment`: ISO-8601, without an offset on the centre's clock). The
details are printed as compact JSON, which also escapes any control character a stored value might hold, so a
listing can never act on the terminal that shows it.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from orders.audit import audit_rows
from tui.cli.main import DbOption, JsonOption, app, cli_errors, database, emit_json, state_of
from tui.cli.options import parse_moment


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


@app.command("audit")
def audit_cmd(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATETIME", help="Only rows at or after this ISO-8601 time (or date)."),
    ] = None,
    user: Annotated[str | None, typer.Option("--user", metavar="ID", help="Only rows this actor wrote.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The audit rows (time, actor, action, details), oldest first, newest last."""
    with cli_errors(as_json):
        state = state_of(ctx, db)
        zone = state.settings().zone
        start = parse_moment(since, "--since", zone)
        with database(state) as engine:
            rows = audit_rows(engine, since=start, actor=user)
            if as_json:
                emit_json([r.as_json(r.at.astimezone(zone).isoformat(timespec="seconds")) for r in rows])
                return
            for r in rows:
                on = f"{r.entity}:{r.entity_id}" if r.entity_id else r.entity
                details = json.dumps(r.details, ensure_ascii=False, separators=(",", ":"))
                when = r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
                typer.echo(_printable(f"{when}  {r.actor}  {r.action}  {on}  {details}"))
