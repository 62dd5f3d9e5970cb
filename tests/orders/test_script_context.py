"""What the call script says about a shop, built from a database filled through the public import paths,
on SQLite and PostgreSQL; and which script each kind of call gets."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert, select

from db.csv_import import import_file
from db.models import AppMeta, Call
from db.tables import CUSTOMER, PRODUCT, QUOTA_USAGE, SUPPLY_USAGE
from orders.retention import schedule_retention_call
from orders.script_context import (
    CALLBACK,
    COMPLAINT,
    NEW_PRODUCT,
    REGULAR,
    RETENTION,
    ScriptContextError,
    build_context,
    choose_script,
    next_order_day,
    prepare_script,
    upcoming_holiday,
)
from orders.settings import Settings, load_settings
from orders.summary import META_KEY
from orders.tickets import open_ticket
from orders.users import SignedIn, add_user
from scripts_lib.context import CallContext, ShortBrand
from scripts_lib.loader import ScriptLibrary

SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 12, 14, 10, 0, tzinfo=SH)  # a Monday morning, 18 days before New Year's Day
WEEK = date(2026, 12, 14)

CATALOG = """code,name,price_per_carton,launched_on
901001,中华(硬),381.6,
904001,芙蓉王(硬),250,
905001,黄鹤楼(软蓝),220,
910001,白沙(硬),100,
920001,芙蓉王(硬中支),260,2026-12-07
920002,白沙(和天下),800,2026-12-07
920003,南京(雨花石),450,2026-09-01
"""
CUSTOMERS = """code,name,tier,order_weekday,owner,operator
C1,张记小卖部,5,1,张建国,wang
C2,李记超市,12,3,李红,li
C3,新开便利店,3,2,,
"""


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _weeks_ago(n: int, weekday: int = 1) -> date:
    return WEEK - timedelta(weeks=n) + timedelta(days=weekday - 1)


@pytest.fixture
def settings() -> Settings:
    return load_settings(company_name="长沙市烟草公司")


@pytest.fixture
def shops(engine: Engine, tmp_path: Path, settings: Settings) -> Engine:
    """C1 orders every week, has an open complaint and buys a brand under quota; C2's orders are falling;
    C3 is new. Everything goes in through the import, user and ticket paths a deployment uses."""
    at = AT - timedelta(hours=1)
    import_file(engine, "catalog", _csv(tmp_path, "catalog", CATALOG), at=at)
    import_file(engine, "customers", _csv(tmp_path, "customers", CUSTOMERS), at=at)
    history = ["customer_code,order_date,product_code,qty"]
    for n in range(1, 17):
        day = _weeks_ago(n)
        history += [f"C1,{day},901001,2", f"C1,{day},904001,5", f"C1,{day},905001,1", f"C1,{day},910001,2"]
    history.append(f"C1,{WEEK - timedelta(days=6)},920002,1")  # tried one of the new products already
    for n in [*range(9, 17), 3]:  # eight weeks of orders, then one in the last eight
        history.append(f"C2,{_weeks_ago(n, 3)},904001,10")
    import_file(engine, "history", _csv(tmp_path, "history", "\n".join(history) + "\n"), at=at)
    quotas = f"week,product_code,tier_from,tier_to,max_qty\n{WEEK},901001,1,10,2\n{WEEK},901001,11,30,5\n"
    import_file(engine, "quotas", _csv(tmp_path, "quotas", quotas), at=at)
    supply = f"week,product_code,total_qty\n{WEEK},905001,100\n{WEEK},910001,100\n"
    import_file(engine, "supply", _csv(tmp_path, "supply", supply), at=at)
    with engine.begin() as conn:
        ids = {code: pid for pid, code in conn.execute(select(PRODUCT.c.id, PRODUCT.c.code))}
        conn.execute(  # what all shops together have ordered this week so far
            insert(SUPPLY_USAGE),
            [
                {"week": WEEK, "product_id": ids["905001"], "used_qty": 90},
                {"week": WEEK, "product_id": ids["910001"], "used_qty": 10},
            ],
        )
    add_user(engine, "wang", "小王", "order_taker", "1234")
    open_ticket(engine, "C1", "delivery_error", "少了两条芙蓉王", settings=settings, operator="wang", at=at)
    return engine


def _customer_id(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(CUSTOMER.c.id).where(CUSTOMER.c.code == code)).scalar_one())


# ------------------------------------------------------------------------------------------ the context


def test_the_context_holds_what_the_call_should_mention(shops: Engine, settings: Settings) -> None:
    ctx = build_context(shops, "C1", settings=settings, at=AT)
    assert (ctx.customer, ctx.shop_code, ctx.owner, ctx.operator) == ("张记小卖部", "C1", "张建国", "小王")
    assert ctx.company == "长沙市烟草公司"
    assert (ctx.today, ctx.time_of_day, ctx.next_order_day) == (WEEK, "morning", date(2026, 12, 21))
    assert ctx.holiday is not None and (ctx.holiday.name.zh, ctx.holiday.on) == ("元旦", date(2027, 1, 1))
    [ticket] = ctx.tickets
    assert (ticket.category, ticket.due.zh, ticket.due.en, ticket.overdue) == (
        "delivery_error",
        "今天下午5点前",
        "by 5:00 pm today",
        False,
    )
    assert ctx.short_brands == (
        ShortBrand("中华(硬)", "quota", quota=2, left=2),  # its tier rule covers tier 5
        ShortBrand("黄鹤楼(软蓝)", "supply", left=10),  # a tenth of the week's supply left
    )
    # supply with plenty left first, then the shop's own brands nothing limits, best sellers first
    assert ctx.plentiful_brands == ("白沙(硬)", "芙蓉王(硬)", "白沙(和天下)")
    assert ctx.new_products == ("芙蓉王(硬中支)",)  # 白沙(和天下) tried already, 南京(雨花石) not new any more
    assert (ctx.retention, ctx.callback, ctx.lang) == (False, None, "zh")


def test_render_shows_the_ticket_the_short_brand_and_the_holiday_in_their_steps(
    shops: Engine, settings: Settings
) -> None:
    prepared = prepare_script(shops, ScriptLibrary(), "C1", settings=settings, at=AT, script=REGULAR)
    said = {s.id: s for s in prepared.steps}
    order = [s.id for s in prepared.steps]
    assert said["greeting"].text == "张老板,上午好!我是长沙市烟草公司电访员小王,很高兴为您提供服务!"
    assert said["ticket_status"].kind == "information"
    assert said["ticket_status"].text == "您反映的配送出错问题,我们正在处理,\n会在今天下午5点前给您答复。"
    assert said["short_brands"].text == "这周紧俏的品规:中华(硬)限2条、黄鹤楼(软蓝)货源紧张,我按限量尽量给您配足。"
    assert said["holiday"].text == "元旦(1月1日)快到了,节前走货快,可以适当多备一点货。"
    assert said["holiday_wish"].text == "提前祝您元旦快乐!"
    assert said["close"].text == "好的,谢谢您的支持!下次订货日是下周一,祝您生意兴隆!"
    for info in ("ticket_status", "holiday", "short_brands"):
        assert order.index(info) < order.index("order") < order.index("readback") < order.index("close")
    as_json = prepared.as_json()
    assert as_json["script"] == "regular" and as_json["customer"] == "C1" and as_json["date"] == "2026-12-14"
    assert {"open_ticket", "short_brands", "holiday_near", "new_products"} <= set(as_json["flags"])


def test_the_chosen_script_for_that_shop_introduces_its_new_product_and_keeps_the_rest(
    shops: Engine, settings: Settings
) -> None:
    prepared = prepare_script(shops, ScriptLibrary(), "C1", settings=settings, at=AT, lang="en")
    assert prepared.name == NEW_PRODUCT
    said = {s.id: s.text for s in prepared.steps}
    assert said["new_products"].startswith("There is something new this week: 芙蓉王(硬中支).")
    assert "delivery error" in said["ticket_status"] and "by 5:00 pm today" in said["ticket_status"]
    assert said["short_brands"] == "Tight this week: 中华(硬) (max 2 cartons) and 黄鹤楼(软蓝) (short supply)."
    assert said["holiday"].startswith("New Year's Day (1 January) is coming")


def test_a_used_up_quota_and_a_customer_override(shops: Engine, settings: Settings, tmp_path: Path) -> None:
    override = f"week,product_code,tier_from,tier_to,max_qty,customer_code\n{WEEK},901001,1,30,4,C1\n"
    import_file(shops, "quotas", _csv(tmp_path, "override", override), at=AT)
    with shops.begin() as conn:
        pid = conn.execute(select(PRODUCT.c.id).where(PRODUCT.c.code == "901001")).scalar_one()
        conn.execute(
            insert(QUOTA_USAGE).values(week=WEEK, customer_id=_customer_id(shops, "C1"), product_id=pid, used_qty=4)
        )
    ctx = build_context(shops, "C1", settings=settings, at=AT)
    assert ctx.short_brands[0] == ShortBrand("中华(硬)", "quota", quota=4, left=0)
    said = {
        s.id: s.text
        for s in prepare_script(shops, ScriptLibrary(), "C1", settings=settings, at=AT, script=REGULAR).steps
    }
    assert said["short_brands"].startswith("这周紧俏的品规:中华(硬)本周已订满、")


def test_a_shop_whose_orders_fall_gets_the_retention_call(shops: Engine, settings: Settings) -> None:
    ctx = build_context(shops, "C2", settings=settings, at=AT)
    assert ctx.retention is True
    assert ctx.operator is None  # its order taker 'li' has no login here: the greeting does without a name
    assert ctx.short_brands == ()  # it never buys the tight brand, so it is not read out to this shop
    prepared = prepare_script(shops, ScriptLibrary(), "C2", settings=settings, at=AT)
    assert prepared.name == RETENTION
    assert prepared.steps[0].text == "李老板,上午好!我是长沙市烟草公司电访员。"
    assert [s.id for s in prepared.steps][:3] == ["greeting", "check_in", "listen"]


def test_a_retention_call_the_lead_planned_for_today_gets_the_retention_script(
    shops: Engine, settings: Settings
) -> None:
    """C1 orders every week, so only the lead's plan (made on Saturday for Monday's opening) makes it one."""
    assert build_context(shops, "C1", settings=settings, at=AT).retention is False
    lead = SignedIn(login="lead", name="赵班长", role="shift_lead")
    planned = schedule_retention_call(shops, "C1", by=lead, settings=settings, at=AT - timedelta(days=2))
    assert planned.due_at == datetime(2026, 12, 14, 8, 30, tzinfo=SH)
    assert build_context(shops, "C1", settings=settings, at=AT - timedelta(days=1)).retention is False  # Sunday
    ctx = build_context(shops, "C1", settings=settings, at=AT)
    assert ctx.retention is True and ctx.new_products  # retention comes before the new products
    assert prepare_script(shops, ScriptLibrary(), "C1", settings=settings, at=AT).name == RETENTION
    assert build_context(shops, "C1", settings=settings, at=AT + timedelta(days=1)).retention is False  # lapsed
    with shops.begin() as conn:  # the shop asked to be called back: the callback script still wins
        conn.execute(
            insert(Call).values(
                customer_id=_customer_id(shops, "C1"),
                operator="wang",
                started_at=AT - timedelta(minutes=30),
                outcome="callback_requested",
                callback_at=AT + timedelta(hours=1),
            )
        )
    assert prepare_script(shops, ScriptLibrary(), "C1", settings=settings, at=AT).name == CALLBACK


def test_a_new_shop_without_history_is_not_falling_and_hears_every_tight_brand(
    shops: Engine, settings: Settings
) -> None:
    ctx = build_context(shops, "C3", settings=settings, at=AT)
    assert ctx.retention is False and ctx.owner is None and ctx.operator is None
    assert [b.name for b in ctx.short_brands] == ["中华(硬)", "黄鹤楼(软蓝)"]
    assert ctx.next_order_day == date(2026, 12, 15)


def test_a_call_not_answered_today_makes_the_next_one_a_callback(shops: Engine, settings: Settings) -> None:
    cid = _customer_id(shops, "C3")
    with shops.begin() as conn:
        conn.execute(
            insert(Call).values(
                customer_id=cid, operator="wang", started_at=AT - timedelta(minutes=40), outcome="no_answer"
            )
        )
    prepared = prepare_script(shops, ScriptLibrary(), "C3", settings=settings, at=AT, operator="wang")
    assert (prepared.context.callback, prepared.name) == ("missed", CALLBACK)
    said = {s.id: s.text for s in prepared.steps}
    assert said["missed"].startswith("刚才给您打电话没打通") and "as_agreed" not in said
    assert said["greeting"] == "上午好!我是长沙市烟草公司电访员小王。"
    # a no-answer yesterday is just history; a callback the shop asked for counts
    tomorrow = AT + timedelta(days=1)
    assert build_context(shops, "C3", settings=settings, at=tomorrow).callback is None
    with shops.begin() as conn:
        conn.execute(
            insert(Call).values(
                customer_id=cid,
                operator="wang",
                started_at=AT - timedelta(minutes=10),
                outcome="callback_requested",
                callback_at=AT + timedelta(hours=5),
            )
        )
    assert build_context(shops, "C3", settings=settings, at=tomorrow).callback == "requested"


def test_the_company_comes_from_settings_then_the_demo_then_a_generic_phrase(shops: Engine) -> None:
    plain = load_settings()
    assert build_context(shops, "C1", settings=plain, at=AT).company is None
    steps = prepare_script(shops, ScriptLibrary(), "C1", settings=plain, at=AT, script=REGULAR).steps
    assert steps[0].text == "张老板,上午好!我是烟草公司电访员小王,很高兴为您提供服务!"
    with shops.begin() as conn:
        conn.execute(insert(AppMeta).values(key=META_KEY, value=json.dumps({"company": "株洲市烟草公司"})))
    assert build_context(shops, "C1", settings=plain, at=AT).company == "株洲市烟草公司"


def test_unknown_customer_and_operator_are_refused(shops: Engine, settings: Settings) -> None:
    with pytest.raises(ScriptContextError, match="unknown customer 'NOPE'"):
        build_context(shops, "NOPE", settings=settings, at=AT)
    with pytest.raises(ScriptContextError, match="unknown user 'nobody'"):
        build_context(shops, "C1", settings=settings, at=AT, operator="nobody")


def test_the_language_setting_reaches_the_context(shops: Engine) -> None:
    english = load_settings(lang="en")
    assert build_context(shops, "C1", settings=english, at=AT).lang == "en"


# ------------------------------------------------------------------------------------------------ pure


@pytest.mark.parametrize(
    ("day", "name", "on"),
    [
        (date(2026, 12, 14), "元旦", date(2027, 1, 1)),
        (date(2026, 9, 14), "中秋节", date(2026, 9, 25)),
        (date(2026, 9, 26), "国庆节", date(2026, 10, 1)),
        (date(2027, 1, 20), "春节", date(2027, 2, 6)),
        (date(2026, 5, 30), "端午节", date(2026, 6, 19)),
        (date(2026, 11, 23), None, None),  # the tests' fixed day: New Year is 39 days away
        (date(2026, 10, 1), None, None),  # on the holiday itself nothing is "coming"
    ],
)
def test_the_holiday_within_three_weeks(day: date, name: str | None, on: date | None) -> None:
    holiday = upcoming_holiday(day)
    assert (holiday.name.zh if holiday else None, holiday.on if holiday else None) == (name, on)


@pytest.mark.parametrize(
    ("weekday", "day", "expected"),
    [
        (1, date(2026, 12, 14), date(2026, 12, 21)),
        (3, date(2026, 12, 14), date(2026, 12, 16)),
        (1, date(2026, 12, 19), date(2026, 12, 21)),
        (7, date(2026, 12, 14), date(2026, 12, 20)),
    ],
)
def test_the_next_order_day(weekday: int, day: date, expected: date) -> None:
    assert next_order_day(weekday, day) == expected


def test_which_script_fits_the_call() -> None:
    base = CallContext(customer="店", shop_code="C")
    assert choose_script(base) == REGULAR
    assert choose_script(CallContext(customer="店", shop_code="C", new_products=("新品",))) == NEW_PRODUCT
    falling = CallContext(customer="店", shop_code="C", retention=True, new_products=("新品",))
    assert choose_script(falling) == RETENTION
    called = CallContext(customer="店", shop_code="C", retention=True, callback="missed")
    assert choose_script(called) == CALLBACK
    assert choose_script(called, inbound=True) == COMPLAINT
    assert choose_script(falling, available=["regular", "callback"]) == REGULAR
