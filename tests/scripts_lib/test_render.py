"""Render as the order taker reads it: placeholders filled in the call's language, steps without their data
left out or replaced by their fallback, and never a raw `{placeholder}` on the screen."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scripts_lib.context import (
    FLAGS,
    MINIMAL_CONTEXT,
    PLACEHOLDERS,
    TYPICAL_CONTEXT,
    CallContext,
    Holiday,
    OpenTicket,
    ShortBrand,
    Words,
    time_of_day,
)
from scripts_lib.lint import check
from scripts_lib.loader import SHIPPED_DIR
from scripts_lib.model import LANGS, REQUIRED_KINDS, Lang, Script
from scripts_lib.render import day_phrase, flags, owner_address, render, values

SHIPPED: dict[str, Script] = {}
for _path in sorted(SHIPPED_DIR.glob("*.yaml")):
    _script, _problems = check(_path)
    assert _script is not None, _problems
    SHIPPED[_path.stem] = _script

MONDAY = date(2026, 12, 14)
SHOP = CallContext(
    customer="张记小卖部",
    shop_code="C1",
    owner="张建国",
    operator="小王",
    company="长沙市烟草公司",
    today=MONDAY,
    time_of_day="morning",
    next_order_day=date(2026, 12, 21),
)


def texts(script: str, ctx: CallContext, lang: Lang = "zh") -> dict[str, str]:
    return {s.id: s.text for s in render(SHIPPED[script], ctx, lang)}


def parse(yaml_text: str) -> Script:
    script, problems = check(yaml_text)
    assert script is not None, problems
    return script


def test_the_registries_match_what_render_knows() -> None:
    assert set(values(MINIMAL_CONTEXT, "zh")) == set(PLACEHOLDERS)
    assert set(flags(MINIMAL_CONTEXT)) == set(FLAGS)


def test_the_regular_greeting_names_the_owner_the_company_and_the_order_taker() -> None:
    said = texts("regular", SHOP)
    assert said["greeting"] == "张老板,上午好!我是长沙市烟草公司电访员小王,很高兴为您提供服务!"
    assert texts("regular", SHOP, "en")["greeting"] == (
        "Good morning, 张建国! This is 小王 from 长沙市烟草公司.\nHappy to help you today."
    )


@pytest.mark.parametrize(
    ("owner", "operator", "greeting"),
    [
        (None, "小王", "上午好!我是长沙市烟草公司电访员小王,很高兴为您提供服务!"),
        ("张建国", None, "张老板,上午好!我是长沙市烟草公司电访员,很高兴为您提供服务!"),
        (None, None, "上午好!我是长沙市烟草公司电访员,很高兴为您提供服务!"),
    ],
)
def test_missing_names_fall_back_to_a_greeting_without_them(
    owner: str | None, operator: str | None, greeting: str
) -> None:
    ctx = CallContext(**{**SHOP.__dict__, "owner": owner, "operator": operator})
    assert texts("regular", ctx)["greeting"] == greeting


def test_with_nothing_optional_known_every_required_step_is_still_said_and_nothing_is_raw() -> None:
    for name, script in SHIPPED.items():
        for lang in LANGS:
            steps = render(script, MINIMAL_CONTEXT, lang)
            assert set(REQUIRED_KINDS) <= {s.kind for s in steps}, name
            assert not any("{" in s.text or "}" in s.text for s in steps), name
            assert "烟草公司" in steps[0].text or "tobacco company" in steps[0].text


def test_steps_without_their_data_are_left_out() -> None:
    said = texts("regular", SHOP)
    for left_out in (
        "ticket_status",
        "ticket_late",
        "holiday",
        "short_brands",
        "substitute",
        "plentiful",
        "new_products",
        "holiday_wish",
    ):
        assert left_out not in said
    assert said["close"] == "好的,谢谢您的支持!下次订货日是下周一,祝您生意兴隆!"


def test_a_ticket_a_short_brand_and_a_holiday_each_appear_in_their_step() -> None:
    ctx = CallContext(
        **{
            **SHOP.__dict__,
            "tickets": (OpenTicket("delivery_error", Words("今天下午5点前", "by 5:00 pm today")),),
            "short_brands": (ShortBrand("中华(硬)", "quota", quota=2, left=2),),
            "holiday": Holiday(Words("元旦", "New Year's Day"), date(2027, 1, 1)),
        }
    )
    steps = render(SHIPPED["regular"], ctx, "zh")
    order = [s.id for s in steps]
    said = {s.id: s.text for s in steps}
    assert said["ticket_status"] == "您反映的配送出错问题,我们正在处理,\n会在今天下午5点前给您答复。"
    assert said["short_brands"] == "这周紧俏的品规:中华(硬)限2条,我按限量尽量给您配足。"
    assert said["holiday"] == "元旦(1月1日)快到了,节前走货快,可以适当多备一点货。"
    assert said["holiday_wish"] == "提前祝您元旦快乐!"
    # information comes before the order, the read-back before the close
    for info in ("ticket_status", "short_brands", "holiday", "substitute"):
        assert order.index(info) < order.index("order")
    assert order.index("readback") < order.index("close")
    en = {s.id: s.text for s in render(SHIPPED["regular"], ctx, "en")}
    assert (
        en["ticket_status"]
        == "About the delivery error you reported: we are on it,\nand we will get back to you by 5:00 pm today."
    )
    assert en["short_brands"].startswith("Tight this week: 中华(硬) (max 2 cartons).")


def test_an_overdue_ticket_gets_an_apology_instead_of_a_due_time() -> None:
    late = OpenTicket("counterfeit", Words("今天上午9点前", "by 9:00 am today"), overdue=True)
    said = texts("regular", CallContext(**{**SHOP.__dict__, "tickets": (late,)}))
    assert "ticket_status" not in said
    assert said["ticket_late"].startswith("您反映的疑似假烟问题,答复晚了,非常抱歉!")


def test_conditions_and_their_negation() -> None:
    script = parse(
        """
title: {zh: 测试, en: Test}
steps:
  - {id: greeting, kind: greeting, prompt: {zh: 您好!, en: Hello!}}
  - {id: known, kind: confirm, when: owner_known, prompt: {zh: 是老板吧, en: The owner}}
  - {id: unknown, kind: confirm, when: [not owner_known], prompt: {zh: 怎么称呼您, en: Your name}}
  - {id: both, kind: information, when: [owner_known, retention], prompt: {zh: 好久不见。, en: Long time.}}
  - {id: readback, kind: readback, prompt: {zh: 对吧, en: Right}}
  - {id: close, kind: close, prompt: {zh: 再见!, en: Bye!}}
"""
    )
    assert [s.id for s in render(script, SHOP)] == ["greeting", "known", "readback", "close"]
    assert [s.id for s in render(script, MINIMAL_CONTEXT)] == ["greeting", "unknown", "readback", "close"]
    falling = CallContext(**{**SHOP.__dict__, "retention": True})
    assert [s.id for s in render(script, falling)] == ["greeting", "known", "both", "readback", "close"]


def test_an_unlinted_script_with_a_typo_drops_the_step_instead_of_showing_the_placeholder() -> None:
    script = Script.model_validate(
        {
            "title": {"zh": "x", "en": "x"},
            "steps": [
                {"id": "a", "kind": "greeting", "prompt": {"zh": "您好{custmer}", "en": "Hi {custmer}"}},
                {"id": "b", "kind": "close", "when": ["no_such_flag"], "prompt": {"zh": "再见", "en": "Bye"}},
                {"id": "c", "kind": "close", "prompt": {"zh": "只有中文"}},
            ],
        }
    )
    assert [(s.id, s.text) for s in render(script, SHOP, "en")] == [("c", "只有中文")]


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        ("张建国", "张老板", "张建国"),
        ("欧阳红梅", "欧阳老板", "欧阳红梅"),
        ("欧阳", "欧老板", "欧阳"),  # a two-character name is surname + given name
        ("王姐", "王姐", "王姐"),
        ("李老板", "李老板", "李老板"),
        ("Lee", "Lee", "Lee"),
        ("  ", None, None),
        (None, None, None),
    ],
)
def test_the_owner_is_addressed_by_surname(name: str | None, zh: str | None, en: str | None) -> None:
    assert owner_address(name, "zh") == zh
    assert owner_address(name, "en") == en


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (date(2026, 12, 14), "今天", "today"),
        (date(2026, 12, 15), "明天", "tomorrow"),
        (date(2026, 12, 17), "本周四", "this Thursday"),
        (date(2026, 12, 21), "下周一", "next Monday"),
        (date(2027, 1, 1), "1月1日", "1 January"),
    ],
)
def test_days_are_said_relative_to_today(day: date, zh: str, en: str) -> None:
    assert day_phrase(day, MONDAY, "zh") == zh
    assert day_phrase(day, MONDAY, "en") == en


def test_lists_are_cut_at_three_and_say_so() -> None:
    brands = tuple(ShortBrand(n, "quota", quota=1, left=1) for n in ("甲", "乙", "丙", "丁"))
    ctx = CallContext(**{**SHOP.__dict__, "short_brands": brands, "new_products": ("新一", "新二")})
    assert values(ctx, "zh")["short_brands"] == "甲限1条、乙限1条、丙限1条等"
    assert values(ctx, "en")["short_brands"] == "甲 (max 1 cartons), 乙 (max 1 cartons), 丙 (max 1 cartons) and others"
    assert values(ctx, "en")["new_products"] == "新一 and 新二"


def test_short_brands_say_why_they_are_short() -> None:
    ctx = CallContext(
        **{
            **SHOP.__dict__,
            "short_brands": (
                ShortBrand("中华(硬)", "quota", quota=2, left=0),
                ShortBrand("黄鹤楼(软蓝)", "supply", left=30),
                ShortBrand("云烟(软大重九)", "supply", left=0),
            ),
        }
    )
    assert values(ctx, "zh")["short_brands"] == "中华(硬)本周已订满、黄鹤楼(软蓝)货源紧张、云烟(软大重九)本周已无货源"


def test_several_open_complaints_are_named_together_and_other_is_just_a_problem() -> None:
    due = Words("明天上午10点前", "by 10:00 am tomorrow")
    two = CallContext(**{**SHOP.__dict__, "tickets": (OpenTicket("damaged", due), OpenTicket("price", due))})
    assert values(two, "zh")["ticket"] == "货物破损、价格问题"
    assert values(two, "en")["ticket"] == "damaged goods and price issue"
    other = CallContext(**{**SHOP.__dict__, "tickets": (OpenTicket("other", due),)})
    assert values(other, "zh")["ticket"] == "问题" and values(other, "en")["ticket"] == "issue"


@pytest.mark.parametrize(("hour", "zh"), [(3, "您好"), (8, "上午好"), (12, "中午好"), (15, "下午好"), (20, "晚上好")])
def test_the_greeting_follows_the_time_of_day(hour: int, zh: str) -> None:
    ctx = CallContext(customer="店", shop_code="C", time_of_day=time_of_day(hour))
    assert values(ctx, "zh")["time_greeting"] == zh


def test_the_company_falls_back_to_a_generic_phrase() -> None:
    assert values(MINIMAL_CONTEXT, "zh")["company"] == "烟草公司"
    assert values(MINIMAL_CONTEXT, "en")["company"] == "the tobacco company"


def test_the_typical_context_fills_every_placeholder() -> None:
    for lang in LANGS:
        assert all(v for v in values(TYPICAL_CONTEXT, lang).values())


# Shop data never written with braces, so any brace in the output would be a placeholder left unfilled.
_text = st.text(alphabet=st.characters(exclude_characters="{}", exclude_categories=["Cs"]), min_size=1, max_size=8)
_names = st.one_of(st.none(), st.just(""), _text)
_contexts = st.builds(
    CallContext,
    customer=_text,
    shop_code=_text,
    owner=_names,
    operator=_names,
    company=_names,
    today=st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2030, 12, 31))),
    time_of_day=st.sampled_from([None, "morning", "noon", "afternoon", "evening"]),
    holiday=st.one_of(st.none(), st.builds(Holiday, st.just(Words("元旦", "New Year's Day")), st.dates())),
    tickets=st.lists(
        st.builds(
            OpenTicket,
            st.sampled_from(["counterfeit", "price", "other", "?"]),
            st.just(Words("明天", "tomorrow")),
            st.booleans(),
        ),
        max_size=3,
    ).map(tuple),
    short_brands=st.lists(
        st.builds(
            ShortBrand,
            _text,
            st.sampled_from(["quota", "supply"]),
            st.one_of(st.none(), st.integers(0, 9)),
            st.one_of(st.none(), st.integers(0, 9)),
        ),
        max_size=5,
    ).map(tuple),
    plentiful_brands=st.lists(_text, max_size=4).map(tuple),
    new_products=st.lists(_text, max_size=4).map(tuple),
    retention=st.booleans(),
    next_order_day=st.one_of(st.none(), st.dates(date(2025, 1, 1), date(2030, 12, 31))),
    callback=st.sampled_from([None, "requested", "missed"]),
)


@settings(max_examples=200, deadline=None)
@given(_contexts, st.sampled_from(LANGS))
def test_shipped_scripts_never_show_a_raw_placeholder_and_always_greet_read_back_and_close(
    ctx: CallContext, lang: Lang
) -> None:
    for name, script in SHIPPED.items():
        steps = render(script, ctx, lang)
        assert set(REQUIRED_KINDS) <= {s.kind for s in steps}, name
        for s in steps:
            assert "{" not in s.text and "}" not in s.text, (name, s)
