"""The brand matcher: what the order taker types while the shop owner talks becomes the intended product.

Why it is built this way:
- Typing happens keystroke by keystroke during a call, so everything that depends only on the catalog (pinyin,
  fuzzy-pinyin keys, initials, an inverted index) is computed once in `MatchIndex.build`; a query does no I/O
  and touches only the few products the inverted index proposes.
- People type whatever is fastest: hanzi, pinyin, initials or a mix (「软zh」, 「hhl软蓝」). Every product name and
  alias is therefore kept as a sequence of tokens (one per hanzi, with its pinyin, fuzzy pinyin and initials),
  and a query is aligned against those tokens, so one rule covers all the forms and their mixtures.
- Mishearing (丽群/利群) and dialect (兰京/南京, 湖蓉王/芙蓉王) are sound-alikes: comparing the *fuzzy* pinyin that
  input methods use (z=zh, n=l, f=h, an=ang ...) turns them into exact matches instead of guesses.
- Spec words can come in any order, so the alignment covers the query piece by piece against any surface of the
  product (its name, brand + sub-name, aliases); a spec word the product contradicts (软 for a 硬 pack) costs
  more than a word it merely lacks.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise

from pypinyin import Style, pinyin
from rapidfuzz.distance import Levenshtein

from orders.quantity import extract_quantity, normalise

DEFAULT_LIMIT = 5
MAX_QUERY_CHARS = 64  # a heard phrase is short; pasted garbage beyond this says nothing more
PARSE_CACHE = 256  # typed texts whose parses the read-back keeps (a call's worth of lines)
PREFILTER = 32  # products fully scored per query: enough for ties among spec variants, cheap at 20,000 products
PREFILTER_MIN = 10  # always scored, however weak their evidence next to the best
PREFILTER_SHARE = 0.6  # beyond those, only products with this share of the best's evidence
MIN_SCORE = 25.0
QUERY_KEY_MAX = 100

NOTE_EMPTY = "empty_query"
NOTE_ONLY_QUANTITY = "only_quantity"
NOTE_NO_WORDS = "no_words"  # emoji, punctuation: nothing a product could be named by

# Fillers said around a brand and a count; dropped only when the catalog never uses the word, so a product
# named with one of these characters is still found.
FILLERS = (
    "给我",
    "帮我",
    "那个",
    "这个",
    "还有",
    "然后",
    "一下",
    "来",
    "要",
    "拿",
    "订",
    "再",
    "吧",
    "呢",
    "嗯",
    "的",
    "啊",
    "了",
    "呀",
    "哦",
)

_PACKS = ("软", "硬")
_STYLES = ("细支", "中支", "短支", "常规")
_COLOURS = ("红", "蓝", "金", "紫", "黑", "白", "银", "绿", "灰")
_LATIN_SPECS = {
    "ruan": ("pack", "软"),
    "ying": ("pack", "硬"),
    "xizhi": ("style", "细支"),
    "zhongzhi": ("style", "中支"),
}
_HANZI_SPECS: tuple[tuple[str, str], ...] = (
    ("细支", "style"),
    ("中支", "style"),
    ("短支", "style"),
    ("爆珠", "capsule"),
    ("软", "pack"),
    ("硬", "pack"),
    *((c, "colour") for c in _COLOURS),
)
CONTRADICTION_PENALTY = 14.0
SPLIT_FACTOR = 0.4
DISCONTINUED = "discontinued"

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PIECES = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[a-z]+|\d+")


# ------------------------------------------------------------------------------------------------ pinyin


def fuzzy(syllable: str) -> str:
    """The fuzzy-pinyin key input methods use: z/zh, c/ch, s/sh, n/l, f/h, r/l, an/ang, en/eng, in/ing."""
    s = syllable
    if s[:2] in ("zh", "ch", "sh"):
        s = s[0] + s[2:]
    elif s[:1] in ("n", "r") and s != "ng":
        s = "l" + s[1:]
    elif s[:1] == "f":
        s = "h" + s[1:]
    if s.endswith(("ang", "eng", "ing")):
        s = s[:-1]
    return s


@lru_cache(maxsize=65536)
def _readings(char: str) -> tuple[str, ...]:
    """Every reading of a hanzi: a misheard 长 may be zhang or chang, and either must find its homophones."""
    found = pinyin(char, style=Style.NORMAL, heteronym=True, v_to_u=False)
    readings = tuple(dict.fromkeys(r for r in (found[0] if found else []) if r.isascii() and r.isalpha()))
    return readings or (char,)


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """All toneless pinyin syllables, to split typed pinyin into whole syllables for the prefilter."""
    from pypinyin.pinyin_dict import pinyin_dict

    out: set[str] = set()
    for value in pinyin_dict.values():
        for reading in value.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFKD", reading) if c.isascii())
            if plain.isalpha():
                out.add(plain)
    return frozenset(out)


def _split_syllables(letters: str) -> list[str]:
    """Greedy longest-first split into whole syllables; stops at the first piece that is no syllable."""
    known = _syllables()
    out: list[str] = []
    i = 0
    while i < len(letters):
        for size in range(min(6, len(letters) - i), 0, -1):
            if letters[i : i + size] in known:
                out.append(letters[i : i + size])
                i += size
                break
        else:
            break
    return out


# ------------------------------------------------------------------------------------------------ tokens


@dataclass(frozen=True, slots=True)
class Token:
    """One unit of a product surface: a hanzi (with its sounds), a number, or a run of Latin letters."""

    kind: str  # "h" hanzi, "d" digits, "a" latin letters
    text: str
    raw: str = ""
    fz: str = ""
    raws: frozenset[str] = frozenset()
    fzs: frozenset[str] = frozenset()
    spellings: tuple[str, ...] = ()
    initials: frozenset[str] = frozenset()


@lru_cache(maxsize=65536)
def _hanzi_token(char: str) -> Token:
    """One shared token per character: a 20,000-product catalog repeats a few thousand characters."""
    # Every reading counts: 大重九 is read chong by pypinyin but typed zhong by people.
    raws = _readings(char)
    raw = raws[0] if raws[0].isascii() else char
    fzs = tuple(dict.fromkeys(fuzzy(r) for r in raws))
    nasal = tuple(f + "g" for f in fzs if f.endswith(("an", "en", "in")) and not f.endswith(("ian", "uan", "van")))
    spellings = tuple(dict.fromkeys((*raws, *fzs, *nasal)))  # 「lang」 typed for 南: the -ng side of an/ang
    initials = frozenset(sp[0] for sp in spellings)
    return Token("h", char, raw, fuzzy(raw), frozenset(raws), frozenset(fzs), spellings, initials)


@lru_cache(maxsize=4096)
def _other_token(piece: str) -> Token:
    if piece.isdigit():
        return Token("d", piece)
    return Token("a", piece, piece, piece, frozenset({piece}), frozenset({piece}), (piece,), frozenset(piece[0]))


def _surface(text: str) -> tuple[Token, ...]:
    """Tokens of one name or alias."""
    return tuple(_hanzi_token(p) if _HAN.fullmatch(p) else _other_token(p) for p in _PIECES.findall(normalise(text)))


# ------------------------------------------------------------------------------------------------ catalog


@dataclass(frozen=True)
class CatalogItem:
    """What the matcher needs of a product; built from `db.models.Product` by `orders.match_data`."""

    code: str
    name: str
    brand: str | None = None
    pack: str | None = None
    style: str | None = None
    status: str = "active"
    aliases: tuple[str, ...] = ()


class _Entry:
    """A product as the matcher sees it. `starts` is filled on first use: most products are never scored."""

    __slots__ = ("_starts", "item", "simplicity", "specs", "surfaces")

    def __init__(self, item: CatalogItem) -> None:
        self.item = item
        self.surfaces = _surfaces_of(item)
        self.specs = _spec_of(item)
        self.simplicity = len(self.surfaces[0]) if self.surfaces else 99  # 「中华」 means the plain one
        self._starts: tuple[Mapping[str, tuple[int, ...]], ...] | None = None

    @property
    def starts(self) -> tuple[Mapping[str, tuple[int, ...]], ...]:
        """Per surface: first letter (or "#" for digits) → token positions, to try only plausible starts."""
        if self._starts is None:
            self._starts = tuple(_starts_of(s) for s in self.surfaces)
        return self._starts


def _spec_of(item: CatalogItem) -> dict[str, frozenset[str]]:
    name = normalise(item.name)
    inner = "".join(re.findall(r"\(([^)]*)\)", name)) or name
    specs: dict[str, frozenset[str]] = {}
    pack = item.pack or next((p for p in _PACKS if p in inner), None)
    if pack in _PACKS:
        specs["pack"] = frozenset({pack})
    style = item.style if item.style in _STYLES else next((s for s in _STYLES if s in inner), None)
    if style is None and ("双中" in inner):
        style = "中支"
    specs["style"] = frozenset({style or "常规"})
    colours = frozenset(c for c in _COLOURS if c in inner)
    if colours:
        specs["colour"] = colours
    specs["capsule"] = frozenset({"爆珠" if "爆珠" in name else "none"})
    return specs


def _surfaces_of(item: CatalogItem) -> tuple[tuple[Token, ...], ...]:
    name = normalise(item.name)
    texts = [name]
    inner = re.findall(r"\(([^)]*)\)", name)
    outer = re.sub(r"\([^)]*\)", "", name)
    brand = normalise(item.brand) if item.brand else ""
    if brand and inner and not outer.startswith(brand):
        texts.append(brand + "".join(inner))
    texts.extend(normalise(a) for a in item.aliases)
    seen: dict[tuple[Token, ...], None] = {}
    for text in texts:
        surf = _surface(text)
        if surf:
            seen.setdefault(surf, None)
    return tuple(seen)


def _features_of(surfaces: Iterable[tuple[Token, ...]]) -> frozenset[str]:
    feats: set[str] = set()
    for surf in surfaces:
        prev: Token | None = None
        for tok in surf:
            if tok.kind == "h":
                for f in tok.fzs:
                    feats.add("s:" + f)
                feats.add("c:" + tok.text)
                for sp in tok.spellings:
                    feats.add("p:" + sp[:2])
            elif tok.kind == "d":
                for n in range(1, len(tok.text) + 1):
                    feats.add("d:" + tok.text[:n])
            else:
                feats.add("p:" + tok.text[:2])
            for ini in tok.initials:
                feats.add("i:" + ini)
                if prev is not None:
                    for pini in prev.initials:
                        feats.add("b:" + pini + ini)
            if prev is not None and prev.kind == "h" and tok.kind == "h":
                # two sounds in a row: what separates 软华 from the many names that merely hold 软 and 华
                for pf in prev.fzs:
                    for f in tok.fzs:
                        feats.add("y:" + pf + f)
            prev = tok
    return frozenset(feats)


def _starts_of(surf: tuple[Token, ...]) -> dict[str, tuple[int, ...]]:
    found: dict[str, list[int]] = {}
    for k, tok in enumerate(surf):
        for letter in tok.initials if tok.kind != "d" else ("#",):
            found.setdefault(letter, []).append(k)
    return {letter: tuple(ks) for letter, ks in found.items()}


# ------------------------------------------------------------------------------------------------ query


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str  # "h", "d", "l"
    text: str
    raws: frozenset[str] = frozenset()
    fzs: frozenset[str] = frozenset()
    firsts: tuple[str, ...] = ()  # letters a matching token can start with
    joined: bool = False  # typed right after the previous item, no space: the two may form one word


@dataclass(frozen=True)
class _Query:
    items: tuple[_Item, ...]
    specs: tuple[tuple[str, str, tuple[int, ...]], ...]  # (category, value, item positions)
    features: tuple[tuple[str, float], ...]


def _parse(text: str, fillers: Sequence[str]) -> _Query:
    for filler in fillers:
        text = text.replace(filler, " ")
    items: list[_Item] = []
    end = -1
    for found in _PIECES.finditer(text):
        piece, glued = found.group(0), found.start() == end
        end = found.end()
        if _HAN.fullmatch(piece):
            raws = _readings(piece)
            fzs = frozenset(fuzzy(r) for r in raws)
            firsts = tuple(dict.fromkeys(r[0] for r in (*raws, *fzs)))
            items.append(_Item("h", piece, frozenset(raws), fzs, firsts, glued))
        elif piece.isdigit():
            items.append(_Item("d", piece, firsts=("#",), joined=glued))
        else:
            items.append(_Item("l", piece, joined=glued))
    specs: list[tuple[str, str, tuple[int, ...]]] = []
    joined = "".join(it.text if it.kind == "h" else "\0" for it in items)
    for word, category in _HANZI_SPECS:
        start = joined.find(word)
        while start >= 0:
            specs.append((category, word, tuple(range(start, start + len(word)))))
            start = joined.find(word, start + 1)
    for pos, it in enumerate(items):
        if it.kind == "l" and it.text in _LATIN_SPECS:
            category, value = _LATIN_SPECS[it.text]
            specs.append((category, value, (pos,)))
    return _Query(tuple(items), tuple(specs), tuple(_query_features(items)))


def _query_features(items: Sequence[_Item]) -> list[tuple[str, float]]:
    feats: dict[str, float] = {}
    previous: Iterable[str] = ()  # fuzzy sounds of the last whole syllable, for the "y:" sequence features
    for it in items:
        if not it.joined:
            previous = ()
        if it.kind == "h":
            feats["c:" + it.text] = 0.5
            for f in it.fzs:
                feats["s:" + f] = 2.0
                for pf in previous:
                    feats["y:" + pf + f] = 3.0
            previous = it.fzs
        elif it.kind == "d":
            feats["d:" + it.text] = 2.0
            previous = ()
        else:
            letters = it.text
            feats["i:" + letters[0]] = 0.3
            if len(letters) >= 2:
                feats["p:" + letters[:2]] = 1.0
            syllables = _split_syllables(letters)
            if sum(map(len, syllables)) < len(letters) or len(syllables) <= 1:
                # not plain pinyin: initials (rzh) or a prefix still being typed
                for a, b in pairwise(letters):
                    feats.setdefault("b:" + a + b, 0.7)
            for syl in syllables:
                if len(syl) >= 2:
                    f = fuzzy(syl)
                    feats["s:" + f] = 1.5
                    for pf in previous:
                        feats["y:" + pf + f] = 3.0
                    previous = (f,)
                else:
                    previous = ()
    return list(feats.items())


# ------------------------------------------------------------------------------------------------ scoring


@lru_cache(maxsize=65536)
def _near(a: str, b: str) -> bool:
    """Sound-alikes the fuzzy rules miss (炫黑门 hei / 炫赫门 he): same initial, one letter apart."""
    return len(a) >= 2 and len(b) >= 2 and a[0] == b[0] and Levenshtein.distance(a, b) <= 1


def _hanzi_strength(item: _Item, tok: Token) -> float:
    if tok.kind != "h":
        return 0.0
    if item.text == tok.text:
        return 1.0
    if tok.raw in item.raws:
        return 0.9
    if tok.fz in item.fzs:
        return 0.85
    if not item.raws.isdisjoint(tok.raws):
        return 0.8
    if not item.fzs.isdisjoint(tok.fzs):
        return 0.75
    if any(_near(f, tok.fz) for f in item.fzs):
        return 0.5
    return 0.0


_Step = tuple[float, float, int, int, int, int]  # value, strength, units, end_k, end_i, end_o


def _extend(
    items: Sequence[_Item], i: int, o: int, surf: Sequence[Token], k: int, memo: dict[tuple[int, int, int], _Step]
) -> _Step:
    """Best run of query items matched against consecutive tokens of `surf` from token `k`.

    Latin letters may cover a token by its whole pinyin, a prefix, or its initial, whichever lets the rest of the
    run match best: 「rzh」 needs z→中, h→华, while 「zhonghua」 needs zhong→中.
    """
    key = (i, o, k)
    hit = memo.get(key)
    if hit is not None:
        return hit
    best: _Step = (0.0, 0.0, 0, k, i, o)
    if i < len(items) and k < len(surf):
        item = items[i]
        tok = surf[k]
        if item.kind == "h":
            st = _hanzi_strength(item, tok)
            if st > 0:
                sub = _extend(items, i + 1, 0, surf, k + 1, memo)
                best = (st + sub[0], st + sub[1], 1 + sub[2], sub[3], sub[4], sub[5])
        elif item.kind == "d":
            if tok.kind == "d" and tok.text.startswith(item.text):
                st = 1.0 if tok.text == item.text else 0.8
                sub = _extend(items, i + 1, 0, surf, k + 1, memo)
                best = (st + sub[0], st + sub[1], 1 + sub[2], sub[3], sub[4], sub[5])
        elif tok.kind != "d":
            rest = item.text[o:]
            options: dict[int, float] = {}
            for sp in tok.spellings:
                if rest.startswith(sp):
                    options[len(sp)] = 0.95
                else:
                    n = 0
                    limit = min(len(rest), len(sp))
                    while n < limit and rest[n] == sp[n]:
                        n += 1
                    if n >= 2:
                        options[n] = max(options.get(n, 0.0), 0.8)
            if any(st == 0.95 for st in options.values()):
                # a whole syllable typed is that syllable: 「shan」 is 山, never 「sh」+「an」 over two tokens
                options = {used: st for used, st in options.items() if st == 0.95}
            elif rest[0] in tok.initials:
                # an initial that only fits through a fuzzy rule (l for 软) says less than the true initial
                options.setdefault(1, 0.7 if any(r[0] == rest[0] for r in tok.raws) else 0.55)
            for used, st in options.items():
                ni, no = (i + 1, 0) if o + used >= len(item.text) else (i, o + used)
                sub = _extend(items, ni, no, surf, k + 1, memo)
                value = st + 0.1 * used + sub[0]
                if value > best[0]:
                    best = (value, st + sub[1], 1 + sub[2], sub[3], sub[4], sub[5])
    memo[key] = best
    return best


@dataclass
class _Fit:
    qcov: float
    pcov: float
    contradictions: int
    digits_matched: bool


def _fit(query: _Query, entry: _Entry) -> _Fit:
    items = query.items
    surfaces = entry.surfaces
    memos: list[dict[tuple[int, int, int], _Step]] = [{} for _ in surfaces]
    i = o = 0
    strength = 0.0
    units = 0.0
    unmatched = 0.0
    matched_items: set[int] = set()
    covered: set[str] = set()
    digits_matched = False
    used: set[tuple[int, int]] = set()
    while i < len(items):
        best: _Step | None = None
        best_at = (0, 0)
        item = items[i]
        firsts = item.firsts if item.kind != "l" else (item.text[o],)
        for si, surf in enumerate(surfaces):
            memo = memos[si]
            starts = entry.starts[si]
            for first in firsts:
                for k in starts.get(first, ()):
                    if (si, k) in used:
                        continue
                    step = _extend(items, i, o, surf, k, memo)
                    if step[2] and (best is None or step[0] > best[0]):
                        best, best_at = step, (si, k)
        if best is None:
            if items[i].kind == "l":
                unmatched += 1.0
                o += 1
                if o >= len(items[i].text):
                    i, o = i + 1, 0
            else:
                unmatched += 1.0
                i, o = i + 1, 0
            continue
        _, st, n, end_k, end_i, end_o = best
        si, k = best_at
        if o > 0:
            st *= SPLIT_FACTOR  # 「hhl」 read as h + hl across two places is a worse fit than one run
        used.update((si, kk) for kk in range(k, end_k))
        for tok in surfaces[si][k:end_k]:
            covered.add(tok.text)
            digits_matched = digits_matched or tok.kind == "d"
        matched_items.update(range(i, end_i + (1 if end_o else 0)))
        strength += st
        units += n
        i, o = end_i, end_o
    total = units + unmatched
    qcov = strength / total if total else 0.0
    pcov = 0.0
    for surf in surfaces:
        if surf:
            pcov = max(pcov, len(covered.intersection(t.text for t in surf)) / len(surf))
    contradictions = 0
    for category, value, positions in query.specs:
        if matched_items.intersection(positions):
            continue
        have = entry.specs.get(category)
        if have and value not in have:
            contradictions += 1
    return _Fit(qcov, pcov, contradictions, digits_matched)


def _digit_words(entry: _Entry) -> frozenset[str]:
    """The numbers a product is named by (1916, 777, 8): a number said after its brand may be one of them."""
    return frozenset(t.text for surf in entry.surfaces for t in surf if t.kind == "d")


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    score: float


@dataclass(frozen=True)
class TypedFit:
    """How well what was typed fits one product *by sound*: a hanzi typed exactly counts no more than a homophone.

    The read-back asks whether another product fits the typed text as well as the chosen one; comparing sounds,
    not characters, is what makes 钟华 fit 中华 and 「hongmei」 fit both 红梅 and 红玫王. `typed` is the share of the
    typed text explained, `product` the share of the product's best surface covered, `contradictions` the spec
    words typed that the product contradicts; `exact` says the typed pieces are exactly one of the product's
    names or aliases (in any order: 「蓝 软 芙蓉王」), which needs no confirmation at all.
    """

    typed: float
    product: float
    contradictions: int
    exact: bool

    @property
    def score(self) -> float:
        """On the matcher's own 0–100 scale, so a gap between two fits reads like a gap between two scores."""
        return 100.0 * (0.62 * self.typed + 0.38 * self.product) - CONTRADICTION_PENALTY * self.contradictions


@dataclass(frozen=True)
class MatchResult:
    """The contract's shape: query as typed, cartons heard (or None), best candidates first, score 0–100."""

    query: str
    quantity: int | None
    candidates: tuple[Candidate, ...]
    note: str | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "query": self.query,
            "quantity": self.quantity,
            "candidates": [{"code": c.code, "name": c.name, "score": c.score} for c in self.candidates],
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class RankContext:
    """What is known about who is asking: the shop's usual products and the choices remembered for phrases.

    `frequencies` maps product code → cartons this shop ordered; `picks` maps query key → {code: times this shop
    chose it}; `global_picks` the same over every shop.
    """

    frequencies: Mapping[str, float] = field(default_factory=dict)
    picks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    global_picks: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


HISTORY_BOOST = 8.0  # at most: enough to reorder close candidates, never to beat a clearly better match
PICK_BOOST = 30.0
GLOBAL_PICK_BOOST = 20.0
GLOBAL_PICK_MIN = 3  # picks over all shops before one shop's habit becomes everyone's default
GLOBAL_PICK_SHARE = 0.6
CLOSE = 15.0  # history only reorders candidates within this many points of the best


def query_key(query: str) -> str:
    """The phrase as remembered picks are keyed: normalised, quantity and spaces removed, fillers kept out."""
    rest = extract_quantity(query).rest
    for filler in FILLERS:
        rest = rest.replace(filler, "")
    return "".join(ch for ch in rest if ch.isalnum())[:QUERY_KEY_MAX]


class MatchIndex:
    """The catalog, pre-digested for matching; build once, query per keystroke, patch when the catalog changes."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._ids: dict[str, int] = {}
        self._by_id: list[_Entry | None] = []
        self._postings: dict[str, list[int]] = {}
        self._fillers: tuple[str, ...] = FILLERS
        self._version = 0
        # the read-back asks about one typed text against several candidates: parse it once, not per question
        self._parsed: dict[str, list[_Query]] = {}

    @classmethod
    def build(cls, items: Iterable[CatalogItem]) -> MatchIndex:
        """Ids follow simplicity, so postings are in that order and prefilter ties keep the plain products."""
        index = cls()
        entries = sorted((_Entry(item) for item in items), key=lambda e: (e.simplicity, e.item.code))
        for entry in entries:
            index._add(entry)
        index._refresh_fillers()
        return index

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def version(self) -> int:
        """Changes with every upsert or removal, so what is derived from the catalog knows when to rebuild."""
        return self._version

    def product(self, code: str) -> CatalogItem | None:
        entry = self._entries.get(code)
        return entry.item if entry is not None else None

    def products(self) -> Iterator[CatalogItem]:
        return (entry.item for entry in self._entries.values())

    def specs(self, code: str) -> Mapping[str, frozenset[str]]:
        """The product's spec words by category (pack, style, colour, capsule), as the matcher reads its name."""
        entry = self._entries.get(code)
        return entry.specs if entry is not None else {}

    def numbers(self, code: str) -> frozenset[str]:
        """The numbers in the product's name and aliases (1916 for 黄鹤楼(硬1916))."""
        entry = self._entries.get(code)
        return _digit_words(entry) if entry is not None else frozenset()

    def upsert(self, item: CatalogItem) -> None:
        """Add or replace one product (a catalog import touched it) without rebuilding the rest."""
        self.remove(item.code)
        self._add(_Entry(item))
        self._refresh_fillers()

    def remove(self, code: str) -> None:
        entry = self._entries.pop(code, None)
        if entry is None:
            return
        self._version += 1
        pid = self._ids.pop(code)
        self._by_id[pid] = None
        for feat in _features_of(entry.surfaces):
            posting = self._postings.get(feat)
            if posting is not None and pid in posting:
                posting.remove(pid)
                if not posting:
                    del self._postings[feat]

    def _add(self, entry: _Entry) -> None:
        self._version += 1
        code = entry.item.code
        pid = len(self._by_id)
        self._by_id.append(entry)
        self._ids[code] = pid
        self._entries[code] = entry
        postings = self._postings
        for feat in _features_of(entry.surfaces):
            posting = postings.get(feat)
            if posting is None:
                postings[feat] = [pid]
            else:
                posting.append(pid)

    def _refresh_fillers(self) -> None:
        used = set()
        for entry in self._entries.values():
            for surf in entry.surfaces:
                used.add("".join(t.text for t in surf))
        text = "\n".join(used)
        self._fillers = tuple(f for f in FILLERS if f not in text)
        self._parsed.clear()  # parses made with the old fillers

    # -------------------------------------------------------------------------------------------- query

    def match(self, query: str, limit: int = DEFAULT_LIMIT, context: RankContext | None = None) -> MatchResult:
        """Candidates for what was heard, best first. Never raises on any string."""
        limit = max(1, limit)
        heard = extract_quantity(query[: MAX_QUERY_CHARS * 4])
        rest = heard.rest[:MAX_QUERY_CHARS]
        note = heard.note
        if not normalise(query).strip():
            return MatchResult(query, None, (), NOTE_EMPTY)
        parsed = _parse(rest, self._fillers)
        if not parsed.items:
            return MatchResult(query, heard.cartons, (), note or (NOTE_ONLY_QUANTITY if heard.said else NOTE_NO_WORDS))
        scored = self._score(parsed)
        quantity = heard.cartons
        if heard.bare and heard.cartons is not None:
            # 「黄鹤楼 1916」: a bare number that names a product is part of the name, not a count.
            whole = _parse(normalise(query)[:MAX_QUERY_CHARS], self._fillers)
            as_name = self._score(whole)
            # Only the whole number: 「黄鹤楼 1」 is one carton, not the start of 1916.
            named = as_name and as_name[0][2] and heard.said.strip() in _digit_words(as_name[0][1])
            if named and (not scored or as_name[0][0] > scored[0][0] + 5):
                scored, quantity = as_name, None
        ranked = self._rank(scored, query, context)
        candidates = tuple(Candidate(e.item.code, e.item.name, round(s, 1)) for s, e in ranked[:limit])
        return MatchResult(query, quantity, candidates, note)

    # -------------------------------------------------------------------------------------------- read-back

    def _parses(self, typed: str) -> list[_Query]:
        """The readings `match` considers: quantity taken out, and for a bare number also the number kept."""
        cached = self._parsed.get(typed)
        if cached is not None:
            return cached
        if len(self._parsed) >= PARSE_CACHE:
            self._parsed.clear()
        parsed = self._parsed[typed] = self._parse_readings(typed)
        return parsed

    def _parse_readings(self, typed: str) -> list[_Query]:
        heard = extract_quantity(typed[: MAX_QUERY_CHARS * 4])
        parses = [_parse(heard.rest[:MAX_QUERY_CHARS], self._fillers)]
        if heard.bare and heard.cartons is not None:
            parses.append(_parse(normalise(typed)[:MAX_QUERY_CHARS], self._fillers))
        return [q for q in parses if q.items]

    def is_exact(self, typed: str, code: str) -> bool:
        """What was typed is exactly one of the product's names or aliases, its pieces in any order, quantity and
        fillers aside: 「中华软的两条」 for 中华(软). Pinyin and initials are never exact: a homophone fits them too."""
        entry = self._entries.get(code)
        if entry is None:
            return False
        names = {tuple(sorted(t.text for t in surf)) for surf in entry.surfaces}
        return any(tuple(sorted(it.text for it in q.items)) in names for q in self._parses(typed))

    def typed_fit(self, typed: str, code: str) -> TypedFit | None:
        """How `typed` fits product `code` by sound (see `TypedFit`); None for an unknown code or nothing typed."""
        entry = self._entries.get(code)
        if entry is None:
            return None
        best: TypedFit | None = None
        for query in self._parses(typed):
            # Masking the typed characters leaves only their sounds: 中 typed and 钟 typed then fit 中华 alike.
            by_sound = _Query(
                tuple(replace(it, text="\0" + it.text) if it.kind == "h" else it for it in query.items),
                query.specs,
                query.features,
            )
            fit = _fit(by_sound, entry)
            found = TypedFit(fit.qcov, fit.pcov, fit.contradictions, False)
            if best is None or found.score > best.score:
                best = found
        if best is None:
            return None
        return replace(best, exact=self.is_exact(typed, code))

    def says_apart(self, typed: str, code: str, other: str) -> bool:
        """The typed characters include, exactly, every character by which `code`'s name differs from `other`'s:
        「软中华」 says 软, which sets 中华(软) apart from 中华(硬). False when `code`'s name adds nothing to `other`'s
        (中华(细支) beside 中华(金细支)): then only the fit can tell them apart."""
        mine, theirs = self._entries.get(code), self._entries.get(other)
        if mine is None or theirs is None or not mine.surfaces or not theirs.surfaces:
            return False
        own = {t.text for t in mine.surfaces[0]} - {t.text for t in theirs.surfaces[0]}
        if not own:
            return False
        return any(own <= {it.text for it in q.items} for q in self._parses(typed))

    def _score(self, parsed: _Query) -> list[tuple[float, _Entry, bool]]:
        postings = self._postings
        found = sorted(
            ((postings[feat], weight) for feat, weight in parsed.features if feat in postings), key=lambda t: len(t[0])
        )
        size = max(1, len(self._entries))
        common = max(300, size // 40)  # a feature shared by this many products says little and costs much
        acc: dict[int, float] = {}
        for posting, weight in found:
            if len(posting) > common and acc:
                continue
            idf = weight * (1.0 + math.log(1 + size / len(posting)))
            get = acc.get
            for pid in posting:
                acc[pid] = get(pid, 0.0) + idf
        if not acc:
            return []
        top = heapq.nlargest(PREFILTER, acc, key=acc.__getitem__)
        floor = acc[top[0]] * PREFILTER_SHARE
        top = top[:PREFILTER_MIN] + [pid for pid in top[PREFILTER_MIN:] if acc[pid] >= floor]
        by_id = self._by_id
        entries = [e for e in (by_id[pid] for pid in top) if e is not None]
        out: list[tuple[float, _Entry, bool]] = []
        for entry in entries:
            fit = _fit(parsed, entry)
            if fit.qcov <= 0:
                continue
            score = 100.0 * (0.62 * fit.qcov + 0.38 * fit.pcov) - CONTRADICTION_PENALTY * fit.contradictions
            score -= 0.01 * entry.simplicity  # ties: the plain product before its variants
            out.append((score, entry, fit.digits_matched))
        out.sort(key=lambda t: (-t[0], t[1].item.code))
        return out

    def _rank(
        self, scored: list[tuple[float, _Entry, bool]], query: str, context: RankContext | None
    ) -> list[tuple[float, _Entry]]:
        if not scored:
            return []
        adjusted: list[tuple[float, _Entry]] = []
        best = scored[0][0]
        key = query_key(query) if context is not None else ""
        for score, entry, _ in scored:
            boost = 0.0
            if context is not None:
                code = entry.item.code
                if best - score <= CLOSE and context.frequencies:
                    top = max(context.frequencies.values()) or 1.0
                    boost += HISTORY_BOOST * math.log1p(context.frequencies.get(code, 0.0)) / math.log1p(top)
                mine = context.picks.get(key, {})
                if mine.get(code):
                    boost += PICK_BOOST
                everyone = context.global_picks.get(key, {})
                total = sum(everyone.values())
                if total >= GLOBAL_PICK_MIN and everyone.get(code, 0) >= GLOBAL_PICK_SHARE * total:
                    boost += GLOBAL_PICK_BOOST
            adjusted.append((score + boost, entry))
        adjusted = [(s, e) for s, e in adjusted if s >= MIN_SCORE]
        active = sorted(
            ((s, e) for s, e in adjusted if e.item.status != DISCONTINUED), key=lambda t: (-t[0], t[1].item.code)
        )
        gone = sorted(
            ((s, e) for s, e in adjusted if e.item.status == DISCONTINUED), key=lambda t: (-t[0], t[1].item.code)
        )
        floor = active[-1][0] if active else 100.0
        ranked = active + [(min(s, floor), e) for s, e in gone]  # discontinued: after every active, never higher
        return [(max(0.0, min(100.0, s)), e) for s, e in ranked]
