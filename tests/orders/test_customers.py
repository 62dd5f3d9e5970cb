"""`orders.customers.assign_customers`: who may give shops away, and that a refusal changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from db.csv_import import import_file
from db.tables import CUSTOMER
from orders.customers import AssignError, assign_customers
from orders.users import PermissionDenied, SignedIn, add_user
from tests.conftest import table_snapshot

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def shops(engine: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "customers.csv"
    path.write_text("code,name,tier,order_weekday,operator\nC1,张记,5,1,wang\nC2,李记,5,1,wang\n", encoding="utf-8")
    import_file(engine, "customers", path, at=AT, actor="test")
    add_user(engine, "wang", "小王", "order_taker", "1234")
    add_user(engine, "li", "小李", "order_taker", "1234")
    return engine


def test_an_order_taker_may_not_give_shops_away(shops: Engine) -> None:
    before = table_snapshot(shops)
    with pytest.raises(PermissionDenied):
        assign_customers(shops, ["C1"], "li", actor="wang", by=SignedIn("wang", "小王", "order_taker"))
    assert table_snapshot(shops) == before


def test_a_lead_is_recorded_as_the_actor(shops: Engine) -> None:
    done = assign_customers(shops, ["C2"], "li", actor="ignored", by=SignedIn("lead", "刘敏", "shift_lead"), at=AT)
    assert done.moved == {"C2": "wang"} and done.unchanged == ()
    with shops.connect() as conn:
        actor = conn.execute(text("SELECT actor FROM audit_log WHERE action = 'customer_assign'")).scalar_one()
        owners = dict(conn.execute(select(CUSTOMER.c.code, CUSTOMER.c.operator)).all())
    assert actor == "lead" and owners == {"C1": "wang", "C2": "li"}


def test_one_unknown_code_among_many_moves_none(shops: Engine) -> None:
    before = table_snapshot(shops)
    with pytest.raises(AssignError, match=r"unknown customer 'C3'; nothing was changed") as refused:
        assign_customers(shops, ["C1", "C2", "C3"], "li", actor="system:test")
    assert refused.value.kind == "unknown_customer"
    assert table_snapshot(shops) == before
