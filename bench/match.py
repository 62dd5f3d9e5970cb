"""Measure the brand matcher against a rapidfuzz WRatio baseline, on the real catalog and on 20,000 products.

Goals: top-1 ≥ 97 %, top-3 ≥ 99.5 %, quantity right ≥ 99 % on the heard phrases; p99 per keystroke < 2 ms on
the real catalog and < 15 ms at 20,000 products; index build < 2 s and < 200 MB at 20,000 products.

    .venv/bin/python bench/match.py [--catalog CSV] [--heard CSV] [--size 20000] [--seed 1]

Runs in one process with no database: the matcher is a pure in-memory index, and that is what is measured.
Besides the heard phrases (which the matcher was developed on) it scores "alias forms", phrases generated
from every unambiguous alias as hanzi, full pinyin and initials, which the matcher was not tuned row by row on.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process, utils

from orders.matching import CatalogItem, MatchIndex

ROOT = Path(__file__).resolve().parents[1]
Ranker = Callable[[str], list[str]]


def load_catalog(path: Path) -> list[CatalogItem]:
    with path.open(encoding="utf-8") as fh:
        return [
            CatalogItem(
                code=r["code"],
                name=r["name"],
                brand=r.get("brand") or None,
                pack=r.get("pack") or None,
                style=r.get("style") or None,
                status=r.get("status") or "active",
                aliases=tuple(a for a in (r.get("aliases") or "").split("|") if a),
            )
            for r in csv.DictReader(fh)
        ]


def synthetic(real: Sequence[CatalogItem], size: int, seed: int) -> list[CatalogItem]:
    """The real catalog plus generated products: new brands, and many new variants of the real brands.

    Variants of real brands share their brand's sounds and spec words, which is what makes a large catalog hard.
    """
    rng = random.Random(seed)
    pool = "金银红蓝紫黄绿白黑天地山河海云龙凤祥瑞福寿喜乐安康泰和华兴盛宝鼎城湖江月星风雅韵香醇品尊典藏"
    packs = ("硬", "软", "")
    styles = ("细支", "中支", "")
    brands = sorted({i.brand for i in real if i.brand})
    out = list(real)
    seen = {i.name for i in out}
    n = 0
    while len(out) < size:
        n += 1
        if rng.random() < 0.5:
            brand = rng.choice(brands)
        else:
            brand = "".join(rng.choice(pool) for _ in range(rng.choice((2, 2, 3))))
        sub = "".join(rng.choice(pool) for _ in range(rng.choice((2, 3, 4))))
        pack, style = rng.choice(packs), rng.choice(styles)
        name = f"{brand}({pack}{sub}{style})"
        if name in seen:
            continue
        seen.add(name)
        status = "discontinued" if rng.random() < 0.05 else "active"
        code = f"S{n:06d}"
        out.append(CatalogItem(code, name, brand, pack or None, style or None, status, (f"{brand}{sub}",)))
    return out


def load_heard(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def alias_forms(real: Sequence[CatalogItem]) -> list[tuple[str, str, str]]:
    """(phrase, expected code, form) from every alias owned by one product, typed three ways."""
    owners: dict[str, set[str]] = defaultdict(set)
    for item in real:
        for alias in item.aliases:
            owners[alias].add(item.code)
    rows: list[tuple[str, str, str]] = []
    for item in real:
        for alias in item.aliases:
            if len(owners[alias]) != 1:
                continue
            syllables = lazy_pinyin(alias)
            rows.append((alias, item.code, "alias-hanzi"))
            rows.append(("".join(syllables), item.code, "alias-pinyin"))
            rows.append(("".join(s[0] for s in syllables), item.code, "alias-initials"))
    return rows


def baseline(items: Sequence[CatalogItem]) -> Ranker:
    """rapidfuzz process.extract with WRatio over names and aliases: what one would write first."""
    choices: list[str] = []
    owner: list[str] = []
    for item in items:
        for text in (item.name, *item.aliases):
            choices.append(text)
            owner.append(item.code)

    def rank(query: str) -> list[str]:
        found = process.extract(query, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=15)
        codes: list[str] = []
        for _, _, at in found:
            if owner[at] not in codes:
                codes.append(owner[at])
        return codes[:5]

    return rank


def ours(index: MatchIndex) -> Ranker:
    return lambda q: [c.code for c in index.match(q).candidates]


def accuracy(rank: Ranker, rows: Sequence[tuple[str, str, str]]) -> dict[str, tuple[int, int, int]]:
    """form → (n, top-1 hits, top-3 hits), plus "ALL"."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for phrase, code, kind in rows:
        found = rank(phrase)
        for key in (kind, "ALL"):
            out[key][0] += 1
            out[key][1] += found[:1] == [code]
            out[key][2] += code in found[:3]
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def latencies(rank: Ranker, phrases: Sequence[str]) -> list[float]:
    """Seconds per query over every prefix of every phrase: one query per keystroke."""
    times: list[float] = []
    for phrase in phrases:
        for cut in range(1, len(phrase) + 1):
            prefix = phrase[:cut]
            start = time.perf_counter()
            rank(prefix)
            times.append(time.perf_counter() - start)
    return times


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        import os

        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def report(title: str, index: MatchIndex, items: Sequence[CatalogItem], heard: list[dict[str, str]]) -> None:
    heard_rows = [(r["phrase"], r["expected_code"], r["kind"]) for r in heard]
    forms = alias_forms([i for i in items if not i.code.startswith("S")])
    mine, base = ours(index), baseline(items)
    print(f"\n== {title}: {len(items)} products ==")
    for label, rows in (("heard.csv", heard_rows), ("alias forms", forms)):
        acc_mine, acc_base = accuracy(mine, rows), accuracy(base, rows)
        print(f"{label:<14}{'n':>5}  {'top-1':>7} {'top-3':>7} | baseline {'top-1':>7} {'top-3':>7}")
        for kind in sorted(acc_mine, key=lambda k: (k == "ALL", k)):
            n, a1, a3 = acc_mine[kind]
            _, b1, b3 = acc_base[kind]
            print(f"  {kind:<12}{n:>5}  {a1 / n:>7.1%} {a3 / n:>7.1%} |          {b1 / n:>7.1%} {b3 / n:>7.1%}")
    right = sum(
        index.match(r["phrase"]).quantity == (int(r["expected_qty"]) if r["expected_qty"] else None) for r in heard
    )
    print(f"quantity right: {right}/{len(heard)} = {right / len(heard):.1%}")
    phrases = [r["phrase"] for r in heard]
    t_mine, t_base = latencies(mine, phrases), latencies(base, phrases)
    print(
        f"latency per keystroke over {len(t_mine)} prefixes: ours p50 {pct(t_mine, 0.5) * 1e3:.2f} ms, "
        f"p99 {pct(t_mine, 0.99) * 1e3:.2f} ms, max {max(t_mine) * 1e3:.2f} ms | baseline p50 "
        f"{pct(t_base, 0.5) * 1e3:.2f} ms, p99 {pct(t_base, 0.99) * 1e3:.2f} ms "
        f"(mean ours {statistics.fmean(t_mine) * 1e3:.2f} ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=ROOT / "tests/data/catalog.csv")
    parser.add_argument("--heard", type=Path, default=ROOT / "tests/data/heard.csv")
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    real = load_catalog(args.catalog)
    heard = load_heard(args.heard)

    start = time.perf_counter()
    small = MatchIndex.build(real)
    print(f"real catalog index build: {(time.perf_counter() - start) * 1e3:.0f} ms")
    report("real catalog", small, real, heard)

    big_items = synthetic(real, args.size, args.seed)
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    big = MatchIndex.build(big_items)
    seconds = time.perf_counter() - start
    gc.collect()
    grown = rss_bytes() - before
    print(
        f"\nsynthetic index build at {len(big_items)} products: {seconds:.2f} s, resident memory +{grown / 1e6:.0f} MB"
    )
    report("synthetic catalog", big, big_items, heard)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
