"""What the shop owner says becomes changes to the call's draft (the contract's "Heard utterances").

Why it is built this way:
- A shop owner names several products in one breath, with the quantity before or after, and corrects himself
  mid-sentence. Reading that takes three passes, each simple on its own: a *lexer* cuts the normalised text
  into quantities, keywords (再, 少, 不要, 改成, 不对, 各, 老样子 …), fillers, spec words and the catalog's own
  words; a *grouper* joins adjacent word pieces into product mentions (「软华硬华」 is two, 「黄鹤楼硬1916」 one);
  a *listener* walks mentions and quantities in order, as the contract's rules read, and changes a working draft.
- The catalog decides, never a list in the code: which words are product words (names, aliases, brands), which
  numbers belong to a brand's names (黄鹤楼1916, 长白山777), which brand a nickname belongs to. Those are
  derived once per `MatchIndex` (and rebuilt when its version changes), so an utterance costs a few dictionary
  lookups plus one matcher query per product mentioned.
- Catalog words are read before fillers and keywords, so a product named with 和 (白沙和天下) or 好 (好日子)
  keeps its name.
- Anything not safe to act on is reported in `unclear` and changes nothing; the rest of the utterance still
  applies. An order taker can always add a line by hand; a wrong line placed costs a complaint.
- The result's `changes` are the difference between the draft before and after, in the order lines were first
  touched: 「利群六条 不对 五条」 is one added line of 5, not an add and a set.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pypinyin import Style, lazy_pinyin

from orders.matching import Candidate, MatchIndex, MatchResult, RankContext
from orders.quantity import MAX_BARE, Quantity, normalise, read_quantity
from orders.readback import sounds_like

OP_ADD = "add"
OP_SET = "set"
OP_REMOVE = "remove"

NO_PRODUCT = "no_product"
NO_QUANTITY = "no_quantity"
NOT_IN_DRAFT = "not_in_draft"
NO_LAST_ORDER = "no_last_order"

CLEAR_SCORE = 50.0  # below this the matcher's best is a guess, not a product heard
CANDIDATES = 5
MAX_MENTION = 24  # no product is named by more; a longer run is noise, and matching it costs the most

_SAME = re.compile(r"老样子|老规矩|照旧|照常|(?:跟|和|同|照|按)上(?:周|次|回|一次|个?礼拜|个?星期)(?:一样|那样|的)?")
# keyword → (kind, value); kind "op" changes how the next quantity applies, "sep" only separates items.
_KEYWORDS: dict[str, tuple[str, str]] = {
    **{w: ("op", "add") for w in ("再", "再加", "加", "多", "多加", "另加", "追加")},
    **{w: ("op", "sub") for w in ("少", "减", "减去", "减掉", "少要")},
    **{
        w: ("op", "remove")
        for w in ("不要了", "不要", "去掉", "删掉", "删了", "删除", "取消", "拿掉", "退掉", "不订了", "不拿了")
    },
    **{w: ("op", "set") for w in ("改成", "改为", "改一下", "变成")},
    **{w: ("op", "total") for w in ("一共", "总共", "总数")},
    **{w: ("corr", "") for w in ("不对", "不是", "哦不", "噢不", "错了", "说错了", "不不")},
    **{w: ("each", "") for w in ("各", "都", "分别", "每样", "每种", "各来")},
    **{w: ("sep", "and") for w in ("和", "跟", "还有", "、", "以及", "另外")},
    **{w: ("sep", "punct") for w in (",", ";", "。", ".", "!", "?", "~", "/")},
}
_FILLERS = frozenset(
    (
        "嗯", "嗯嗯", "那个", "这个", "来", "要", "给我", "帮我", "给", "拿", "吧", "的话", "这周", "这次", "本周",
        "这礼拜", "老板说", "老板", "他说", "她说", "说", "呢", "啊", "呀", "哦", "噢", "了", "的", "就", "也",
        "先", "还是", "一下", "然后", "就是", "是", "那", "额", "呃", "唔", "嘛", "哈", "我", "你", "好的",
        "行", "对", "还", "吗", "么", "着", "来着", "订", "进",
    )
)  # fmt: skip
_SPECS: dict[str, tuple[str, str]] = {
    "软": ("pack", "软"),
    "硬": ("pack", "硬"),
    "软包": ("pack", "软"),
    "硬包": ("pack", "硬"),
    "软盒": ("pack", "软"),
    "硬盒": ("pack", "硬"),
    "细支": ("style", "细支"),
    "中支": ("style", "中支"),
    "短支": ("style", "短支"),
    "爆珠": ("capsule", "爆珠"),
    **{c: ("colour", c) for c in "红蓝金紫黑白银绿灰"},
}
_LATIN = re.compile(r"[a-z]+")
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_HAN_OR_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaffa-z0-9]")


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class DraftItem:
    code: str
    qty: int


@dataclass(frozen=True)
class Change:
    """One line's change. `add`: a line that was not in the draft (`was` None); `set`: a line whose quantity
    changed (`was` the old one); `remove`: a line taken out (`qty` None). `heard` is the part of the utterance
    that did it; `confusable_with` names a product the read-back should say twice against it."""

    op: str
    code: str
    name: str
    qty: int | None
    was: int | None
    heard: str
    confusable_with: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "op": self.op,
            "code": self.code,
            "name": self.name,
            "qty": self.qty,
            "was": self.was,
            "heard": self.heard,
            "confusable_with": self.confusable_with,
        }


@dataclass(frozen=True)
class Unclear:
    """A part of the utterance left alone: `reason` is no_product, no_quantity, not_in_draft, no_last_order or a
    quantity note (quantity_zero, quantity_too_large, quantity_not_whole_cartons)."""

    heard: str
    reason: str
    candidates: tuple[Candidate, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "heard": self.heard,
            "reason": self.reason,
            "candidates": [{"code": c.code, "name": c.name, "score": c.score} for c in self.candidates],
        }


@dataclass(frozen=True)
class EntryResult:
    text: str
    draft: tuple[DraftItem, ...]
    changes: tuple[Change, ...]
    unclear: tuple[Unclear, ...]

    def as_json(self, names: Mapping[str, str]) -> dict[str, object]:
        """The contract's shape; `names` maps product code → name for the draft's lines."""
        return {
            "text": self.text,
            "draft": [{"code": d.code, "name": names.get(d.code, ""), "qty": d.qty} for d in self.draft],
            "changes": [c.as_json() for c in self.changes],
            "unclear": [u.as_json() for u in self.unclear],
        }


@dataclass(frozen=True)
class Shop:
    """What is known of the customer on the line: how they order (ranking) and their last order (老样子)."""

    context: RankContext | None = None
    last_order: tuple[DraftItem, ...] = ()


# ------------------------------------------------------------------------------------------------ the catalog's words


def _brand_of(name: str, brand: str | None) -> str:
    return normalise(brand).strip() if brand else re.sub(r"\(.*", "", normalise(name)).strip()


def _plain(text: str) -> str:
    return "".join(ch for ch in normalise(text) if _HAN_OR_WORD.match(ch))


class _Lexicon:
    """What the listener knows of the catalog: its words and the brands they name, each brand's numbers."""

    def __init__(self, index: MatchIndex) -> None:
        words: dict[str, set[str]] = {}
        codes: dict[str, set[str]] = {}
        self.brand_of: dict[str, str] = {}
        self.codes_of: dict[str, list[str]] = {}
        self.numbers: dict[str, set[str]] = {}
        self.surfaces: dict[str, set[str]] = {}
        for item in index.products():
            brand = _brand_of(item.name, item.brand)
            self.brand_of[item.code] = brand
            self.codes_of.setdefault(brand, []).append(item.code)
            self.numbers.setdefault(brand, set()).update(index.numbers(item.code))
            name = normalise(item.name)
            outer = re.sub(r"\([^)]*\)", "", name)
            inner = "".join(re.findall(r"\(([^)]*)\)", name))
            texts = {brand, outer, inner, outer + inner, brand + inner, *(normalise(a) for a in item.aliases)}
            plain = {_plain(t) for t in texts}
            self.surfaces.setdefault(brand, set()).update(plain)
            for word in plain:
                if len(word) >= 2 and not word.isdigit() and word not in _SPECS:
                    words.setdefault(word, set()).add(brand)
                    codes.setdefault(word, set()).add(item.code)
        self.words = {w: frozenset(b) for w, b in words.items()}
        self.word_codes = {w: frozenset(c) for w, c in codes.items()}
        self.max_len = max((len(w) for w in self.words), default=0)
        self.brands = frozenset(self.codes_of)
        self.brand_keys: dict[str, str] = {}
        for brand in self.brands:
            syllables = lazy_pinyin(brand, style=Style.NORMAL)
            if all(s.isascii() and s.isalpha() for s in syllables):
                self.brand_keys.setdefault("".join(s[0] for s in syllables), brand)
                self.brand_keys.setdefault("".join(syllables), brand)


_LEXICONS: weakref.WeakKeyDictionary[MatchIndex, tuple[int, _Lexicon]] = weakref.WeakKeyDictionary()


def _lexicon(index: MatchIndex) -> _Lexicon:
    """Built once per index and catalog version: at 20,000 products it costs far more than an utterance."""
    cached = _LEXICONS.get(index)
    if cached is not None and cached[0] == index.version:
        return cached[1]
    lex = _Lexicon(index)
    _LEXICONS[index] = (index.version, lex)
    return lex


# ------------------------------------------------------------------------------------------------ lexer


@dataclass(frozen=True)
class _Tok:
    kind: str  # same qty digits op corr each sep space filler word latin spec other
    text: str
    start: int
    end: int
    value: str = ""
    brands: frozenset[str] = frozenset()
    qty: Quantity | None = None


def _lex(text: str, lex: _Lexicon) -> list[_Tok]:
    """Cut the utterance into pieces, longest first at each position; a catalog word beats a filler or keyword
    of the same length, a quantity or 老样子 beats both."""
    out: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        space = _SPACE.match(text, i)
        if space:
            out.append(_Tok("space", space.group(0), i, space.end()))
            i = space.end()
            continue
        best: _Tok | None = None
        same = _SAME.match(text, i)
        if same:
            best = _Tok("same", same.group(0), i, same.end())
        qty = read_quantity(text, i)
        if qty is not None and (best is None or len(qty.said) > len(best.text)):
            best = _Tok("qty", qty.said, i, i + len(qty.said), qty=qty)
        for size in range(min(lex.max_len, n - i), 1, -1):
            word = text[i : i + size]
            brands = lex.words.get(word)
            if brands is not None:
                if best is None or size > len(best.text):
                    best = _Tok("word", word, i, i + size, brands=brands)
                break
        for size in (5, 4, 3, 2, 1):
            word = text[i : i + size]
            if len(word) < size or (best is not None and size <= len(best.text)):
                continue
            if word in _KEYWORDS:
                kind, value = _KEYWORDS[word]
                best = _Tok(kind, word, i, i + size, value=value)
            elif word in _FILLERS:
                best = _Tok("filler", word, i, i + size)
            elif word in _SPECS:
                best = _Tok("spec", word, i, i + size, value="=".join(_SPECS[word]))
        if best is None:
            digits = _DIGITS.match(text, i)
            latin = _LATIN.match(text, i)
            if digits:
                best = _Tok("digits", digits.group(0), i, digits.end())
            elif latin:
                best = _Tok("latin", latin.group(0), i, latin.end())
            else:
                best = _Tok("other", ch, i, i + 1)
        if best.kind == "op" and best.text.startswith("再"):
            out.append(_Tok("sep", "再", i, i, value="and"))  # 再 both separates and adds
        out.append(best)
        i = best.end
    return out


# ------------------------------------------------------------------------------------------------ mentions


@dataclass
class _Mention:
    """Adjacent word pieces naming one product: 「软中华」, 「玉溪软」, 「硬」 (spec words only), 「hts1956」."""

    pieces: list[_Tok] = field(default_factory=list)
    brands: frozenset[str] = frozenset()

    @property
    def start(self) -> int:
        return self.pieces[0].start

    @property
    def end(self) -> int:
        return self.pieces[-1].end

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    @property
    def named(self) -> bool:
        """Has a word that names products (a catalog word, letters); not only spec words or stray characters."""
        return any(p.kind in ("word", "latin") for p in self.pieces)

    @property
    def spec_only(self) -> bool:
        return all(p.kind == "spec" for p in self.pieces)

    def specs(self) -> dict[str, str]:
        """The spec words said as such (「芙蓉王硬的」), which narrow a brand said alone."""
        found: dict[str, str] = {}
        for p in self.pieces:
            if p.kind == "spec":
                category, value = p.value.split("=")
                found.setdefault(category, value)
        return found

    def conflicts(self, tok: _Tok) -> bool:
        """Whether spec word `tok` contradicts a pack or style this mention already says, inside a catalog word
        too (「玉溪软」 then 「硬的」 names a second product)."""
        category, value = tok.value.split("=")
        if category == "colour":
            return False
        text = self.text
        return any(w in text for w, (c, v) in _SPECS.items() if c == category and v != value)

    def add(self, tok: _Tok) -> None:
        self.pieces.append(tok)
        if tok.brands:
            self.brands = self.brands | tok.brands


@dataclass(frozen=True)
class _Event:
    kind: str  # mention qty op corr each same sep
    tok: _Tok | None = None
    mention: _Mention | None = None


class _Grouper:
    """Joins word pieces into mentions and turns a number after a brand into part of its name or a count."""

    def __init__(self, lex: _Lexicon, brands_of: _BrandGuess) -> None:
        self.lex = lex
        self.brands_of = brands_of
        self.events: list[_Event] = []
        self.current: _Mention | None = None
        self.reopenable: _Mention | None = None  # the last mention, while only spaces or fillers follow it

    def run(self, toks: Sequence[_Tok]) -> list[_Event]:
        for k, tok in enumerate(toks):
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            if tok.kind in ("word", "latin", "spec", "other"):
                self._piece(tok, nxt)
            elif tok.kind == "digits":
                self._number(tok)
            elif tok.kind in ("space", "filler"):
                if self.current is None or not self.current.spec_only:
                    self._close()  # 「硬的云烟」: spec words wait for the brand they go with
            else:
                self._close()
                self.reopenable = None
                if tok.kind == "sep":
                    self.events.append(_Event("sep", tok))
                else:
                    self.events.append(_Event(tok.kind, tok))
        self._close()
        return self.events

    def _piece(self, tok: _Tok, nxt: _Tok | None) -> None:
        m = self.current
        if m is None:
            self.current = m = _Mention()
            m.add(tok)
            return
        if tok.kind == "word":
            if m.named and not self._same_product(m, tok):
                self._restart(tok)  # 利群芙蓉王: two brands, two products
            else:
                m.add(tok)  # 黄鹤楼 + 硬1916: a sub-name of the same brand
        elif tok.kind == "latin":
            if m.named:
                self._restart(tok)
            else:
                m.add(tok)
        elif tok.kind == "spec":
            if not m.named:
                if m.conflicts(tok):
                    self._restart(tok)
                else:
                    m.add(tok)
            elif nxt is not None and nxt.kind in ("word", "latin"):
                self._restart(tok)  # 软华硬中华: the spec word opens the next product
            elif nxt is not None and nxt.kind == "other" and not self._qualifies(m, tok.text + nxt.text):
                self._restart(tok)  # 软华硬华: 硬华 is no part of any 中华 name
            elif m.conflicts(tok):
                self._restart(tok)
            else:
                m.add(tok)  # 玉溪软, 芙蓉王硬的
        else:
            m.add(tok)

    def _same_product(self, m: _Mention, tok: _Tok) -> bool:
        """Whether catalog word `tok` goes on naming the product `m` names: a brand and a sub-name of it
        (黄鹤楼 + 硬1916), or two words of one product; two nicknames of one brand (祥云起源) are two products."""
        if not (m.brands or self.brands_of(m)) & tok.brands:
            return False
        words = [p.text for p in m.pieces if p.kind == "word"]
        brands = self.lex.brands
        if not words or tok.text in brands or any(w in brands for w in words):
            return True
        mine = self.lex.word_codes.get(tok.text, frozenset())
        return any(mine & self.lex.word_codes.get(w, frozenset()) for w in words)

    def _qualifies(self, m: _Mention, text: str) -> bool:
        brands = m.brands or self.brands_of(m)
        return any(text in s for b in brands for s in self.lex.surfaces.get(b, ()))

    def _restart(self, tok: _Tok) -> None:
        self._close()
        self.current = _Mention()
        self.current.add(tok)

    def _close(self) -> None:
        m = self.current
        if m is None:
            return
        self.current = None
        prev = self.reopenable
        if prev is not None and prev is self._last_mention():
            # 「中华的软的」: spec words after a pause still belong to the product just named, unless they
            # contradict it (「玉溪软的硬的」 names two); stray characters join stray characters (「谁来着」).
            joins_spec = m.spec_only and prev.named and not any(prev.conflicts(p) for p in m.pieces)
            joins_other = not m.named and not prev.named and not m.spec_only and not prev.spec_only
            if joins_spec or joins_other:
                for p in m.pieces:
                    prev.add(p)
                return
        self.events.append(_Event("mention", mention=m))
        self.reopenable = m

    def _last_mention(self) -> _Mention | None:
        last = self.events[-1] if self.events else None
        return last.mention if last is not None and last.kind == "mention" else None

    def _number(self, tok: _Tok) -> None:
        """「黄鹤楼1916」, 「红塔山 1956」: part of the name when the brand has a product with that number;
        「利群3」, 「黄鹤楼 1」: cartons."""
        target = self.current
        if target is None and self.reopenable is not None and self.reopenable is self._last_mention():
            target = self.reopenable
        value = int(tok.text) if len(tok.text) <= 9 else MAX_BARE + 1
        if target is not None and not target.spec_only:
            brands = target.brands or self.brands_of(target)
            if any(tok.text in self.lex.numbers.get(b, ()) for b in brands) or value > MAX_BARE:
                if target is not self.current:
                    self.events.pop()
                    self.current = target
                target.add(_Tok("digits", tok.text, tok.start, tok.end))
                return
        if value > MAX_BARE:
            self._piece(_Tok("other", tok.text, tok.start, tok.end), None)  # 777 said alone names a product
            return
        self._close()
        self.reopenable = None
        qty = Quantity(value if value > 0 else None, "", None if value > 0 else "quantity_zero", True, tok.text)
        self.events.append(_Event("qty", _Tok("qty", tok.text, tok.start, tok.end, qty=qty)))


class _BrandGuess:
    """The brands a mention without catalog words names (letters, a misheard name), from the matcher's best."""

    def __init__(self, listener: _Listener) -> None:
        self.listener = listener

    def __call__(self, m: _Mention) -> frozenset[str]:
        result = self.listener.match(m.text)
        if result.candidates and result.candidates[0].score >= CLEAR_SCORE:
            brand = self.listener.lex.brand_of.get(result.candidates[0].code)
            return frozenset({brand}) if brand else frozenset()
        return frozenset()


# ------------------------------------------------------------------------------------------------ listener


@dataclass(frozen=True)
class _Pick:
    code: str
    candidates: tuple[Candidate, ...]
    confusable_with: str | None


class _Listener:
    """Applies the events to a working draft in the order they were said."""

    def __init__(
        self,
        text: str,
        draft: Sequence[DraftItem],
        index: MatchIndex,
        shop: Shop,
        chosen: Mapping[str, str],
    ) -> None:
        self.text = text
        self.index = index
        self.lex = _lexicon(index)
        self.shop = shop
        self.chosen = chosen
        self.lines: dict[str, int] = {}
        for item in draft:
            self.lines[item.code] = item.qty
        self.before = dict(self.lines)
        self.touched: list[str] = []
        self.heard: dict[str, str] = {}
        self.confusable: dict[str, str | None] = {}
        self.unclear: list[Unclear] = []
        self.last: str | None = None  # the line touched last in this utterance
        self.last_was: int | None = None  # its quantity before that touch
        self.last_touched_here = False
        self._matches: dict[str, MatchResult] = {}
        self.mentions: list[_Mention] = []
        # utterance state
        self.pending: list[_Mention] = []
        self.pre_qty: _Tok | None = None
        self.op: str | None = None
        self.each = False
        self.correction = False
        self.remove_chain = False

    # ---------------------------------------------------------------------------------------- matching

    def match(self, text: str) -> MatchResult:
        found = self._matches.get(text)
        if found is None:
            found = self.index.match(text[:MAX_MENTION], CANDIDATES, self.shop.context)
            self._matches[text] = found
        return found

    def _brand_of_last(self) -> str | None:
        code = self.last if self.last is not None else next(reversed(self.lines), None)
        return self.lex.brand_of.get(code) if code is not None else None

    def resolve(self, m: _Mention, heard: str) -> _Pick | Unclear:
        """The product a mention names: picked by hand, by the shop's habit within a brand, or the matcher's."""
        result = self.match(m.text)
        for key in (heard, m.text):
            code = self.chosen.get(key)
            if code is not None and self.index.product(code) is not None:
                return self._pick(code, result.candidates, m.text)
        if m.spec_only:
            brand = self._brand_of_last()  # 「硬的也来两条」: the brand touched last
            if brand is None:
                return Unclear(heard, NO_PRODUCT, result.candidates)
            return self._in_brand(brand, m.specs(), brand + m.text, heard)
        brand = self._said_brand(m) or self._abbreviated_brand(m)
        if brand is not None:
            return self._in_brand(brand, m.specs(), m.text, heard)
        best = result.candidates[0] if result.candidates else None
        if best is None or best.score < CLEAR_SCORE or (not m.named and len(m.text) < 2):
            return Unclear(heard, NO_PRODUCT, result.candidates)
        return self._pick(best.code, result.candidates, m.text)

    def _said_brand(self, m: _Mention) -> str | None:
        """The brand, when the mention is a brand and spec words only (「芙蓉王硬的」, 「hts」)."""
        brand: str | None = None
        for p in m.pieces:
            if p.kind == "spec":
                continue
            if p.kind == "word" and p.text in self.lex.brands:
                said = p.text
            elif p.kind == "latin" and p.text in self.lex.brand_keys:
                said = self.lex.brand_keys[p.text]
            else:
                return None
            if brand is not None and said != brand:
                return None
            brand = said
        return brand

    def _abbreviated_brand(self, m: _Mention) -> str | None:
        """「硬华」, 「软玉」: spec words and a character or two of a brand's name; the brand touched last wins ties."""
        specs = [p for p in m.pieces if p.kind == "spec"]
        others = "".join(p.text for p in m.pieces if p.kind == "other")
        if not specs or not others or len(others) > 2 or any(p.kind not in ("spec", "other") for p in m.pieces):
            return None
        fits = [b for b in self.lex.brands if all(ch in b for ch in others)]
        last = self._brand_of_last()
        if last in fits:
            return last
        return fits[0] if len(fits) == 1 else None

    def _in_brand(self, brand: str, specs: Mapping[str, str], text: str, heard: str) -> _Pick | Unclear:
        """The product of `brand` with those specs this shop orders most; the matcher's order breaks ties."""
        result = self.match(text)
        fits = [c for c in self.lex.codes_of.get(brand, ()) if self._fits(c, specs)]
        if not fits:
            return Unclear(heard, NO_PRODUCT, result.candidates)
        in_draft = [c for c in self.lines if c in fits]  # in the order the lines were added
        if in_draft:
            # 「中华不要了」, 「中华改成三条」 with 中华(软) in the draft: a listener means the line already there (the
            # one touched last when several fit), not the brand's product the shop orders most
            touched = [c for c in reversed(self.touched) if c in in_draft]
            return self._pick(touched[0] if touched else in_draft[-1], result.candidates, text)
        active = [c for c in fits if (p := self.index.product(c)) is not None and p.status != "discontinued"]
        fits = active or fits
        freq = self.shop.context.frequencies if self.shop.context is not None else {}
        rank = {c.code: k for k, c in enumerate(result.candidates)}
        if not any(c in rank for c in fits) and not any(freq.get(c) for c in fits):
            wider = self.index.match(text, 50, self.shop.context)
            rank = {c.code: k for k, c in enumerate(wider.candidates)}
        best = min(fits, key=lambda c: (-freq.get(c, 0.0), rank.get(c, len(rank)), c))
        return self._pick(best, result.candidates, text)

    def _fits(self, code: str, specs: Mapping[str, str]) -> bool:
        have = self.index.specs(code)
        return all(value in have.get(category, ()) for category, value in specs.items())

    def _pick(self, code: str, candidates: tuple[Candidate, ...], typed: str) -> _Pick:
        item = self.index.product(code)
        name = item.name if item is not None else code
        mine = next((c for c in candidates if c.code == code), None)
        if mine is None:
            mine = Candidate(code, name, candidates[0].score if candidates else 100.0)
        return _Pick(code, candidates, confusable_of(mine, candidates, typed=typed, matcher=self.index))

    # ---------------------------------------------------------------------------------------- the draft

    def _write(self, code: str, qty: int | None, heard: str, confusable: str | None, *, at: int | None = None) -> None:
        was = self.lines.get(code)
        self.last, self.last_was, self.last_touched_here = code, was, True
        if code not in self.touched:
            self.touched.append(code)
        self.heard[code] = heard
        self.confusable[code] = confusable
        if qty is None or qty <= 0:
            self.lines.pop(code, None)
            self.last = None
            return
        if code in self.lines or at is None:
            self.lines[code] = qty
            return
        items = list(self.lines.items())
        items.insert(at, (code, qty))
        self.lines = dict(items)

    def _apply(self, pick: _Pick, qty: int, op: str | None, heard: str) -> None:
        cur = self.lines.get(pick.code)
        if op == "add":
            new = (cur or 0) + qty
        elif op == "sub":
            if cur is None:
                self.unclear.append(Unclear(heard, NOT_IN_DRAFT, pick.candidates))
                return
            new = cur - qty
        else:
            new = qty
        self._write(pick.code, new, heard, pick.confusable_with)

    def _remove(self, pick: _Pick, heard: str) -> None:
        if pick.code not in self.lines:
            self.unclear.append(Unclear(heard, NOT_IN_DRAFT, pick.candidates))
            return
        self._write(pick.code, None, heard, pick.confusable_with)

    def _target(self) -> str | None:
        """The last line touched: in this utterance, else the draft's last line."""
        if self.last is not None and self.last in self.lines:
            return self.last
        return next(reversed(self.lines), None)

    def _replace(self, pick: _Pick, qty: int | None, heard: str) -> None:
        """A correction naming another product: undo the last line's change and give its quantity to this one."""
        target = self._target()
        if target is None:
            if qty is None:
                self.unclear.append(Unclear(heard, NO_QUANTITY, pick.candidates))
            else:
                self._apply(pick, qty, None, heard)
            return
        keep = qty if qty is not None else self.lines[target]
        if target == pick.code:
            self._write(target, keep, heard, pick.confusable_with)
            return
        at = list(self.lines).index(target)
        restore = self.last_was if self.last_touched_here and target == self.last else None
        if restore is None:
            self.lines.pop(target)
        else:
            self.lines[target] = restore
            at += 1
        self._write(pick.code, keep, heard, pick.confusable_with, at=at)

    # ---------------------------------------------------------------------------------------- events

    def heard_of(self, m: _Mention | None, q: _Tok | None) -> str:
        spans = [(x.start, x.end) for x in (m, q) if x is not None]
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        if (
            m is not None
            and q is not None
            and any((p is not m and m.end <= p.start < q.start) or q.end <= p.start < m.start for p in self.mentions)
        ):
            return f"{m.text} {q.text}"
        return self.text[start:end].strip()

    def run(self, events: Sequence[_Event]) -> None:
        self.mentions = [e.mention for e in events if e.mention is not None]
        prev: _Event | None = None
        for ev in events:
            if ev.kind == "mention":
                assert ev.mention is not None
                # 「去掉利群和芙蓉王」: a removal carries over 和 to the next product
                chained = self.remove_chain and prev is not None and prev.kind == "sep"
                self.remove_chain = False
                self._on_mention(ev.mention, chained=chained)
            elif ev.kind == "sep":
                assert ev.tok is not None
                if ev.tok.value != "and":
                    self.remove_chain = False
            else:
                assert ev.tok is not None
                self.remove_chain = False
                if ev.kind == "qty":
                    self._on_qty(ev.tok)
                elif ev.kind == "op":
                    self._on_op(ev.tok.value)
                elif ev.kind == "corr":
                    self._flush()
                    self.pending = []  # what was just named is what is being corrected
                    self.correction = True
                    self.op = None
                elif ev.kind == "each":
                    self.each = True
                elif ev.kind == "same":
                    self._flush()
                    self._release()
                    self._same(ev.tok.text)
            prev = ev
        self._flush()
        self._end()

    def _on_mention(self, m: _Mention, *, chained: bool) -> None:
        if self.op == "remove" or chained:
            self._resolve_remove(m)
            self.op = None
            self.remove_chain = True
            return
        if self.pre_qty is not None and not self.pending:
            q, self.pre_qty = self.pre_qty, None
            self._bind(m, q)
            self._reset()
            return
        self.pending.append(m)

    def _on_qty(self, q: _Tok) -> None:
        if not self.pending:
            self.pre_qty = q  # 「两条软中华」: the count came first (or 「三条吧」: no product at all)
            if self.correction or self.op == "set":
                self._flush()  # 「哦不 六条」, 「改成八条」: the count is for the last line, whatever follows
            return
        targets = self.pending if self.each else self.pending[-1:]
        if not self.each:
            self._release(self.pending[:-1])
        self.pending = []
        for m in targets:
            self._bind(m, q)
        self._reset()

    def _on_op(self, op: str) -> None:
        if op == "remove":
            self._flush()
            if self.pending:
                for m in self.pending:
                    self._resolve_remove(m)
                self.pending = []
                self.remove_chain = True
                self.op = None
            else:
                self.op = "remove"
            return
        self._flush()
        self.op = op

    def _reset(self) -> None:
        self.op = None
        self.each = False
        self.correction = False

    def _resolve_remove(self, m: _Mention) -> None:
        heard = self.heard_of(m, None)
        pick = self.resolve(m, heard)
        if isinstance(pick, Unclear):
            self.unclear.append(pick)
        else:
            self._remove(pick, heard)

    def _bind(self, m: _Mention, q: _Tok) -> None:
        heard = self.heard_of(m, q)
        assert q.qty is not None
        pick = self.resolve(m, heard)
        if isinstance(pick, Unclear):
            self.unclear.append(pick)
            return
        if q.qty.cartons is None:
            self.unclear.append(Unclear(heard, q.qty.note or NO_QUANTITY, pick.candidates))
            return
        if self.correction:
            self._replace(pick, q.qty.cartons, heard)
        else:
            self._apply(pick, q.qty.cartons, self.op, heard)

    def _flush(self) -> None:
        """A quantity with no product (「改成八条」, 「不对 两条」, 「三条吧」) sets the last line touched."""
        q, self.pre_qty = self.pre_qty, None
        if q is None:
            return
        assert q.qty is not None
        heard = q.text
        target = self._target()
        if target is None:
            self.unclear.append(Unclear(heard, NO_PRODUCT))
        elif q.qty.cartons is None:
            self.unclear.append(Unclear(heard, q.qty.note or NO_QUANTITY))
        else:
            pick = _Pick(target, (), self.confusable.get(target))
            self._apply(pick, q.qty.cartons, None if self.correction else self.op, heard)
        self._reset()

    def _release(self, mentions: Iterable[_Mention] | None = None) -> None:
        """Products named without a quantity: nothing to do, so the order taker is asked."""
        for m in self.pending if mentions is None else mentions:
            heard = self.heard_of(m, None)
            pick = self.resolve(m, heard)
            if isinstance(pick, Unclear):
                self.unclear.append(pick)
            else:
                self.unclear.append(Unclear(heard, NO_QUANTITY, pick.candidates))
        if mentions is None:
            self.pending = []

    def _end(self) -> None:
        if self.correction and self.pending:
            # 「软中华三条 不是 是硬的」: the last line becomes the product named, keeping its quantity; in
            # 「不是芙蓉王 是利群」 the product named first is the one denied, so the last one that is clear wins
            picked = False
            for m in reversed(self.pending):
                heard = self.heard_of(m, None)
                pick = self.resolve(m, heard)
                if isinstance(pick, Unclear):
                    self.unclear.append(pick)
                elif not picked:
                    self._replace(pick, None, heard)
                    picked = True
            self.pending = []
            return
        if self.op == "remove" and not self.pending:
            target = self._target()  # 「不要了」 alone: the last line
            if target is not None:
                self._write(target, None, self.text.strip(), None)
            return
        self._release()

    def _same(self, heard: str) -> None:
        """老样子: every line of the shop's last order, set to what it was; other lines stay."""
        if not self.shop.last_order:
            self.unclear.append(Unclear(heard, NO_LAST_ORDER))
            return
        for item in self.shop.last_order:
            if item.qty > 0 and self.index.product(item.code) is not None:
                self._write(item.code, item.qty, heard, None)

    # ---------------------------------------------------------------------------------------- result

    def result(self) -> EntryResult:
        changes: list[Change] = []
        for code in self.touched:
            was, now_ = self.before.get(code), self.lines.get(code)
            if was == now_:
                continue
            item = self.index.product(code)
            name = item.name if item is not None else code
            op = OP_ADD if was is None else OP_REMOVE if now_ is None else OP_SET
            changes.append(Change(op, code, name, now_, was, self.heard.get(code, ""), self.confusable.get(code)))
        draft = tuple(DraftItem(c, q) for c, q in self.lines.items())
        return EntryResult(self.text, draft, tuple(changes), tuple(self.unclear))


def prepare(matcher: MatchIndex) -> None:
    """Derive the catalog's words for `matcher` now (under a second at 20,000 products), e.g. in a worker when
    the catalog loads, so the first utterance of a call does not pay for it."""
    _lexicon(matcher)


def confusable_of(chosen: Candidate, candidates: Sequence[Candidate], *, typed: str, matcher: MatchIndex) -> str | None:
    """The one place the read-back's "sounds like" rule is called from: with what was typed, so a name or alias
    typed exactly is never flagged and a neighbour is named only when it fits the typing as well, by sound."""
    return sounds_like(chosen, candidates, typed=typed, matcher=matcher)


def apply_utterance(
    text: str,
    draft: Sequence[DraftItem],
    matcher: MatchIndex,
    shop: Shop,
    *,
    chosen: Mapping[str, str] | None = None,
) -> EntryResult:
    """What `text` does to `draft` (its lines in the order they were added), by the contract's rules.

    `chosen` maps the heard words of an item (its `heard`, or just its product words) to the product code the
    order taker picked by hand; that item uses it instead of the matcher's first candidate.
    Never raises on any string; pure: no I/O.
    """
    listener = _Listener(text, draft, matcher, shop, chosen or {})
    phrase = normalise(text)
    listener.text = phrase
    toks = _lex(phrase, listener.lex)
    events = _Grouper(listener.lex, _BrandGuess(listener)).run(toks)
    listener.run(events)
    out = listener.result()
    return EntryResult(text, out.draft, out.changes, out.unclear)
