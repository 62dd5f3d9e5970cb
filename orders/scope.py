"""Sets of customers as SQL filters on them, for the read paths that look at thousands of shops at once.

The call queue, the lead's retention list, the day's report and coverage each read one fact for many
customers; they share these two helpers so that none of them ships more ids in one `IN (...)` than the
databases accept, and so the retention counts can be read for any set of shops (a day's list, every active
shop, one shop) by the same code.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlmodel import col

from db.models import Customer

_CHUNK = 2000  # ids per IN (...) list: well under SQLite's and PostgreSQL's bind-parameter limits

T = TypeVar("T")


def chunks(values: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


@dataclass(frozen=True)
class CustomerScope:
    """A set of customers as SQL can filter on it: a subquery of ids (the day's order-day customers, or every
    active customer for the retention list) plus a few ids outside it (callback and planned-call customers)."""

    day_ids: Select[int | None]
    extra: list[int] = field(default_factory=list)

    @classmethod
    def one(cls, customer_id: int) -> CustomerScope:
        """A single shop, as the call script asks about the shop it is calling."""
        return cls(select(col(Customer.id)).where(col(Customer.id) == customer_id))

    def filters(self, column: Any) -> Iterator[ColumnElement[bool]]:
        """One WHERE condition per query to run; together they cover every customer in the queue once."""
        yield column.in_(self.day_ids)
        for chunk in chunks(self.extra):
            yield column.in_(chunk)
