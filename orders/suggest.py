"""The suggested order: what the shop usually takes, capped by this week's quota and supply, with a same-price
substitute for what is short, and a reason the order taker can read out.

Pure: everything arrives as plain data (`orders/suggest_data.py` reads it from the database in a few bulk
queries), so the rules are testable without a database and a whole day's customers run in one process.

How the weekly need is estimated, and why:
- The unit is the shop's order occasion (the week it orders), because that is what the order taker fills in;
  a shop's usual basket is the same whether it orders every week or every other week.
- Per product, the quantities over the shop's last occasions (0 where the product was left out) are weighted
  towards the recent ones, so a shop that is growing or shrinking is followed within a few weeks.
- A product the shop takes most times gets the weighted median of those quantities: it is what minimises the
  cartons to correct on an order, and one odd week (a holiday stock-up, a missed week) does not move it.
- A product the shop takes only some times (2 cartons every other week) gets its rate instead, rounded to
  whole cartons (1 a week), so an intermittent product is neither dropped nor over-suggested.
- A product left out of the last four occasions is one the shop has stopped ordering: not suggested.
- Holidays: every past week's quantities are divided by that week's seasonal index (all shops' cartons that
  week against the surrounding weeks), and the estimate is multiplied by the index of the same week last year
  (aligned on Spring Festival when it is near), so a holiday peak is neither taken as a new normal nor
  forgotten when it comes round again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import Literal

from orders.quotas import WeekLimits

Lang = Literal["zh", "en"]

WINDOW_OCCASIONS = 20  # the shop's last order occasions that count
WINDOW_WEEKS = 26  # ... within this many calendar weeks
HALF_LIFE = 10.0  # occasions: the weight of an occasion halves every HALF_LIFE occasions back
STOPPED_AFTER = 4  # left out of this many latest occasions in a row: the shop has stopped ordering it
RATE_BELOW = 0.7  # taken in fewer than this share of occasions (weighted): suggest the rate, not the median
SUBSTITUTE_PRICE_GAP = 0.15  # a substitute costs within ±15 % of the product it replaces
SEASON_NOISE = 0.1  # a seasonal index within 1 ± this is treated as 1
MAX_NEW_PRODUCTS = 2


@dataclass(frozen=True)
class Item:
    """A product as the suggestion needs it."""

    id: int
    code: str
    name: str
    price_fen: int
    price_band: int | None
    active: bool = True
    launched_on: date | None = None


@dataclass
class ShopHistory:
    """One shop's orders, as cartons per product per order week, all before the order being suggested."""

    customer_id: int
    code: str
    tier: int
    district: str | None = None
    weeks: dict[date, dict[int, int]] = field(default_factory=dict)  # week (Monday) -> product id -> cartons
    this_week: dict[int, int] = field(default_factory=dict)  # already ordered in the suggested week


@dataclass
class Season:
    """All shops' cartons per week, from which a week's seasonal index is read; `festivals` maps a year to its
    Spring Festival so that a week can be compared with the same week before last year's festival."""

    totals: dict[date, int] = field(default_factory=dict)
    festivals: dict[int, date] = field(default_factory=dict)
    _index: dict[date, float] = field(default_factory=dict, repr=False)

    def index(self, week: date) -> float:
        """That week's cartons against the median of the eight weeks around it (1.0 when unknown or noise)."""
        if week in self._index:
            return self._index[week]
        value = 1.0
        total = self.totals.get(week)
        if total:
            near = [week + timedelta(weeks=k) for k in (-4, -3, -2, -1, 1, 2, 3, 4)]
            around = [self.totals[w] for w in near if self.totals.get(w)]
            if len(around) >= 4:
                ratio = total / median(around)
                if abs(ratio - 1.0) > SEASON_NOISE:
                    value = min(3.0, max(0.33, ratio))
        self._index[week] = value
        return value

    def comparable(self, week: date) -> date:
        """The same week last year: aligned on Spring Festival within six weeks of it, else 52 weeks back."""
        for year in (week.year, week.year + 1):
            festival = self.festivals.get(year)
            last = self.festivals.get(year - 1)
            if festival is None or last is None:
                continue
            offset = week - _monday(festival)
            if abs(offset.days) <= 42:
                return _monday(last) + offset
        return week - timedelta(weeks=52)

    def factor(self, week: date) -> float:
        """How much busier `week` should be than usual, judged by the same week last year."""
        return self.index(self.comparable(week))


# peers[(district, tier band)][product id] = how many shops like this one ordered it lately
Peers = Mapping[tuple[str | None, int], Mapping[int, int]]


def tier_band(tier: int) -> int:
    """Tiers grouped in fives (1–5, 6–10 …): shops of a band are alike in size and in what they carry."""
    return (tier - 1) // 5


@dataclass(frozen=True)
class Line:
    """One suggested line. `kind`: usual (from the history), substitute, or new (a new product to try)."""

    code: str
    name: str
    qty: int
    reason: str
    product_id: int
    kind: str = "usual"
    usual: int | None = None  # what the history alone suggests, before quota and supply
    replaces: str | None = None  # a substitute's original product code
    brief: str = ""  # the reason in a few cells (「18/20次·常订3条」), for a row at 80 columns; `reason` in full


def brief_or_reason(line: Line | Short) -> str:
    """The brief reason, or the full one where no brief was made."""
    return line.brief or line.reason


@dataclass(frozen=True)
class Short:
    """A product the shop would take that it cannot get this week at all, with the words to say so."""

    code: str
    name: str
    wanted: int
    reason: str
    brief: str = ""  # the reason in a few cells (「限量已订满」), as `Line.brief`


@dataclass
class Suggestion:
    customer: str
    week: date
    lines: list[Line]
    short: list[Short] = field(default_factory=list)


@dataclass(frozen=True)
class _Need:
    product_id: int
    qty: int  # estimated cartons for this occasion, before what was already ordered this week
    taken: int  # occasions (of the last `seen`) the product was ordered in
    seen: int
    low: int  # the middle half of the quantities when ordered: low..high cartons
    high: int
    rate: float | None  # cartons per occasion, when the product is intermittent
    missed_last: bool
    season: float


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _quantile(values: Sequence[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cartons(low: int, high: int, lang: Lang) -> str:
    if lang == "en":
        span = str(low) if low == high else f"{low}-{high}"
        return f"{span} carton{'' if span == '1' else 's'}"
    return f"{low}条" if low == high else f"{low}-{high}条"


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    """The value where half the weight lies on each side; a tie between two values resolves to the one
    nearer the weighted mean, so 2,0,2,0 equally weighted gives the mean's side rather than an arbitrary end."""
    pairs = sorted(zip(values, weights, strict=True))
    total = sum(weights)
    mean = sum(v * w for v, w in pairs) / total
    acc = 0.0
    for i, (value, weight) in enumerate(pairs):
        acc += weight
        if math.isclose(acc, total / 2, rel_tol=1e-9) and i + 1 < len(pairs):
            upper = pairs[i + 1][0]
            return min(max(mean, value), upper)
        if acc > total / 2:
            return value
    return pairs[-1][0]


def estimate_needs(shop: ShopHistory, week: date, season: Season | None = None) -> list[_Need]:
    """The weekly need of each product the shop still orders, in the history's recency-weighted terms."""
    start = week - timedelta(weeks=WINDOW_WEEKS)
    occasions = sorted(w for w in shop.weeks if start <= w < week and shop.weeks[w])[-WINDOW_OCCASIONS:]
    if not occasions:
        return []
    n = len(occasions)
    weights = [0.5 ** ((n - 1 - i) / HALF_LIFE) for i in range(n)]
    index = [season.index(w) if season else 1.0 for w in occasions]
    target = season.factor(week) if season else 1.0
    products = {p for w in occasions for p in shop.weeks[w]}
    needs: list[_Need] = []
    for product in products:
        raw = [shop.weeks[w].get(product, 0) for w in occasions]
        if n >= STOPPED_AFTER and not any(raw[-STOPPED_AFTER:]):
            continue
        values = [q / s for q, s in zip(raw, index, strict=True)]
        presence = sum(wt for q, wt in zip(raw, weights, strict=True) if q) / sum(weights)
        taken = [q for q in raw if q]
        rate: float | None = None
        if presence < RATE_BELOW:
            rate = sum(v * wt for v, wt in zip(values, weights, strict=True)) / sum(weights)
            base = rate
        else:
            base = weighted_median(values, weights)
        qty = round_half_up(base * target)
        if qty <= 0:
            continue
        needs.append(
            _Need(
                product_id=product,
                qty=qty,
                taken=len(taken),
                seen=n,
                low=_quantile(taken, 0.25),
                high=_quantile(taken, 0.75),
                rate=rate,
                missed_last=occasions[-1] == week - timedelta(weeks=1) and raw[-1] == 0,
                season=target,
            )
        )
    return needs


# --------------------------------------------------------------------------------------------------- words


def _usual_reason(need: _Need, lang: Lang) -> str:
    if lang == "en":
        if need.rate is not None:
            text = f"ordered {need.taken} of the last {need.seen} times, about {need.rate:.1f} cartons a time"
        else:
            text = f"ordered {need.taken} of the last {need.seen} times, {_cartons(need.low, need.high, lang)} a time"
        if need.missed_last:
            text += "; not ordered last week"
        if need.season > 1:
            text += f"; this week last year shops took about {round((need.season - 1) * 100)}% more"
        elif need.season < 1:
            text += f"; this week last year shops took about {round((1 - need.season) * 100)}% less"
        return text
    if need.rate is not None:
        text = f"近{need.seen}次订货订过{need.taken}次,折合每次约{need.rate:.1f}条"
    else:
        text = f"近{need.seen}次订货订过{need.taken}次,每次{_cartons(need.low, need.high, lang)}"
    if need.missed_last:
        text += ",上周未订"
    if need.season > 1:
        text += f";去年同期各店多订约{round((need.season - 1) * 100)}%"
    elif need.season < 1:
        text += f";去年同期各店少订约{round((1 - need.season) * 100)}%"
    return text


def _usual_brief(need: _Need, already: int, lang: Lang) -> str:
    """「18/20次·常订3条」: how often the shop took it and how much, short enough for a row at 80 columns; parts
    joined by 「·」, most telling first, so a narrower row can drop the last ones (the cartons are in the row)."""
    if lang == "en":
        text = f"{need.taken}/{need.seen}·usual {need.qty}"
        return text + (f"·{already} in" if already else "")
    text = f"{need.taken}/{need.seen}次·常订{need.qty}条"
    return text + (f"·已订{already}" if already else "")


def _cap_brief(item: Item, limits: WeekLimits, shop: ShopHistory, lang: Lang) -> str:
    quota = limits.quota(shop.customer_id, shop.tier, item.id)
    quota_left = limits.quota_left(shop.customer_id, shop.tier, item.id)
    supply_left = limits.supply_left(item.id)
    if quota_left is not None and (supply_left is None or quota_left <= supply_left):
        return f"limit {quota}" if lang == "en" else f"限量{quota}条"
    return f"{supply_left} left" if lang == "en" else f"剩{supply_left}条"


def _unavailable_brief(item: Item, limits: WeekLimits | None, shop: ShopHistory, lang: Lang) -> str:
    if not item.active:
        return "stopped" if lang == "en" else "已停供"
    assert limits is not None
    if limits.quota_left(shop.customer_id, shop.tier, item.id) == 0:
        return "at limit" if lang == "en" else "限量满"
    return "sold out" if lang == "en" else "已订完"


def _already_reason(already: int, lang: Lang) -> str:
    return f"; {already} already ordered this week" if lang == "en" else f";本周已订{already}条"


def _cap_reason(item: Item, limits: WeekLimits, shop: ShopHistory, qty: int, lang: Lang) -> str:
    quota = limits.quota(shop.customer_id, shop.tier, item.id)
    quota_left = limits.quota_left(shop.customer_id, shop.tier, item.id)
    supply_left = limits.supply_left(item.id)
    by_quota = quota_left is not None and (supply_left is None or quota_left <= supply_left)
    if lang == "en":
        if by_quota:
            used = (quota or 0) - (quota_left or 0)
            said = f"{item.name} is limited to {quota} cartons a shop this week"
            return said + (f" ({used} already ordered)" if used else "") + f"; suggested {qty} within the limit"
        return f"{item.name} is short this week, {supply_left} cartons left in all; suggested {qty}"
    if by_quota:
        used = (quota or 0) - (quota_left or 0)
        said = f"{item.name}本周限量{quota}条"
        return said + (f"(已订{used}条)" if used else "") + f",已按限量建议{qty}条"
    return f"{item.name}本周货源紧张,仅剩{supply_left}条,已按货源建议{qty}条"


def _unavailable_reason(item: Item, limits: WeekLimits | None, shop: ShopHistory, lang: Lang) -> str:
    if not item.active:
        return f"{item.name} is no longer supplied" if lang == "en" else f"{item.name}已停供"
    assert limits is not None
    if limits.quota_left(shop.customer_id, shop.tier, item.id) == 0:
        quota = limits.quota(shop.customer_id, shop.tier, item.id)
        if lang == "en":
            return f"{item.name}: this week's limit of {quota} cartons is already ordered"
        return f"{item.name}本周限量{quota}条,已订满"
    return f"{item.name} is sold out this week" if lang == "en" else f"{item.name}本周货源已订完"


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen / 100:.2f}"


def _substitute_reason(original: Item, sub: Item, popular: bool, lang: Lang) -> str:
    if lang == "en":
        text = f"same price class as {original.name}, which is short: {_yuan(sub.price_fen)} yuan a carton"
        return text + ("; shops like this one often take it" if popular else "")
    text = f"{original.name}本周紧张,同价位可选{sub.name}(每条{_yuan(sub.price_fen)}元)"
    return text + (",同档位的店常订" if popular else "")


def _new_reason(item: Item, lang: Lang) -> str:
    if lang == "en":
        return f"new on the market since {item.launched_on:%m-%d}: one carton to try, if the shop likes"
    assert item.launched_on is not None
    return f"新品上市({item.launched_on.month}月{item.launched_on.day}日),可以先试1条"


# ------------------------------------------------------------------------------------------------ suggest


def _available(limits: WeekLimits | None, shop: ShopHistory, item: Item) -> int | None:
    if not item.active:
        return 0
    return None if limits is None else limits.available(shop.customer_id, shop.tier, item.id)


def _substitute(
    original: Item,
    shortfall: int,
    shop: ShopHistory,
    catalog: Mapping[int, Item],
    limits: WeekLimits | None,
    peers: Peers | None,
    taken: set[int],
) -> tuple[Item, int, bool] | None:
    """The active product of the same price class and a close price that the shop can get this week,
    preferring what shops of its district and tier band order."""
    popularity = (peers or {}).get((shop.district, tier_band(shop.tier)), {})
    best: tuple[tuple[float, float], Item, int] | None = None
    for item in catalog.values():
        if item.id in taken or item.id == original.id or not item.active:
            continue
        if item.price_band != original.price_band:
            continue
        if abs(item.price_fen - original.price_fen) > SUBSTITUTE_PRICE_GAP * original.price_fen:
            continue
        available = _available(limits, shop, item)
        qty = shortfall if available is None else min(shortfall, available)
        if qty <= 0:
            continue
        key = (-float(popularity.get(item.id, 0)), abs(item.price_fen - original.price_fen) / original.price_fen)
        if best is None or key < best[0]:
            best = (key, item, qty)
    if best is None:
        return None
    return best[1], best[2], best[0][0] < 0


def suggest(
    shop: ShopHistory,
    week: date,
    catalog: Mapping[int, Item],
    *,
    limits: WeekLimits | None = None,
    season: Season | None = None,
    peers: Peers | None = None,
    order_day: date | None = None,
    new_product_weeks: int = 8,
    lang: Lang = "zh",
) -> Suggestion:
    """The suggestion for the shop's order in `week` (a Monday); `order_day` (default: the Monday) dates it
    for the new-product rule."""
    day = order_day or week
    lines: list[Line] = []
    short: list[Short] = []
    wanted: list[tuple[_Need, Item]] = []
    for need in estimate_needs(shop, week, season):
        item = catalog.get(need.product_id)
        if item is not None:
            wanted.append((need, item))
    wanted.sort(key=lambda pair: (-pair[0].qty * pair[1].price_fen, pair[1].code))
    taken = {item.id for _need, item in wanted}
    substitutes: list[Line] = []
    for need, item in wanted:
        already = shop.this_week.get(item.id, 0)
        qty = need.qty - already
        if qty <= 0:
            continue
        reason = _usual_reason(need, lang) + (_already_reason(already, lang) if already else "")
        available = _available(limits, shop, item)
        if available is not None and available < qty:
            shortfall = qty - available
            found = _substitute(item, shortfall, shop, catalog, limits, peers, taken)
            alt = ""
            if found is not None:
                sub, sub_qty, popular = found
                taken.add(sub.id)
                substitutes.append(
                    Line(
                        sub.code,
                        sub.name,
                        sub_qty,
                        _substitute_reason(item, sub, popular, lang),
                        sub.id,
                        kind="substitute",
                        replaces=item.code,
                        brief="alt." if lang == "en" else "同价替代",
                    )
                )
                alt = f"; same price class: {sub.name}" if lang == "en" else f";同价位可选{sub.name}"
            if available <= 0:
                said = _unavailable_reason(item, limits, shop, lang)
                short.append(Short(item.code, item.name, qty, said + alt, _unavailable_brief(item, limits, shop, lang)))
                continue
            reason = _cap_reason(item, limits or WeekLimits(week), shop, available, lang) + alt
            brief = _cap_brief(item, limits or WeekLimits(week), shop, lang)
            qty = available
        else:
            brief = _usual_brief(need, already, lang)
        lines.append(Line(item.code, item.name, qty, reason, item.id, usual=need.qty, brief=brief))
    lines.extend(substitutes)
    lines.extend(_new_products(shop, week, day, catalog, limits, peers, new_product_weeks, taken, lang))
    return Suggestion(customer=shop.code, week=week, lines=lines, short=short)


def _new_products(
    shop: ShopHistory,
    week: date,
    day: date,
    catalog: Mapping[int, Item],
    limits: WeekLimits | None,
    peers: Peers | None,
    new_product_weeks: int,
    taken: set[int],
    lang: Lang,
) -> list[Line]:
    """A new product is offered once: at the shop's first order since its launch, one carton to try, and
    only in the price classes the shop already buys, so it never crowds out what the shop wants."""
    ordered = {p for lines in shop.weeks.values() for p in lines} | set(shop.this_week)
    bands = {catalog[p].price_band for p in ordered if p in catalog}
    popularity = (peers or {}).get((shop.district, tier_band(shop.tier)), {})
    offers: list[tuple[int, str, Item]] = []
    for item in catalog.values():
        launched = item.launched_on
        if launched is None or not item.active or item.id in ordered or item.id in taken:
            continue
        if not (launched <= day and (day - launched).days < new_product_weeks * 7):
            continue
        if item.price_band not in bands:
            continue
        if any(_monday(launched) <= w < week and lines for w, lines in shop.weeks.items()):
            continue  # offered at an earlier order since the launch
        available = _available(limits, shop, item)
        if available is not None and available < 1:
            continue
        offers.append((-popularity.get(item.id, 0), item.code, item))
    offers.sort(key=lambda o: (o[0], o[1]))
    brief = "new·try 1" if lang == "en" else "新品·试1条"
    return [
        Line(i.code, i.name, 1, _new_reason(i, lang), i.id, kind="new", brief=brief)
        for _p, _c, i in offers[:MAX_NEW_PRODUCTS]
    ]


def usual_quantities(shop: ShopHistory, week: date) -> dict[int, int]:
    """Per product the shop ordered lately, its typical cartons when it orders it: what the read-back compares
    a typed quantity with."""
    start = week - timedelta(weeks=WINDOW_WEEKS)
    taken: dict[int, list[int]] = {}
    for w, lines in shop.weeks.items():
        if start <= w < week:
            for product, qty in lines.items():
                taken.setdefault(product, []).append(qty)
    return {product: round_half_up(median(values)) for product, values in taken.items()}
