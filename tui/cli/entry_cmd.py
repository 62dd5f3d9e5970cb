"""`telesales entry`: what a heard utterance does to a draft, the same rules the call screen's brand box runs.

A thin shell over `orders.entry`. The matcher is built once per run and each shop is read once, so a script
can replay a day of utterances through `--stdin` at the cost of one catalog load.

With `--stdin`, a bad line (malformed JSON, unknown customer or product, a quantity that is no whole number of
cartons) answers `{"error", "message", "line"}` on its own output line and the rest still runs, so outputs stay
one per input line; the exit code is then 1. A bad `--customer` or `--draft` stops before anything is read.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from sqlalchemy import Engine

from orders.entry import DraftItem, EntryResult, Shop, apply_utterance
from orders.match_data import UnknownCode, load_catalog, load_shop
from orders.matching import MatchIndex
from orders.quantity import MAX_CARTONS
from tui.cells import pad
from tui.cli.main import (
    EXIT_BAD_INPUT,
    CliError,
    DbOption,
    JsonOption,
    app,
    cli_errors,
    emit_json,
    open_database,
    state_of,
)


class _Shops:
    """Each customer's shop read once per run, however many lines name it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.known: dict[str | None, Shop] = {}

    def get(self, code: str | None) -> Shop:
        if code not in self.known:
            try:
                self.known[code] = load_shop(self.engine, code)
            except UnknownCode as exc:
                raise CliError(str(exc), kind="unknown_customer", customer=code) from exc
        return self.known[code]


def _draft(raw: Any, index: MatchIndex) -> tuple[DraftItem, ...]:
    """The draft as a script gives it: each code known, each quantity a whole number of cartons above 0."""
    if not isinstance(raw, list):
        raise CliError('"draft" must be a list of {"code", "qty"} objects', kind="bad_draft")
    out: list[DraftItem] = []
    seen: set[str] = set()
    for line in raw:
        if not isinstance(line, Mapping) or not isinstance(line.get("code"), str):
            raise CliError(
                'each draft line must be an object with a string "code" and an integer "qty"', kind="bad_draft"
            )
        code, qty = line["code"], line.get("qty")
        if index.product(code) is None:
            raise CliError(f"no product with code '{code}'", kind="unknown_product", code=code)
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 < qty <= MAX_CARTONS:
            raise CliError(
                f"quantity {qty!r} of {code} is not a whole number of cartons from 1 to {MAX_CARTONS}", kind="bad_qty"
            )
        if code in seen:
            raise CliError(f"the draft lists {code} twice", kind="bad_draft", code=code)
        seen.add(code)
        out.append(DraftItem(code, qty))
    return tuple(out)


def _parse_draft_options(values: Sequence[str], index: MatchIndex) -> tuple[DraftItem, ...]:
    lines: list[dict[str, Any]] = []
    for value in values:
        code, sep, qty = value.partition("=")
        if not sep or not qty.strip().lstrip("-").isdigit():
            raise CliError(f"--draft {value!r} is not CODE=QTY, e.g. 901002=3", kind="bad_draft")
        lines.append({"code": code.strip(), "qty": int(qty)})
    return _draft(lines, index)


def _request(raw: str, customer: str | None) -> tuple[str, str | None, Any]:
    """(text, customer, draft) of one input line: a JSON object, or plain text with an empty draft. A line that
    starts like JSON and is not a valid request is an error, never an utterance."""
    if not raw.lstrip().startswith(("{", "[")):
        return raw, customer, []
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CliError(f"not a JSON object: {exc.msg} at column {exc.colno}", kind="bad_json") from exc
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise CliError('the object needs a string "text"', kind="bad_json")
    who = data.get("customer")
    if who is not None and not isinstance(who, str):
        raise CliError('"customer" must be a string or null', kind="bad_json")
    return data["text"], who if who is not None else customer, data.get("draft", [])


def _print_text(result: EntryResult, names: Mapping[str, str]) -> None:
    typer.echo(result.text.strip())
    marks = {"add": "+", "set": "~", "remove": "-"}
    for c in result.changes:
        qty = f"{c.was} → {c.qty}" if c.op == "set" else f"{c.qty}" if c.op == "add" else f"(was {c.was})"
        also = f"  sounds like {c.confusable_with}" if c.confusable_with else ""
        typer.echo(f"  {marks[c.op]} {c.code}  {c.name}  {qty}   「{c.heard}」{also}")
    for u in result.unclear:
        options = ", ".join(f"{cand.code} {cand.name}" for cand in u.candidates[:3])
        typer.echo(f"  ? 「{u.heard}」 {u.reason}" + (f": {options}" if options else ""))
    if not result.changes and not result.unclear:
        typer.echo("  no change")
    if result.draft:
        width = max(cell_len(names.get(d.code, d.code)) for d in result.draft)
        typer.echo("draft:")
        for d in result.draft:
            typer.echo(f"  {d.code}  {pad(names.get(d.code, d.code), width)}  {d.qty:>4}")
    else:
        typer.echo("draft: empty")


@app.command("entry")
def entry_cmd(
    ctx: typer.Context,
    text: Annotated[
        str | None, typer.Argument(metavar="TEXT", help="What the shop owner said, as typed, e.g. 软中华三条 利群两条.")
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", metavar="CODE", help="The shop on the line: its habits and last order.")
    ] = None,
    draft: Annotated[
        list[str] | None, typer.Option("--draft", metavar="CODE=QTY", help="A line already in the draft (repeatable).")
    ] = None,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read one utterance (JSON object or plain text) a line; JSON out.")
    ] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Show what a heard utterance does to the draft: the draft after it, each change, and what was unclear."""
    if stdin and text is not None:
        raise typer.BadParameter("give either TEXT or --stdin, not both", param_hint="TEXT")
    if not stdin and text is None:
        raise typer.BadParameter("missing: give the heard utterance, or --stdin", param_hint="TEXT")
    json_out = as_json or stdin
    failed = False
    with cli_errors(json_out):
        engine = open_database(state_of(ctx, db))
        try:
            index = MatchIndex.build(load_catalog(engine))
            names = {p.code: p.name for p in index.products()}
            shops = _Shops(engine)
            shops.get(customer)  # an unknown --customer stops here, before any input is read
            if not stdin:
                assert text is not None
                before = _parse_draft_options(draft or [], index)
                result = apply_utterance(text, before, index, shops.get(customer))
                if json_out:
                    emit_json(result.as_json(names))
                else:
                    _print_text(result, names)
                return
            if draft:
                raise CliError("--draft goes with TEXT; with --stdin each line carries its draft")
            for number, raw in enumerate(sys.stdin, 1):
                try:
                    said, who, lines = _request(raw.rstrip("\r\n"), customer)
                    result = apply_utterance(said, _draft(lines, index), index, shops.get(who))
                except CliError as exc:
                    failed = True
                    emit_json({"error": exc.kind, "message": f"line {number}: {exc.message}", "line": number})
                    continue
                emit_json(result.as_json(names))
        finally:
            engine.dispose()
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)
