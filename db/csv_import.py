"""CSV import core: read a file, check every row, and only then upsert all of it in one transaction.

All-or-nothing is the contract: the ERP exports are re-run by hand when something is wrong, so a half-imported
file would be worse than a refused one. Every bad row is reported (not just the first) so the person fixing the
export sees the whole job at once.

No printing here: the caller gets `ImportFileError` (one sentence about the whole file), `ImportRowErrors`
(every bad row with its line number) or an `ImportResult`, and a progress callback for long files.

`history` files are the big ones (a million rows is normal), so that kind has its own tight validation loop
and writes with the driver's `executemany` / PostgreSQL `COPY`; the other kinds are thousands of rows and use a
small declarative column spec.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, Table, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError

from db.engine import write_transaction
from db.tables import AUDIT, CUSTOMER, HISTORY, PRODUCT, QUOTA, SUPPLY

KINDS = ("catalog", "customers", "history", "quotas", "supply")
REQUIRED: dict[str, tuple[str, ...]] = {
    "catalog": ("code", "name", "price_per_carton"),
    "customers": ("code", "name", "tier", "order_weekday"),
    "history": ("customer_code", "order_date", "product_code", "qty"),
    "quotas": ("week", "product_code", "tier_from", "tier_to", "max_qty"),
    "supply": ("week", "product_code", "total_qty"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "catalog": ("brand", "pack", "style", "price_band", "barcode", "status", "aliases", "launched_on"),
    "customers": ("owner", "phone", "district", "shop_type", "operator"),
    "history": (),
    "quotas": ("customer_code",),
    "supply": (),
}

BATCH = 5_000  # rows per executemany: big enough to amortise round trips, small enough for a smooth progress bar
HISTORY_BATCH = 50_000
MAX_INT = 2_147_483_647  # INTEGER columns on PostgreSQL; checked here so a typo never surfaces as a SQL error

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

ProgressFn = Callable[[str, int, int], None]
"""progress(phase, done, total): phase is "checking" or "writing"; called every few thousand rows."""


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message is one sentence for the user."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class ImportRowErrors(ValueError):
    """Some rows are bad: nothing was written. `errors` holds every bad row, sorted by line."""

    def __init__(self, file: str, errors: list[RowError], rows: int):
        self.file = file
        self.errors = sorted(errors, key=lambda e: e.line)
        self.rows = rows
        super().__init__(f"{len(self.errors)} bad rows in {file}")


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int
    new: int
    updated: int


class _Bad(ValueError):
    """A value's problem, phrased to follow "<column> '<value>' "."""


# --------------------------------------------------------------------------------------------- value parsers


def _whole(lo: int = 1, hi: int = MAX_INT, what: str | None = None) -> Callable[[str], int]:
    """Whole numbers only: "1.5", "1e2", "+3" and "1_000" are all rejected, since Python's int() takes some."""
    if what is None:
        what = "a whole number > 0" if lo == 1 and hi == MAX_INT else f"a whole number from {lo} to {hi}"

    def parse(raw: str) -> int:
        if not raw.isdecimal():
            raise _Bad(f"must be {what}")
        value = int(raw)
        if not lo <= value <= hi:
            raise _Bad(f"must be {what}")
        return value

    return parse


_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


def _price_fen(raw: str) -> int:
    """Yuan as written by the ERP to exact fen: Decimal, never float, so 0.1 + 0.2 cannot creep in."""
    if not _DECIMAL.fullmatch(raw):
        raise _Bad("is not a number (write yuan like 381.60)")
    try:
        yuan = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees a decimal
        raise _Bad("is not a number (write yuan like 381.60)") from exc
    if yuan <= 0:
        raise _Bad("must be more than 0")
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise _Bad("has more than 2 decimals (1 fen = 0.01 is the smallest unit)")
    if fen > MAX_INT:
        raise _Bad("is too large")
    return int(fen)


def _strict_date(raw: str) -> date:
    """Only YYYY-MM-DD: fromisoformat alone would also take 20261123 and 2026-W48, which the ERP never means."""
    if len(raw) != 10 or raw[4] != "-" or raw[7] != "-" or not raw.replace("-", "").isdigit():
        raise _Bad("is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _Bad("is not a real date") from exc


def _monday(raw: str) -> date:
    day = _strict_date(raw)
    if day.weekday() != 0:
        monday = date.fromordinal(day.toordinal() - day.weekday())
        raise _Bad(f"is a {WEEKDAYS[day.weekday()]}; a week is written as its Monday ({monday.isoformat()})")
    return day


def _text(max_len: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_len:
            raise _Bad(f"is longer than {max_len} characters")
        return raw

    return parse


def _status(raw: str) -> str:
    if raw not in ("active", "discontinued"):
        raise _Bad("must be active or discontinued")
    return raw


def _aliases(raw: str) -> str:
    return "|".join(part.strip() for part in raw.split("|") if part.strip())


@dataclass(frozen=True)
class _Col:
    """One CSV column: how to parse it, and which table column (if any) receives the value."""

    name: str
    parse: Callable[[str], Any]
    target: str | None = None
    empty: Any = None  # value of an optional column left empty


_SPECS: dict[str, tuple[_Col, ...]] = {
    "catalog": (
        _Col("code", _text(32), "code"),
        _Col("name", _text(100), "name"),
        _Col("price_per_carton", _price_fen, "price_fen"),
        _Col("brand", _text(50), "brand"),
        _Col("pack", _text(20), "pack"),
        _Col("style", _text(20), "style"),
        _Col("price_band", _whole(1, 5, "a whole number from 1 to 5 (or empty)"), "price_band"),
        _Col("barcode", _text(32), "barcode"),
        _Col("status", _status, "status", empty="active"),
        _Col("aliases", _aliases, "aliases", empty=""),
        _Col("launched_on", _strict_date, "launched_on"),
    ),
    "customers": (
        _Col("code", _text(32), "code"),
        _Col("name", _text(100), "name"),
        _Col("tier", _whole(1, 30), "tier"),
        _Col("order_weekday", _whole(1, 7, "a whole number from 1 (Monday) to 7 (Sunday)"), "order_weekday"),
        _Col("owner", _text(50), "owner"),
        _Col("phone", _text(32), "phone"),
        _Col("district", _text(50), "district"),
        _Col("shop_type", _text(50), "shop_type"),
        _Col("operator", _text(32), "operator"),
    ),
    "quotas": (
        _Col("week", _monday, "week"),
        _Col("product_code", str),
        _Col("tier_from", _whole(1, 30), "tier_from"),
        _Col("tier_to", _whole(1, 30), "tier_to"),
        _Col("max_qty", _whole(), "max_qty"),
        _Col("customer_code", str),
    ),
    "supply": (
        _Col("week", _monday, "week"),
        _Col("product_code", str),
        _Col("total_qty", _whole(), "total_qty"),
    ),
}


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Csv:
    """A decoded file positioned after its header."""

    file: str
    columns: dict[str, int]  # normalised header name -> position
    width: int
    reader: Any  # csv.reader; its line_num gives file line numbers even across quoted newlines
    approx_rows: int


def _open_csv(path: Path, file: str, kind: str, encoding: str | None) -> _Csv:
    if not path.exists():
        raise ImportFileError(f"{file} does not exist")
    if path.is_dir():
        raise ImportFileError(f"{file} is a folder, not a CSV file")
    enc = encoding or "utf-8"
    try:
        codec = codecs.lookup(enc).name
    except LookupError as exc:
        raise ImportFileError(f"unknown encoding '{enc}'; use utf-8 (the default) or gb18030") from exc
    if codec == "utf-8":
        codec = "utf-8-sig"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {file}: {exc.strerror or exc}") from exc
    if not data:
        raise ImportFileError(f"{file} is empty: a {kind} file needs a header row ({_needs(kind)}) and data rows")
    try:
        content = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        if encoding is None or codec == "utf-8-sig":
            raise ImportFileError(
                f"{file} is not UTF-8 (line {line} has bytes that are not valid UTF-8); Chinese ERPs and Excel "
                f"often write GB18030, so if that is where it came from, rerun with --encoding gb18030"
            ) from exc
        raise ImportFileError(f"{file} cannot be read as {enc} (line {line}); check the --encoding") from exc
    content = content.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)  # leading blank lines
    except csv.Error as exc:
        raise ImportFileError(f"{file}:{reader.line_num}: cannot be read as CSV ({exc})") from exc
    if header is None:
        raise ImportFileError(f"{file} is empty: a {kind} file needs a header row ({_needs(kind)}) and data rows")
    columns: dict[str, int] = {}
    for pos, raw_name in enumerate(header):
        name = raw_name.strip().lower()
        if not name:
            continue
        if name in columns:
            raise ImportFileError(f"{file}: column '{name}' appears twice in the header")
        columns[name] = pos
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        raise ImportFileError(
            f"{file} is missing the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"a {kind} file needs {_needs(kind)}"
        )
    return _Csv(file, columns, len(header), reader, max(content.count("\n") - reader.line_num + 1, 1))


def _needs(kind: str) -> str:
    out = ",".join(REQUIRED[kind])
    if OPTIONAL[kind]:
        out += f" (optional: {','.join(OPTIONAL[kind])})"
    return out


def _rows(src: _Csv, progress: ProgressFn | None) -> Iterator[tuple[int, list[str]]]:
    """(first line of the row, fields), skipping blank rows; progress ticks every BATCH rows."""
    prev = src.reader.line_num
    count = 0
    try:
        for row in src.reader:
            line = prev + 1
            prev = src.reader.line_num
            if not any(f.strip() for f in row):
                continue
            count += 1
            if progress is not None and count % BATCH == 0:
                progress("checking", count, src.approx_rows)
            yield line, row
    except csv.Error as exc:
        raise ImportFileError(f"{src.file}:{src.reader.line_num}: cannot be read as CSV ({exc})") from exc


def _width_error(row: list[str], width: int) -> str | None:
    """More values than header columns almost always means an unquoted comma inside a name."""
    if len(row) > width and any(f.strip() for f in row[width:]):
        return f"has {len(row)} values but the header has {width} columns (a comma inside a value must be quoted)"
    return None


# --------------------------------------------------------------------------------------------- lookups


def _codes(engine: Engine, table: Table) -> dict[str, int]:
    """code -> id for a whole table in one query: far cheaper than a query per row, and customers number
    in the tens of thousands at most."""
    with engine.connect() as conn:
        return {code: ident for code, ident in conn.execute(select(table.c.code, table.c.id))}


# --------------------------------------------------------------------------------------------- checking


@dataclass
class _Checked:
    """Rows ready to write, per target (quotas have two natural keys, hence more than one group)."""

    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rows: int = 0
    present: set[str] = field(default_factory=set)  # table columns the file supplies (others are left alone)


def _check_generic(src: _Csv, kind: str, engine: Engine, progress: ProgressFn | None) -> _Checked:
    spec = _SPECS[kind]
    required = set(REQUIRED[kind])
    # in the file's column order, so a row's problems read left to right as the user sees the row
    where = sorted(((col, src.columns.get(col.name)) for col in spec), key=lambda cp: (cp[1] is None, cp[1] or 0))
    products = _codes(engine, PRODUCT) if kind in ("quotas", "supply") else {}
    customers = _codes(engine, CUSTOMER) if kind == "quotas" else {}
    out = _Checked()
    out.present = {col.target for col, pos in where if pos is not None and col.target}
    errors: list[RowError] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line, row in _rows(src, progress):
        out.rows += 1
        problems: list[str] = []
        if (wide := _width_error(row, src.width)) is not None:
            errors.append(RowError(line, wide))
            continue
        values: dict[str, Any] = {}
        for col, pos in where:
            if pos is None:
                continue
            raw = row[pos].strip() if pos < len(row) else ""
            if raw == "":
                if col.name in required:
                    problems.append(f"{col.name} is empty")
                else:
                    values[col.name] = col.empty
                continue
            try:
                values[col.name] = col.parse(raw)
            except _Bad as exc:
                problems.append(f"{col.name} '{raw}' {exc}")
        record = {col.target: values[col.name] for col, _ in where if col.target and col.name in values}
        group = kind
        if kind in ("quotas", "supply"):
            code = values.get("product_code")
            if code is not None:
                if code in products:
                    record["product_id"] = products[code]
                else:
                    problems.append(f"product_code '{code}' is not in the catalog")
        if kind == "quotas":
            lo, hi = values.get("tier_from"), values.get("tier_to")
            if lo is not None and hi is not None and lo > hi:
                problems.append(f"tier_from '{lo}' is greater than tier_to '{hi}'")
            cust = values.get("customer_code")
            record["customer_id"] = None
            group = "quotas_tier"
            if cust:
                group = "quotas_customer"
                if cust in customers:
                    record["customer_id"] = customers[cust]
                else:
                    problems.append(f"customer_code '{cust}' is not a known customer")
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
            continue
        key_desc, key = _key(kind, group, values)
        first = seen.setdefault(key, line)
        if first != line:
            errors.append(RowError(line, f"same {key_desc} as line {first}"))
            continue
        out.groups.setdefault(group, []).append(record)
    if errors:
        raise ImportRowErrors(src.file, errors, out.rows)
    return out


def _key(kind: str, group: str, v: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    if kind in ("catalog", "customers"):
        return f"code '{v['code']}'", (v["code"],)
    week = v["week"].isoformat()
    if group == "quotas_customer":
        return (
            f"week {week}, product_code '{v['product_code']}' and customer_code '{v['customer_code']}'",
            (group, v["week"], v["product_code"], v["customer_code"]),
        )
    if group == "quotas_tier":
        return (
            f"week {week}, product_code '{v['product_code']}' and tiers {v['tier_from']}-{v['tier_to']}",
            (group, v["week"], v["product_code"], v["tier_from"], v["tier_to"]),
        )
    return f"week {week} and product_code '{v['product_code']}'", (v["week"], v["product_code"])


_QTY = _whole()


def _check_history(
    src: _Csv, engine: Engine, progress: ProgressFn | None
) -> tuple[list[tuple[int, str, int, int]], int]:
    """The million-row path: one dict lookup per field on the common case, full parsing only on a miss.

    Dates and quantities repeat endlessly in a history file, so each distinct raw string is parsed once and
    cached; a row whose four lookups all hit is valid without further work. Anything unusual (whitespace,
    unknown code, a bad value, a ragged row) falls to the careful path, which produces the messages.
    Returns (customer_id, 'YYYY-MM-DD', product_id, qty) tuples, ready for executemany or COPY.
    """
    products = _codes(engine, PRODUCT)
    customers = _codes(engine, CUSTOMER)
    cols = src.columns
    ic, idt, ip, iq = cols["customer_code"], cols["order_date"], cols["product_code"], cols["qty"]
    need = max(ic, idt, ip, iq) + 1
    width = src.width
    dates: dict[str, tuple[str, int]] = {}  # raw -> (canonical text, small index for the duplicate key)
    qtys: dict[str, int] = {}
    n_cust = max(customers.values(), default=0) + 1
    n_prod = max(products.values(), default=0) + 1
    seen: dict[int, int] = {}
    out: list[tuple[int, str, int, int]] = []
    append = out.append
    errors: list[RowError] = []
    reader = src.reader
    prev = reader.line_num
    rows = 0
    tick = prev + BATCH * 4
    try:
        for row in reader:
            line = prev + 1
            prev = reader.line_num
            if len(row) == width:
                cid = customers.get(row[ic])
                day = dates.get(row[idt])
                pid = products.get(row[ip])
                qty = qtys.get(row[iq])
            else:
                cid = day = pid = qty = None
            if cid is None or day is None or pid is None or qty is None:
                if not any(f.strip() for f in row):
                    continue
                checked = _history_slow(row, width, need, (ic, idt, ip, iq), customers, products, dates, qtys)
                if isinstance(checked, str):
                    rows += 1
                    errors.append(RowError(line, checked))
                    continue
                cid, day, pid, qty = checked
            rows += 1
            key = (day[1] * n_cust + cid) * n_prod + pid
            first = seen.setdefault(key, line)
            if first != line:
                errors.append(
                    RowError(
                        line,
                        f"same customer_code '{row[ic].strip()}', order_date {day[0]} and product_code "
                        f"'{row[ip].strip()}' as line {first}",
                    )
                )
                continue
            append((cid, day[0], pid, qty))
            if prev >= tick and progress is not None:
                tick = prev + BATCH * 4
                progress("checking", rows, src.approx_rows)
    except csv.Error as exc:
        raise ImportFileError(f"{src.file}:{reader.line_num}: cannot be read as CSV ({exc})") from exc
    if errors:
        raise ImportRowErrors(src.file, errors, rows)
    return out, rows


def _history_slow(
    row: list[str],
    width: int,
    need: int,
    idx: tuple[int, int, int, int],
    customers: dict[str, int],
    products: dict[str, int],
    dates: dict[str, tuple[str, int]],
    qtys: dict[str, int],
) -> tuple[int, tuple[str, int], int, int] | str:
    """Check one row carefully; returns the parsed row or the reason it is bad. Fills the caches."""
    if (wide := _width_error(row, width)) is not None:
        return wide
    if len(row) < need:
        row = row + [""] * (need - len(row))
    ic, idt, ip, iq = idx
    problems: list[str] = []
    c, d, p, q = row[ic].strip(), row[idt].strip(), row[ip].strip(), row[iq].strip()
    cid = customers.get(c)
    if not c:
        problems.append("customer_code is empty")
    elif cid is None:
        problems.append(f"customer_code '{c}' is not a known customer")
    day = dates.get(d)
    if not d:
        problems.append("order_date is empty")
    elif day is None:
        try:
            day = (_strict_date(d).isoformat(), len(dates))
            dates[d] = day
            dates[row[idt]] = day
        except _Bad as exc:
            problems.append(f"order_date '{d}' {exc}")
    pid = products.get(p)
    if not p:
        problems.append("product_code is empty")
    elif pid is None:
        problems.append(f"product_code '{p}' is not in the catalog")
    qty = qtys.get(q)
    if not q:
        problems.append("qty is empty")
    elif qty is None:
        try:
            qty = _QTY(q)
            qtys[q] = qty
            qtys[row[iq]] = qty
        except _Bad as exc:
            problems.append(f"qty '{q}' {exc}")
    if problems or cid is None or day is None or pid is None or qty is None:
        return "; ".join(problems)
    return cid, day, pid, qty


# --------------------------------------------------------------------------------------------- writing


def _dialect_insert(conn: Connection, table: Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _lock(conn: Connection, table: Table) -> None:
    """Serialise imports of one table on PostgreSQL (SQLite's BEGIN IMMEDIATE already does), so the
    before/after row counts are exact and the empty-table fast path is safe. Readers are not blocked."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))


def _upsert(
    conn: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
    where: Any = None,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    if not rows:
        return
    stmt = _dialect_insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        index_where=where,
        set_={c: stmt.excluded[c] for c in update},
    )
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        conn.execute(stmt, batch)
        if on_batch is not None:
            on_batch(len(batch))


def _write_generic(conn: Connection, kind: str, checked: _Checked, on_batch: Callable[[int], None]) -> None:
    if kind == "catalog":
        table = PRODUCT
        update = sorted(checked.present - {"code"})
        _upsert(conn, table, checked.groups.get(kind, []), ["code"], update, on_batch=on_batch)
    elif kind == "customers":
        table = CUSTOMER
        update = sorted(checked.present - {"code"})
        _upsert(conn, table, checked.groups.get(kind, []), ["code"], update, on_batch=on_batch)
    elif kind == "quotas":
        table = QUOTA
        qc: Column[Any] = table.c.customer_id
        _upsert(
            conn,
            table,
            checked.groups.get("quotas_tier", []),
            ["week", "product_id", "tier_from", "tier_to"],
            ["max_qty"],
            where=qc.is_(None),
            on_batch=on_batch,
        )
        _upsert(
            conn,
            table,
            checked.groups.get("quotas_customer", []),
            ["week", "product_id", "customer_id"],
            ["tier_from", "tier_to", "max_qty"],
            where=qc.isnot(None),
            on_batch=on_batch,
        )
    else:
        table = SUPPLY
        _upsert(conn, table, checked.groups.get(kind, []), ["week", "product_id"], ["total_qty"], on_batch=on_batch)


_HISTORY_COLS = ("customer_id", "order_date", "product_id", "qty")


def _write_history(
    conn: Connection, rows: list[tuple[int, str, int, int]], empty: bool, on_batch: Callable[[int], None]
) -> None:
    table: Table = HISTORY
    if conn.dialect.name == "postgresql":
        _write_history_pg(conn, table, rows, empty, on_batch)
        return
    # The Core statement, compiled once and run through the driver's executemany with plain tuples: the rows
    # are already validated and the dates already in SQLite's storage form, so per-row bind processing would
    # be pure overhead (it was most of the write time when measured).
    stmt = sqlite.insert(table).values({c: None for c in _HISTORY_COLS})
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.customer_id, table.c.order_date, table.c.product_id],
        set_={"qty": stmt.excluded.qty},
    )
    compiled = stmt.compile(dialect=conn.dialect)
    order = [compiled.positiontup.index(c) for c in _HISTORY_COLS] if compiled.positiontup else None
    assert order == [0, 1, 2, 3], f"unexpected parameter order {compiled.positiontup}"
    sql = str(compiled)
    for start in range(0, len(rows), HISTORY_BATCH):
        batch = rows[start : start + HISTORY_BATCH]
        conn.exec_driver_sql(sql, batch)
        on_batch(len(batch))


def _copy_text(rows: list[tuple[int, str, int, int]]) -> str:
    return "".join([f"{c}\t{d}\t{p}\t{q}\n" for c, d, p, q in rows])


def _write_history_pg(
    conn: Connection,
    table: Table,
    rows: list[tuple[int, str, int, int]],
    empty: bool,
    on_batch: Callable[[int], None],
) -> None:
    """COPY is several times faster than any INSERT on PostgreSQL. Into an empty table (the first, big import)
    it goes straight in, as the file has no duplicate keys; otherwise into a temporary table and then one
    INSERT … SELECT … ON CONFLICT DO UPDATE."""
    raw: Any = conn.connection.driver_connection  # the psycopg connection, inside the same transaction
    target = table.name
    if not empty:
        conn.execute(
            text(
                "CREATE TEMPORARY TABLE _import_history "
                "(customer_id integer, order_date date, product_id integer, qty integer) ON COMMIT DROP"
            )
        )
        target = "_import_history"
    with raw.cursor() as cur, cur.copy(f"COPY {target} ({', '.join(_HISTORY_COLS)}) FROM STDIN") as copy:
        for start in range(0, len(rows), HISTORY_BATCH):
            batch = rows[start : start + HISTORY_BATCH]
            copy.write(_copy_text(batch))
            on_batch(len(batch))
    if not empty:
        staged = Table(
            "_import_history",
            MetaData(),
            *(Column(c, table.c[c].type) for c in _HISTORY_COLS),
        )
        stmt = postgresql.insert(table).from_select(list(_HISTORY_COLS), select(*staged.c))
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.customer_id, table.c.order_date, table.c.product_id],
            set_={"qty": stmt.excluded.qty},
        )
        conn.execute(stmt)


# --------------------------------------------------------------------------------------------- entry point


_TABLES: dict[str, Table] = {
    "catalog": PRODUCT,
    "customers": CUSTOMER,
    "history": HISTORY,
    "quotas": QUOTA,
    "supply": SUPPLY,
}


def import_file(
    engine: Engine,
    kind: str,
    path: str | Path,
    *,
    at: datetime,
    actor: str = "cli",
    encoding: str | None = None,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Check every row of `path`, then upsert them all and an audit row in one transaction, or raise.

    `at` is passed in (not read here) so that `db/` stays free of the app's clock; `actor` is whoever ran it.
    """
    if kind not in KINDS:
        raise ImportFileError(f"unknown kind '{kind}'; use one of {', '.join(KINDS)}")
    file = str(path)
    src = _open_csv(Path(path), file, kind, encoding)
    history: list[tuple[int, str, int, int]] = []
    checked = _Checked()
    if kind == "history":
        history, total = _check_history(src, engine, progress)
    else:
        checked = _check_generic(src, kind, engine, progress)
        total = checked.rows
    if total == 0:
        raise ImportFileError(f"{file} has a header but no data rows")
    if progress is not None:
        progress("checking", total, total)
        progress("writing", 0, total)
    done = 0

    def on_batch(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("writing", done, total)

    table: Table = _TABLES[kind]
    try:
        with write_transaction(engine) as conn:
            _lock(conn, table)
            before = _count(conn, table)
            if kind == "history":
                _write_history(conn, history, before == 0, on_batch)
            else:
                _write_generic(conn, kind, checked, on_batch)
            new = _count(conn, table) - before
            result = ImportResult(kind, file, total, new, total - new)
            detail = {
                "file": Path(path).name,
                "path": str(Path(path).resolve()),
                "encoding": encoding or "utf-8",
                "rows": total,
                "new": new,
                "updated": total - new,
            }
            conn.execute(
                insert(AUDIT).values(
                    at=at,
                    actor=actor[:32],
                    action="import",
                    entity=kind,
                    entity_id="",
                    detail=json.dumps(detail, ensure_ascii=False),
                )
            )
    except IntegrityError as exc:
        # Only a concurrent change (a product deleted between checking and writing) can get here.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ImportFileError(f"the database refused {file}, nothing was imported: {reason}") from exc
    except DataError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ImportFileError(f"the database refused {file}, nothing was imported: {reason}") from exc
    return result
