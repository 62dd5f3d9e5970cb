"""The carton count heard in a phrase: 「两条」, 「十二条」, 「一件」 (50 cartons), 「半件」, a bare `3`.

Kept apart from the matcher because quantities follow their own grammar and their own mistakes: a number in a
product's name (黄鹤楼 1916, 长白山777, 8度) must never become an order of 1,916 cartons, and an absurd figure
must come back as "no quantity, and here is why" rather than a number someone might place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CARTONS_PER_CASE = 50  # 一件 (one case) holds 50 cartons (条)
MAX_CARTONS = 1000  # more than 20 cases in one line is a mishearing, not an order
MAX_BARE = 200  # a bare number above this is a name (1916, 777), never a count

NOTE_ZERO = "quantity_zero"
NOTE_TOO_LARGE = "quantity_too_large"
NOTE_FRACTION = "quantity_not_whole_cartons"

_DIGITS = "零〇一二两三四五六七八九"
_DIGIT_VALUE = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNIT_VALUE = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUM = f"[{_DIGITS}十百千万]+"
_NUM = rf"(?:\d+|{_CN_NUM})"
_CARTON = "条"
_CASE = "件箱"

# 一件半 / 2件半 / 两条 / 半件 / 9999件 — longest forms first so 「一件半」 is not read as 「一件」.
_UNIT_RE = re.compile(
    rf"(?P<num>{_NUM})\s*(?P<unit>[{_CARTON}{_CASE}])(?P<half>半)?|(?P<halfonly>半)\s*(?P<unit2>[{_CARTON}{_CASE}])"
)
# A bare number stands alone between spaces (or the ends): 「软中华 3」, 「3 软中华」, but not 「hts1956」.
_BARE_RE = re.compile(r"(?:(?<=\s)|^)(?P<num>\d+)(?=\s|$)")


@dataclass(frozen=True)
class Quantity:
    """What was heard: `cartons` is None when no usable count was said; `note` says why one was refused.

    `rest` is the phrase with the quantity taken out, for the matcher; `bare` is true for a number said without
    条/件, which the matcher may still prefer to read as part of a name.
    """

    cartons: int | None
    rest: str
    note: str | None = None
    bare: bool = False
    said: str = ""


def normalise(text: str) -> str:
    """NFKC so full-width digits and letters (２条, ＲＺＨ) read like their ASCII forms; lower-case."""
    return unicodedata.normalize("NFKC", text).lower()


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral up to 99,999 (十二 → 12, 二十 → 20, 一百零五 → 105), else None."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total = 0
    section = 0
    digit: int | None = None
    for ch in text:
        if ch in _DIGIT_VALUE:
            if digit is not None and _DIGIT_VALUE[ch] != 0:
                return None  # 二三: two digits in a row is not a numeral we read
            digit = _DIGIT_VALUE[ch] if _DIGIT_VALUE[ch] != 0 else None
        elif ch in _UNIT_VALUE:
            unit = _UNIT_VALUE[ch]
            if unit == 10000:
                section = (section + (digit or 0)) * unit
                total += section
                section = 0
            else:
                section += (digit if digit is not None else 1) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def _value(num: str) -> int | None:
    if num.isdigit():
        return int(num) if len(num) <= 9 else None
    return chinese_number(num)


def extract_quantity(text: str) -> Quantity:
    """Find the first carton count in `text` and return it with the rest of the phrase.

    Explicit units win over bare numbers; a count of zero or above MAX_CARTONS, or a half carton, gives no
    quantity and a note, so the caller can say so instead of silently ordering the wrong amount.
    """
    phrase = normalise(text)
    match = _UNIT_RE.search(phrase)
    if match is not None:
        rest = (phrase[: match.start()] + " " + phrase[match.end() :]).strip()
        return _from_unit(match, rest)
    bare = _BARE_RE.search(phrase)
    if bare is not None:
        value = _value(bare.group("num"))
        if value is not None and value <= MAX_BARE:
            rest = (phrase[: bare.start()] + " " + phrase[bare.end() :]).strip()
            return _checked(value, rest, bare.group(0), bare=True)
    return Quantity(None, phrase.strip())


def read_quantity(text: str, pos: int = 0) -> Quantity | None:
    """The count said with its unit (条, 件, 半件, 一件半) starting exactly at `pos` of normalised `text`, or None.

    For a reader that walks an utterance left to right: `said` is what it consumed, `rest` is empty.
    """
    match = _UNIT_RE.match(text, pos)
    return _from_unit(match, "") if match is not None else None


def _from_unit(match: re.Match[str], rest: str) -> Quantity:
    if match.group("halfonly"):
        if match.group("unit2") == _CARTON:
            return Quantity(None, rest, NOTE_FRACTION, said=match.group(0))
        return Quantity(CARTONS_PER_CASE // 2, rest, said=match.group(0))
    value = _value(match.group("num"))
    unit = match.group("unit")
    half = match.group("half") is not None
    if value is None:
        return Quantity(None, rest, NOTE_TOO_LARGE, said=match.group(0))
    if unit == _CARTON:
        if half:
            return Quantity(None, rest, NOTE_FRACTION, said=match.group(0))
        cartons = value
    else:
        cartons = value * CARTONS_PER_CASE + (CARTONS_PER_CASE // 2 if half else 0)
    return _checked(cartons, rest, match.group(0), bare=False)


def _checked(cartons: int, rest: str, said: str, *, bare: bool) -> Quantity:
    if cartons <= 0:
        return Quantity(None, rest, NOTE_ZERO, bare=bare, said=said)
    if cartons > MAX_CARTONS:
        return Quantity(None, rest, NOTE_TOO_LARGE, bare=bare, said=said)
    return Quantity(cartons, rest, bare=bare, said=said)


_SEPARATORS = re.compile(r"[,,、;;/]+")
_GLUED = re.compile(r"^(?P<letters>[a-z]+)(?P<num>\d{1,3})$")  # rzh2: initials with the count glued on


def split_entry(text: str) -> list[str]:
    """Cut one typed entry into items, each ending at its quantity: 「rzh2 yx3」 → ["rzh 2", "yx 3"],
    「软中华两条玉溪三条」 → ["软中华两条", "玉溪三条"], 「rzh 2 yx 3」 → ["rzh 2", "yx 3"].

    An order taker types what they hear in one go; a quantity closes an item, so the next words start the next
    one. Digits glued to initials count as a quantity only up to MAX_BARE (hts1956 stays a name).
    """
    items: list[str] = []
    for part in _SEPARATORS.split(normalise(text)):
        tokens: list[str] = []
        for word in part.split():
            glued = _GLUED.match(word)
            if glued and int(glued.group("num")) <= MAX_BARE:
                tokens += [glued.group("letters"), glued.group("num")]
                continue
            start = 0
            for cut in _UNIT_RE.finditer(word):  # 软中华两条玉溪三条: cut after each 条/件
                tokens.append(word[start : cut.end()])
                start = cut.end()
            if start < len(word):
                tokens.append(word[start:])
        current: list[str] = []
        named = False  # the current item has words besides its quantity
        for token in tokens:
            current.append(token)
            unit = _UNIT_RE.search(token)
            only_qty = (token.isdigit() and int(token) <= MAX_BARE) or (unit is not None and unit.group(0) == token)
            if only_qty and not named:
                continue  # 「两条软中华」: the count came first
            if only_qty or (unit is not None and unit.end() == len(token)):
                items.append(" ".join(current))
                current, named = [], False
            else:
                named = True
        if current:
            if items and not named and not _has_quantity(items[-1]):
                items[-1] += " " + " ".join(current)
            else:
                items.append(" ".join(current))
    return [item for item in items if item.strip()]


def _has_quantity(item: str) -> bool:
    return extract_quantity(item).cartons is not None
