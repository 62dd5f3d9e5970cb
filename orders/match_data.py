"""The database side of the matcher: what feeds the pure index in `orders.matching`, and remembering picks.

Kept out of `orders.matching` so the index stays testable and fast without a database, and so each of these
reads happens once per call (or once per screen), never per keystroke.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.engine import write_transaction
from db.tables import CUSTOMER, HISTORY, ORDER, ORDER_LINE, PICK, PRODUCT
from orders.clock import now
from orders.entry import DraftItem, Shop
from orders.matching import CatalogItem, RankContext, query_key


class UnknownCode(LookupError):
    """A customer or product code that is not in the database; the message names it."""


def load_catalog(engine: Engine) -> list[CatalogItem]:
    """Every product, discontinued ones too: they still match (ranked last) so an old name is recognised."""
    cols = (PRODUCT.c.code, PRODUCT.c.name, PRODUCT.c.brand, PRODUCT.c.pack, PRODUCT.c.style, PRODUCT.c.status)
    with engine.connect() as conn:
        rows = conn.execute(select(*cols, PRODUCT.c.aliases).order_by(PRODUCT.c.code)).all()
    return [
        CatalogItem(
            code=r.code,
            name=r.name,
            brand=r.brand,
            pack=r.pack,
            style=r.style,
            status=r.status,
            aliases=tuple(a.strip() for a in (r.aliases or "").split("|") if a.strip()),
        )
        for r in rows
    ]


def customer_id(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.code == code)).scalar()
    if found is None:
        raise UnknownCode(f"no customer with code '{code}'")
    return int(found)


def customer_frequencies(engine: Engine, code: str) -> dict[str, float]:
    """Cartons of each product this shop ordered: ERP history plus orders placed in this tool."""
    cid = customer_id(engine, code)
    totals: dict[str, float] = defaultdict(float)
    with engine.connect() as conn:
        history = conn.execute(
            select(PRODUCT.c.code, func.sum(HISTORY.c.qty))
            .join(PRODUCT, PRODUCT.c.id == HISTORY.c.product_id)
            .where(HISTORY.c.customer_id == cid)
            .group_by(PRODUCT.c.code)
        ).all()
        placed = conn.execute(
            select(PRODUCT.c.code, func.sum(ORDER_LINE.c.qty))
            .join(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
            .join(PRODUCT, PRODUCT.c.id == ORDER_LINE.c.product_id)
            .where(and_(ORDER.c.customer_id == cid, ORDER.c.status == "placed"))
            .group_by(PRODUCT.c.code)
        ).all()
    for product, qty in (*history, *placed):
        totals[product] += float(qty or 0)
    return dict(totals)


def load_picks(engine: Engine, code: str | None) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """(this shop's picks, everyone's picks), each query key → {product code: times chosen}."""
    cid = customer_id(engine, code) if code is not None else None
    mine: dict[str, dict[str, int]] = defaultdict(dict)
    everyone: dict[str, dict[str, int]] = defaultdict(dict)
    with engine.connect() as conn:
        rows = conn.execute(
            select(PICK.c.query_key, PICK.c.customer_id, PRODUCT.c.code, PICK.c.count).join(
                PRODUCT, PRODUCT.c.id == PICK.c.product_id
            )
        ).all()
    for key, owner, product, count in rows:
        everyone[key][product] = everyone[key].get(product, 0) + int(count)
        if cid is not None and owner == cid:
            mine[key][product] = int(count)
    return dict(mine), dict(everyone)


def rank_context(engine: Engine, code: str | None) -> RankContext:
    """Everything ranking needs about who is calling, read once when the call opens."""
    mine, everyone = load_picks(engine, code)
    frequencies = customer_frequencies(engine, code) if code is not None else {}
    return RankContext(frequencies=frequencies, picks=mine, global_picks=everyone)


def remember_pick(
    engine: Engine, query: str, product_code: str, customer_code: str | None = None, *, at: datetime | None = None
) -> str:
    """Count that `query` meant `product_code` (for this shop, or for nobody in particular); returns the key.

    An upsert on the partial unique index, so two terminals recording the same pick at once both count.
    """
    key = query_key(query)
    if not key:
        raise ValueError("the phrase has no words to remember")
    when = at or now()
    with write_transaction(engine) as conn:
        pid = conn.execute(select(PRODUCT.c.id).where(PRODUCT.c.code == product_code)).scalar()
        if pid is None:
            raise UnknownCode(f"no product with code '{product_code}'")
        cid = None
        if customer_code is not None:
            cid = conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.code == customer_code)).scalar()
            if cid is None:
                raise UnknownCode(f"no customer with code '{customer_code}'")
        values = {"query_key": key, "customer_id": cid, "product_id": pid, "count": 1, "last_at": when}
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        if cid is None:
            stmt = (
                insert(PICK)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["query_key", "product_id"],
                    index_where=PICK.c.customer_id.is_(None),
                    set_={"count": PICK.c.count + 1, "last_at": when},
                )
            )
        else:
            stmt = (
                insert(PICK)
                .values(**values)
                .on_conflict_do_update(
                    index_elements=["query_key", "customer_id", "product_id"],
                    index_where=PICK.c.customer_id.isnot(None),
                    set_={"count": PICK.c.count + 1, "last_at": when},
                )
            )
        conn.execute(stmt)
    return key


def last_order(engine: Engine, code: str) -> tuple[DraftItem, ...]:
    """The lines of the shop's last order, as they were listed: an order placed here when it is at least as
    recent as the ERP history's last date (the ERP catches up later), else that date's history lines."""
    cid = customer_id(engine, code)
    with engine.connect() as conn:
        last_day = conn.execute(select(func.max(HISTORY.c.order_date)).where(HISTORY.c.customer_id == cid)).scalar()
        placed = conn.execute(
            select(ORDER.c.id, ORDER.c.placed_at)
            .where(and_(ORDER.c.customer_id == cid, ORDER.c.status == "placed"))
            .order_by(ORDER.c.placed_at.desc(), ORDER.c.id.desc())
            .limit(1)
        ).first()
        if placed is not None and (last_day is None or placed.placed_at.date() >= last_day):
            rows = conn.execute(
                select(PRODUCT.c.code, ORDER_LINE.c.qty)
                .join(PRODUCT, PRODUCT.c.id == ORDER_LINE.c.product_id)
                .where(ORDER_LINE.c.order_id == placed.id)
                .order_by(ORDER_LINE.c.id)
            ).all()
        elif last_day is not None:
            rows = conn.execute(
                select(PRODUCT.c.code, HISTORY.c.qty)
                .join(PRODUCT, PRODUCT.c.id == HISTORY.c.product_id)
                .where(and_(HISTORY.c.customer_id == cid, HISTORY.c.order_date == last_day))
                .order_by(HISTORY.c.id)
            ).all()
        else:
            rows = []
    return tuple(DraftItem(str(c), int(q)) for c, q in rows if q and q > 0)


def load_shop(engine: Engine, code: str | None) -> Shop:
    """What `orders.entry` needs of the customer on the line, read once per call; `Shop()` for nobody."""
    if code is None:
        return Shop(rank_context(engine, None), ())
    if "\x00" in code:  # no code holds NUL, and PostgreSQL would refuse the lookup as a driver error
        raise UnknownCode(f"no customer with code {code!r}")
    return Shop(rank_context(engine, code), last_order(engine, code))
