"""Brand coverage (覆盖率) and growth (成长率) for a hand-made week, on SQLite and PostgreSQL.

Seven active shops and one closed one; the week is Monday 16 November 2026, compared with the week of 9 November.
History comes through the import users run and the tool's own orders through `place_order`, so an order that
is both in the ERP history and placed here is seen to count once.

    shop  district tier  this week (16-22 Nov)                 last week (9-15 Nov)
    A1    芙蓉区    3     芙蓉王(硬) 2 + 芙蓉王(软) 3 (history)   芙蓉王(硬) 2
    A2    芙蓉区    4     芙蓉王(硬) 1 (history, and placed here the same day: one order)
    A3    芙蓉区    12    芙蓉王(硬) 4 (placed here on Tuesday, not in the history yet)
    A4    芙蓉区    22    - (ordered two weeks back and next week only)
    B1    天心区    5     白沙 4                                   白沙 2
    B2    天心区    7     利群(新版) 2 (placed here; no brand)      白沙 2
    C1    -         30    -
    X9    芙蓉区    1     芙蓉王(硬) 10, but the shop is closed (inactive): counts nowhere
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, update
from sqlmodel import col

from db.csv_import import import_file
from db.models import Customer
from orders.coverage import NO_DISTRICT, CoverageError, CoverageRow, brand_coverage, tier_band
from orders.placement import place_order
from orders.settings import Settings, load_settings

SH = ZoneInfo("Asia/Shanghai")
WEEK = date(2026, 11, 16)

CATALOG = """code,name,price_per_carton,brand
P1,芙蓉王(硬),250,芙蓉王
P2,芙蓉王(软),260,芙蓉王
P3,白沙(硬),100,白沙
P4,利群(新版),170,
"""
CUSTOMERS = """code,name,tier,order_weekday,district,operator
A1,一号店,3,1,芙蓉区,wang
A2,二号店,4,1,芙蓉区,wang
A3,三号店,12,2,芙蓉区,wang
A4,四号店,22,1,芙蓉区,li
B1,五号店,5,5,天心区,li
B2,六号店,7,3,天心区,li
C1,七号店,30,1,,li
X9,关门店,1,1,芙蓉区,li
"""
HISTORY = """customer_code,order_date,product_code,qty
A1,2026-11-16,P1,2
A1,2026-11-16,P2,3
A2,2026-11-16,P1,1
B1,2026-11-20,P3,4
X9,2026-11-16,P1,10
A1,2026-11-09,P1,2
B1,2026-11-13,P3,2
B2,2026-11-11,P3,2
A4,2026-11-02,P1,5
A4,2026-11-23,P1,5
"""


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def week(engine: Engine, tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Engine:
    at = datetime(2026, 11, 15, 20, 0, tzinfo=SH)
    for kind, text in (("catalog", CATALOG), ("customers", CUSTOMERS), ("history", HISTORY)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        import_file(engine, kind, path, at=at)
    with engine.begin() as conn:
        conn.execute(update(Customer).where(col(Customer.code) == "X9").values(active=False))
    for code, lines, when in (
        ("A2", [("P1", 1)], datetime(2026, 11, 16, 10, 0, tzinfo=SH)),  # also in the history: counted once
        ("A3", [("P1", 4)], datetime(2026, 11, 17, 10, 0, tzinfo=SH)),
        ("B2", [("P4", 2)], datetime(2026, 11, 18, 10, 0, tzinfo=SH)),
    ):
        monkeypatch.setenv("TELESALES_NOW", when.isoformat())
        place_order(engine, settings, code, lines, week=WEEK, operator="wang")
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T09:00:00+08:00")
    return engine


def table(rows: list[CoverageRow]) -> dict[tuple[str, str | None], tuple[int, int, int, int, int]]:
    """(brand, group) -> (customers, ordered, prev_ordered, cartons, prev_cartons)."""
    return {(r.brand, r.group): (r.customers, r.ordered, r.prev_ordered, r.cartons, r.prev_cartons) for r in rows}


def test_coverage_by_district_counts_each_shop_once(week: Engine, settings: Settings) -> None:
    rows = brand_coverage(week, date(2026, 11, 19), by="district", settings=settings)  # any day of the week
    assert [(r.brand, r.group) for r in rows] == [
        ("芙蓉王", None),
        ("芙蓉王", "天心区"),
        ("芙蓉王", "芙蓉区"),
        ("芙蓉王", NO_DISTRICT),
        ("白沙", None),
        ("白沙", "天心区"),
        ("白沙", "芙蓉区"),
        ("白沙", NO_DISTRICT),
        ("利群(新版)", None),  # no brand in the catalog: the product's name stands in
        ("利群(新版)", "天心区"),
        ("利群(新版)", "芙蓉区"),
        ("利群(新版)", NO_DISTRICT),
    ]
    got = table(rows)
    # 芙蓉区 has 4 open shops (X9 is closed); A1, A2 (once), A3 ordered 芙蓉王 this week, A1 last week.
    assert got[("芙蓉王", "芙蓉区")] == (4, 3, 1, 2 + 3 + 1 + 4, 2)
    assert got[("芙蓉王", "天心区")] == (2, 0, 0, 0, 0)
    assert got[("芙蓉王", None)] == (7, 3, 1, 10, 2)
    assert got[("白沙", "天心区")] == (2, 1, 2, 4, 4)
    assert got[("利群(新版)", "天心区")] == (2, 1, 0, 2, 0)
    assert got[("利群(新版)", NO_DISTRICT)] == (1, 0, 0, 0, 0)

    fu = next(r for r in rows if (r.brand, r.group) == ("芙蓉王", "芙蓉区"))
    assert (fu.share, fu.prev_share, fu.change_pp, fu.growth) == (0.75, 0.25, 50.0, 4.0)
    bai = next(r for r in rows if (r.brand, r.group) == ("白沙", "天心区"))
    assert (bai.share, bai.prev_share, bai.change_pp, bai.growth) == (0.5, 1.0, -50.0, 0.0)
    li = next(r for r in rows if (r.brand, r.group) == ("利群(新版)", "天心区"))
    assert li.growth is None  # nothing last week: no growth rate
    total = next(r for r in rows if (r.brand, r.group) == ("芙蓉王", None))
    assert total.is_total and round(total.share * 100, 1) == 42.9 and round(total.change_pp, 1) == 28.6
    assert total.as_json() == {
        "brand": "芙蓉王",
        "group": None,
        "customers": 7,
        "ordered": 3,
        "share": 0.4286,
        "prev_ordered": 1,
        "prev_share": 0.1429,
        "change_pp": 28.57,
        "cartons": 10,
        "prev_cartons": 2,
        "growth": 4.0,
    }


def test_coverage_by_tier_band(week: Engine, settings: Settings) -> None:
    rows = brand_coverage(week, WEEK, by="tier", settings=settings)
    assert [r.group for r in rows if r.brand == "芙蓉王"] == [None, "1-5", "6-10", "11-15", "21-25", "26-30"]
    got = table(rows)
    assert got[("芙蓉王", "1-5")] == (3, 2, 1, 6, 2)  # A1 (3), A2 (4), B1 (5); X9 (1) is closed
    assert got[("芙蓉王", "11-15")] == (1, 1, 0, 4, 0)  # A3, from the order placed here
    assert got[("芙蓉王", "21-25")] == (1, 0, 0, 0, 0)  # A4 ordered around this week, not in it
    assert got[("白沙", "6-10")] == (1, 0, 1, 0, 2)
    assert got[("芙蓉王", None)] == (7, 3, 1, 10, 2)  # the total does not depend on the grouping


def test_a_week_with_no_orders_lists_nothing(week: Engine, settings: Settings) -> None:
    assert brand_coverage(week, date(2026, 6, 1), by="district", settings=settings) == []


def test_tier_bands_and_a_bad_grouping(week: Engine, settings: Settings) -> None:
    assert [tier_band(t) for t in (1, 5, 6, 10, 11, 26, 30)] == [
        "1-5",
        "1-5",
        "6-10",
        "6-10",
        "11-15",
        "26-30",
        "26-30",
    ]
    with pytest.raises(CoverageError, match="'district' or 'tier'"):
        brand_coverage(week, WEEK, by="shop_type", settings=settings)  # type: ignore[arg-type]
