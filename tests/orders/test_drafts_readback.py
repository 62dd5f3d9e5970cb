"""The draft survives anything short of the disk going, and the read-back flags what a customer would catch."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from orders.drafts import Draft, DraftLine, DraftStore
from orders.matching import Candidate, CatalogItem, MatchIndex
from orders.readback import CLOSE_RUNNER_UP, cartons_words, line_flags, readout, sounds_like
from orders.suggest import ShopHistory, usual_quantities

DATA = Path(__file__).resolve().parent.parent / "data"
RZH = DraftLine("901002", "中华(软)", 2, 58350, heard="rzh 2")


def test_a_saved_draft_comes_back_whole(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    draft = Draft(operator="demo", customer="430102", call_id=7, started_at="2026-11-23T09:00:00+08:00")
    draft.add(RZH)
    draft.add(DraftLine("902002", "玉溪(软)", 3, 20140, alternative="902001 玉溪(硬)"))
    draft.typing = "bs 一件"
    store.save(draft)
    back = DraftStore(tmp_path / "drafts").load("demo", "430102")
    assert back == draft
    assert back is not None and back.cartons == 5 and back.total_fen == 2 * 58350 + 3 * 20140
    assert [d.customer for d in store.pending("demo")] == ["430102"]
    assert store.pending("lead") == []
    store.discard("demo", "430102")
    assert store.load("demo", "430102") is None


def test_the_same_product_twice_is_one_line_and_quantities_stay_whole(tmp_path: Path) -> None:
    draft = Draft(operator="demo", customer="C1")
    draft.add(DraftLine("901002", "中华(软)", 2, 58350))
    assert draft.add(DraftLine("901002", "中华(软)", 1, 58350)) == 0
    assert [(x.code, x.qty) for x in draft.lines] == [("901002", 3)]
    with pytest.raises(ValueError, match="whole number of cartons above 0"):
        draft.set_qty(0, 0)
    assert draft.lines[0].qty == 3


def test_a_torn_or_garbage_file_is_set_aside_not_lost(tmp_path: Path) -> None:
    store = DraftStore(tmp_path)
    store.save(Draft(operator="demo", customer="C1", lines=[RZH]))
    path = next(tmp_path.glob("*.json"))
    path.write_text('{"operator": "demo", "lines": [', encoding="utf-8")
    assert store.load("demo", "C1") is None
    assert path.with_suffix(".unreadable").read_text(encoding="utf-8").startswith('{"operator"')
    assert not list(tmp_path.glob(".draft-*"))  # no temporary files left behind


def test_customer_codes_cannot_escape_the_folder(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "d")
    store.save(Draft(operator="demo", customer="../../etc/x"))
    assert [p.parent for p in (tmp_path / "d").glob("*.json")] == [tmp_path / "d"]
    assert json.loads(next((tmp_path / "d").glob("*.json")).read_text(encoding="utf-8"))["customer"] == "../../etc/x"


def test_read_out_in_words() -> None:
    assert [cartons_words(n) for n in (1, 2, 10, 12, 20, 25, 50, 120)] == [
        "一条",
        "两条",
        "十条",
        "十二条",
        "二十条",
        "二十五条",
        "五十条",
        "120条",
    ]
    assert readout(RZH, "zh") == "中华(软),两条"
    assert readout(DraftLine("901002", "Chunghwa soft", 1, 1), "en") == "Chunghwa soft, 1 carton"


def test_flags_catch_what_the_customer_would() -> None:
    line = DraftLine("902002", "玉溪(软)", 12, 20140, alternative="902001 玉溪(硬)")
    kinds = [f.kind for f in line_flags(line, usual=3, quota_left=12)]
    assert kinds == ["unusual_qty", "sounds_like", "at_quota"]
    assert [f.text for f in line_flags(line, usual=None)] == ["本店从未订过", "与902001 玉溪(硬)相近,请确认"]
    over = line_flags(DraftLine("901002", "中华(软)", 3, 58350), usual=3, quota_left=2, supply_left=1, lang="en")
    assert [(f.kind, f.blocking) for f in over] == [("over_quota", True), ("supply_short", True)]
    assert over[0].text == "over this week's quota: 2 left"
    assert line_flags(DraftLine("901002", "中华(软)", 3, 58350), usual=3) == []
    assert [f.kind for f in line_flags(DraftLine("x", "x", 1, 1), usual=6)] == ["unusual_qty"]  # 1 where 6 is usual


def test_without_what_was_typed_only_a_near_tie_is_what_the_line_sounds_like() -> None:
    hard = Candidate("902001", "玉溪(硬)", 90.0)
    soft = Candidate("902002", "玉溪(软)", 90.0 - CLOSE_RUNNER_UP)
    far = Candidate("903001", "云烟(软珍品)", 90.0 - CLOSE_RUNNER_UP - 0.5)
    assert CLOSE_RUNNER_UP <= 2.0  # at 8 points nearly every line was flagged
    assert sounds_like(hard, [hard, soft, far]) == "玉溪(软)"  # within the margin, inclusive
    assert sounds_like(soft, [hard, soft, far]) == "玉溪(硬)"  # the order taker chose the second: the first
    assert sounds_like(hard, [hard, far]) is None  # too far to be misheard for it
    assert sounds_like(hard, [hard, Candidate("902002", "玉溪(软)", 82.0)]) is None  # the old 8-point margin
    assert sounds_like(hard, [hard]) is None and sounds_like(hard, []) is None
    line = DraftLine("902001", "玉溪(硬)", 2, 20140, alternative=sounds_like(hard, [hard, soft]))
    assert [f.kind for f in line_flags(line, usual=2)] == ["sounds_like"]


# A catalog with the confusable pairs the real one lacks: 玉溪/御溪 read alike, 芙蓉王/湖蓉王 differ by f/h only
# (a dialect merge), 红梅/华美 share initials. Made up, so the rule is shown to come from the matcher's features,
# not from a list of known pairs.
READALIKE = MatchIndex.build(
    [
        CatalogItem("901001", "中华(硬)", "中华", "硬", aliases=("硬中华", "中华硬")),
        CatalogItem("901002", "中华(软)", "中华", "软", aliases=("软中华", "中华软", "软华")),
        CatalogItem("902001", "玉溪(硬)", "玉溪", "硬", aliases=("硬玉溪",)),
        CatalogItem("909001", "御溪(硬)", "御溪", "硬"),
        CatalogItem("904001", "芙蓉王(硬)", "芙蓉王", "硬", aliases=("硬芙",)),
        CatalogItem("909002", "湖蓉王(硬)", "湖蓉王", "硬"),
        CatalogItem("934001", "红梅(软)", "红梅", "软", aliases=("软红梅",)),
        CatalogItem("909003", "华美(软)", "华美", "软", aliases=("软华美",)),
        CatalogItem("906001", "云烟(软珍品)", "云烟", "软", aliases=("软珍品",)),
    ]
)


def flag_for(typed: str, chosen: str | None = None) -> tuple[str, str | None]:
    """(the product chosen, what it sounds like) as the call screen would compute it for `typed`."""
    candidates = READALIKE.match(typed).candidates
    pick = next(c for c in candidates if chosen is None or c.code == chosen)
    return pick.name, sounds_like(pick, candidates, typed=typed, matcher=READALIKE)


def test_a_full_name_or_an_alias_typed_exactly_needs_no_confirmation() -> None:
    for typed, name in [
        ("中华(软)", "中华(软)"),
        ("软华两条", "中华(软)"),
        ("硬的 玉溪", "玉溪(硬)"),
        ("硬芙", "芙蓉王(硬)"),
    ]:
        candidates = READALIKE.match(typed).candidates
        assert candidates[0].name == name
        assert sounds_like(candidates[0], candidates, typed=typed, matcher=READALIKE) is None, typed
    # typed exactly, even when the homophone brand is a near tie on the matcher's scores
    candidates = READALIKE.match("硬玉溪").candidates
    assert [c.name for c in candidates[:2]] == ["玉溪(硬)", "御溪(硬)"]
    assert candidates[0].score - candidates[1].score <= 8.0  # the old rule flagged it


def test_a_homophone_or_dialect_typing_names_the_neighbour_that_reads_the_same() -> None:
    assert flag_for("yuxi ying") == ("玉溪(硬)", "御溪(硬)")  # pinyin: both read yuxi
    assert set(flag_for("育溪硬的")) == {"玉溪(硬)", "御溪(硬)"}  # 育 for 玉 or 御: a homophone of both
    assert flag_for("玉西硬的") == ("玉溪(硬)", None)  # 玉, what sets it apart from 御溪, typed exactly
    chosen, neighbour = flag_for("胡蓉王硬")  # 胡 hu: 湖 exactly, 芙 through the f/h merge
    assert {chosen, neighbour} == {"芙蓉王(硬)", "湖蓉王(硬)"}
    # the order taker picked the other one: the flag names the first
    assert flag_for("yuxi ying", chosen="909001") == ("御溪(硬)", "玉溪(硬)")


def test_initials_that_fit_two_brands_equally_are_confirmed() -> None:
    chosen, neighbour = flag_for("rhm")
    assert {chosen, neighbour} == {"红梅(软)", "华美(软)"}


def test_a_spec_left_unsaid_is_confirmed_a_spec_said_is_not() -> None:
    assert flag_for("中华") == ("中华(硬)", "中华(软)")  # 硬 or 软? the typed text did not say
    assert flag_for("zhonghua ruan") == ("中华(软)", None)  # said, in pinyin: 中华(硬) contradicts it
    assert flag_for("软zh") == ("中华(软)", None)
    assert flag_for("软珍品三条") == ("云烟(软珍品)", None)


def test_on_the_real_catalog_a_variant_nobody_said_is_no_longer_flagged() -> None:
    """Phrases the old 8-point rule flagged for a spec variant nobody said (利群(软红长嘴), 芙蓉王(硬蓝) …)."""
    with (DATA / "catalog.csv").open(encoding="utf-8") as fh:
        index = MatchIndex.build(
            CatalogItem(
                r["code"],
                r["name"],
                r["brand"] or None,
                r["pack"] or None,
                r["style"] or None,
                aliases=tuple(a for a in r["aliases"].split("|") if a),
            )
            for r in csv.DictReader(fh)
        )
    for typed in ["利群软长嘴", "芙蓉王硬 4条", "细支 中华", "蓝 软 芙蓉王", "frw硬", "软zh", "湖蓉王硬", "宗华细支"]:
        candidates = index.match(typed).candidates
        assert sounds_like(candidates[0], candidates, typed=typed, matcher=index) is None, typed


def test_usual_quantities_are_the_typical_cartons_when_ordered() -> None:
    week = date(2026, 11, 23)
    shop = ShopHistory(1, "C1", 5)
    for k, qty in enumerate([2, 3, 3, 10], start=1):
        shop.weeks[week - timedelta(weeks=k)] = {7: qty}
    shop.weeks[week - timedelta(weeks=60)] = {8: 4}  # too long ago to count
    assert usual_quantities(shop, week) == {7: 3}
