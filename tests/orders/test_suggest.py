"""The suggestion rules, on plain data: what the order taker would check against the shop's order book."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from rich.cells import cell_len

from orders.quotas import QuotaRow, WeekLimits
from orders.suggest import (
    BRIEF_CELLS,
    BRIEF_FIRST_CELLS,
    WINDOW_OCCASIONS,
    Item,
    Lang,
    Season,
    ShopHistory,
    Suggestion,
    _cap_brief,
    _Need,
    _unavailable_brief,
    _usual_brief,
    suggest,
    weighted_median,
)

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


def test_two_cartons_every_other_week_are_suggested_when_due_and_not_the_week_after() -> None:
    shop = shop_with({YX.id: [2, 0] * 8})  # left out last week: due now
    line = next(x for x in suggest(shop, WEEK, CATALOG).lines if x.code == YX.code)
    assert line.qty == 2
    assert line.reason == "约每2次订货订一次,每次2条,这次该订了"
    shop = shop_with({YX.id: [0, 2] * 8})  # taken last week: not due
    assert qty(suggest(shop, WEEK, CATALOG, lang="en"), YX.code) is None


def test_a_lot_every_third_order_comes_round_on_the_third() -> None:
    for since, expected in ((1, None), (2, None), (3, 4)):
        series = [4, 0, 0] * 6
        shop = shop_with({YX.id: series[: len(series) - 3 + since]})  # last ordered `since` orders ago
        assert qty(suggest(shop, WEEK, CATALOG), YX.code) == expected, since


def test_a_product_the_shop_stopped_ordering_is_not_suggested() -> None:
    shop = shop_with({YX.id: [4] * 10 + [0] * 4})
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) is None
    shop = shop_with({YX.id: [4] * 10 + [0] * 3})  # never left out before, now three times running
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) is None
    # a shop that now and then leaves it out for three orders still has it
    shop = shop_with({YX.id: [4, 4, 0, 0, 0, 4, 4, 4, 0, 0, 0, 4, 4, 0, 0, 0, 4, 4, 4, 0, 0, 0]})
    assert qty(suggest(shop, WEEK, CATALOG), YX.code) == 4


def test_a_product_taken_up_lately_is_suggested_at_once() -> None:
    shop = shop_with({YX.id: [0] * 14 + [3, 3]})
    line = next(x for x in suggest(shop, WEEK, CATALOG).lines if x.code == YX.code)
    assert line.qty == 3


def _skipping_shop(skipped: list[int], catch_up: float = 1.0) -> ShopHistory:
    """A shop that orders 4 cartons of 玉溪 a week and, after the weeks it skips, makes them up by `catch_up`."""
    shop = ShopHistory(customer_id=7, code="C7", tier=10)
    owed = 0
    for k in range(20, 0, -1):
        monday = WEEK - timedelta(weeks=k)
        if k in skipped:
            owed += 1
            continue
        shop.weeks[monday] = {YX.id: round(4 * (1 + catch_up * owed)), BS.id: round(5 * (1 + catch_up * owed))}
        owed = 0
    return shop


def test_a_shop_that_skipped_last_week_gets_its_catch_up() -> None:
    shop = _skipping_shop([15, 11, 6, 1])  # it makes up a skipped week in full; last week it skipped
    line = next(x for x in suggest(shop, WEEK, CATALOG).lines if x.code == YX.code)
    assert line.qty == 7  # 4 and most of last week's 4: the share is shrunk towards a half after three skips
    assert "上周没订货,这次补上一些" in line.reason
    assert line.brief == "补上周·7条"
    en = next(x for x in suggest(shop, WEEK, CATALOG, lang="en").lines if x.code == YX.code)
    assert "no order last week" in en.reason
    # a shop that never made up its three skips gets about its usual 4 (a fifth of a week from the prior)
    shop = _skipping_shop([15, 11, 6, 1], catch_up=0.0)
    line = next(x for x in suggest(shop, WEEK, CATALOG).lines if x.code == YX.code)
    assert line.qty in (4, 5) and "补" not in line.reason


def test_a_week_the_wholesaler_was_closed_is_not_a_skipped_week() -> None:
    after_national_day = date(2026, 10, 12)  # the Monday order day of 5 October fell in the closure
    shop = _skipping_shop([15, 11, 6])
    shop.weeks = {w - (WEEK - after_national_day): lines for w, lines in shop.weeks.items()}
    del shop.weeks[date(2026, 10, 5)]
    assert qty(suggest(shop, after_national_day, CATALOG), YX.code) == 4


def test_a_growing_shop_is_suggested_more_than_its_half_year_median() -> None:
    growing = [round(3 * 1.04**k) for k in range(20)]  # 3 cartons growing 4 % a week to 6
    shop = shop_with({YX.id: growing, BS.id: growing})
    got = qty(suggest(shop, WEEK, CATALOG), YX.code)
    assert got is not None and got >= growing[-1]
    falling = list(reversed(growing))
    got = qty(suggest(shop_with({YX.id: falling, BS.id: falling}), WEEK, CATALOG), YX.code)
    assert got is not None and got <= falling[-1]


def test_a_shop_at_its_quota_every_week_is_suggested_this_weeks_whole_quota_never_more() -> None:
    shop = shop_with({RZH.id: [2] * 12})
    shop.caps = {w: {RZH.id: 2} for w in shop.weeks}  # the quota was 2: it took 2, it wanted more
    s = suggest(shop, WEEK, CATALOG, limits=limits_with(quota=3))
    line = next(x for x in s.lines if x.code == RZH.code)
    assert line.qty == 3  # this week's quota is 3
    assert line.reason.startswith("近12次订货订过12次,多数订满限量") and line.brief.startswith("回回订满")
    s = suggest(shop, WEEK, CATALOG, limits=limits_with(quota=3, used=2))
    assert qty(s, RZH.code) == 1  # what is left of the quota
    shop.caps = {}  # without the quota history, 2 a week is just 2
    assert qty(suggest(shop, WEEK, CATALOG, limits=limits_with(quota=3)), RZH.code) == 2


def test_last_years_national_day_rush_lifts_the_same_days_this_year() -> None:
    totals: dict[date, int] = {}
    lines: dict[date, int] = {}
    for k in range(1, 70):
        monday = date(2026, 9, 21) - timedelta(weeks=k)
        totals[monday], lines[monday] = 1000, 500
    before_last_year = date(2025, 9, 22)  # the Monday before last year's National Day week
    totals[before_last_year] = 1600
    season = Season(totals=totals, orders=lines)
    assert season.comparable(date(2026, 9, 21)) == before_last_year
    shop = shop_with({YX.id: [5] * 12})
    shop.weeks = {w - (WEEK - date(2026, 9, 21)): lines_ for w, lines_ in shop.weeks.items()}
    line = next(x for x in suggest(shop, date(2026, 9, 21), CATALOG, season=season).lines if x.code == YX.code)
    assert line.qty == 8
    assert line.reason.endswith(";去年同期各店多订约60%")


def test_every_brief_fits_sixteen_cells_and_every_reason_reads_out() -> None:
    shops = [
        shop_with({YX.id: [3] * 12, RZH.id: [5] * 12}),
        shop_with({YX.id: [2, 0] * 8, RZH.id: [2] * 16}),
        _skipping_shop([15, 11, 6, 1]),
        shop_with({YX.id: [round(3 * 1.05**k) for k in range(20)]}),
    ]
    shops[0].this_week = {YX.id: 1}
    shops[1].caps = {w: {RZH.id: 2} for w in shops[1].weeks}
    for shop in shops:
        for lang in ("zh", "en"):
            for limits in (None, limits_with(quota=2), limits_with(quota=4, used=4)):
                s = suggest(shop, WEEK, CATALOG, limits=limits, lang=lang)  # type: ignore[arg-type]
                for item in [*s.lines, *s.short]:
                    assert item.brief and cell_len(item.brief) <= 16, item.brief
                    assert len(item.reason) > len(item.brief)


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


def _all_briefs(lang: Lang) -> list[str]:
    """Every brief the suggestion can make, over the counts it can hold: occasions within WINDOW_OCCASIONS,
    a shop's cartons of one product in a week below 100, a supply left below 10,000."""
    shop = ShopHistory(customer_id=7, code="C7", tier=10)
    out: list[str] = []
    for taken, seen in ((1, 1), (9, 9), (20, 20), (1, WINDOW_OCCASIONS)):
        for qty in (1, 9, 99):
            for already in (0, 1, 99):
                for kind in ("usual", "at_limit", "every", "catch_up"):
                    need = _Need(
                        product_id=RZH.id, qty=qty, taken=taken, seen=seen, low=qty, high=qty, rate=None,
                        missed_last=False, season=1.0, every=float(seen) if kind == "every" else None,
                        catch_up=kind == "catch_up", at_limit=kind == "at_limit",
                    )  # fmt: skip
                    out.append(_usual_brief(need, already, lang))
    for quota in (1, 99):
        out.append(_cap_brief(RZH, limits_with(quota=quota), shop, lang))
    for supply in (1, 9999):
        out.append(_cap_brief(RZH, limits_with(supply=supply), shop, lang))
    out.append(_unavailable_brief(Item(99, "999999", "停", 100, 1, False), None, shop, lang))
    out.append(_unavailable_brief(RZH, limits_with(quota=4, used=4), shop, lang))
    out.append(_unavailable_brief(RZH, limits_with(supply=4, taken=4), shop, lang))
    made = suggest(shop_with({RZH.id: [5] * 12}), WEEK, CATALOG, limits=limits_with(quota=2), lang=lang)
    out += [line.brief for line in made.lines]  # the substitute's
    new = Item(98, "999998", "新", 100, 1, launched_on=WEEK)
    made = suggest(shop_with({RZH.id: [5] * 12}), WEEK, {**CATALOG, new.id: new}, lang=lang)
    assert any(line.kind == "new" for line in made.lines)
    out += [line.brief for line in made.lines]
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_brief_the_code_makes_fits_its_column(lang: Lang) -> None:
    """A brief fits 16 cells, and each 「·」 part of it 8: at 80 columns a row may have room for only the first
    part (the screen cuts a long name so that it has), and a part is shown whole or not at all."""
    briefs = _all_briefs(lang)
    assert len(set(briefs)) > 30
    for brief in briefs:
        assert brief and cell_len(brief) <= BRIEF_CELLS, brief
        assert all(0 < cell_len(part) <= BRIEF_FIRST_CELLS for part in brief.split("·")), brief


def test_a_brief_counts_within_the_occasions_it_names() -> None:
    """Weekly orders for 26 weeks: the brief and the reason count the last 20 occasions, 「20/20次」, never
    「24/24次」."""
    shop = shop_with({YX.id: [3] * 26})
    for lang in ("zh", "en"):
        line = next(x for x in suggest(shop, WEEK, CATALOG, lang=lang).lines if x.code == YX.code)  # type: ignore[arg-type]
        counts = [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+)", line.brief)]
        assert counts == [(20, 20)], line.brief
        assert "26" not in line.reason and "24" not in line.reason, line.reason
