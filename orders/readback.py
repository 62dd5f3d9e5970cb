"""Read-back risk flags: what the order taker should say twice before the customer hears it wrong.

Mishearing on the phone (电话耳误) is a documented cause of wrong orders. Each flag names one reason a line may
not be what the shop meant: a product it has never ordered, a quantity far from its usual, a product that
sounds like another one the matcher almost chose, a line at or over its quota or beyond the supply left.
The flags warn; placement (`orders/placement.py`) remains the authority on quota and supply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from orders.drafts import DraftLine
from orders.matching import Candidate, MatchIndex
from orders.suggest import Lang

CN_DIGITS = "零一两三四五六七八九"
# Without the typed text only a near tie is a risk worth a flag: at 8 points nearly every line was flagged.
CLOSE_RUNNER_UP = 1.0
# With it: a neighbour whose fit by sound to what was typed is this close to the chosen one's (0–100 scale).
SOUND_GAP = 3.0


@dataclass(frozen=True)
class Flag:
    kind: str  # never_ordered, unusual_qty, sounds_like, at_quota, over_quota, supply_short
    text: str
    blocking: bool = False  # placement will refuse this line as it stands
    # The figures the text was made from, so a screen can say it in its own words (and plural forms) without
    # parsing `text`: `usual`/`qty` for unusual_qty, `left` for over_quota and supply_short, `other` for sounds_like.
    usual: int | None = None
    qty: int | None = None
    left: int | None = None
    other: str = ""


def cartons_words(qty: int) -> str:
    """The count as said aloud, always in cartons (a count switched to cases mid-call is itself misheard):
    两条, 十二条, 五十条; digits from a hundred up."""
    if qty < 10:
        return f"{CN_DIGITS[qty]}条"
    if qty < 100:
        tens, ones = divmod(qty, 10)
        head = "" if tens == 1 else "二三四五六七八九"[tens - 2]
        return f"{head}十{'' if ones == 0 else '一二三四五六七八九'[ones - 1]}条"
    return f"{qty}条"


def readout(line: DraftLine, lang: Lang) -> str:
    """The line as the order taker reads it out."""
    if lang == "en":
        return f"{line.name}, {line.qty} carton{'s' if line.qty != 1 else ''}"
    return f"{line.name},{cartons_words(line.qty)}"


def sounds_like(
    chosen: Candidate,
    candidates: Sequence[Candidate],
    *,
    typed: str | None = None,
    matcher: MatchIndex | None = None,
) -> str | None:
    """The product the customer may have meant instead of `chosen`, or None. Kept on the draft line, it becomes
    the read-back's `sounds_like` flag, so the order taker names both before the customer hears the wrong one.

    A flag on every line is a flag nobody hears, so with `typed` (what the order taker typed for the line) and
    `matcher` it names a neighbour only when that neighbour fits what was typed about as well as `chosen` does,
    judged by sound (`MatchIndex.typed_fit`): a homophone or dialect reading of the part that tells them apart
    (「hongmei」 for 红梅 and 红玫王), initials both fit, a spec the typed text left unsaid (「玉溪」: 硬 or 软?).
    Never when the typed text is exactly one of `chosen`'s names or aliases, nor against a neighbour whose
    difference from `chosen` was typed in exact characters (「软中华」 is not 中华(硬)), nor against one that
    contradicts a spec word typed. Without them only a runner-up the matcher scored as nearly tied
    (`CLOSE_RUNNER_UP`) is named.
    """
    others = [c for c in candidates if c.code != chosen.code]
    if not others:
        return None
    mine = matcher.typed_fit(typed, chosen.code) if typed is not None and matcher is not None else None
    if typed is None or matcher is None or mine is None:
        return others[0].name if abs(others[0].score - chosen.score) <= CLOSE_RUNNER_UP else None
    if mine.exact:
        return None
    best: tuple[float, str] | None = None
    for other in others:
        if matcher.says_apart(typed, chosen.code, other.code):
            continue
        theirs = matcher.typed_fit(typed, other.code)
        if theirs is None or theirs.contradictions > mine.contradictions:
            continue
        if theirs.score >= mine.score - SOUND_GAP and (best is None or theirs.score > best[0]):
            best = (theirs.score, other.name)
    return best[1] if best is not None else None


def line_flags(
    line: DraftLine,
    *,
    usual: int | None,
    quota_left: int | None = None,
    supply_left: int | None = None,
    lang: Lang = "zh",
) -> list[Flag]:
    """`usual` is the shop's typical cartons of this product when it orders it (None: never ordered)."""
    en = lang == "en"
    flags: list[Flag] = []
    if usual is None:
        flags.append(Flag("never_ordered", "this shop has never ordered it" if en else "本店从未订过"))
    elif line.qty >= 2 * usual + 2 or (usual >= 3 and line.qty * 3 <= usual):
        flags.append(
            Flag(
                "unusual_qty",
                f"usually {usual}, now {line.qty}" if en else f"平常{usual}条,这次{line.qty}条",
                usual=usual,
                qty=line.qty,
            )
        )
    if line.alternative:
        flags.append(
            Flag(
                "sounds_like",
                f"sounds like {line.alternative}" if en else f"与{line.alternative}相近,请确认",
                other=line.alternative,
            )
        )
    if quota_left is not None:
        if line.qty > quota_left:
            text = f"over this week's quota: {quota_left} left" if en else f"超出本周限量,还可订{quota_left}条"
            flags.append(Flag("over_quota", text, blocking=True, left=quota_left))
        elif line.qty == quota_left:
            flags.append(Flag("at_quota", "at this week's quota" if en else "已到本周限量"))
    if supply_left is not None and line.qty > supply_left:
        text = f"only {supply_left} left in supply" if en else f"货源不足,仅剩{supply_left}条"
        flags.append(Flag("supply_short", text, blocking=True, left=supply_left))
    return flags
