"""Hostile invocations of every command: no traceback, a documented exit code, and a database left as it was.

The contract (interfaces.md) promises one readable sentence (or a JSON error) and exit 1 for bad input, 3 for a
business rule, 2 for a usage error, whatever is typed. This table drives the real CLI in-process with empty,
huge, control-character, NUL, emoji and SQL-injection values, numbers past any column's range, dates at the
calendar's edges, broken settings and files that are no database, on SQLite and on PostgreSQL. Each backend gets
ONE small database for the whole module (built through the public import path), so the table stays fast; a row
that wrote anything would show up in the snapshot comparison. Add a row for every new command or option.
"""

from __future__ import annotations

import json
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from db.csv_import import import_file
from db.engine import make_engine
from orders.calls import record_call
from orders.placement import place_order
from orders.settings import Settings
from orders.tickets import open_ticket
from orders.users import add_user
from tests.conftest import FIXED_NOW, PG_ADMIN_URL, _pg_admin_engine, prepared_database, table_snapshot

EMPTY = ""
HUGE = "x" * 10_000
CONTROL = "a\x01\x1b[31mb\x7f\r"
NUL = "C1\x00"
EMOJI = "🚬😀"
SQL = "C1'; DROP TABLE customer; --"
BIG = "99999999999999999999"  # past any 64-bit column
INT32 = "2147483648"  # one past PostgreSQL's integer
LONG41 = "o" * 41  # past every varchar(32) column
DATE_MAX = "9999-12-31"
DATE_MIN = "0001-01-01"

FILES = {
    "catalog": "code,name,price_per_carton,status\nA,中华(软),583.50,active\nB,玉溪(软),230.50,active\n",
    "customers": "code,name,tier,order_weekday,operator\nC1,张记小卖部,5,1,wang\nC2,李记超市,20,3,wang\n",
    "quotas": "week,product_code,tier_from,tier_to,max_qty\n2026-11-23,A,1,30,3\n",
    "supply": "week,product_code,total_qty\n2026-11-23,B,5\n",
}


@dataclass(frozen=True)
class Case:
    """One hostile invocation and the exit code the contract gives it.

    `args` may hold `{db}` (the module's database URL) and `{dir}` (a folder of prepared files); without `{db}`
    the URL is given as the global `--db`. `kind` is the JSON error kind expected when `--json` is among the args.
    """

    args: tuple[str, ...]
    code: int
    kind: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    stdin: str | None = None
    name: str = ""

    @property
    def id(self) -> str:
        if self.name:
            return self.name
        words = [*(f"{k}={v}" for k, v in self.env.items()), *self.args]
        shown = " ".join(a if len(a) <= 24 else a[:20] + "…" for a in words)
        return shown.encode("unicode_escape").decode("ascii")


def c(*args: str, code: int, kind: str | None = None, name: str = "", stdin: str | None = None, **env: str) -> Case:
    return Case(tuple(args), code, kind, dict(env), stdin, name)


OPEN_X = ("ticket", "open", "C1", "--category", "other", "--text", "x")  # a complaint that would be taken

HOSTILE_TEXTS = {"empty": EMPTY, "huge": HUGE, "control": CONTROL, "nul": NUL, "emoji": EMOJI, "sql": SQL}


def _each_text(
    make: Any, code: int, kind: str | None = None, skip: tuple[str, ...] = (), stdin: str | None = None
) -> list[Case]:
    """The same invocation with each hostile text in one place. NUL is refused before any command reads its
    arguments (exit 1, `bad_input`), whatever the command would make of the rest."""
    return [
        Case(
            tuple(make(value)),
            1 if label == "nul" else code,
            "bad_input" if label == "nul" else kind,
            stdin=stdin,
            name=f"{make(label)[0]}:{'/'.join(make(label)[1:3])}:{label}",
        )
        for label, value in HOSTILE_TEXTS.items()
        if label not in skip
    ]


CASES: list[Case] = [
    # ---------------------------------------------------------------- match
    *_each_text(lambda v: ("match", v, "--json"), 0),
    c("match", "中华", "--limit", "0", code=1),
    c("match", "中华", "--limit", "-5", "--json", code=1, kind="bad_input"),
    c("match", "中华", "--limit", BIG, code=0),
    c("match", "中华", "--limit", "abc", code=2),
    c("match", "中华", "--customer", SQL, "--json", code=1, kind="unknown_customer"),
    c("match", "中华", "--customer", HUGE, code=1),
    c("match", "中华", "--customer", EMPTY, code=1),
    c("match", code=2),
    c("match", "x", "--stdin", code=2),
    c("match", "--stdin", stdin=f"{HUGE}\n{SQL}\n{CONTROL}\n\n", code=0),
    c("match", "中华", "--bogus", code=2),
    # ---------------------------------------------------------------- entry
    *_each_text(lambda v: ("entry", v, "--json"), 0),
    c("entry", "中华两条", "--customer", SQL, "--json", code=1, kind="unknown_customer"),
    c("entry", "中华两条", "--customer", LONG41, code=1),
    c("entry", "中华两条", "--draft", f"A={BIG}", "--json", code=1, kind="bad_qty"),
    c("entry", "中华两条", "--draft", "A=-1", code=1),
    c("entry", "中华两条", "--draft", "ZZZ=1", code=1),
    c("entry", "中华两条", "--draft", EMOJI, code=1),
    c("entry", "--stdin", stdin=f'{{"text": 5}}\n{{"text": "a", "draft": [{{"code": "A", "qty": {BIG}}}]}}\n', code=1),
    c("entry", "--stdin", stdin='{"text": "x", "customer": "\\u0000"}\n[1,2]\n{bad\n', code=1),
    c("entry", code=2),
    # ---------------------------------------------------------------- suggest
    *_each_text(lambda v: ("suggest", v, "--json"), 1, "unknown_customer"),
    c("suggest", "C1", "--week", DATE_MAX, "--json", code=1, kind="bad_date"),
    c("suggest", "C1", "--week", DATE_MIN, code=1),
    c("suggest", "C1", "--week", "9999-12-27", code=1),
    c("suggest", "C1", "--week", "0000-01-01", code=1),
    c("suggest", "C1", "--week", "2026-02-30", code=1),
    c("suggest", "C1", "--week", EMOJI, code=1),
    c("suggest", "--all", "--week", DATE_MAX, code=1),
    c("suggest", "--all", "--day", DATE_MIN, code=1),
    c("suggest", "--all", "--day", "2026-11-23", "--week", "2027-01-04", code=1),
    c("suggest", "C1", "--all", code=2),
    c("suggest", code=2),
    c("suggest", "C1", "--lang", "fr", code=1),
    c("suggest", "C1", "--day", "2026-11-23", code=1),
    # ---------------------------------------------------------------- order place
    *_each_text(lambda v: ("order", "place", v, "A=1", "--json"), 1, "unknown_customer"),
    *_each_text(lambda v: ("order", "place", "C1", v, "--json"), 1),
    c("order", "place", "C1", f"A={BIG}", "--json", code=1, kind="bad_quantity"),
    c("order", "place", "C1", "A=0", code=1),
    c("order", "place", "C1", "A=-3", code=1),
    c("order", "place", "C1", "A=1", "A=2", code=1),
    c("order", "place", "C1", "A=4", "--json", code=3, kind="quota_exceeded"),
    c("order", "place", "C1", "B=6", code=3),
    c("order", "place", "C1", "A=1", "--week", "9999-12-27", "--json", code=3, kind="week_out_of_range"),
    c("order", "place", "C1", "A=1", "--week", DATE_MAX, "--json", code=3, kind="week_out_of_range"),
    c("order", "place", "C1", "A=1", "--week", DATE_MIN, "--json", code=3, kind="cutoff_passed"),
    c("order", "place", "C1", "A=1", "--week", "2027-06-07", code=3),
    c("order", "place", "C1", "A=1", "--week", "2026-11-16", code=3),
    c("order", "place", "C1", "A=1", "--week", "2026-13-01", code=1),
    c("order", "place", "C1", "A=1", "--operator", LONG41, "--json", code=1, kind="unknown_operator"),
    c("order", "place", "C1", "A=1", "--operator", "=2+5", "--json", code=1, kind="unknown_operator"),
    c("order", "place", "C1", "A=1", "--operator", "nobody", code=1),
    c("order", "place", "C1", "A=1", "--operator", EMPTY, code=1),
    c("order", "place", "C1", "A=1", "--operator", CONTROL, code=1),
    c("order", "place", "C1", "A=1", "--operator", "wang\x00", code=1),
    c("order", "place", "C1", "A=1", "--operator", HUGE, code=1),
    c("order", "place", "C1", "A=1", "--call", "424242", "--json", code=1, kind="unknown_call"),
    c("order", "place", "C1", "A=1", "--call", BIG, code=1),
    c("order", "place", "C1", "A=1", "--call", INT32, code=1),
    c("order", "place", "C1", "A=1", "--call", "x", code=2),
    c("order", "place", "C1", code=2),
    c("order", "place", code=2),
    c("order", "place", "C1", "A=1", "--frobnicate", code=2),
    # ---------------------------------------------------------------- order amend / cancel / show / list
    c("order", "amend", "424242", "A=1", "--json", code=1, kind="unknown_order"),
    c("order", "amend", BIG, "A=1", code=1),
    c("order", "amend", INT32, "A=1", code=1),
    c("order", "amend", "1", "A=0", code=1),
    c("order", "amend", "1", f"A={BIG}", code=1),
    c("order", "amend", "1", "ZZZ=1", code=1),
    c("order", "amend", "1", "A=9", code=3),
    c("order", "amend", "1", "A=1", "--operator", LONG41, code=1),
    c("order", "amend", "x", "A=1", code=2),
    c("order", "cancel", "424242", "--json", code=1, kind="unknown_order"),
    c("order", "cancel", BIG, code=1),
    c("order", "cancel", INT32, "--json", code=1, kind="unknown_order"),
    c("order", "cancel", "1", "--operator", LONG41, code=1),
    c("order", "cancel", "1", "--operator", EMPTY, code=1),
    c("order", "cancel", EMOJI, code=2),
    c("order", "show", BIG, "--json", code=1, kind="unknown_order"),
    c("order", "show", INT32, code=1),
    c("order", "show", "0", code=1),
    c("order", "show", "-1", code=2),
    c("order", "show", EMPTY, code=2),
    c("order", "show", SQL, code=2),
    c("order", "show", code=2),
    *_each_text(lambda v: ("order", "list", v, "--json"), 1, "unknown_customer"),
    c("order", "list", "C1", "--week", DATE_MAX, code=1),
    c("order", "list", "C1", "--week", DATE_MIN, code=1),
    c("order", "list", "C1", "--week", CONTROL, code=1),
    c("order", "frobnicate", code=2),
    # ---------------------------------------------------------------- ticket open
    *_each_text(lambda v: ("ticket", "open", v, "--category", "other", "--text", "x", "--json"), 1),
    *_each_text(lambda v: ("ticket", "open", "C1", "--category", v, "--text", "x"), 1),
    c("ticket", "open", "C1", "--category", "other", "--text", EMPTY, code=1),
    c(*OPEN_X, "--order", "424242", "--json", code=1, kind="unknown_order"),
    c(*OPEN_X, "--order", BIG, code=1),
    c(*OPEN_X, "--order", INT32, code=1),
    c(*OPEN_X, "--call", "424242", "--json", code=1, kind="unknown_call"),
    c(*OPEN_X, "--call", BIG, code=1),
    c(*OPEN_X, "--product", "ZZZ", code=1),
    c(*OPEN_X, "--product", HUGE, code=1),
    c(*OPEN_X, "--operator", LONG41, code=1),
    c(*OPEN_X, "--operator", CONTROL, code=1),
    c(*OPEN_X, "--operator", EMPTY, code=1),
    c("ticket", "open", "C1", "--category", "other", code=2),
    c("ticket", "open", "C1", "--text", "x", code=2),
    # ---------------------------------------------------------------- ticket list / show / update
    c("ticket", "list", "--limit", "9999999999999999999", "--json", code=0),
    c("ticket", "list", "--limit", "0", code=2),
    c("ticket", "list", "--limit", "x", code=2),
    *_each_text(lambda v: ("ticket", "list", "--status", v, "--json"), 1, skip=("empty",)),
    c("ticket", "list", "--status", EMPTY, code=1),
    c("ticket", "show", BIG, "--json", code=1, kind="unknown_ticket"),
    c("ticket", "show", INT32, code=1),
    c("ticket", "show", "424242", code=1),
    c("ticket", "show", "0", code=1),
    c("ticket", "show", SQL, code=2),
    c("ticket", "update", "424242", "--note", "x", "--json", code=1, kind="unknown_ticket"),
    c("ticket", "update", BIG, "--note", "x", code=1),
    c("ticket", "update", INT32, "--status", "closed", code=1),
    *_each_text(lambda v: ("ticket", "update", "1", "--status", v), 1),
    c("ticket", "update", "1", "--due", DATE_MAX + "T23:59:59-12:00", code=1),
    c("ticket", "update", "1", "--due", DATE_MIN + "T00:00:00+14:00", code=1),
    c("ticket", "update", "1", "--due", "0001-01-01T00:00:00", code=1),
    c("ticket", "update", "1", "--due", EMOJI, code=1),
    c("ticket", "update", "1", "--due", "2026-11-24T10:00:00+08:00", "--as", "nobody", code=1),
    c("ticket", "update", "1", "--due", "2026-11-24T10:00:00+08:00", "--as", "wang", "--reason", "x", stdin="1234\n",
      code=3),
    c("ticket", "update", "1", "--due", "2026-11-24T10:00:00+08:00", code=1),  # no --reason
    c("ticket", "update", "1", "--note", "x", "--as", "wang", code=1),  # no PIN on standard input
    c("ticket", "update", "1", "--assign", LONG41, code=1),
    c("ticket", "update", "1", "--assign", SQL, code=1),
    c("ticket", "update", "1", "--as", LONG41, "--note", "x", code=1),
    c("ticket", "update", "1", "--as", CONTROL, "--note", "x", code=1),
    c("ticket", "update", "1", "--escalate", code=1),
    c("ticket", "update", "1", "--escalate", "--reason", "r", "--escalate-to", CONTROL, code=1),
    c("ticket", "update", "x", code=2),
    # ---------------------------------------------------------------- calls
    c("calls", "queue", "--date", DATE_MAX, "--json", code=1, kind="bad_input"),
    c("calls", "queue", "--date", DATE_MIN, code=1),
    c("calls", "queue", "--date", "9999-12-25", code=1),
    c("calls", "queue", "--date", HUGE, code=1),
    c("calls", "queue", "--date", NUL, code=1),
    c("calls", "queue", "--operator", SQL, "--json", code=0),
    c("calls", "queue", "--operator", HUGE, code=0),
    *_each_text(lambda v: ("calls", "record", v, "--outcome", "busy", "--json"), 1),
    *_each_text(lambda v: ("calls", "record", "C1", "--outcome", v), 1),
    c("calls", "record", "C1", "--outcome", "callback_requested", "--callback-at", f"{DATE_MAX}T23:00-12:00", code=1),
    c("calls", "record", "C1", "--outcome", "callback_requested", "--callback-at", "9999-12-31T23:00:00", code=1),
    c("calls", "record", "C1", "--outcome", "callback_requested", "--callback-at", DATE_MIN + "T00:00:00", code=1),
    c("calls", "record", "C1", "--outcome", "callback_requested", "--callback-at", "2026-11-20T10:00:00", code=1),
    c("calls", "record", "C1", "--outcome", "callback_requested", "--callback-at", EMOJI, code=1),
    c("calls", "record", "C1", "--outcome", "callback_requested", code=1),
    c("calls", "record", "C1", "--outcome", "busy", "--duration", BIG, code=1),
    c("calls", "record", "C1", "--outcome", "busy", "--duration", "-1", code=1),
    c("calls", "record", "C1", "--outcome", "busy", "--duration", "1e3", code=1),
    c("calls", "record", "C1", "--outcome", "busy", "--operator", LONG41, "--json", code=1),
    c("calls", "record", "C1", "--outcome", "busy", "--operator", CONTROL, code=1),
    c("calls", "record", "C1", "--outcome", "busy", "--operator", EMPTY, code=1),
    c("calls", "record", "C1", "--outcome", "busy", "--note", NUL, code=1),
    c("calls", "record", "C1", code=2),
    c("calls", "bogus", code=2),
    *_each_text(lambda v: ("calls", "start", v, "--operator", "wang", "--json"), 1),
    c("calls", "start", "C1", "--operator", LONG41, "--json", code=1, kind="unknown_operator"),
    c("calls", "record", "C1", "--outcome", "busy", "--operator", "=2+5", "--json", code=1, kind="unknown_operator"),
    c(*OPEN_X, "--operator", "=2+5", "--json", code=1, kind="unknown_operator"),
    c("calls", "start", "C1", "--operator", CONTROL, code=1),
    c("calls", "start", "C1", "--operator", EMPTY, code=1),
    c("calls", "start", "C1", code=2),
    *_each_text(lambda v: ("calls", "release", v, "--as", "lead", "--json"), 1, stdin="1234\n"),
    c("calls", "release", "C1", "--as", "wang", "--json", stdin="1234\n", code=3, kind="permission"),
    c("calls", "release", "C1", "--as", "nobody", stdin="1234\n", code=3, kind="bad_credentials"),
    c("calls", "release", "C1", "--as", HUGE, stdin="1234\n", code=3, kind="bad_credentials"),
    c("calls", "release", code=2),
    # ---------------------------------------------------------------- script
    *_each_text(lambda v: ("script", "render", v, "--json"), 1),
    c("script", "render", "C1", "--date", DATE_MAX, "--json", code=1, kind="bad_input"),
    c("script", "render", "C1", "--date", DATE_MIN, code=1),
    c("script", "render", "C1", "--date", "2026-02-29", code=1),
    c("script", "render", "C1", "--script", SQL, "--json", code=1, kind="unknown_script"),
    c("script", "render", "C1", "--script", HUGE, code=1),
    c("script", "render", "C1", "--operator", LONG41, code=1),
    c("script", "render", "C1", "--operator", SQL, code=1),
    c("script", "lint", "{dir}/missing.yaml", code=1),
    c("script", "lint", "{dir}/notes.txt", code=1),
    c("script", "lint", "{dir}/binary.yaml", code=1),
    c("script", "lint", "{dir}/bad.yaml", "--json", code=1),
    c("script", "lint", code=2),
    c("script", "list", "--json", code=0),
    # ---------------------------------------------------------------- report
    c("report", "day", "--date", DATE_MAX, "--json", code=1, kind="bad_input"),
    c("report", "day", "--date", DATE_MIN, code=1),
    c("report", "day", "--date", "9999-12-30", code=1),
    c("report", "day", "--date", SQL, code=1),
    c("report", "day", "--date", EMPTY, code=1),
    c("report", "day", "--lang", "xx", code=1),
    c("report", "week", "--week", DATE_MAX, code=1),
    c("report", "week", "--week", SQL, "--csv", code=1),
    c("report", "week", "--json", "--csv", code=1, kind="bad_input"),
    c("report", "day", "--date", SQL, "--csv", code=1),
    c("audit", "--since", SQL, code=1),
    c("audit", "--since", DATE_MAX, "--json", code=1, kind="bad_input"),
    c("audit", "--user", SQL, code=0),
    c("audit", "--user", HUGE, code=0),
    c("customer", "assign", SQL, "--operator", "wang", code=1),
    c("customer", "assign", "C1", "--operator", SQL, code=1),
    c("customer", "assign", "C1", "--operator", HUGE, code=1),
    c("customer", "assign", EMOJI, "--operator", EMOJI, "--json", code=1),
    c("customer", "assign", code=2),
    # ---------------------------------------------------------------- config (what would succeed changes the policy)
    c("config", "show", "--json", code=0),
    c("config", "set", SQL, "1", code=1),
    c("config", "set", "cutoff_time", SQL, code=1),
    c("config", "set", "cutoff_time", NUL, code=1),
    c("config", "set", "work_days", HUGE, code=1),
    c("config", "set", "ring_timeout_seconds", BIG, code=1),
    c("config", "set", "dial_prefix", EMOJI, code=1),
    c("config", "set", "area_code", CONTROL, code=1),
    c("config", "set", code=2),
    c("config", "unset", SQL, code=1),
    c("config", "unset", EMPTY, code=1),
    c("config", "unset", "cutoff_time", code=0),  # nothing set: nothing to remove
    c("config", "unset", code=2),
    c("config", "import", "{dir}/missing.toml", code=1),
    c("config", "import", "{dir}/notes.txt", code=1),
    c("config", "import", "{dir}/binary.csv", code=1),
    # ---------------------------------------------------------------- import / export
    c("import", "catalog", "{dir}/missing.csv", code=1),
    c("import", "catalog", "{dir}/binary.csv", code=1),
    c("import", "catalog", "{dir}/notes.txt", code=1),
    c("import", "catalog", "{dir}/bad.csv", code=1),
    c("import", "catalog", "{dir}", code=1),
    c("import", "catalog", "{dir}/catalog.csv", "--encoding", "rot13", code=1),
    c("import", "catalog", "{dir}/catalog.csv", "--encoding", "no-such-codec", code=1),
    c("import", "catalog", "{dir}/catalog.csv", "--encoding", EMPTY, code=1),
    c("import", "catalog", "{dir}/catalog.csv", "--encoding", "utf-16", code=1),
    c("import", SQL, "{dir}/catalog.csv", code=1),
    c("import", "catalog", EMPTY, code=1),
    c("import", "catalog", HUGE, code=1),
    c("import", "catalog", code=2),
    c("export", "orders", "--week", DATE_MAX, code=1),
    c("export", "orders", "--week", DATE_MIN, code=1),
    c("export", "orders", "--week", EMOJI, code=1),
    c("export", "orders", "--week", "2026-11-23", "-o", "{dir}/no/such/folder/x.csv", code=1),
    c("export", "orders", "--week", "2026-11-23", "-o", "{dir}", code=1),
    c("export", "orders", code=2),
    # ---------------------------------------------------------------- user add
    c("user", "add", LONG41, "--name", "x", "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", EMPTY, "--name", "x", "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", SQL, "--name", "x", "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", CONTROL, "--name", "x", "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", "neo", "--name", HUGE, "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", "neo", "--name", EMPTY, "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", "neo", "--name", CONTROL, "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", "neo", "--name", "x", "--role", "god", stdin="1234\n", code=1),
    c("user", "add", "neo", "--name", "x", "--role", "order_taker", stdin="", code=1),
    c("user", "add", "neo", "--name", "x", "--role", "order_taker", stdin="\n", code=1),
    c("user", "add", "neo", "--name", "x", "--role", "order_taker", stdin=HUGE + "\n", code=1),
    c("user", "add", "neo", "--name", "x", "--role", "order_taker", stdin="12\x0034\n", code=1),
    c("user", "add", "wang", "--name", "x", "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", "neo", code=2),
    # ---------------------------------------------------------------- db, databases that are not one, settings
    c("db", "status", code=0),
    c("db", "upgrade", code=0),
    c("db", "bogus", code=2),
    c("--db", "sqlite:///{dir}/notes.txt", "db", "status", code=1, name="db-status:text-file"),
    c("--db", "sqlite:///{dir}/notes.txt", "db", "upgrade", code=1, name="db-upgrade:text-file"),
    c("--db", "sqlite:///{dir}/notes.txt", "order", "show", "1", "--json", code=1, name="order-show:text-file"),
    c("--db", "sqlite:///{dir}/binary.csv", "ticket", "list", code=1, name="ticket-list:binary-file"),
    c("--db", "sqlite:///{dir}", "db", "status", code=1, name="db-status:folder"),
    c("--db", "sqlite:///{dir}/no/such/dir/x.db", "db", "upgrade", code=1, name="db-upgrade:no-folder"),
    c("--db", "bogus://nowhere", "db", "status", code=1, name="db-status:bad-url"),
    c("--db", EMPTY, "db", "status", code=1, name="db-status:empty-url"),
    c("--db", SQL, "suggest", "C1", code=1, name="suggest:sql-url"),
    c("suggest", "C1", "--json", code=1, kind="bad_input", TELESALES_WORK_DAYS="garbage"),
    c("calls", "queue", code=1, TELESALES_WORK_DAYS="[0, 8]"),
    c("calls", "queue", code=1, TELESALES_WORK_START="18:00"),
    c(*OPEN_X, code=1, TELESALES_WORK_START="18:00"),
    c("report", "day", code=1, TELESALES_CUTOFF_TIME="25:00"),
    c("order", "place", "C1", "A=1", code=1, TELESALES_TIMEZONE="Mars/Olympus"),
    c("order", "place", "C1", "A=1", code=1, TELESALES_ORDER_WEEKS_AHEAD="-1"),
    c("suggest", "C1", code=1, TELESALES_NO_ANSWER_RETRY_MINUTES="0"),
    c("suggest", "C1", code=1, TELESALES_CONFIG="{dir}/broken.toml"),
    c("calls", "queue", code=1, TELESALES_CONFIG="{dir}/binary.csv"),
    c("suggest", "C1", "--json", code=1, kind="clock", TELESALES_NOW="9999-12-31T23:00:00+08:00"),
    c("calls", "queue", code=1, TELESALES_NOW="0001-01-01T00:00:00+08:00"),
    c("order", "place", "C1", "A=1", code=1, TELESALES_NOW="9999-12-31T23:00:00+08:00"),
    c(*OPEN_X, code=1, TELESALES_NOW=DATE_MAX + "T23:00:00+08:00"),
    c("report", "day", code=1, TELESALES_NOW="yesterday"),
    c("--lang", "xx", "suggest", "C1", code=1, name="suggest:bad-lang"),
    c("--bogus", "suggest", "C1", code=2, name="global:unknown-option"),
    c("frobnicate", code=2),
    # ---------------------------------------------------------------- phone check (no softphone is started by
    # any row: the none default, a refused --dial, or a configuration refused before baresip would run)
    c("phone", "check", code=1),
    c("phone", "check", "--json", code=1, kind="phone_not_ready"),
    *_each_text(lambda v: ("phone", "check", "--dial", v, "--json"), 1, "bad_input"),
    c("phone", "check", "--dial", "sip:a b@x", "--json", code=1, kind="bad_input"),
    c("phone", "check", "--dial", "sip:<x>", code=1),
    c("phone", "check", "--dial", "sip:" + HUGE, code=1),
    c("phone", "check", "--dial", BIG, code=1),
    c("phone", "check", "--dial", code=2),
    c("phone", "check", "--ring", "5", code=2),
    c("phone", "check", "--json", code=1, kind="bad_input", TELESALES_PHONE="pbx"),
    c("phone", "check", "--json", code=1, kind="phone_not_ready", TELESALES_PHONE="baresip"),
    c("phone", "check", "--json", code=1, kind="phone_not_ready", TELESALES_PHONE="baresip",
      TELESALES_SIP_ACCOUNT="<sip:1@127.0.0.1>;regint=0\nmodule_app evil.so"),
    c("phone", "check", "--json", code=1, kind="phone_not_ready", TELESALES_PHONE="baresip",
      TELESALES_SIP_ACCOUNT="no address at all"),
    c("phone", "check", code=1, TELESALES_PHONE="baresip", TELESALES_SIP_ACCOUNT="<sip:1@127.0.0.1>;regint=0",
      TELESALES_AUDIO_PLAYER="alsa;rm -rf"),
    c("phone", "check", "--dial", "sip:1@127.0.0.1", "--json", code=1, kind="phone_not_ready",
      TELESALES_PHONE="baresip", TELESALES_SIP_ACCOUNT="<sip:1@127.0.0.1>;regint=0", PATH="/nonexistent"),
    # ---------------------------------------------------------------- NUL where a code or a name is looked up
    # (PostgreSQL refuses NUL in any text parameter; SQLite would look it up and find nothing)
    c("order", "place", "C1", "A\x00=1", "--json", code=1, kind="bad_input"),
    c("order", "amend", "1", "A\x00=1", code=1),
    c(*OPEN_X, "--product", "A\x00", code=1),
    c("ticket", "open", "C1", "--category", "other", "--text", "a\x00b", code=1),
    c("ticket", "update", "1", "--note", "a\x00b", code=1),
    c("ticket", "update", "1", "--assign", "wang\x00", code=1),
    c("ticket", "update", "1", "--as", "lead\x00", "--note", "x", code=1),
    c("ticket", "list", "--status", "open\x00", code=1),
    c("match", "中华", "--customer", NUL, "--json", code=1, kind="bad_input"),
    c("entry", "中华两条", "--customer", NUL, code=1),
    c("entry", "中华两条", "--draft", "A\x00=1", code=1),
    c("calls", "queue", "--operator", "wang\x00", code=1),
    c("script", "render", "C1", "--script", "x\x00", code=1),
    c("script", "render", "C1", "--operator", "wang\x00", code=1),
    c("export", "orders", "--week", "2026-11-23\x00", code=1),
    c("import", "catalog", "{dir}/catalog.csv\x00", code=1),
    c("user", "add", "neo\x00", "--name", "x", "--role", "order_taker", stdin="1234\n", code=1),
    c("user", "add", "neo", "--name", "x\x00", "--role", "order_taker", stdin="1234\n", code=1),
]


def _write_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for kind, content in FILES.items():
        (folder / f"{kind}.csv").write_text(content, encoding="utf-8")
    (folder / "notes.txt").write_text("this is not a database\n" * 50, encoding="utf-8")
    (folder / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (folder / "binary.yaml").write_bytes(b"\x00\xff\xfe" * 100)
    (folder / "bad.csv").write_text("code,name,price_per_carton\n,\x00,abc\nA,,-1\n", encoding="utf-8")
    (folder / "bad.yaml").write_text("name: [unclosed\n  - {\n", encoding="utf-8")
    (folder / "broken.toml").write_text("cutoff_time = = 17:00\n[[[\n", encoding="utf-8")


def _build(url: str, folder: Path) -> None:
    """The module's database: a catalog, two shops, a quota and supply, a user, an order, a call and a ticket,
    so that ids 1 exist and quota and supply refusals can happen."""
    engine = make_engine(url)
    try:
        prepared_database(engine)  # migrated, with the clock of a test database
        at = datetime.fromisoformat(FIXED_NOW)
        for kind in FILES:
            import_file(engine, kind, folder / f"{kind}.csv", at=at, actor="test")
        add_user(engine, "wang", "小王", "order_taker", "1234")
        add_user(engine, "lead", "刘敏", "shift_lead", "1234")
        settings = Settings(database_url=url)
        place_order(engine, settings, "C1", [("A", 1), ("B", 1)], operator="wang")
        record_call(engine, settings, "C2", "busy", operator="wang")
        open_ticket(engine, "C1", "other", "first", settings=settings, operator="wang")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    _write_files(folder)
    return folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hostile_db(request: pytest.FixtureRequest, files: Path) -> Iterator[tuple[str, Engine]]:
    """One small database per backend for the whole table, with the clock and settings of the tests."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TELESALES_NOW", FIXED_NOW)
        mp.setenv("TELESALES_CONFIG", str(files / "absent.toml"))
        if request.param == "sqlite":
            url = f"sqlite:///{files / 'hostile.db'}"
            _build(url, files)
            engine = make_engine(url)
            yield url, engine
            engine.dispose()
            return
        admin = _pg_admin_engine()
        assert admin is not None
        name = f"telesales_h_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        try:
            _build(url, files)
            engine = make_engine(url)
            yield url, engine
            engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _invoke(case: Case, url: str, folder: Path) -> Result:
    args = [a.replace("{db}", url).replace("{dir}", str(folder)) for a in case.args]
    if "--db" not in case.args:
        args = ["--db", url, *args]
    env = {k: v.replace("{dir}", str(folder)) for k, v in case.env.items()}
    from tui.cli import app

    return CliRunner().invoke(app, args, input=case.stdin, env=env, catch_exceptions=True)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_invocation(case: Case, hostile_db: tuple[str, Engine], files: Path) -> None:
    url, engine = hostile_db
    before = table_snapshot(engine)
    result = _invoke(case, url, files)
    shown = f"exit {result.exit_code}\nstdout: {result.stdout[:2000]!r}\nstderr: {result.stderr[:2000]!r}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"unhandled {type(result.exception).__name__}:\n{trace}\n{shown}")
    assert "Traceback" not in result.output, shown
    # the last-resort answers are for bugs: every row here deserves a sentence of its own
    assert "internal error" not in result.output and "the database refused" not in result.output, shown
    assert result.exit_code == case.code, shown
    if case.code in (1, 3):
        if "--json" in case.args and case.args[0] != "script":
            error = json.loads(result.stdout.splitlines()[-1])
            assert set(error) >= {"error", "message"}, shown
            if case.kind is not None:
                assert error["error"] == case.kind, shown
        elif case.args[0] not in ("script", "import", "entry"):
            # one readable sentence on stderr (import and lint list a line per bad row first)
            assert result.stderr.startswith("telesales: ") and result.stderr.count("\n") == 1, shown
    after = table_snapshot(engine)
    if "--as" in case.args:
        # a refused sign-in is counted (the lockout's own record, for unknown logins as for known ones): the one
        # write a refused `--as` may leave; the command itself changed nothing
        for counted in ("login_failure",):
            before.pop(counted, None)
            after.pop(counted, None)
    assert after == before, "the database changed"


def test_an_unexpected_error_is_one_sentence_not_a_traceback(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last resort in `cli_errors`: a bug still ends as one sentence, exit 1, kind `internal`."""
    import tui.cli.order_cmds

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("something nobody foresaw\nsecond line")

    monkeypatch.setattr(tui.cli.order_cmds, "get_order", broken)
    runner = CliRunner()
    from tui.cli import app

    as_json = runner.invoke(app, ["--db", sqlite_url, "order", "show", "1", "--json"])
    assert as_json.exit_code == 1 and isinstance(as_json.exception, (SystemExit, type(None)))
    assert json.loads(as_json.stdout) == {
        "error": "internal",
        "message": "internal error (RuntimeError: something nobody foresaw); please report it",
    }
    plain = runner.invoke(app, ["--db", sqlite_url, "order", "show", "1"])
    assert plain.exit_code == 1 and "Traceback" not in plain.output
    assert plain.stderr == "telesales: internal error (RuntimeError: something nobody foresaw); please report it\n"
