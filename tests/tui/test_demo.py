"""The demo must convince someone from the trade: real brands, small shops mostly, habits, holidays, quotas."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from db import migrate
from db.engine import make_engine
from db.models import AppMeta, Customer, HistoryLine, Product, Quota, Supply, Ticket, TicketEvent, User
from orders.clock import now, today, week_of
from orders.summary import summarize
from orders.users import verify_pin
from tests.conftest import table_snapshot
from tui.demo import SIZES, DemoError, DemoSize, ensure_demo, holiday_uplift

ZONE = ZoneInfo("Asia/Shanghai")
TINY = DemoSize("small", customers=60, weeks=27, tickets=6)


def _build(engine: Engine, size: DemoSize = SIZES["small"], seed: int = 1) -> None:
    ensure_demo(engine, ZONE, size=size, seed=seed)


def _fresh(path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{path}")
    migrate.upgrade(eng)
    return eng


def _orders_by_customer(engine: Engine) -> dict[int, set[date]]:
    out: dict[int, set[date]] = defaultdict(set)
    with engine.connect() as conn:
        for cid, day in conn.execute(select(col(HistoryLine.customer_id), col(HistoryLine.order_date)).distinct()):
            out[cid].add(day)
    return out


def test_small_demo_is_what_the_trade_would_believe(engine: Engine) -> None:
    _build(engine)
    this_week = week_of(today(ZONE))
    with engine.connect() as conn:
        tiers = list(conn.execute(select(col(Customer.tier))).scalars())
        names = set(conn.execute(select(col(Product.name))).scalars())
        brands = set(conn.execute(select(col(Product.brand))).scalars())
        users = {u.login: u for u in conn.execute(select(User)).all()}
        last_order = conn.execute(select(func.max(col(HistoryLine.order_date)))).scalar_one()
        chinese_names = conn.execute(select(col(Customer.name), col(Customer.owner), col(Customer.phone))).all()
        open_tickets = conn.execute(select(Ticket).where(col(Ticket.status).in_(("open", "in_progress")))).all()
        opened_events = set(
            conn.execute(select(col(TicketEvent.ticket_id)).where(col(TicketEvent.kind) == "opened")).scalars()
        )
        zhonghua_quota = conn.execute(
            select(col(Quota.tier_from), col(Quota.tier_to), col(Quota.max_qty))
            .join(Product, col(Product.id) == col(Quota.product_id))
            .where(col(Product.name) == "中华(硬)", col(Quota.week) == this_week, col(Quota.customer_id).is_(None))
            .order_by(col(Quota.tier_from))
        ).all()
        supply_this_week = conn.execute(select(func.count()).where(col(Supply.week) == this_week)).scalar_one()
        meta = conn.execute(select(col(AppMeta.value)).where(col(AppMeta.key) == "demo")).scalar_one()

    assert 190 <= len(tiers) <= 210
    assert min(tiers) >= 1 and max(tiers) <= 30
    assert statistics.median(tiers) <= 12, "most licensed retailers are small shops"
    assert max(tiers) >= 20, "a few big shops exist too"
    assert {"中华(硬)", "中华(软)", "芙蓉王(硬)", "利群(硬新版)", "白沙(硬精品)", "红塔山(硬经典)"} <= names
    assert {"中华", "玉溪", "芙蓉王", "利群", "黄鹤楼", "云烟", "南京", "苏烟", "双喜", "真龙", "娇子"} <= brands
    shop_words = ("便利店", "烟酒店", "超市", "副食店", "农家店", "餐馆", "饭店", "小吃店", "酒家", "报刊亭")
    assert sum(any(w in name for w in shop_words) for name, _o, _p in chinese_names) > len(tiers) * 0.8
    assert all(owner and "\u4e00" <= owner[0] <= "\u9fff" for _n, owner, _p in chinese_names)
    assert all(phone and phone[0] in "01" for _n, _o, phone in chinese_names)

    assert users["demo"].role == "order_taker" and users["lead"].role == "shift_lead"
    assert verify_pin("0000", users["demo"].pin_hash) and verify_pin("0000", users["lead"].pin_hash)
    assert not verify_pin("1234", users["demo"].pin_hash)
    assert 3 <= sum(u.role == "order_taker" for u in users.values()) - 1 <= 9

    by_customer = _orders_by_customer(engine)
    assert len(by_customer) == len(tiers)
    spans = [(week_of(max(d)) - week_of(min(d))).days // 7 + 1 for d in by_customer.values()]
    assert min(spans) >= 26
    assert last_order < this_week, "history ends with last week"
    assert last_order >= this_week - timedelta(days=7)

    assert len(open_tickets) >= 5
    at = now()
    assert any(tk.due_at < at for tk in open_tickets), "some tickets are overdue"
    assert any(at <= tk.due_at <= at + timedelta(hours=1) for tk in open_tickets), "some fall due within the hour"
    assert all(tk.due_at > tk.opened_at for tk in open_tickets)
    assert {tk.id for tk in open_tickets} <= opened_events
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in tk.text) for tk in open_tickets)

    assert zhonghua_quota[0] == (1, 5, 1), "the smallest shops get a single carton of 中华"
    assert zhonghua_quota[-1][2] > 5, "the biggest shops get more"
    assert supply_this_week >= 5
    assert '"seed": 1' in meta and '"size": "small"' in meta


def test_demo_login_has_a_realistic_day_every_weekday(sqlite_engine: Engine) -> None:
    _build(sqlite_engine)
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            select(col(Customer.order_weekday), func.count())
            .where(col(Customer.operator) == "demo")
            .group_by(col(Customer.order_weekday))
        ).all()
    per_day = dict(rows)
    assert sorted(per_day) == [1, 2, 3, 4, 5, 6], "order days run Monday to Saturday"
    assert all(20 <= n <= 40 for n in per_day.values()), per_day


def test_same_seed_same_demo_other_seed_another(tmp_path: Path) -> None:
    first, again, other = (_fresh(tmp_path / f"{n}.db") for n in ("a", "b", "c"))
    _build(first, TINY, seed=7)
    _build(again, TINY, seed=7)
    _build(other, TINY, seed=8)
    assert table_snapshot(first) == table_snapshot(again)
    assert table_snapshot(first)["customer"] != table_snapshot(other)["customer"]
    assert table_snapshot(first)["history_line"] != table_snapshot(other)["history_line"]


def test_some_customers_order_less_often_lately(sqlite_engine: Engine) -> None:
    _build(sqlite_engine)
    this_week = week_of(today(ZONE))
    recent_start = this_week - timedelta(weeks=8)
    falling = 0
    by_customer = _orders_by_customer(sqlite_engine)
    for days in by_customer.values():
        weeks = {week_of(d) for d in days}
        earlier = [w for w in weeks if w < recent_start]
        recent = [w for w in weeks if w >= recent_start]
        earlier_rate = len(earlier) / (SIZES["small"].weeks - 8)
        recent_rate = len(recent) / 8
        if earlier_rate >= 0.75 and recent_rate <= earlier_rate * 0.6:
            falling += 1
    assert 0.03 * len(by_customer) <= falling <= 0.2 * len(by_customer), falling


def _cartons_by_week(engine: Engine) -> dict[date, int]:
    totals: dict[date, int] = defaultdict(int)
    with engine.connect() as conn:
        for day, qty in conn.execute(select(col(HistoryLine.order_date), col(HistoryLine.qty))):
            totals[week_of(day)] += qty
    return totals


def test_week_before_national_day_is_busier(sqlite_engine: Engine) -> None:
    _build(sqlite_engine)
    totals = _cartons_by_week(sqlite_engine)
    before_national_day = week_of(date(2026, 10, 1)) - timedelta(weeks=1)
    ordinary = statistics.median(v for w, v in totals.items() if holiday_uplift(w) == 1.0)
    assert totals[before_national_day] > 1.3 * ordinary


def test_weeks_before_spring_festival_are_the_busiest(tmp_path: Path) -> None:
    engine = _fresh(tmp_path / "year.db")
    _build(engine, DemoSize("small", customers=40, weeks=52, tickets=3))
    totals = _cartons_by_week(engine)
    festival_week = week_of(date(2026, 2, 17))
    ordinary = statistics.median(v for w, v in totals.items() if holiday_uplift(w) == 1.0)
    assert totals[festival_week - timedelta(weeks=1)] > 1.5 * ordinary
    assert totals[festival_week - timedelta(weeks=2)] > 1.3 * ordinary
    assert max(totals, key=lambda w: totals[w]) in {festival_week - timedelta(weeks=n) for n in (1, 2)}


def test_the_clock_moves_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELESALES_NOW", "2027-03-10T10:00:00+08:00")
    engine = _fresh(tmp_path / "later.db")
    _build(engine, TINY)
    summary = summarize(engine, ZONE)
    assert summary.last_order is not None and week_of(summary.last_order) == date(2027, 3, 1)
    assert date(2027, 3, 8) in summary.quota_weeks


def test_reuses_same_demo_and_refuses_real_data(sqlite_engine: Engine, tmp_path: Path) -> None:
    first = ensure_demo(sqlite_engine, ZONE, size=TINY, seed=3)
    again = ensure_demo(sqlite_engine, ZONE, size=TINY, seed=3)
    assert first.built and not again.built
    with pytest.raises(DemoError, match="--rebuild"):
        ensure_demo(sqlite_engine, ZONE, size=TINY, seed=4)
    assert ensure_demo(sqlite_engine, ZONE, size=TINY, seed=4, rebuild=True).built

    real = _fresh(tmp_path / "real.db")
    with real.begin() as conn:
        conn.execute(Customer.__table__.insert().values(code="430102000001", name="真实客户", tier=5, order_weekday=1))  # type: ignore[attr-defined]
    before = table_snapshot(real)
    for rebuild in (False, True):
        with pytest.raises(DemoError, match="not a demo"):
            ensure_demo(real, ZONE, size=TINY, seed=1, rebuild=rebuild)
    assert table_snapshot(real) == before
