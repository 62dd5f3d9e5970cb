"""The suggestion rules, on plain data: what the order taker would check against the shop's order book."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from orders.quotas import QuotaRow, WeekLimits
from orders.suggest import Item, Season, ShopHistory, Suggestion, suggest, weighted_median

WEEK = date(2026, 11, 23)  # a Monday
RZH = Item(1, "901002", "中华(软)", 58350, 1)
YX = Item(2, "902002", "玉溪(软)", 20140, 1)
BS = Item(3, "910001", "白沙(硬精品)", 10600, 3)
# same price class as 软中华 and within 15 % of its price: the candidates for a substitute
JZZ = Item(4, "901005", "中华(金中支)", 67800, 1)  # +16 %: too dear
HHL = Item(5, "905001", "黄鹤楼(硬珍品)", 55000, 1)  # -6 %
DCJ = Item(6, "906007", "云烟(软大重九)", 60000, 1)  # +3 %
HSL = Item(7, "911009", "黄山(天都)", 56000, 2)  # close price, other class
CATALOG = {i.id: i for i in (RZH, YX, BS, JZZ, HHL, DCJ, HSL)}


def weeks_back(n: int) -> list[date]:
    """The n Mondays before WEEK, oldest first."""
    return [WEEK - timedelta(weeks=k) for k in range(n, 0, -1)]


def shop_with(series: dict[int, list[int]], *, tier: int = 10, district: str | None = "芙蓉区") -> ShopHistory:
    """A shop that ordered every week; series[product] is its cartons per week, oldest first (0 = left out)."""
    n = max(len(v) for v in series.values())
    shop = ShopHistory(customer_id=7, code="C7", tier=tier, district=district)
    for i, monday in enumerate(weeks_back(n)):
        lines = {p: q[i] for p, q in series.items() if i < len(q) and q[i]}
        lines[BS.id] = lines.get(BS.id, 0) or 5  # the shop orders every week
        shop.weeks[monday] = lines
    return shop


def qty(result: Suggestion, code: str) -> int | None:
    return next((line.qty for line in result.lines if line.code == code), None)


def test_a_steady_product_is_suggested_at_its_usual_quantity_with_a_reason() -> None:
    s = suggest(shop_with({YX.id: [3] * 12}), WEEK, CATALOG)
    line = next(x for x in s.lines if x.code == YX.code)
    assert line.qty == 3
    assert line.reason == "近12次订货订过12次,每次3条"
    assert s.week == WEEK and s.customer == "C7"


def test_two_cartons_every_other_week_is_one_a_week_not_two_and_not_zero() -> None:
    shop = shop_with({YX.id: [2, 0] * 8})
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) == 1
    shop = shop_with({YX.id: [0, 2] * 8})
    line = next(x for x in suggest(shop, WEEK, CATALOG, lang="en").lines if x.code == YX.code)
    assert line.qty == 1
    assert "ordered 8 of the last 16 times" in line.reason


def test_a_product_the_shop_stopped_ordering_is_not_suggested() -> None:
    shop = shop_with({YX.id: [4] * 10 + [0] * 4})
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) is None
    shop = shop_with({YX.id: [4] * 10 + [0] * 3})  # three weeks out: still a product of this shop
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) in (2, 3)  # at its lately lower rate


def test_the_suggestion_follows_a_rising_trend() -> None:
    shop = shop_with({YX.id: [2] * 10 + [6] * 10})
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) == 6


def test_one_odd_week_does_not_move_the_suggestion() -> None:
    shop = shop_with({YX.id: [3] * 11 + [20]})
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) == 3


def test_missed_last_week_is_said() -> None:
    shop = shop_with({YX.id: [3] * 11 + [0]})
    line = next(x for x in suggest(shop, WEEK, CATALOG).lines if x.code == YX.code)
    assert line.reason.endswith(",上周未订")


def test_what_was_already_ordered_this_week_is_taken_off() -> None:
    shop = shop_with({YX.id: [5] * 12})
    shop.this_week = {YX.id: 3}
    line = next(x for x in suggest(shop, WEEK, CATALOG).lines if x.code == YX.code)
    assert line.qty == 2
    assert line.reason.endswith(";本周已订3条")
    shop.this_week = {YX.id: 5}
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) is None


def limits_with(quota: int | None = None, used: int = 0, supply: int | None = None, taken: int = 0) -> WeekLimits:
    limits = WeekLimits(WEEK)
    if quota is not None:
        limits.quota_rows[RZH.id] = [QuotaRow(RZH.id, 1, 30, None, quota)]
        limits.quota_used[(7, RZH.id)] = used
    if supply is not None:
        limits.supply_total[RZH.id] = supply
        limits.supply_used[RZH.id] = taken
    return limits


def test_a_capped_line_keeps_the_quota_and_offers_a_same_price_substitute() -> None:
    shop = shop_with({RZH.id: [5] * 12})
    s = suggest(shop, WEEK, CATALOG, limits=limits_with(quota=2))
    line = next(x for x in s.lines if x.code == RZH.code)
    assert line.qty == 2 and line.usual == 5
    assert line.reason.startswith("中华(软)本周限量2条,已按限量建议2条;同价位可选")
    sub = next(x for x in s.lines if x.kind == "substitute")
    assert sub.replaces == RZH.code
    assert sub.code in (HHL.code, DCJ.code)  # same class, within 15 %; not 金中支 (+16 %) nor 黄山 (class 2)
    assert sub.qty == 3
    assert sub.name in line.reason


def test_the_substitute_is_what_similar_shops_buy() -> None:
    shop = shop_with({RZH.id: [5] * 12})
    peers = {("芙蓉区", 1): {DCJ.id: 9, HHL.id: 2}}  # tier 10 is band 1 (6-10)
    s = suggest(shop, WEEK, CATALOG, limits=limits_with(quota=2), peers=peers)
    sub = next(x for x in s.lines if x.kind == "substitute")
    assert sub.code == DCJ.code
    assert sub.reason == "中华(软)本周紧张,同价位可选云烟(软大重九)(每条600元),同档位的店常订"
    s = suggest(shop, WEEK, CATALOG, limits=limits_with(quota=2), peers={("芙蓉区", 1): {HHL.id: 4}})
    assert next(x for x in s.lines if x.kind == "substitute").code == HHL.code


def test_a_used_up_quota_or_supply_moves_the_line_to_short_with_its_substitute() -> None:
    shop = shop_with({RZH.id: [5] * 12})
    s = suggest(shop, WEEK, CATALOG, limits=limits_with(quota=4, used=4))
    assert qty(s, RZH.code) is None
    assert s.short[0].code == RZH.code and s.short[0].wanted == 5
    assert s.short[0].reason.startswith("中华(软)本周限量4条,已订满;同价位可选")
    assert next(x for x in s.lines if x.kind == "substitute").qty == 5
    s = suggest(shop, WEEK, CATALOG, limits=limits_with(supply=100, taken=98))
    line = next(x for x in s.lines if x.code == RZH.code)
    assert line.qty == 2
    assert line.reason.startswith("中华(软)本周货源紧张,仅剩2条")


def test_the_substitute_itself_respects_its_own_limits() -> None:
    shop = shop_with({RZH.id: [5] * 12})
    limits = limits_with(quota=2)
    limits.supply_total[HHL.id] = 10
    limits.supply_used[HHL.id] = 9
    limits.supply_total[DCJ.id] = 10
    limits.supply_used[DCJ.id] = 10
    sub = next(x for x in suggest(shop, WEEK, CATALOG, limits=limits).lines if x.kind == "substitute")
    assert (sub.code, sub.qty) == (HHL.code, 1)


def test_a_discontinued_product_is_short_with_a_substitute() -> None:
    catalog = dict(CATALOG)
    catalog[RZH.id] = Item(RZH.id, RZH.code, RZH.name, RZH.price_fen, 1, active=False)
    s = suggest(shop_with({RZH.id: [5] * 12}), WEEK, catalog)
    assert s.short[0].reason.startswith("中华(软)已停供")
    assert any(x.kind == "substitute" and x.qty == 5 for x in s.lines)


def test_a_new_product_is_offered_once_and_never_instead_of_a_wanted_one() -> None:
    new = Item(9, "909003", "苏烟(硬金砂)", 21000, 1, launched_on=WEEK)
    catalog = {**CATALOG, new.id: new}
    shop = shop_with({YX.id: [3] * 12})
    s = suggest(shop, WEEK, catalog, order_day=WEEK)
    offer = next(x for x in s.lines if x.code == new.code)
    assert (offer.qty, offer.kind) == (1, "new")
    assert offer.reason == "新品上市(11月23日),可以先试1条"
    assert qty(s, YX.code) == 3  # still there
    # next week: the shop has ordered since the launch, so it was offered already
    shop.weeks[WEEK] = {YX.id: 3}
    assert qty(suggest(shop, WEEK + timedelta(weeks=1), catalog), new.code) is None
    # a shop that never buys class 1 is not offered a class 1 product
    cheap = shop_with({BS.id: [5] * 12})
    assert qty(suggest(cheap, WEEK, catalog), new.code) is None


def test_last_years_holiday_peak_lifts_the_same_week_this_year() -> None:
    totals = {}
    for k in range(1, 70):
        monday = WEEK - timedelta(weeks=k)
        totals[monday] = 1000
    totals[WEEK - timedelta(weeks=52)] = 1500  # last year this week every shop took half as much again
    season = Season(totals=totals)
    assert season.factor(WEEK) == pytest.approx(1.5)
    line = next(
        x for x in suggest(shop_with({YX.id: [4] * 12}), WEEK, CATALOG, season=season).lines if x.code == YX.code
    )
    assert line.qty == 6
    assert line.reason.endswith(";去年同期各店多订约50%")


def test_a_past_holiday_week_does_not_become_the_new_normal() -> None:
    totals = {WEEK - timedelta(weeks=k): 1000 for k in range(1, 70)}
    totals[WEEK - timedelta(weeks=1)] = 2000
    totals[WEEK - timedelta(weeks=2)] = 2000  # the last two weeks were a holiday rush for everyone
    shop = shop_with({YX.id: [3] * 10 + [6, 6]})
    assert qty(suggest(shop, WEEK, CATALOG, season=Season(totals=totals)), YX.code) == 3
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) == 3  # without the index the median still holds


def test_spring_festival_is_compared_with_last_years_festival_not_the_calendar_week() -> None:
    season = Season(festivals={2026: date(2026, 2, 17), 2027: date(2027, 2, 6)})
    # two weeks before the 2027 festival compares with two weeks before the 2026 one
    assert season.comparable(date(2027, 1, 18)) == date(2026, 2, 2)
    assert season.comparable(date(2027, 6, 7)) == date(2027, 6, 7) - timedelta(weeks=52)


def test_no_history_no_suggestion_and_reasons_never_push() -> None:
    empty = ShopHistory(customer_id=1, code="NEW", tier=3)
    assert suggest(empty, WEEK, CATALOG).lines == []
    shop = shop_with({RZH.id: [5] * 12, YX.id: [2, 0] * 6})
    for lang in ("zh", "en"):
        s = suggest(shop, WEEK, CATALOG, limits=limits_with(quota=2), lang=lang)  # type: ignore[arg-type]
        for text in [x.reason for x in s.lines] + [x.reason for x in s.short]:
            assert not re.search(r"(.)不\1|还要吗|要吗|or not", text), text


def test_weighted_median_resolves_a_tie_towards_the_mean() -> None:
    assert weighted_median([2, 0, 2, 0], [1, 1, 1, 1]) == 1
    assert weighted_median([3, 3, 20], [1, 1, 1]) == 3
    assert weighted_median([1, 5], [1, 3]) == 5
