"""Finding any shop when it calls in: by name, code, owner, phone or the pinyin initials of a name.

An inbound call is not on the day's list, so the order taker must find the shop from what the caller says
(「我是张记烟酒」, a licence number read out, the last digits of a phone, 「zjyj」). The keys of every active
shop are built once when the dialog opens (`load_shops`); `rank_shops` is pure and runs per keystroke.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz
from sqlalchemy import Engine, select

from db.tables import CUSTOMER

DIGITS = re.compile(r"\d+")
MIN_PHONE_DIGITS = 3  # fewer digits than this match too many phones to mean anything


@dataclass(frozen=True)
class ShopHit:
    """A shop as the find dialog lists it, with its search keys (pinyin spelt once, not per keystroke)."""

    code: str
    name: str
    owner: str
    phone: str
    district: str
    name_initials: str = ""
    name_pinyin: str = ""
    owner_initials: str = ""


def _initials(text: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if p).lower()


def _spelt(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.NORMAL, errors="ignore")).lower()


def shop_hit(code: str, name: str, owner: str | None, phone: str | None, district: str | None) -> ShopHit:
    """A shop with its search keys."""
    return ShopHit(
        code=code,
        name=name,
        owner=owner or "",
        phone=phone or "",
        district=district or "",
        name_initials=_initials(name),
        name_pinyin=_spelt(name),
        owner_initials=_initials(owner or ""),
    )


def score_shop(shop: ShopHit, query: str) -> float:
    """How well `query` names the shop, 0 (not at all) to 100 (its code); the best of each way of naming it."""
    q = query.strip().lower().replace(" ", "")
    if not q:
        return 0.0
    scores = [0.0]
    code = shop.code.lower()
    if q == code:
        scores.append(100)
    elif code.startswith(q):
        scores.append(90 + min(len(q), 9) / 10)
    if q.isdigit():
        phone = "".join(DIGITS.findall(shop.phone))
        if len(q) >= MIN_PHONE_DIGITS and phone.endswith(q):
            scores.append(85)
        elif len(q) >= MIN_PHONE_DIGITS + 1 and q in phone:
            scores.append(70)
        return max(scores)
    if q.isascii():
        if q.isalpha():
            for keys, top in ((shop.name_initials, 75.0), (shop.owner_initials, 70.0)):
                if keys.startswith(q):
                    scores.append(top + len(q) / max(len(keys), 1))
                elif len(q) >= 2 and q in keys:
                    scores.append(top - 10)
            if len(q) >= 2 and shop.name_pinyin.startswith(q):
                scores.append(72 + len(q) / max(len(shop.name_pinyin), 1))
        return max(scores)
    name = shop.name.lower()
    if q in name:
        scores.append((82 if name.startswith(q) else 78) + len(q) / max(len(name), 1))
    if shop.owner and q in shop.owner.lower():
        scores.append(80 if q == shop.owner.lower() else 74)
    if len(q) >= 2:
        near = fuzz.partial_ratio(q, name)
        if near >= 70:
            scores.append(near * 0.6)
    return max(scores)


def rank_shops(shops: Iterable[ShopHit], query: str, limit: int = 20) -> list[ShopHit]:
    """The shops `query` names, best first (ties by name, then code, so the list does not jump between keys)."""
    scored = [(score, shop) for shop in shops if (score := score_shop(shop, query)) > 0]
    scored.sort(key=lambda pair: (-pair[0], pair[1].name, pair[1].code))
    return [shop for _score, shop in scored[:limit]]


def load_shops(engine: Engine) -> list[ShopHit]:
    """Every active shop, whoever's list it is on: an inbound call may come from any of them."""
    c = CUSTOMER.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.code, c.name, c.owner, c.phone, c.district).where(c.active.is_(True)).order_by(c.code)
        ).all()
    return [shop_hit(*row) for row in rows]
