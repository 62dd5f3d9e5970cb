"""Measure `orders.entry` (heard utterance → draft) on the development set, and its latency per utterance.

Goals: p99 per utterance < 5 ms on the real catalog and < 20 ms at 20,000 products (the brand box runs it on
Enter, and a multi-product utterance queries the matcher once per product).

    .venv/bin/python bench/entry.py [--shared ../shared] [--size 20000] [--seed 1] [--rounds 30]

The dev set's shops and history go through the public import path into a temporary SQLite database, as the CLI
reads them; the large catalog is the real one plus generated variants (bench/match.py's generator), so the
dev set's products are still there. Exactness is the whole draft after the utterance, lines and order.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from match import load_catalog, synthetic  # bench/match.py: the same catalogs the matcher is measured on

from db import migrate
from db.csv_import import import_file
from db.engine import make_engine
from orders.entry import DraftItem, Shop, apply_utterance, prepare
from orders.match_data import load_shop
from orders.matching import MatchIndex

ROOT = Path(__file__).resolve().parents[1]
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
EXTRA = [  # longer and harder than the dev set, for latency
    "软中华三条 硬芙蓉王五条 利群两条 黄鹤楼 2 红塔山1956 3",
    "两条软中华三条硬玉溪 白沙和利群各四条 再来两条芙蓉王",
    "老样子 芙蓉王改成十条 利群去掉 硬的也来一条",
    "嗯 那个 南京红来三条吧 不对 五条",
    "rzh1 frw2 hhl软蓝3 hts1956 2",
]


def read_cases(path: Path) -> list[tuple[str, str, str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh if line.strip() and not line.startswith("#")]
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def draft_of(text: str) -> tuple[DraftItem, ...]:
    return tuple(DraftItem(c, int(q)) for c, q in (p.split("=") for p in text.split(";") if p))


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency(
    index: MatchIndex, shops: dict[str, Shop], cases: Sequence[tuple[str, str, str, str, str]], rounds: int
) -> list[float]:
    work = [(said, draft_of(before), shops[customer]) for customer, before, said, _, _ in cases]
    work += [(said, (), shops[cases[0][0]]) for said in EXTRA]
    for said, before, shop in work:  # warm: token caches, as after the first minutes of a shift
        apply_utterance(said, before, index, shop)
    times: list[float] = []
    for _ in range(rounds):
        for said, before, shop in work:
            start = time.perf_counter()
            apply_utterance(said, before, index, shop)
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    entry_dir = args.shared / "data" / "entry"
    catalog_csv = args.shared / "data" / "matching" / "catalog.csv"
    if not (entry_dir / "cases.tsv").exists():
        print(f"no development set at {entry_dir}", file=sys.stderr)
        return 1
    cases = read_cases(entry_dir / "cases.tsv")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'dev.db'}")
        migrate.upgrade(engine)
        import_file(engine, "catalog", catalog_csv, at=AT)
        import_file(engine, "customers", entry_dir / "customers.csv", at=AT)
        import_file(engine, "history", entry_dir / "history.csv", at=AT)
        shops = {c: load_shop(engine, c) for c in {case[0] for case in cases}}
        engine.dispose()

    real = load_catalog(catalog_csv)
    index = MatchIndex.build(real)
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for customer, before, said, after, kind in cases:
        result = apply_utterance(said, draft_of(before), index, shops[customer])
        got = ";".join(f"{d.code}={d.qty}" for d in result.draft)
        per_kind[kind][1] += 1
        if got == after:
            per_kind[kind][0] += 1
        else:
            misses.append(f"  miss [{kind}] {said!r}: got {got!r}, want {after!r}")
    total = sum(ok for ok, _ in per_kind.values()), sum(n for _, n in per_kind.values())
    print(f"dev set ({entry_dir}): draft after exact, per kind")
    for kind, (ok, n) in sorted(per_kind.items()):
        print(f"  {kind:<14} {ok:>3}/{n:<3} {100 * ok / n:5.1f} %")
    print(f"  {'overall':<14} {total[0]:>3}/{total[1]:<3} {100 * total[0] / total[1]:5.1f} %")
    print("\n".join(misses))

    print(f"\nlatency per utterance ({len(cases) + len(EXTRA)} utterances x {args.rounds} rounds)")
    for title, items in (("real catalog", real), (f"{args.size:,} products", synthetic(real, args.size, args.seed))):
        start = time.perf_counter()
        big = MatchIndex.build(items)
        built = time.perf_counter() - start
        start = time.perf_counter()
        prepare(big)  # what the first utterance on a fresh index pays once
        lex = time.perf_counter() - start
        times = latency(big, shops, cases, args.rounds)
        print(
            f"  {title:<16} {len(big):>6} products  p50 {statistics.median(times):6.2f} ms  "
            f"p99 {pct(times, 0.99):6.2f} ms  max {max(times):6.2f} ms  "
            f"(index build {built:.2f} s, entry words {lex * 1000:.0f} ms once)"
        )
    print("goals: p99 < 5 ms on the real catalog, < 20 ms at 20,000 products")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
