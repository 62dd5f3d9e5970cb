"""The week's placed orders as CSV for the ERP, which picks and delivers from it.

The file is the hand-off to sorting and delivery, so it is written whole or not at all (see `write_atomically`),
and the column set is a contract (docs: interfaces.md).
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from db.tables import CUSTOMER as _CUSTOMER
from db.tables import ORDER as _ORDER
from db.tables import ORDER_LINE as _LINE
from db.tables import PRODUCT as _PRODUCT

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: a cell starting so is a formula to a spreadsheet


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text: one starting with a formula trigger gets a leading `'`.

    The OWASP rule for CSV injection. Import refuses such codes and names, but an export also carries what other
    paths stored (an operator typed at a terminal, rows from before the rule), and the file is opened in Excel by
    people who trust it. Our numbers are never negative (quantities and prices are > 0 by constraint), so no
    number is altered."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


class SafeCsvWriter:
    """`csv.writer` whose every cell goes through `neutralise`: the one way this program writes CSV."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise("" if cell is None else str(cell)) for cell in row])


ORDER_COLUMNS = ("order_id", "customer_code", "product_code", "qty", "price_per_carton", "placed_at", "operator")


def yuan(fen: int) -> str:
    """Fen to yuan text with exactly 2 decimals, by integer arithmetic (no float rounding)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def order_rows(engine: Engine, week: date, zone: ZoneInfo) -> Iterator[tuple[str, ...]]:
    """One row per line of the week's placed orders, ordered by order then product code.

    `week` must be the Monday; `zone` is the call centre's, so placed_at reads as the order taker saw it.
    """
    o, ln, c, p = _ORDER, _LINE, _CUSTOMER, _PRODUCT
    query = (
        select(o.c.id, c.c.code, p.c.code, ln.c.qty, ln.c.price_fen, o.c.placed_at, o.c.operator)
        .select_from(o.join(ln, ln.c.order_id == o.c.id).join(c, c.c.id == o.c.customer_id))
        .join(p, p.c.id == ln.c.product_id)
        .where(o.c.week == week, o.c.status == "placed")
        .order_by(o.c.id, p.c.code)
    )
    with engine.connect() as conn:
        for order_id, customer, product, qty, fen, placed_at, operator in conn.execute(query):
            yield (
                str(order_id),
                customer,
                product,
                str(qty),
                yuan(fen),
                placed_at.astimezone(zone).isoformat(timespec="seconds"),
                operator,
            )


def write_orders_csv(rows: Iterator[tuple[str, ...]], out: TextIO) -> int:
    """Header and rows; returns the number of rows written."""
    writer = SafeCsvWriter(out)
    writer.writerow(ORDER_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_atomically(path: Path, write: Callable[[TextIO], int]) -> int:
    """Write to a temporary file beside `path`, flush it to disk, then rename over `path`.

    The ERP polls the export folder: it must never pick up a half-written file, and a failed export must
    leave the previous file in place.
    """
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from the ERP's account
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            count = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return count
