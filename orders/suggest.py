"""The suggested order: what the shop usually takes, capped by this week's quota and supply, with a same-price
substitute for what is short, and a reason the order taker can read out.

Pure: everything arrives as plain data (`orders/suggest_data.py` reads it from the database in a few bulk
queries), so the rules are testable without a database and a whole day's customers run in one process.

How the need of each product is estimated, and why (each part is switched off in turn by the back-test,
`bench/suggest_backtest.py`, which prints what it is worth; `PARTS` names them):
- The unit is the shop's order occasion (the week it orders), because that is what the order taker fills in.
- Whole cartons at the *median* of what the shop may order this time (`median`): the error the order taker
  corrects is the absolute one, and the median minimises it. A product ordered with probability P comes out
  as 0 below P = 1/2, else as the ((P - 1/2) / P) quantile of its usual quantities: a mean rounded at 0.5
  over-suggests the products a shop takes now and then and is not what the shop usually says.
- P is read from the occasions since the product was last ordered (`due`): a shop that takes two cartons
  every third order is due on the third, not a third of the way each time; a product left out for longer
  than the shop ever left it out (and more than four times) has been dropped, and one taken up lately counts
  from its first order, so a changed habit is followed at once. How often a product comes round and how
  much it is ordered are read over the last half year, recent orders weighing more (a year, `long_window`,
  gained too little on the back-test for twice the reading: measured, not used).
- A skipped week (`catch_up`): the next order makes up the share of the missed week that this shop makes up
  in its own history (shrunk towards a half when it has seldom skipped); a week the wholesaler was closed for
  a festival is not a skipped week, the shop stocked up before it.
- The shop's trend (`trend`): its cartons per order, per week, over the last half year (a robust slope, damped
  and bounded), so a growing or falling shop is not a half-year median behind.
- Festivals (`season`): every past order is divided by that day's index (cartons per ordering shop that day
  against the same weekday around it), and the estimate is multiplied by the index of the same day last year,
  aligned on Spring Festival or National Day when near, so a holiday rush is neither taken as a new normal nor
  forgotten when it comes round again.
- Quotas (`at_limit`): an order at the week's quota says the shop wanted at least that much; when that is
  what the shop usually did, it is suggested this week's whole quota, never more.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise
from statistics import median
from typing import Literal

from orders.calendar import festival_closure, national_day
from orders.quotas import WeekLimits

Lang = Literal["zh", "en"]

WINDOW_OCCASIONS = 20  # the shop's last order occasions whose quantities count
WINDOW_WEEKS = 26  # ... within this many calendar weeks
HISTORY_WEEKS = 56  # with the `long_window` part: how often a product comes round, read over a year
HALF_LIFE = 10.0  # occasions: the weight of an occasion halves every HALF_LIFE occasions back
STOPPED_AFTER = 4  # left out of more latest occasions than this, and longer than ever before: stopped
RATE_BELOW = 0.7  # without the median part: taken in fewer than this share of occasions, suggest the rate
CATCH_UP_PRIOR = 0.5  # share of a skipped week a shop makes up, before its own skips say otherwise
CATCH_UP_WEIGHT = 2.0  # ... counted as this many skips
TREND_MIN = 8  # occasions needed before a trend is read
TREND_DAMP = 8.0  # a slope from n occasions counts n / (n + TREND_DAMP)
TREND_BOUNDS = (0.7, 1.4)  # a trend never moves a quantity by more than this
SUBSTITUTE_PRICE_GAP = 0.15  # a substitute costs within ±15 % of the product it replaces
SEASON_NOISE = 0.1  # a seasonal index within 1 ± this is treated as 1
MAX_NEW_PRODUCTS = 2
BRIEF_CELLS = 16  # a brief reason fits this many terminal cells (a Chinese character is two)
BRIEF_FIRST_CELLS = 8  # ... and its first 「·」 part this many: at 80 columns a row may have room for no more

PARTS: dict[str, str] = {
    "median": "whole cartons at the median of the demand, 0 when an order is less likely than not",
    "due": "occasions since the product's last order decide if it is due",
    "long_window": "a year of orders for how often a product comes round (else half a year)",
    "catch_up": "a skipped week is partly made up on the next order",
    "trend": "the shop's own growth or decline",
    "season": "last year's same days around a festival",
    "at_limit": "orders at the quota count as wanting at least the quota",
}
ALL_PARTS = frozenset(PARTS)
# What runs: a year of orders instead of half a year gained 0.002 WAPE on the demo back-test and doubles the
# history a day's suggestions read, so it is measured (bench/suggest_backtest.py) but not used.
DEFAULT_PARTS = ALL_PARTS - {"long_window"}


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
    days: dict[date, date] = field(default_factory=dict)  # week -> the day it ordered (its Monday when unknown)
    caps: Mapping[date, Mapping[int, int]] = field(default_factory=dict)  # week -> product id -> its quota then


@dataclass
class Season:
    """Cartons per order day over all shops (and how many shops ordered that day), from which a day's
    festival index is read; `festivals` maps a year to its Spring Festival so that a day can be compared with
    the same day before last year's festival. Built once a day (`orders.suggest_data.season_for`) and shared
    by every suggestion of that day; a day's index is computed once, on first use.

    `totals` may be keyed by week (Mondays), with `orders` empty: the index is then per week's cartons."""

    totals: dict[date, int] = field(default_factory=dict)
    festivals: dict[int, date] = field(default_factory=dict)
    orders: dict[date, int] = field(default_factory=dict)  # day -> shops that ordered that day
    _index: dict[date, float] = field(default_factory=dict, repr=False)

    def _per_order(self, day: date) -> float | None:
        total = self.totals.get(day)
        if not total:
            return None
        if not self.orders:
            return float(total)
        count = self.orders.get(day)
        return total / count if count else None

    def index(self, day: date) -> float:
        """That day's cartons (per ordering shop) against the median of the same weekday in the eight weeks
        around it; 1.0 when unknown or within noise."""
        if day in self._index:
            return self._index[day]
        value = 1.0
        here = self._per_order(day)
        if here:
            near = (self._per_order(day + timedelta(weeks=k)) for k in (-4, -3, -2, -1, 1, 2, 3, 4))
            around = [v for v in near if v]
            if len(around) >= 4:
                ratio = here / median(around)
                if abs(ratio - 1.0) > SEASON_NOISE:
                    value = min(3.0, max(0.33, ratio))
        self._index[day] = value
        return value

    def comparable(self, day: date) -> date:
        """The same day last year, on the same weekday: aligned on Spring Festival within six weeks of it or on
        National Day within three, else 52 weeks back."""
        for year in (day.year, day.year + 1):
            festival = self.festivals.get(year)
            last = self.festivals.get(year - 1)
            if festival is None or last is None:
                continue
            offset = day - _monday(festival)
            if abs(offset.days) <= 42:
                return _monday(last) + offset
        offset = day - _monday(national_day(day.year))
        if abs(offset.days) <= 21:
            return _monday(national_day(day.year - 1)) + offset
        return day - timedelta(weeks=52)

    def factor(self, day: date) -> float:
        """How much more each shop should order on `day` than usual, judged by the same day last year."""
        return self.index(self.comparable(day))


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
    every: float | None = None  # occasions between orders of an intermittent product
    catch_up: bool = False  # the shop skipped its last order day: part of it is made up
    trend: float = 1.0
    at_limit: bool = False  # the shop usually ordered its whole quota: it wants at least this week's


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


def _weighted_quantile(pairs: Sequence[tuple[float, float]], q: float) -> float:
    """The smallest value with at least a share `q` of the weight at or below it."""
    ordered = sorted(pairs)
    total = sum(w for _v, w in ordered)
    acc = 0.0
    for value, weight in ordered:
        acc += weight
        if acc >= q * total - 1e-12:
            return value
    return ordered[-1][0]


def _skipped(since: date, until: date, weekday: int) -> int:
    """Order days between two occasions that the shop let pass, not counting a festival closure."""
    count = 0
    week = since + timedelta(weeks=1)
    if week >= until:
        return 0
    while week < until:
        if festival_closure(week + timedelta(days=weekday)) is None:
            count += 1
        week += timedelta(weeks=1)
    return min(3, count)


def _catch_up_share(occasions: Sequence[date], skipped: Mapping[date, int], totals: Mapping[date, float]) -> float:
    """The share of a skipped week this shop makes up on its next order, from its own skips, shrunk towards
    CATCH_UP_PRIOR when it has seldom skipped."""
    plain = [totals[w] for w in occasions if skipped[w] == 0]
    if len(plain) < 3:
        return CATCH_UP_PRIOR
    base = median(plain)
    ratios = [(totals[w] / base - 1.0) / skipped[w] for w in occasions if skipped[w] > 0 and base > 0]
    share = (sum(ratios) + CATCH_UP_PRIOR * CATCH_UP_WEIGHT) / (len(ratios) + CATCH_UP_WEIGHT)
    return min(1.0, max(0.0, share))


def _trend_slope(points: Sequence[tuple[float, float]]) -> float:
    """Theil-Sen slope of log cartons over weeks (robust to a holiday order), damped by the number of points."""
    if len(points) < TREND_MIN:
        return 0.0
    logs = [(x, math.log(y)) for x, y in points if y > 0]
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(logs) for x2, y2 in logs[i + 1 :] if x2 != x1]
    if not slopes:
        return 0.0
    return median(slopes) * len(points) / (len(points) + TREND_DAMP)


def estimate_needs(
    shop: ShopHistory,
    week: date,
    season: Season | None = None,
    *,
    order_day: date | None = None,
    parts: frozenset[str] = DEFAULT_PARTS,
) -> list[_Need]:
    """The need of each product the shop still orders, for its order on `order_day` (default: the Monday)."""
    day = order_day or week
    horizon = HISTORY_WEEKS if "long_window" in parts else WINDOW_WEEKS
    occasions = sorted(w for w in shop.weeks if week - timedelta(weeks=horizon) <= w < week and shop.weeks[w])
    recent_start = week - timedelta(weeks=WINDOW_WEEKS)
    recent = [w for w in occasions if w >= recent_start][-WINDOW_OCCASIONS:]
    if not recent:
        return []
    n = len(occasions)
    weight = [0.5 ** ((n - 1 - i) / HALF_LIFE) for i in range(n)]
    seasonal = season is not None and "season" in parts
    index = {w: season.index(shop.days.get(w, w)) if season and seasonal else 1.0 for w in occasions}
    target = season.factor(day) if season and seasonal else 1.0
    weekday = day.weekday()
    skipped = {w: 0 if i == 0 else _skipped(occasions[i - 1], w, weekday) for i, w in enumerate(occasions)}
    skipped_now = _skipped(occasions[-1], week, weekday)
    totals = {w: sum(shop.weeks[w].values()) / index[w] for w in occasions}
    share = _catch_up_share(recent, skipped, totals) if "catch_up" in parts else 0.0
    cover = {w: 1.0 + share * skipped[w] for w in occasions}
    cover_now = 1.0 + share * skipped_now
    slope = 0.0
    if "trend" in parts:
        slope = _trend_slope([(-(week - w).days / 7, totals[w] / cover[w]) for w in recent])

    levels = [
        min(TREND_BOUNDS[1], max(TREND_BOUNDS[0], math.exp(slope * (week - w).days / 7))) if slope else 1.0
        for w in occasions
    ]  # how much bigger the shop is now than at each occasion
    lines_at = [shop.weeks[w] for w in occasions]
    first_recent = next(i for i, w in enumerate(occasions) if w >= recent_start)
    caps = [shop.caps.get(w, {}) for w in occasions] if "at_limit" in parts and shop.caps else None
    due = "due" in parts
    products = {p for w in recent for p in shop.weeks[w]}
    occasions_of: dict[int, list[int]] = {}  # product -> the occasions (indices) it was ordered at
    for i, lines in enumerate(lines_at):
        for product in lines:
            found = occasions_of.get(product)
            if found is None:
                occasions_of[product] = [i]
            else:
                found.append(i)
    weight_after = [0.0] * (n + 1)  # weight_after[i]: the weight of occasions i..n-1
    for i in range(n - 1, -1, -1):
        weight_after[i] = weight_after[i + 1] + weight[i]
    needs: list[_Need] = []
    for product in products:
        ordered_at = occasions_of[product]
        first, last = ordered_at[0], ordered_at[-1]
        since = n - last  # occasions since it was last ordered, counting this one
        every_time = len(ordered_at) == n - first
        presence = 1.0 if every_time else sum(weight[i] for i in ordered_at) / weight_after[first]
        longest = 1 if every_time else max((b - a for a, b in pairwise(ordered_at)), default=1)
        if due and every_time:
            chance = 1.0  # ordered at every occasion since it was first: nothing says it would not be now
        elif due:
            # each occasion after the first order: how long since the product was last ordered, and was it
            same_n = later_n = 0
            same_w = same_yes = later_w = later_yes = 0.0
            previous = first
            for i in range(first + 1, n):
                gap = i - previous
                wt = weight[i]
                ordered = product in lines_at[i]
                if gap >= since:
                    later_n += 1
                    later_w += wt
                    if gap == since:
                        same_n += 1
                        same_w += wt
                    if ordered:
                        later_yes += wt
                        if gap == since:
                            same_yes += wt
                if ordered:
                    previous = i
            if same_n >= 2:
                chance = same_yes / same_w
            elif later_n >= 2:
                chance = later_yes / later_w
            elif since > longest:  # left out longer than ever before: less likely each time, then stopped
                chance = 0.0 if since > STOPPED_AFTER else presence * 0.75 ** (since - longest)
            else:
                chance = presence
        else:
            if since > STOPPED_AFTER:
                continue
            chance = presence
        regular = presence >= RATE_BELOW
        sizes = [i for i in ordered_at if i >= first_recent] or ordered_at
        values: list[tuple[float, float]] = []
        limit_seen = 0
        for i in sizes:
            w = occasions[i]
            qty = lines_at[i][product]
            cap = caps[i].get(product) if caps is not None else None
            if cap is not None and qty >= cap:
                values.append((math.inf, weight[i]))
                limit_seen = max(limit_seen, qty)
                continue
            values.append((qty / index[w] / (cover[w] if regular else 1.0) * levels[i], weight[i]))
        scale = target * (cover_now if regular else 1.0)
        at_limit = False
        if "median" in parts:
            if chance < 0.5:
                continue
            base = _weighted_quantile(values, (chance - 0.5) / chance)
            if math.isinf(base):
                at_limit, qty = True, limit_seen
            else:
                qty = round_half_up(base * scale)
        else:
            finite = [(v if not math.isinf(v) else float(limit_seen), wt) for v, wt in values]
            if chance >= RATE_BELOW:
                base = weighted_median([v for v, _w in finite], [wt for _v, wt in finite])
            else:
                base = chance * sum(v * wt for v, wt in finite) / sum(wt for _v, wt in finite)
            qty = round_half_up(base * scale)
        if qty <= 0:
            continue
        intervals = [b - a for a, b in pairwise(ordered_at)]
        taken = [shop.weeks[occasions[i]][product] for i in ordered_at if occasions[i] >= recent_start]
        taken = taken or [shop.weeks[occasions[last]][product]]
        seen = len([w for w in recent if w >= occasions[first]])
        # counted over the same occasions as `seen` (the last WINDOW_OCCASIONS), so a brief never says 「24/24次」
        # of a window of 20; the quantities said (low..high) still come from every order in the weeks
        times = sum(1 for i in ordered_at if occasions[i] >= recent[0]) or len(taken)
        needs.append(
            _Need(
                product_id=product,
                qty=qty,
                taken=times,
                seen=max(seen, times),
                low=_quantile(taken, 0.25),
                high=_quantile(taken, 0.75),
                rate=None if regular else chance * median(taken),
                missed_last=occasions[-1] == week - timedelta(weeks=1) and since > 1,
                season=target,
                every=None if regular or not intervals else float(median(intervals)),
                catch_up=regular and skipped_now > 0 and share >= 0.25,
                trend=levels[max(0, n - 8)],
                at_limit=at_limit,
            )
        )
    return needs


# --------------------------------------------------------------------------------------------------- words


def _percent(factor: float) -> int:
    return round(abs(factor - 1) * 100)


def _usual_reason(need: _Need, lang: Lang) -> str:
    """Why this quantity, in words to read out: how often and how much, then what moved it this time."""
    if lang == "en":
        if need.at_limit:
            text = f"ordered {need.taken} of the last {need.seen} times, mostly the whole limit"
        elif need.every is not None:
            text = (
                f"ordered about every {need.every:.0f} orders, {_cartons(need.low, need.high, lang)} a time; "
                "due this time"
            )
        elif need.rate is not None:
            text = f"ordered {need.taken} of the last {need.seen} times, about {need.rate:.1f} cartons a time"
        else:
            text = f"ordered {need.taken} of the last {need.seen} times, {_cartons(need.low, need.high, lang)} a time"
        if need.catch_up:
            text += "; no order last week, so some of that week is made up"
        elif need.missed_last and need.every is None:
            text += "; not ordered last week"
        if need.trend >= 1.1 or need.trend <= 0.9:
            text += f"; the shop's orders {'grew' if need.trend > 1 else 'fell'} about {_percent(need.trend)}% lately"
        if need.season > 1:
            text += f"; this week last year shops took about {_percent(need.season)}% more"
        elif need.season < 1:
            text += f"; this week last year shops took about {_percent(need.season)}% less"
        return text
    if need.at_limit:
        text = f"近{need.seen}次订货订过{need.taken}次,多数订满限量"
    elif need.every is not None:
        text = f"约每{need.every:.0f}次订货订一次,每次{_cartons(need.low, need.high, lang)},这次该订了"
    elif need.rate is not None:
        text = f"近{need.seen}次订货订过{need.taken}次,折合每次约{need.rate:.1f}条"
    else:
        text = f"近{need.seen}次订货订过{need.taken}次,每次{_cartons(need.low, need.high, lang)}"
    if need.catch_up:
        text += ",上周没订货,这次补上一些"
    elif need.missed_last and need.every is None:
        text += ",上周未订"
    if need.trend >= 1.1 or need.trend <= 0.9:
        text += f";近来进货{'增加' if need.trend > 1 else '减少'}约{_percent(need.trend)}%"
    if need.season > 1:
        text += f";去年同期各店多订约{_percent(need.season)}%"
    elif need.season < 1:
        text += f";去年同期各店少订约{_percent(need.season)}%"
    return text


def _cells(text: str) -> int:
    """Terminal cells: a Chinese character (or full-width sign) takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit_brief(parts: Sequence[str], cells: int = BRIEF_CELLS) -> str:
    """Parts joined by 「·」, most telling first, as many as fit in `cells` (the first one always)."""
    text = parts[0]
    for part in parts[1:]:
        if _cells(text + "·" + part) > cells:
            break
        text += "·" + part
    return text


def _usual_brief(need: _Need, already: int, lang: Lang) -> str:
    """「18/20次·常订3条」: how often the shop took it and how much, within BRIEF_CELLS for a row at 80 columns;
    what moved it this time (a skipped week, a product due, the quota) comes first when it did. Each part is
    at most BRIEF_FIRST_CELLS, so that a row that has room for only one shows it whole (English in the words
    of the draft's columns: 「max」 for a quota, 「ctn」 for cartons)."""
    if lang == "en":
        head = f"{need.taken}/{need.seen}"
        if need.at_limit:
            parts = ["at max", head]
        elif need.every is not None:
            parts = ["due", f"every {need.every:.0f}"]
        elif need.catch_up:
            parts = ["catch-up", f"{need.qty} ctn"]
        else:
            parts = [head, f"usual {need.qty}"]
        return fit_brief([*parts, f"{already} in"] if already else parts)
    head = f"{need.taken}/{need.seen}次"
    if need.at_limit:
        parts = ["回回订满", head]
    elif need.every is not None:
        parts = ["该订", f"每{need.every:.0f}次"]
    elif need.catch_up:
        parts = ["补上周", f"{need.qty}条"]
    else:
        parts = [head, f"常订{need.qty}条"]
    return fit_brief([*parts, f"已订{already}"] if already else parts)


def _cap_brief(item: Item, limits: WeekLimits, shop: ShopHistory, lang: Lang) -> str:
    quota = limits.quota(shop.customer_id, shop.tier, item.id)
    quota_left = limits.quota_left(shop.customer_id, shop.tier, item.id)
    supply_left = limits.supply_left(item.id)
    if quota_left is not None and (supply_left is None or quota_left <= supply_left):
        return f"max {quota}" if lang == "en" else f"限{quota}条"
    return f"stk {supply_left}" if lang == "en" else f"剩{supply_left}条"


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
    parts: frozenset[str] = DEFAULT_PARTS,
) -> Suggestion:
    """The suggestion for the shop's order in `week` (a Monday); `order_day` (default: the Monday) dates it
    for the festival index and the new-product rule. `parts` is for the back-test's ablation only."""
    day = order_day or week
    lines: list[Line] = []
    short: list[Short] = []
    wanted: list[tuple[_Need, Item]] = []
    for need in estimate_needs(shop, week, season, order_day=day, parts=parts):
        item = catalog.get(need.product_id)
        if item is None:
            continue
        if need.at_limit and limits is not None:  # wanted at least the quota: this week's whole quota
            quota = limits.quota(shop.customer_id, shop.tier, item.id)
            if quota is not None:
                need = replace(need, qty=quota)
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
    latest = max((w for w, lines in shop.weeks.items() if lines and w < week), default=None)
    for item in catalog.values():
        launched = item.launched_on
        if launched is None or not item.active or item.id in ordered or item.id in taken:
            continue
        if not (launched <= day and (day - launched).days < new_product_weeks * 7):
            continue
        if item.price_band not in bands:
            continue
        if latest is not None and latest >= _monday(launched):
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
