"""The demo database: a believable 长沙 call centre, built from a seed so anyone can replay the same day.

Everything is derived from `orders.clock.today()`, so `TELESALES_NOW` replays a demo exactly; history ends with
last week and quotas cover every week of the history, this week and next. Rows go in through SQLAlchemy Core in
batches inside one write transaction: a build that fails half-way leaves nothing behind, and the `app_meta` row
that marks a complete demo is written last. History is generated customer by customer and flushed in batches,
so the large demo never holds its millions of lines in memory.

How a shop's order book is drawn (so that a back-test can tell a good suggestion from a naive one, the way
real order books do):
- *Basket.* Each shop carries 4–24 products, bigger shops more and dearer ones; a product's usual weekly
  cartons fall off with its rank in the basket. A product the shop sells less than about a carton a week is
  *intermittent*: the shop keeps a few cartons on the shelf, sells them down week by week and orders a lot
  of 2–4 weeks' sales when the shelf runs low, so the product turns up every few weeks, not every week.
- *Skipped weeks.* A shop misses some order days (away, busy, enough stock); its next order carries part of
  the missed week's sales (50–100 %, a habit of the shop): the "order for two" the trade knows. A falling
  shop misses more and more of its last eight weeks and does not catch up.
- *Trend.* About a quarter of the shops grow or shrink by 1–2.5 % a week from some point in the last half
  year (a competitor opened, a road reopened).
- *Habits change.* Some shops take up a product they never carried (from then on it is in the basket) and
  some drop one they used to take (from then on it is gone).
- *Festivals.* The wholesaler is closed from Spring Festival eve to its sixth day and for the National Day
  golden week (`orders.calendar.festival_closure`): an order day that falls in a closure has no order. The
  weeks before are the busiest (gifts and stocking up, dear brands most: `holiday_uplift`); the two weeks
  after Spring Festival are quiet, the shelves still full.
- *Tight brands.* The eight 紧俏 brands have a quota per tier band that changes a little from week to week
  (plentiful weeks +1, short weeks -1, more before Spring Festival); many shops want more than the quota, so
  the recorded orders sit at the limit and understate what was wanted. The quota rows of every history week
  are written, so a back-test knows what capped each order.
- *Noise.* Quantities vary ±25 % around the usual, rounded at random, and 8 % of the time a regular product
  is left out of an order.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import random
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlmodel import col

from db.engine import write_transaction
from db.models import (
    AppMeta,
    AuditLog,
    Call,
    Customer,
    HistoryLine,
    Order,
    OrderLine,
    Product,
    Quota,
    Supply,
    Ticket,
    TicketEvent,
    User,
)
from orders.calendar import festival_closure, national_day, spring_festival
from orders.clock import now, today, week_of
from orders.policy import allow_fixed_clock
from orders.summary import META_KEY, DemoMeta, read_meta
from orders.users import hash_pin

DEMO_PIN = "0000"
DEMO_ACTOR = "system:demo"  # who turned the demo's clock_override on, on its policy row
BATCH = 5_000
CITY = "长沙"
COMPANY = "长沙市烟草公司"

# (name, six-digit administrative code used as the licence-number prefix, weight)
DISTRICTS: tuple[tuple[str, str, float], ...] = (
    ("芙蓉区", "430102", 1.0),
    ("天心区", "430103", 1.0),
    ("岳麓区", "430104", 1.4),
    ("开福区", "430105", 1.1),
    ("雨花区", "430111", 1.4),
    ("望城区", "430112", 0.9),
    ("长沙县", "430121", 1.2),
    ("浏阳市", "430181", 1.1),
    ("宁乡市", "430182", 1.0),
)
ROADS = (
    "五一大道",
    "解放西路",
    "黄兴路",
    "芙蓉中路",
    "韶山北路",
    "劳动东路",
    "麓山南路",
    "枫林三路",
    "湘江中路",
    "东二环",
    "万家丽路",
    "人民东路",
    "雨花亭",
    "星沙大道",
    "金阳大道",
    "宁乡花明路",
    "高塘岭",
    "德雅路",
    "伍家岭",
    "侯家塘",
    "桐梓坡路",
    "井湾子",
    "东塘",
    "沙湾路",
    "洪山路",
    "车站北路",
)
# shop type, weight, scale of weekly volume, typical tier shift
SHOP_TYPES: tuple[tuple[str, float, float, int], ...] = (
    ("便利店", 34, 1.0, 0),
    ("烟酒店", 18, 1.25, 4),
    ("副食店", 16, 0.85, -1),
    ("超市", 10, 1.3, 5),
    ("餐饮", 8, 0.6, -2),
    ("报刊亭", 3, 0.5, -3),
    ("娱乐场所", 4, 0.7, 0),
    ("农家店", 7, 0.8, -1),
)
SHOP_WORDS = (
    "惠民",
    "鑫源",
    "兴旺",
    "万家福",
    "佳佳",
    "好又多",
    "便民",
    "顺发",
    "永盛",
    "聚福",
    "富源",
    "康乐",
    "诚信",
    "红星",
    "利民",
    "金穗",
    "旺旺",
    "新世纪",
    "百佳",
    "家家乐",
    "福满多",
    "天天",
    "如意",
    "和顺",
    "盛世",
    "德隆",
    "湘江",
    "麓山",
    "星城",
    "橘洲",
    "华润",
    "步步高",
    "友谊",
    "长青",
    "金龙",
    "嘉禾",
    "金盾",
    "阳光",
    "喜来",
)
SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "邓",
    "彭",
    "曾",
    "肖",
    "田",
    "蒋",
    "袁",
    "易",
    "欧阳",
)
GIVEN = (
    "建国",
    "志强",
    "秀英",
    "桂兰",
    "伟",
    "芳",
    "军",
    "海燕",
    "红梅",
    "国华",
    "春生",
    "丽华",
    "德明",
    "建华",
    "卫东",
    "小平",
    "晓燕",
    "勇",
    "敏",
    "桂芳",
    "长生",
    "满意",
    "冬梅",
    "爱民",
    "新华",
    "金凤",
    "湘平",
    "湘云",
    "立新",
    "玉兰",
    "水生",
    "秋菊",
    "铁牛",
    "雪梅",
    "国强",
    "利平",
    "艳",
    "娟",
    "斌",
    "辉",
)
NOTES = (
    "店面装修中,{month}月底重新开业,装修期间少订或不订。",
    "老板娘接电话居多,老板下午两点后在店。",
    "上午进货忙,请下午两点后再打。",
    "周边新开一家超市,竞争大,注意维护,多推荐{brand}。",
    "该店周边工地多,{brand}好卖,可适当推荐。",
    "要求送货前电话联系,店里中午关门。",
    "有意提档,近期销量上升,注意关注。",
    "老板对上次断货有意见,沟通时注意态度。",
    "新品{new}可以试推,老板愿意尝试新品。",
    "店主年纪大,说话慢,耐心听完再报量。",
)

# Brands that are tight (紧俏) this season: supply planned per week, a per-customer quota by tier.
# (product code, quota per tier band 1-5, 6-10, 11-15, 16-20, 21-25, 26-30)
TIGHT: dict[str, tuple[int, int, int, int, int, int]] = {
    "901001": (1, 2, 3, 5, 8, 12),  # 中华(硬)
    "901002": (1, 1, 2, 3, 5, 8),  # 中华(软)
    "901003": (1, 1, 2, 3, 4, 6),  # 中华(双中支)
    "901006": (1, 1, 2, 3, 4, 6),  # 中华(细支)
    "905001": (1, 2, 3, 4, 6, 10),  # 黄鹤楼(软蓝)
    "906007": (1, 1, 1, 2, 3, 5),  # 云烟(软大重九)
    "908003": (1, 1, 2, 3, 4, 6),  # 南京(雨花石)
    "904004": (1, 1, 2, 2, 3, 5),  # 芙蓉王(软蓝)
}
TIER_BANDS = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 25), (26, 30))

# How much retailers here move each product, relative to 1.0; the city's own brands (芙蓉王, 白沙) sell best.
POPULAR: dict[str, float] = {
    "904001": 9.0,
    "910001": 8.0,
    "910002": 7.0,
    "910003": 4.0,
    "904002": 4.0,
    "904003": 3.0,
    "903001": 6.0,
    "901001": 6.0,
    "901002": 3.0,
    "907001": 5.0,
    "907002": 3.0,
    "902002": 4.0,
    "902001": 3.0,
    "905003": 4.0,
    "905001": 3.0,
    "908001": 4.0,
    "908002": 3.0,
    "906001": 3.0,
    "906002": 3.0,
    "915001": 3.0,
    "915002": 2.5,
    "928001": 2.0,
    "920001": 2.0,
    "934001": 1.5,
    "932001": 1.5,
    "909001": 2.0,
    "913001": 1.5,
    "914001": 1.5,
    "911001": 2.0,
    "912001": 1.5,
    "926001": 2.0,
    "927001": 1.0,
    "931001": 1.2,
}
BRAND_BOOST = {"芙蓉王": 2.0, "白沙": 2.0}
DISCONTINUED_WEEKS_AGO = 9  # the old editions were replaced by their successors this many weeks ago
INTERMITTENT_BELOW = 1.2  # usual cartons a week under which a shop orders a product in lots, every few weeks

# Complaint wording as retailers say it; {brand} is one of the shop's usual products.
TICKET_TEXTS: dict[str, tuple[str, ...]] = {
    "counterfeit": (
        "上周送来的{brand}有两条包装颜色不对,摸着手感也不一样,怀疑是假烟,你们要给个说法。",
        "顾客拿回来一包{brand},说味道不对,我看钢印也模糊,是不是配送的货有问题?",
    ),
    "delivery_error": (
        "我订的是{brand}五条,送来的只有三条,还多了一条我没订的。",
        "送货的把隔壁店的货放我这了,我的{brand}到现在没送到。",
    ),
    "sorting_error": (
        "箱子里少了两条{brand},送货员说是分拣那边出的错,到现在也没补。",
        "这次送来的{brand}跟单子上的规格对不上,分拣搞错了吧。",
    ),
    "out_of_supply": (
        "{brand}我每周就要两条,连着三周都说没货源,隔壁店怎么就有?",
        "好卖的{brand}总是不给,难卖的硬塞给我,这样我生意没法做。",
    ),
    "wrong_order": (
        "我说的是软的,给我下成硬的了,{brand}客人都不要,能不能退?",
        "电话里我说的是两条{brand},单子上变成了十二条,压了货。",
    ),
    "attitude": (
        "上次打电话那个小伙子口气很冲,我话还没说完就挂了。",
        "电访员催我快点报,我问一下{brand}的价格都不耐烦。",
    ),
    "price": (
        "{brand}的批发价怎么又涨了,零售价卖不上去,利润太薄了。",
        "周边有人{brand}卖得比指导价低,我这卖不动,你们管不管?",
    ),
    "damaged": (
        "送来的一件货外箱泡了水,里面有{brand}五条受潮了。",
        "{brand}有三条外包装破了,烟都压扁了,顾客不要。",
    ),
    "over_promise": (
        "上个月说好这周给我加两条{brand}的量,结果还是一条。",
        "客户经理说{brand}先保证我们店的量,结果别人都有了我还没有。",
    ),
    "other": (
        "想问一下许可证延续要准备什么材料,上次说帮我问也没回音。",
        "送货时间能不能改到下午,上午店里没人收货。",
    ),
}
# Hours promised for a reply, per category, until the working-hours rules arrive.
TICKET_DUE_HOURS: dict[str, int] = {
    "counterfeit": 4,
    "delivery_error": 8,
    "sorting_error": 8,
    "out_of_supply": 24,
    "wrong_order": 8,
    "attitude": 24,
    "price": 48,
    "damaged": 8,
    "over_promise": 24,
    "other": 48,
}
PRODUCT_CATEGORIES = {"counterfeit", "delivery_error", "sorting_error", "out_of_supply", "wrong_order", "damaged"}

# (login, name, role); `demo` and `lead` are the advertised logins.
STAFF: tuple[tuple[str, str, str], ...] = (
    ("demo", "小王", "order_taker"),
    ("lead", "刘敏", "shift_lead"),
    ("li", "小李", "order_taker"),
    ("zhang", "小张", "order_taker"),
    ("chen", "小陈", "order_taker"),
    ("zhao", "小赵", "order_taker"),
    ("sun", "小孙", "order_taker"),
    ("zhou", "小周", "order_taker"),
    ("wu", "小吴", "order_taker"),
    ("xu", "小徐", "order_taker"),
    ("ma", "小马", "order_taker"),
)


@dataclass(frozen=True)
class DemoSize:
    """How big a demo is; tests may ask for a smaller one than the named sizes."""

    name: str
    customers: int
    weeks: int
    tickets: int
    calls_per_taker: int = 120  # customers per order taker per weekday, beyond the demo login's own


SIZES: dict[str, DemoSize] = {
    "small": DemoSize("small", customers=200, weeks=30, tickets=12),
    "large": DemoSize("large", customers=5_000, weeks=64, tickets=60),  # 64: last year's National Day too
}


class DemoError(RuntimeError):
    """The demo cannot be built here; the message is one sentence for the user."""


@dataclass
class BuildResult:
    """What `ensure_demo` did: built (and how long it took) or reused an earlier build."""

    meta: DemoMeta
    built: bool
    seconds: float = 0.0


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


# --------------------------------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class CatalogRow:
    code: str
    name: str
    brand: str
    pack: str | None
    style: str | None
    price_band: int
    price_fen: int
    retail_price_fen: int | None
    barcode: str | None
    status: str
    aliases: str
    successor: str | None
    new: bool


def _fen(value: str) -> int:
    return int((Decimal(value) * 100).to_integral_value())


def load_catalog() -> list[CatalogRow]:
    """The shipped catalog: the shared real-brand catalog plus retail prices, barcodes, old and new editions."""
    text = resources.files("tui.demo").joinpath("demo_catalog.csv").read_text(encoding="utf-8")
    rows = []
    for r in csv.DictReader(text.splitlines()):
        rows.append(
            CatalogRow(
                code=r["code"],
                name=r["name"],
                brand=r["brand"],
                pack=r["pack"] or None,
                style=r["style"] or None,
                price_band=int(r["price_band"]),
                price_fen=_fen(r["price_per_carton"]),
                retail_price_fen=_fen(r["retail_price_per_carton"]) if r.get("retail_price_per_carton") else None,
                barcode=r.get("barcode") or None,
                status=r.get("status") or "active",
                aliases=r.get("aliases") or "",
                successor=r.get("successor") or None,
                new=r.get("new") == "1",
            )
        )
    return rows


# ------------------------------------------------------------------------------------------------- calendar


def holiday_uplift(week: date) -> float:
    """How much more shops order in `week` (a Monday) because a holiday is coming: gifts and stocking up.

    The two weeks before Spring Festival are the busiest of the year (×1.5–2); the week before National Day
    and the week of it are busier too.
    """
    best = 1.0
    for year in (week.year - 1, week.year, week.year + 1):
        festival_week = week_of(spring_festival(year))
        weeks_before = (festival_week - week).days // 7
        if weeks_before == 1:
            best = max(best, 1.9)
        elif weeks_before == 2:
            best = max(best, 1.6)
        elif weeks_before == 3:
            best = max(best, 1.2)
        national_week = week_of(national_day(year))
        weeks_before = (national_week - week).days // 7
        if weeks_before == 1:
            best = max(best, 1.5)
        elif weeks_before == 0:
            best = max(best, 1.3)
    return best


# ------------------------------------------------------------------------------------------------ customers


@dataclass
class Shop:
    """A generated retailer with the habits its history is drawn from (kept only while building)."""

    code: str
    name: str
    owner: str
    phone: str
    district: str
    shop_type: str
    tier: int
    weekday: int
    operator: str = ""
    active: bool = True
    notes: str = ""
    basket: list[tuple[int, float]] = field(default_factory=list)  # (product index, usual cartons)
    skip: float = 0.08
    falling: bool = False
    top_up: float = 0.0
    carry: float = 0.8  # share of a skipped week's sales the next order makes up
    trend: float = 0.0  # weekly growth (log) of the shop's sales from `trend_from` (weeks before today) on
    trend_from: int = 0
    dropped: tuple[int, int] | None = None  # (product index, weeks before today it was last taken)
    taken_up: tuple[int, float, int] | None = None  # (product index, usual cartons, weeks before today it began)
    lots: dict[int, int] = field(default_factory=dict)  # intermittent product index -> weeks of sales a lot covers


@functools.lru_cache(maxsize=4096)
def quota_for(code: str, tier: int) -> int | None:
    """The tier-rule quota of a tight product, or None for a product without quota."""
    bands = TIGHT.get(code)
    if bands is None:
        return None
    for (lo, hi), qty in zip(TIER_BANDS, bands, strict=True):
        if lo <= tier <= hi:
            return qty
    return None


def _weighted_index(rng: random.Random, cumulative: list[float]) -> int:
    x = rng.random() * cumulative[-1]
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"0731-8{rng.randrange(1_000_000, 9_999_999)}"
    prefix = rng.choice(
        (
            "138",
            "139",
            "137",
            "135",
            "150",
            "151",
            "152",
            "158",
            "159",
            "186",
            "187",
            "188",
            "199",
            "173",
            "177",
            "180",
            "181",
            "189",
            "133",
            "153",
        )
    )
    return f"{prefix}{rng.randrange(10_000_000, 99_999_999)}"


def _tier(rng: random.Random, shift: int) -> int:
    """Most shops are small: a skewed draw, moved up for supermarkets and tobacco-and-wine shops."""
    raw = 1 + 29 * rng.betavariate(1.3, 3.6) + shift + rng.gauss(0, 1.5)
    return max(1, min(30, round(raw)))


def make_shops(rng: random.Random, size: DemoSize, takers: list[str]) -> list[Shop]:
    """The customers, with order days spread Mon–Sat and `demo`'s share set for a realistic day's calls."""
    type_cum = _cumulative([t[1] for t in SHOP_TYPES])
    district_cum = _cumulative([d[2] for d in DISTRICTS])
    shops: list[Shop] = []
    used_codes: set[str] = set()
    used_names: set[str] = set()
    for _ in range(size.customers):
        dname, dcode, _w = DISTRICTS[_weighted_index(rng, district_cum)]
        stype, _tw, _scale, shift = SHOP_TYPES[_weighted_index(rng, type_cum)]
        surname = rng.choice(SURNAMES)
        owner = surname + rng.choice(GIVEN)
        while True:
            code = f"{dcode}{rng.randrange(100_000, 999_999)}"
            if code not in used_codes:
                used_codes.add(code)
                break
        for attempt in range(20):
            style = rng.random()
            if style < 0.45:
                base = rng.choice(SHOP_WORDS)
            elif style < 0.7:
                given = owner[len(surname) :]
                base = given if len(given) > 1 and attempt < 2 else owner  # 「建国超市」, but 「唐伟餐馆」
            elif style < 0.85:
                base = "老" + surname if len(surname) == 1 else surname
            else:
                base = rng.choice(ROADS)
            suffix = {
                "娱乐场所": rng.choice(("KTV", "棋牌室", "网吧")),
                "农家店": "农家店",
                "餐饮": rng.choice(("餐馆", "饭店", "小吃店", "酒家")),
            }.get(stype, stype)
            name = base + suffix
            if attempt >= 3:
                name += f"({rng.choice(ROADS)}店)"
            if name not in used_names:
                used_names.add(name)
                break
        shops.append(
            Shop(
                code=code,
                name=name,
                owner=owner,
                phone=_phone(rng),
                district=dname,
                shop_type=stype,
                tier=_tier(rng, shift),
                weekday=1 + rng.randrange(6),
            )
        )
    _assign_operators(rng, shops, size, takers)
    return shops


def _assign_operators(rng: random.Random, shops: list[Shop], size: DemoSize, takers: list[str]) -> None:
    """Give `demo` 20–40 customers each weekday and share the rest among the other order takers."""
    others = [t for t in takers if t != "demo"]
    for weekday in range(1, 7):
        todays = [s for s in shops if s.weekday == weekday]
        rng.shuffle(todays)
        own = min(len(todays), rng.randint(24, 36))
        for i, shop in enumerate(todays):
            shop.operator = "demo" if i < own else others[(i - own) % len(others)]


def takers_needed(size: DemoSize) -> int:
    """Order takers besides `demo`: enough that nobody has more calls a day than a shift holds."""
    per_day = size.customers / 6
    return max(4, min(len(STAFF) - 2, math.ceil(per_day / size.calls_per_taker)))


def _basket(rng: random.Random, shop: Shop, catalog: list[CatalogRow], weights: list[float]) -> None:
    """The shop's usual products and cartons: bigger shops carry more products and more expensive ones."""
    t = shop.tier / 30
    band_pref = {1: 0.25 + 1.8 * t, 2: 1.0, 3: 1.3 - 0.6 * t, 4: max(0.1, 0.9 - 0.9 * t), 5: max(0.1, 0.6 - 0.6 * t)}
    if shop.shop_type == "烟酒店":
        band_pref[1] *= 1.8
    k = min(24, 4 + shop.tier // 2 + rng.randrange(4))
    keyed = []
    for i, row in enumerate(catalog):
        if row.new or (row.status != "active" and row.successor is None):
            continue
        w = weights[i] * band_pref[row.price_band]
        if row.code in TIGHT:
            w *= 0.5 + 2 * t
        keyed.append((rng.random() ** (1.0 / w), i))
    keyed.sort(reverse=True)
    chosen = [i for _key, i in keyed[:k]]
    rng.shuffle(chosen)
    scale = next(s[2] for s in SHOP_TYPES if s[0] == shop.shop_type)
    weekly = (3 + shop.tier * 3.2) * scale * rng.lognormvariate(0, 0.25)
    shares = [1 / (rank + 1) ** 0.9 for rank in range(len(chosen))]
    total_share = sum(shares)
    for rank, i in enumerate(chosen):
        usual = max(1.0, weekly * shares[rank] / total_share)
        quota = quota_for(catalog[i].code, shop.tier)
        if quota is not None:  # many shops want more of a tight brand than they may order
            usual = min(usual, quota * rng.uniform(0.8, 2.0))
        shop.basket.append((i, usual))
        if usual < INTERMITTENT_BELOW:
            shop.lots[i] = rng.choice((2, 3, 3, 4))


def _habits(
    rng: random.Random,
    shop: Shop,
    month: int,
    brands: list[str],
    new_names: list[str],
    weeks: int,
    cumulative: list[float],
    catalog: list[CatalogRow],
) -> None:
    """Skips and catch-up, trend, a product taken up or dropped, top-ups, notes: see the module docstring."""
    shop.skip = rng.choice((0.02, 0.05, 0.08, 0.12, 0.18))
    shop.carry = rng.uniform(0.5, 1.0)
    shop.falling = rng.random() < 0.08
    if rng.random() < 0.25:
        shop.trend = rng.choice((-1, 1)) * rng.uniform(0.01, 0.025)
        shop.trend_from = rng.randint(8, min(30, max(9, weeks - 2)))
    if len(shop.basket) > 3 and rng.random() < 0.25:
        index, _usual = shop.basket[rng.randrange(1, len(shop.basket))]
        shop.dropped = (index, rng.randint(3, min(26, max(4, weeks - 4))))
    if rng.random() < 0.25:
        carried = {i for i, _u in shop.basket}
        for _attempt in range(10):
            index = _weighted_index(rng, cumulative)
            row = catalog[index]
            if index not in carried and row.status == "active" and not row.new and row.code not in TIGHT:
                usual = statistics.median(u for _i, u in shop.basket) * rng.uniform(0.5, 1.2)
                shop.taken_up = (index, max(1.0, usual), rng.randint(3, min(26, max(4, weeks - 4))))
                break
    shop.top_up = 0.08 if shop.tier >= 15 and rng.random() < 0.3 else 0.0
    shop.active = rng.random() >= 0.01
    if rng.random() < 0.12:
        note = rng.choice(NOTES)
        shop.notes = note.format(month=month, brand=rng.choice(brands), new=rng.choice(new_names or brands))


# -------------------------------------------------------------------------------------------------- history


def _history_rows(
    rng: random.Random,
    shop: Shop,
    customer_id: int,
    weeks: list[date],
    catalog: list[CatalogRow],
    product_ids: list[int],
    successor_index: dict[int, int],
    quota_bumps: dict[tuple[str, date], int],
) -> Iterator[dict[str, Any]]:
    """One shop's past orders, week by week, as the module docstring tells.

    The first and one of the last four weeks always have an order (whatever the calendar), so every customer's
    history spans the whole period; a falling customer orders in fewer and fewer of the last eight weeks.
    """
    n = len(weeks)
    forced_late = n - 1 - rng.randrange(min(4, n))
    basket = list(shop.basket)
    if shop.taken_up is not None:
        basket.append(shop.taken_up[:2])
    shelf = {i: rng.uniform(0, shop.lots[i] * usual) for i, usual in basket if i in shop.lots}
    missed = 0  # order days skipped since the last order (not counting closures, stocked up for)
    for w, monday in enumerate(weeks):
        weeks_ago = n - w
        forced = w in (0, forced_late)
        volume = math.exp(shop.trend * max(0, shop.trend_from - weeks_ago)) if shop.trend else 1.0
        volume = min(2.0, max(0.5, volume))
        uplift = _week_uplift(monday)
        for i, usual in basket:  # the shelf of intermittent products sells down whether or not the shop orders
            if i in shelf:
                shelf[i] -= usual * volume * uplift * max(0.2, rng.gauss(1.0, 0.3))
        day_offset = shop.weekday - 1
        if rng.random() < 0.04:
            day_offset = max(0, min(5, day_offset + rng.choice((-1, 1))))
        order_date = monday + timedelta(days=day_offset)
        falling = shop.falling and weeks_ago <= 8
        skip = 0.45 + 0.06 * (8 - weeks_ago) if falling else shop.skip
        if not forced and _closed(order_date):
            continue
        if not forced and rng.random() < skip:
            missed = 0 if falling else min(3, missed + 1)
            continue
        cover = 1.0 + shop.carry * missed
        missed = 0
        seen: dict[int, int] = {}
        for index, usual in basket:
            if shop.dropped is not None and index == shop.dropped[0] and weeks_ago <= shop.dropped[1]:
                continue
            if shop.taken_up is not None and index == shop.taken_up[0] and weeks_ago > shop.taken_up[2]:
                continue
            if index in shelf:
                if shelf[index] >= usual * volume:
                    continue
                lot = max(1, round(shop.lots[index] * usual * volume * uplift))
                shelf[index] += lot
                qty = lot
            else:
                if rng.random() < 0.08:
                    continue
                factor = uplift * (1.15 if uplift > 1 and catalog[index].price_band == 1 else 1.0)
                qty = int(usual * volume * cover * factor * max(0.3, rng.gauss(1.0, 0.25)) + rng.random())
            if index in successor_index and weeks_ago <= DISCONTINUED_WEEKS_AGO:
                index = successor_index[index]
            if index in seen:
                continue
            quota = quota_for(catalog[index].code, shop.tier)
            if quota is not None:
                qty = min(qty, max(1, quota + quota_bumps.get((catalog[index].code, monday), 0)))
            if qty > 0:
                seen[index] = qty
        if forced and not seen:
            index = shop.basket[0][0]
            seen[successor_index.get(index, index) if weeks_ago <= DISCONTINUED_WEEKS_AGO else index] = 1
        for index, qty in seen.items():
            yield {"customer_id": customer_id, "order_date": order_date, "product_id": product_ids[index], "qty": qty}
        if shop.top_up and rng.random() < shop.top_up and day_offset < 4:
            top_date = order_date + timedelta(days=2)
            if _closed(top_date):
                continue
            for index, usual in shop.basket[:2]:
                if catalog[index].code in TIGHT or catalog[index].status != "active":
                    continue
                yield {
                    "customer_id": customer_id,
                    "order_date": top_date,
                    "product_id": product_ids[index],
                    "qty": max(1, int(usual / 3)),
                }


@functools.lru_cache(maxsize=1024)
def _week_uplift(week: date) -> float:
    """The festival rush and lull of a week, computed once per week for all the shops."""
    return holiday_uplift(week) * after_festival(week)


@functools.lru_cache(maxsize=8192)
def _closed(day: date) -> bool:
    return festival_closure(day) is not None


def after_festival(week: date) -> float:
    """How much less shops order in the two weeks after the Spring Festival week: the shelves are still full."""
    festival_week = week_of(spring_festival(week.year))
    weeks_after = (week - festival_week).days // 7
    return {1: 0.7, 2: 0.85}.get(weeks_after, 1.0)


def quota_bumps(rng: random.Random, weeks: list[date]) -> dict[tuple[str, date], int]:
    """Each history week's change to the tight brands' tier quotas: supply is planned week by week, so a
    plentiful week allows a carton more and a short one a carton less; the weeks before Spring Festival more."""
    bumps: dict[tuple[str, date], int] = {}
    for week in weeks:
        for code in TIGHT:
            draw = rng.random()
            bump = 1 if draw < 0.2 else -1 if draw > 0.9 else 0
            if holiday_uplift(week) >= 1.6:
                bump += 1
            if bump:
                bumps[(code, week)] = bump
    return bumps


# --------------------------------------------------------------------------------------------------- build


def _wipe(conn: Connection) -> None:
    """Empty every table of a previous demo, children first."""
    for table in (
        TicketEvent,
        Ticket,
        OrderLine,
        Order,
        Call,
        AuditLog,
        HistoryLine,
        Quota,
        Supply,
        Customer,
        Product,
        User,
        AppMeta,
    ):
        conn.execute(delete(table))


def _flush(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)
        rows.clear()


def ensure_demo(
    engine: Engine,
    zone: ZoneInfo,
    *,
    size: DemoSize,
    seed: int = 1,
    rebuild: bool = False,
    progress: Progress = _no_progress,
) -> BuildResult:
    """Build the demo in `engine`'s database, or reuse the one already there.

    A complete demo with the same size and seed is reused, so what a user typed in an earlier session stays.
    A database with customers that is not a demo is refused untouched: real data is never wiped. A demo with
    other parameters is refused too, unless `rebuild` asks for it to be replaced.
    """
    import time as _time

    started = _time.perf_counter()
    with write_transaction(engine) as conn:
        meta = read_meta(conn)
        has_customers = conn.execute(select(col(Customer.id)).limit(1)).first() is not None
        has_data = has_customers or conn.execute(select(col(Product.id)).limit(1)).first() is not None
        if meta is not None and meta.size == size.name and meta.seed == seed and not rebuild:
            allow_fixed_clock(conn, actor=DEMO_ACTOR)
            return BuildResult(meta=meta, built=False)
        if meta is None and has_data:
            raise DemoError(
                "this database already holds customers or products and is not a demo database; "
                "refusing to put demo data into it (give another --db, or none for the demo's own file)"
            )
        if meta is not None and not rebuild:
            raise DemoError(
                f"this database holds a demo built with --size {meta.size} --seed {meta.seed}; "
                "add --rebuild to replace it, or give another --db"
            )
        _wipe(conn)
        # a demo is for replaying days: TELESALES_NOW must work on it, on PostgreSQL too (where it is off by default)
        allow_fixed_clock(conn, actor=DEMO_ACTOR)
        new_meta = _build(conn, zone, size=size, seed=seed, progress=progress)
    return BuildResult(meta=new_meta, built=True, seconds=_time.perf_counter() - started)


def _build(conn: Connection, zone: ZoneInfo, *, size: DemoSize, seed: int, progress: Progress) -> DemoMeta:
    rng = random.Random(seed)
    at = now()
    day = today(zone)
    this_week = week_of(day)

    # products
    catalog = load_catalog()
    conn.execute(
        insert(Product),
        [
            {
                "code": r.code,
                "name": r.name,
                "brand": r.brand,
                "pack": r.pack,
                "style": r.style,
                "price_band": r.price_band,
                "price_fen": r.price_fen,
                "retail_price_fen": r.retail_price_fen,
                "barcode": r.barcode,
                "status": r.status,
                "aliases": r.aliases,
                "launched_on": this_week if r.new else None,
            }  # launched this week: offered on its calls
            for r in catalog
        ],
    )
    id_by_code = {code: int(pk or 0) for code, pk in conn.execute(select(col(Product.code), col(Product.id)))}
    product_ids = [int(id_by_code[r.code]) for r in catalog]
    index_by_code = {r.code: i for i, r in enumerate(catalog)}
    successor_index = {i: index_by_code[r.successor] for i, r in enumerate(catalog) if r.successor}
    new_indices = [i for i, r in enumerate(catalog) if r.new]
    weights = [POPULAR.get(r.code, 0.6) * BRAND_BOOST.get(r.brand, 1.0) for r in catalog]
    brands_for_notes = [catalog[index_by_code[c]].name for c in ("903001", "904001", "910002", "908001", "902002")]
    new_names = [catalog[i].name for i in new_indices]

    # users
    takers = ["demo", *[s[0] for s in STAFF[2 : 2 + takers_needed(size)]]]
    staff = [s for s in STAFF if s[0] in takers or s[0] == "lead"]
    conn.execute(
        insert(User),
        [
            {
                "login": login,
                "name": name,
                "role": role,
                "created_at": at,
                "pin_hash": hash_pin(DEMO_PIN, salt=rng.randbytes(16)),
            }
            for login, name, role in staff
        ],
    )

    # customers
    shops = make_shops(rng, size, takers)
    weight_cum = _cumulative(weights)
    for shop in shops:
        _basket(rng, shop, catalog, weights)
        _habits(rng, shop, (day.month % 12) + 1, brands_for_notes, new_names, size.weeks, weight_cum, catalog)
    total = len(shops)
    progress("customers", 0, total)
    rows: list[dict[str, Any]] = []
    for shop in shops:
        rows.append(
            {
                "code": shop.code,
                "name": shop.name,
                "tier": shop.tier,
                "order_weekday": shop.weekday,
                "owner": shop.owner,
                "phone": shop.phone,
                "district": shop.district,
                "shop_type": shop.shop_type,
                "operator": shop.operator,
                "active": shop.active,
                "notes": shop.notes,
            }
        )
        if len(rows) >= BATCH:
            _flush(conn, Customer, rows)
    _flush(conn, Customer, rows)
    customer_rows = conn.execute(select(col(Customer.code), col(Customer.id)))
    customer_ids = {code: int(pk or 0) for code, pk in customer_rows}
    progress("customers", total, total)

    # history, streamed
    weeks = [this_week - timedelta(weeks=n) for n in range(size.weeks, 0, -1)]
    bumps = quota_bumps(rng, weeks[:-1])  # last week's quota is the tier rule, as this week's and next
    progress("history", 0, total)
    for done, shop in enumerate(shops, 1):
        rows.extend(
            _history_rows(rng, shop, int(customer_ids[shop.code]), weeks, catalog, product_ids, successor_index, bumps)
        )
        if len(rows) >= BATCH:
            _flush(conn, HistoryLine, rows)
            progress("history", done, total)
    _flush(conn, HistoryLine, rows)
    progress("history", total, total)

    # quotas and supply for last week, this week and next
    quota_weeks = [this_week - timedelta(weeks=1), this_week, this_week + timedelta(weeks=1)]
    tight_indices = [index_by_code[c] for c in TIGHT if c in index_by_code]
    quota_rows: list[dict[str, Any]] = []
    supply_rows: list[dict[str, Any]] = []
    key_shops = sorted((s for s in shops if s.tier >= 20), key=lambda s: s.code)[:3]
    demand = dict.fromkeys(tight_indices, 0)  # what the shops that carry it would take at full quota
    for shop in shops:
        if shop.active:
            for i, _usual in shop.basket:
                if i in demand:
                    demand[i] += quota_for(catalog[i].code, shop.tier) or 0
    for week in quota_weeks:
        for index in tight_indices:
            code = catalog[index].code
            for (lo, hi), qty in zip(TIER_BANDS, TIGHT[code], strict=True):
                quota_rows.append(
                    {
                        "week": week,
                        "product_id": product_ids[index],
                        "tier_from": lo,
                        "tier_to": hi,
                        "customer_id": None,
                        "max_qty": qty,
                    }
                )
            # supply is short of full demand: that is what makes the brand tight
            supply_rows.append(
                {
                    "week": week,
                    "product_id": product_ids[index],
                    "total_qty": max(5, int(demand[index] * rng.uniform(0.75, 0.95))),
                }
            )
        for shop in key_shops:  # key customers the account manager got an exception for
            index = index_by_code["901001"]
            quota_rows.append(
                {
                    "week": week,
                    "product_id": product_ids[index],
                    "tier_from": 1,
                    "tier_to": 30,
                    "customer_id": int(customer_ids[shop.code]),
                    "max_qty": (quota_for("901001", shop.tier) or 1) + 3,
                }
            )
    for week in weeks[:-1]:  # what capped each week of the history
        for index in tight_indices:
            code = catalog[index].code
            bump = bumps.get((code, week), 0)
            for (lo, hi), qty in zip(TIER_BANDS, TIGHT[code], strict=True):
                quota_rows.append(
                    {
                        "week": week,
                        "product_id": product_ids[index],
                        "tier_from": lo,
                        "tier_to": hi,
                        "customer_id": None,
                        "max_qty": max(1, qty + bump),
                    }
                )
    conn.execute(insert(Quota), quota_rows)
    conn.execute(insert(Supply), supply_rows)

    # tickets
    _tickets(conn, rng, size, shops, customer_ids, catalog, product_ids, at)

    meta = DemoMeta(size=size.name, seed=seed, built_at=at.isoformat())
    conn.execute(
        insert(AppMeta).values(
            key=META_KEY,
            value=json.dumps(
                {
                    "size": size.name,
                    "seed": seed,
                    "built_at": meta.built_at,
                    "city": CITY,
                    "company": COMPANY,
                    "customers": size.customers,
                    "weeks": size.weeks,
                },
                ensure_ascii=False,
            ),
        )
    )
    return meta


def _tickets(
    conn: Connection,
    rng: random.Random,
    size: DemoSize,
    shops: list[Shop],
    customer_ids: dict[str, int],
    catalog: list[CatalogRow],
    product_ids: list[int],
    at: datetime,
) -> None:
    """Open complaints: a third overdue, a few due within the hour, the rest due later today or this week."""
    categories = list(TICKET_TEXTS)
    demo_shops = [s for s in shops if s.operator == "demo" and s.active]
    pool = [s for s in shops if s.active]
    chosen: list[Shop] = []
    for n in range(size.tickets):
        source = demo_shops if n % 2 == 0 and demo_shops else pool
        chosen.append(rng.choice(source))
    leads_due = [timedelta(minutes=rng.randint(-60 * 30, -20)) for _ in range(size.tickets // 3)]
    leads_due += [timedelta(minutes=rng.randint(10, 55)) for _ in range(max(2, size.tickets // 6))]
    while len(leads_due) < size.tickets:
        leads_due.append(timedelta(minutes=rng.randint(90, 60 * 40)))
    rng.shuffle(leads_due)
    for shop, due_in in zip(chosen, leads_due, strict=False):
        category = rng.choice(categories)
        index, _usual = rng.choice(shop.basket)
        text = rng.choice(TICKET_TEXTS[category]).format(brand=catalog[index].name)
        due_at = at + due_in
        opened_at = due_at - timedelta(hours=TICKET_DUE_HOURS[category])
        opened_by = shop.operator
        status = "in_progress" if rng.random() < 0.3 else "open"
        result = conn.execute(
            insert(Ticket).values(
                customer_id=int(customer_ids[shop.code]),
                category=category,
                status=status,
                text=text,
                opened_by=opened_by,
                opened_at=opened_at,
                due_at=due_at,
                assigned_to="lead" if status == "in_progress" else None,
                product_id=product_ids[index] if category in PRODUCT_CATEGORIES else None,
                first_response_at=opened_at + timedelta(minutes=40) if status == "in_progress" else None,
            )
        )
        ticket_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        events = [
            {
                "ticket_id": ticket_id,
                "at": opened_at,
                "actor": opened_by,
                "kind": "opened",
                "from_status": None,
                "to_status": "open",
                "note": "",
            }
        ]
        if status == "in_progress":
            events.append(
                {
                    "ticket_id": ticket_id,
                    "at": opened_at + timedelta(minutes=40),
                    "actor": "lead",
                    "kind": "status",
                    "from_status": "open",
                    "to_status": "in_progress",
                    "note": "已联系配送中心核实,等回复。",
                }
            )
        conn.execute(insert(TicketEvent), events)


def demo_database_url(size: str, seed: int) -> str:
    """The demo's own SQLite file, next to (never inside) the user's real database."""
    from db.private_files import private_dir
    from orders.settings import data_dir

    folder = private_dir(data_dir())
    return f"sqlite:///{folder / f'demo-{size}-seed{seed}.db'}"
