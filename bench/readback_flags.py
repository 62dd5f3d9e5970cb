"""How often the read-back says 「与X相近,请确认」 (sounds like X): the rule by what was typed against the old one.

The old rule flagged a line whenever the matcher's runner-up scored within 8 points of the chosen product, so the
flag stood on lines nobody could have misheard and the ones that matter drowned. `orders.readback.sounds_like`
now, given the typed text and the index, names a neighbour only when it fits what was typed as well as the chosen
product by sound. Figures, all measured in this run (nothing is asserted):

1. Heard phrases (`heard.csv`), each matched and its top candidate flagged or not:
   (a) "clearly typed": every kind but homophone and dialect (names, aliases, nicknames, spec words in any
       order, pinyin, initials, mixed, fillers, quantities). Goal: under 5 %.
   (b) homophone and dialect typings. In this catalog nothing else reads like 丽群, 钟华 or 兰京, so a low figure
       here is right, not a miss; (2) measures the real risks.
   (c) the old rule (8 points) and the fallback without the typed text (`CLOSE_RUNNER_UP`) on the same lines.
2. Typings built from the catalog itself, for every name and alias: its pinyin, its dialect reading (each
   syllable through `fuzzy`: zh→z, n→l, f→h, ing→in …) and its initials. A typing is *confusable* when another
   product's name or alias gives the very same string: then both fit what was typed and the flag must be raised;
   when it does so only once the dialect merges apply (兰州 beside a made-up 南州), it may; otherwise it should
   not be (a strict truth: the matcher may fairly tie two products on a part of a name,
   「yhh」 for 硬红河 and 硬荷花, which this misses). Run on the real catalog; on it plus a sound twin of each brand
   (御溪 for 玉溪, 兰京 for 南京: the homophone and dialect risks the real catalog lacks); and on it plus generated
   variants (`bench/match.py`'s generator). None of these was used to tune the rule.

    .venv/bin/python bench/readback_flags.py [--catalog CSV] [--heard CSV] [--size 2000] [--seed 1] [--show]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from orders.matching import Candidate, CatalogItem, MatchIndex, fuzzy
from orders.quantity import normalise
from orders.readback import CLOSE_RUNNER_UP, sounds_like

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from match import load_catalog, synthetic  # noqa: E402  (a sibling script, not a package)

OLD_GAP = 8.0  # the rule as it stood: a runner-up within 8 points of the chosen candidate
RISKY = frozenset({"homophone", "dialect"})
Rule = Callable[[str, Candidate, Sequence[Candidate]], str | None]
_PIECE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]|[a-z]+|\d+")


def old_rule(_typed: str, chosen: Candidate, candidates: Sequence[Candidate]) -> str | None:
    others = [c for c in candidates if c.code != chosen.code]
    return others[0].name if others and abs(others[0].score - chosen.score) <= OLD_GAP else None


def fallback_rule(_typed: str, chosen: Candidate, candidates: Sequence[Candidate]) -> str | None:
    return sounds_like(chosen, candidates)


def new_rule(index: MatchIndex) -> Rule:
    def rule(typed: str, chosen: Candidate, candidates: Sequence[Candidate]) -> str | None:
        return sounds_like(chosen, candidates, typed=typed, matcher=index)

    return rule


def pct(part: int, whole: int) -> str:
    return f"{part:>4}/{whole:<4} {100.0 * part / whole if whole else 0.0:5.1f} %"


def ratio(new: int, old: int) -> str:
    return f"{new / old:.2f}×" if old else ("0" if not new else "∞")


def heard_figures(index: MatchIndex, rows: Sequence[dict[str, str]], show: bool) -> None:
    rules: dict[str, Rule] = {"old (8 pts)": old_rule, f"fallback ({CLOSE_RUNNER_UP:g} pt)": fallback_rule}
    rules["new (typed)"] = new_rule(index)
    flagged: dict[str, dict[str, int]] = {name: Counter() for name in rules}
    totals: Counter[str] = Counter()
    right = 0
    shown: list[str] = []
    for row in rows:
        typed, kind = row["phrase"], row["kind"]
        candidates = index.match(typed).candidates
        if not candidates:
            continue
        chosen = candidates[0]
        right += chosen.code == row["expected_code"]
        group = "risky" if kind in RISKY else "clear"
        totals[group] += 1
        totals[kind] += 1
        for name, rule in rules.items():
            said = rule(typed, chosen, candidates)
            if said:
                flagged[name][group] += 1
                flagged[name][kind] += 1
                if show:
                    shown.append(f"    {name:<16} {kind:<10} {typed!r:<28} → {chosen.name}: 与{said}相近")
    print(f"heard phrases: {sum(totals[g] for g in ('clear', 'risky'))}, top-1 right {right}")
    print(f"  {'':<28}" + "".join(f"{name:>22}" for name in rules) + "   new/old")
    for group, label in (("clear", "(a) clearly typed"), ("risky", "(b) homophone + dialect")):
        cells = "".join(f"{pct(flagged[name][group], totals[group]):>22}" for name in rules)
        print(f"  {label:<28}{cells}   {ratio(flagged['new (typed)'][group], flagged['old (8 pts)'][group])}")
    kinds = sorted(k for k in totals if k not in ("clear", "risky"))
    for kind in kinds:
        cells = "".join(f"{pct(flagged[name][kind], totals[kind]):>22}" for name in rules)
        print(f"    {kind:<26}{cells}")
    for line in shown:
        print(line)


def typings(text: str) -> dict[str, str]:
    """A name as typed by sound: its pinyin, its dialect reading, its initials (digits kept as they are)."""
    pieces = _PIECE.findall(normalise(text))
    readings: list[str] = []
    for piece in pieces:
        if piece.isdigit() or piece.isascii():
            readings.append(piece)
        else:
            readings.append(lazy_pinyin(piece, style=Style.NORMAL)[0])
    han = [not (p.isdigit() or p.isascii()) for p in pieces]
    return {
        "pinyin": "".join(readings),
        "dialect": "".join(fuzzy(r) if h else r for r, h in zip(readings, han, strict=True)),
        "initials": "".join(r[0] if h else r for r, h in zip(readings, han, strict=True)),
    }


_SWAPS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("f", "h"))
_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def _partner(reading: str) -> str | None:
    """The reading a dialect speaker merges with `reading` (nan ↔ lan, fu ↔ hu, zhong ↔ zong, jing ↔ jin)."""
    for a, b in _SWAPS:
        for x, y in ((a, b), (b, a)):
            if reading.startswith(x) and not (x in ("z", "c", "s") and reading[1:2] == "h"):
                return y + reading[len(x) :]
    for a, b in _FINALS:
        if reading.endswith(a):
            return reading[: -len(a)] + b
        if reading.endswith(b):
            return reading[: -len(b)] + a
    return None


def twins(real: Sequence[CatalogItem], seed: int) -> list[CatalogItem]:
    """The real catalog plus, for each brand, one product re-branded with a sound twin of its first character:
    a homophone (玉→御) for every other brand, a dialect partner (南→兰, 芙→湖) for the rest. Real catalogs hold
    such pairs (丽群 beside 利群 would be one); this one holds none, so without them nothing would need a flag."""
    from pypinyin.pinyin_dict import pinyin_dict

    by_reading: dict[str, list[str]] = defaultdict(list)
    for point, value in sorted(pinyin_dict.items()):
        char = chr(point)
        if "\u4e00" <= char <= "\u9fff" and "," not in value:
            by_reading[lazy_pinyin(char, style=Style.NORMAL)[0]].append(char)
    out = list(real)
    brands: dict[str, CatalogItem] = {}
    for item in real:
        if item.brand and item.name.startswith(item.brand):
            brands.setdefault(item.brand, item)
    for n, (brand, item) in enumerate(sorted(brands.items())):
        first = brand[0]
        reading = lazy_pinyin(first, style=Style.NORMAL)[0]
        target = reading if n % 2 == 0 else _partner(reading)
        pool = [c for c in by_reading.get(target or "", []) if c != first and c not in brand]
        if not pool:
            continue
        twin = pool[(n * 7 + seed) % len(pool)] + brand[1:]
        out.append(
            CatalogItem(
                code=f"T{n:05d}",
                name=twin + item.name[len(brand) :],
                brand=twin,
                pack=item.pack,
                style=item.style,
                aliases=tuple(a.replace(brand, twin) for a in item.aliases if brand in a),
            )
        )
    return out


def surfaces(item: CatalogItem) -> list[str]:
    return list(dict.fromkeys([item.name, *item.aliases]))


def constructed_figures(title: str, items: Sequence[CatalogItem], show: bool) -> None:
    index = MatchIndex.build(items)
    rules: dict[str, Rule] = {"old (8 pts)": old_rule, "new (typed)": new_rule(index)}
    makers: dict[tuple[str, str], set[str]] = defaultdict(set)
    merged: dict[str, set[str]] = defaultdict(set)  # dialect reading → products: what a fuzzy merge confuses
    sources: dict[tuple[str, str], set[str]] = defaultdict(set)  # typing → dialect readings it was made from
    for item in items:
        for text in surfaces(item):
            forms = typings(text)
            merged[forms["dialect"]].add(item.code)
            for form, typed in forms.items():
                if typed:
                    makers[(form, typed)].add(item.code)
                    sources[(form, typed)].add(forms["dialect"])
    counts: Counter[tuple[str, str, str]] = Counter()  # (form, confusable?, rule or "all")
    missed = 0
    examples: list[str] = []
    started = time.perf_counter()
    calls = 0
    for (form, typed), codes in sorted(makers.items()):
        candidates = index.match(typed).candidates
        if not candidates or candidates[0].code not in codes:
            missed += 1  # the matcher did not put a product of this reading first: no line to read back
            continue
        chosen = candidates[0]
        if len(codes) > 1:
            truth = "confusable"
        elif any(len(merged[d]) > 1 for d in sources[(form, typed)]):
            truth = "merged"  # another product reads the same once the dialect merges apply (兰州/南州)
        else:
            truth = "single"
        counts[(form, truth, "all")] += 1
        for name, rule in rules.items():
            calls += 1
            said = rule(typed, chosen, candidates)
            if said:
                counts[(form, truth, name)] += 1
            if show and name == "new (typed)" and truth != "merged" and (said is not None) != (truth == "confusable"):
                examples.append(f"    {form:<8} {truth:<10} {typed!r:<26} → {chosen.name}: {said}")
    elapsed = time.perf_counter() - started
    print(f"\n{title}: {len(items)} products, {len(makers)} typings ({missed} not matched to their product)")
    print(f"  {'':<28}{'old (8 pts)':>22}{'new (typed)':>22}   new/old")
    for truth, label in (("confusable", "should flag"), ("merged", "may flag (merge)"), ("single", "should not")):
        for form in ("pinyin", "dialect", "initials", "all"):
            whole = (
                sum(counts[(f, truth, "all")] for f in ("pinyin", "dialect", "initials"))
                if form == "all"
                else counts[(form, truth, "all")]
            )

            def hits(name: str, form: str = form, truth: str = truth) -> int:
                if form == "all":
                    return sum(counts[(f, truth, name)] for f in ("pinyin", "dialect", "initials"))
                return counts[(form, truth, name)]

            cells = "".join(f"{pct(hits(name), whole):>22}" for name in rules)
            print(f"  {label + ', ' + form:<28}{cells}   {ratio(hits('new (typed)'), hits('old (8 pts)'))}")
    print(f"  {calls} flag decisions in {elapsed:.2f} s (matching included)")
    for line in examples[:40]:
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=ROOT / "tests/data/catalog.csv")
    parser.add_argument("--heard", type=Path, default=ROOT / "tests/data/heard.csv")
    parser.add_argument("--size", type=int, default=2000, help="products in the generated catalog")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", action="store_true", help="list the flagged heard lines and the disagreements")
    args = parser.parse_args()
    real = load_catalog(args.catalog)
    with args.heard.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    print(f"catalog {args.catalog.name}: {len(real)} products")
    heard_figures(MatchIndex.build(real), rows, args.show)
    constructed_figures("constructed typings, real catalog", real, args.show)
    constructed_figures("constructed typings, real catalog + a sound twin per brand", twins(real, args.seed), args.show)
    if args.size > len(real):
        constructed_figures(
            f"constructed typings, real + generated (seed {args.seed})",
            synthetic(real, args.size, args.seed),
            args.show,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
