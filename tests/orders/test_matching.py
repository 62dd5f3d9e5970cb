"""The brand matcher puts the product the shop owner meant first, whatever form the order taker typed it in."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from db.csv_import import import_file
from db.models import Customer, HistoryLine, MatchPick, Product
from orders.match_data import UnknownCode, customer_frequencies, load_catalog, rank_context, remember_pick
from orders.matching import (
    NOTE_EMPTY,
    NOTE_NO_WORDS,
    NOTE_ONLY_QUANTITY,
    CatalogItem,
    MatchIndex,
    RankContext,
    fuzzy,
    query_key,
)
from orders.quantity import NOTE_TOO_LARGE, NOTE_ZERO

DATA = Path(__file__).resolve().parent.parent / "data"
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _catalog() -> list[CatalogItem]:
    with (DATA / "catalog.csv").open(encoding="utf-8") as fh:
        return [
            CatalogItem(
                code=r["code"],
                name=r["name"],
                brand=r["brand"] or None,
                pack=r["pack"] or None,
                style=r["style"] or None,
                aliases=tuple(a for a in r["aliases"].split("|") if a),
            )
            for r in csv.DictReader(fh)
        ]


CATALOG = _catalog()
INDEX = MatchIndex.build(CATALOG)


def top(query: str, index: MatchIndex = INDEX, context: RankContext | None = None) -> str | None:
    result = index.match(query, context=context)
    return result.candidates[0].code if result.candidates else None


def codes(query: str, index: MatchIndex = INDEX, context: RankContext | None = None, limit: int = 5) -> list[str]:
    return [c.code for c in index.match(query, limit=limit, context=context).candidates]


# ------------------------------------------------------------------------------------------------ forms


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("中华", "901001"),  # the plain one first when nothing else was said
        ("软中华", "901002"),
        ("芙蓉王", "904001"),
        ("硬芙蓉王", "904001"),
        ("中华细支", "901006"),
        ("金中支", "901005"),
        ("南京雨花石", "908003"),
    ],
)
def test_hanzi_in_full_or_part(query: str, code: str) -> None:
    assert top(query) == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("ruanzhonghua", "901002"),
        ("ruan zhonghua", "901002"),
        ("furong wang", "904001"),
        ("furongwang", "904001"),
        ("ruǎnzhōnghuá", "901002"),  # tones typed by an IME
        ("nanjing yuhuashi", "908003"),
        ("huanghelou ruanlan", "905001"),
        ("yuhuashi", "908003"),
    ],
)
def test_full_pinyin_with_or_without_spaces_or_tones(query: str, code: str) -> None:
    assert top(query) == code


def test_pinyin_with_tone_marks_is_read_without_them() -> None:
    assert top("yùxī ruǎn") == "902002"


@pytest.mark.parametrize(
    ("query", "code"),
    [("rzh", "901002"), ("frw", "904001"), ("yzh", "901001"), ("xhm", "908001"), ("ryx", "902002"), ("lqxb", "903001")],
)
def test_initials(query: str, code: str) -> None:
    assert top(query) == code


def test_initials_of_a_brand_alone_put_that_brand_first() -> None:
    """「hhl」 is any 黄鹤楼, not 荷花 (he hua) with an l left over."""
    assert all(c.name.startswith("黄鹤楼") for c in INDEX.match("hhl", limit=3).candidates)


@pytest.mark.parametrize(
    ("query", "code"),
    [("软zh", "901002"), ("hhl软蓝", "905001"), ("利群xb", "903001"), ("frw硬", "904001"), ("zh软", "901002")],
)
def test_mixed_hanzi_and_latin(query: str, code: str) -> None:
    assert top(query) == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("丽群新版", "903001"),
        ("玉西硬", "902001"),
        ("钟华软", "901002"),
        ("黄河楼软蓝", "905001"),
        ("炫黑门", "908001"),
    ],
)
def test_homophones_and_wrong_characters(query: str, code: str) -> None:
    assert top(query) == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("兰京雨花石", "908003"),  # n/l
        ("湖蓉王硬", "904001"),  # f/h
        ("宗华细支", "901006"),  # z/zh
        ("太三望岳", "914001"),  # s/sh
        ("争龙起源", "912001"),  # en/eng + z/zh
        ("lanjing yuhuashi", "908003"),  # n/l typed in pinyin
        ("hurongwang ying", "904001"),
    ],
)
def test_dialect_confusions_as_fuzzy_pinyin(query: str, code: str) -> None:
    assert top(query) == code


@pytest.mark.parametrize(
    ("syllable", "key"),
    [
        ("zhong", "zong"),
        ("chang", "can"),
        ("shan", "san"),
        ("nan", "lan"),
        ("fu", "hu"),
        ("rong", "long"),
        ("jing", "jin"),
        ("zheng", "zen"),
    ],
)
def test_fuzzy_key_merges_what_ime_fuzzy_settings_merge(syllable: str, key: str) -> None:
    assert fuzzy(syllable) == key


@pytest.mark.parametrize(
    ("query", "code"), [("软华", "901002"), ("硬芙", "904001"), ("炫赫门", "908001"), ("九五至尊", "908004")]
)
def test_nicknames_from_the_aliases_column(query: str, code: str) -> None:
    assert top(query) == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("中华 软", "901002"),
        ("软 中华", "901002"),
        ("细支 中华", "901006"),
        ("蓝 软 芙蓉王", "904004"),
        ("红 南京", "908002"),
    ],
)
def test_spec_words_in_any_order(query: str, code: str) -> None:
    assert top(query) == code


def test_a_contradicting_spec_word_counts_against_a_product() -> None:
    """「软芙蓉王」: the 硬 packs, which say 硬, fall below a 软 pack even though they share the brand."""
    result = INDEX.match("软 芙蓉王")
    assert result.candidates[0].code == "904004"
    scores = {c.code: c.score for c in INDEX.match("软 芙蓉王", limit=10).candidates}
    assert scores["904004"] > scores.get("904001", 0)


def test_a_spec_word_that_is_part_of_a_brand_is_no_contradiction() -> None:
    assert top("红塔山") is not None and top("红塔山", INDEX).startswith("907")  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------------ quantity


@pytest.mark.parametrize(
    ("query", "code", "qty"),
    [
        ("软中华两条", "901002", 2),
        ("两条软中华", "901002", 2),
        ("软中华 3", "901002", 3),
        ("硬中华十二条", "901001", 12),
        ("硬玉溪一件", "902001", 50),
        ("红河硬 半件", "928001", 25),
        ("给我拿两条硬中华吧", "901001", 2),
        ("再来三条软玉溪吧", "902002", 3),
        ("软 黄鹤楼 1916", "905011", None),  # a number in the name is no quantity
        ("长白山 777", "927001", None),
    ],
)
def test_quantity_and_product_from_one_phrase(query: str, code: str, qty: int | None) -> None:
    result = INDEX.match(query)
    assert (result.candidates[0].code, result.quantity) == (code, qty)


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query_has_no_candidates_and_says_so(query: str) -> None:
    result = INDEX.match(query)
    assert result.candidates == () and result.quantity is None and result.note == NOTE_EMPTY


def test_only_a_quantity_gives_the_quantity_and_no_candidates() -> None:
    result = INDEX.match("两条")
    assert (result.quantity, result.candidates, result.note) == (2, (), NOTE_ONLY_QUANTITY)


def test_emoji_only_has_no_candidates() -> None:
    result = INDEX.match("😀🚬😀")
    assert result.candidates == () and result.note == NOTE_NO_WORDS


def test_full_width_letters_and_digits_are_read_as_ascii() -> None:
    result = INDEX.match("ＲＺＨ　２条")
    assert result.quantity == 2
    assert result.candidates[0].code == "901002"


@pytest.mark.parametrize(("query", "note"), [("9999件 软中华", NOTE_TOO_LARGE), ("0条 软中华", NOTE_ZERO)])
def test_absurd_or_zero_quantity_is_null_with_a_note_but_the_product_still_matches(query: str, note: str) -> None:
    result = INDEX.match(query)
    assert result.quantity is None and result.note == note
    assert result.candidates[0].code == "901002"


def test_pasted_garbage_returns_quickly_with_the_contract_shape() -> None:
    garbage = ("asdf;lkj中华$%^&*()" * 40)[:500]
    result = INDEX.match(garbage)
    assert len(result.candidates) <= 5
    assert all(0 <= c.score <= 100 for c in result.candidates)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.integers(min_value=1, max_value=20))
def test_any_string_returns_within_the_contract(query: str, limit: int) -> None:
    out = INDEX.match(query, limit=limit).as_json()
    assert set(out) <= {"query", "quantity", "candidates", "note"}
    assert out["query"] == query
    assert out["quantity"] is None or (isinstance(out["quantity"], int) and out["quantity"] > 0)
    candidates = out["candidates"]
    assert isinstance(candidates, list) and len(candidates) <= limit
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(s, float) and 0 <= s <= 100 for s in scores)
    assert all(set(c) == {"code", "name", "score"} for c in candidates)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(CATALOG), st.integers(min_value=1, max_value=12))
def test_every_keystroke_prefix_of_a_name_returns_the_shape(item: CatalogItem, cut: int) -> None:
    result = INDEX.match(item.name[:cut])
    assert all(0 <= c.score <= 100 for c in result.candidates)


# ------------------------------------------------------------------------------------------------ ranking


def test_the_shops_usual_product_comes_first_among_close_candidates() -> None:
    assert top("中华") == "901001"
    usual = RankContext(frequencies={"901002": 40.0, "904001": 3.0})
    assert top("中华", context=usual) == "901002"


def test_history_never_beats_a_clearly_better_match() -> None:
    usual = RankContext(frequencies={"901002": 400.0})
    assert top("硬中华", context=usual) == "901001"


def test_a_remembered_pick_for_this_shop_ranks_first_for_the_same_words() -> None:
    assert top("中华") == "901001"
    picks = RankContext(picks={query_key("中华两条"): {"901006": 1}})
    assert top("中华", context=picks) == "901006"
    assert top("玉溪", context=picks) != "901006"


def test_global_picks_count_only_when_many_agree() -> None:
    few = RankContext(global_picks={"中华": {"901006": 2}})
    many = RankContext(global_picks={"中华": {"901006": 5, "901001": 1}})
    assert top("中华", context=few) == "901001"
    assert top("中华", context=many) == "901006"


def test_discontinued_products_never_rank_above_active_ones() -> None:
    gone = [replace(i, status="discontinued") if i.code == "901002" else i for i in CATALOG]
    index = MatchIndex.build(gone)
    result = index.match("软中华", limit=50)
    found = [c.code for c in result.candidates]
    assert "901002" in found and found[-1] == "901002"
    assert result.candidates[-1].score <= min(c.score for c in result.candidates[:-1])


def test_query_key_ignores_quantity_fillers_spaces_and_width() -> None:
    assert query_key("给我拿 两条 软中华吧") == query_key("软中华") == query_key("软中华 ３条") == "软中华"


# ------------------------------------------------------------------------------------------------ index


def test_index_can_be_patched_when_the_catalog_changes() -> None:
    index = MatchIndex.build(CATALOG)
    assert top("万宝路", index) is None or not top("万宝路", index).startswith("99")  # type: ignore[union-attr]
    index.upsert(CatalogItem("990001", "万宝路(硬红)", "万宝路", "硬", aliases=("红万",)))
    assert top("wanbaolu", index) == "990001"
    assert top("红万", index) == "990001"
    index.upsert(CatalogItem("990001", "万宝路(硬红)", "万宝路", "硬", aliases=("大红万",)))
    assert top("大红万", index) == "990001"
    index.remove("990001")
    assert "990001" not in codes("万宝路", index)
    assert len(index) == len(CATALOG)


def _dev_rows() -> list[dict[str, str]]:
    with (DATA / "heard.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_dev_set_accuracy_floor() -> None:
    """A floor, not the goal (97% top-1): it fails when a change breaks a whole form of input."""
    rows = _dev_rows()
    top1 = qty = 0
    for row in rows:
        result = INDEX.match(row["phrase"])
        top1 += bool(result.candidates) and result.candidates[0].code == row["expected_code"]
        expected = int(row["expected_qty"]) if row["expected_qty"] else None
        qty += result.quantity == expected
    assert top1 / len(rows) >= 0.95
    assert qty / len(rows) >= 0.97


def test_aliases_are_found_by_their_own_pinyin() -> None:
    """Beyond the dev rows: every unambiguous alias, typed as pinyin, finds its product first."""
    from pypinyin import lazy_pinyin

    owners: dict[str, set[str]] = {}
    for item in CATALOG:
        for alias in item.aliases:
            owners.setdefault(alias, set()).add(item.code)
    total = hits = 0
    for item in CATALOG:
        for alias in item.aliases:
            if len(owners[alias]) == 1:
                total += 1
                hits += top("".join(lazy_pinyin(alias))) == item.code
    assert hits / total >= 0.97


# ------------------------------------------------------------------------------------------------ database side


CUSTOMERS_CSV = "code,name,tier,order_weekday\nC1,张记小卖部,5,1\nC2,李记超市,3,2\nC3,王记,3,3\n"


@pytest.fixture
def shop(engine: Engine, tmp_path: Path) -> Engine:
    """The shared catalog and three shops, imported through the public import path."""
    import_file(engine, "catalog", DATA / "catalog.csv", at=AT)
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS_CSV, encoding="utf-8")
    import_file(engine, "customers", customers, at=AT)
    return engine


def test_catalog_loads_with_aliases_and_status(shop: Engine) -> None:
    items = {i.code: i for i in load_catalog(shop)}
    assert len(items) == len(CATALOG)
    assert items["901002"].aliases == ("软中华", "中华软", "软华")
    assert items["901002"].status == "active"


def test_frequencies_come_from_history(shop: Engine) -> None:
    with shop.begin() as conn:
        cid = conn.execute(select(Customer.id).where(Customer.code == "C1")).scalar_one()  # type: ignore[call-overload]
        pid = conn.execute(select(Product.id).where(Product.code == "901002")).scalar_one()  # type: ignore[call-overload]
        conn.execute(insert(HistoryLine).values(customer_id=cid, product_id=pid, order_date=date(2026, 11, 2), qty=5))
        conn.execute(insert(HistoryLine).values(customer_id=cid, product_id=pid, order_date=date(2026, 11, 9), qty=3))
    assert customer_frequencies(shop, "C1") == {"901002": 8.0}
    index = MatchIndex.build(load_catalog(shop))
    assert top("中华", index, rank_context(shop, "C1")) == "901002"
    assert top("中华", index, rank_context(shop, "C2")) == "901001"


def test_unknown_customer_is_refused(shop: Engine) -> None:
    with pytest.raises(UnknownCode, match="NOPE"):
        rank_context(shop, "NOPE")


def test_remember_pick_ranks_it_first_next_time_for_that_shop_only(shop: Engine) -> None:
    index = MatchIndex.build(load_catalog(shop))
    assert top("中华", index, rank_context(shop, "C1")) == "901001"
    remember_pick(shop, "中华两条", "901006", "C1", at=AT)
    assert top("中华", index, rank_context(shop, "C1")) == "901006"
    assert top("中华", index, rank_context(shop, "C2")) == "901001"


def test_picks_count_up_and_become_global_when_many_agree(shop: Engine) -> None:
    index = MatchIndex.build(load_catalog(shop))
    for code in ("C1", "C2", "C3"):
        remember_pick(shop, "中华", "901006", code, at=AT)
    remember_pick(shop, "中华", "901006", "C1", at=AT)
    with shop.connect() as conn:
        rows = conn.execute(select(MatchPick.query_key, MatchPick.count)).all()  # type: ignore[call-overload]
    assert sorted(rows) == [("中华", 1), ("中华", 1), ("中华", 2)]
    assert top("中华", index, rank_context(shop, None)) == "901006"


def test_pick_without_customer_is_kept_once_and_counted(shop: Engine) -> None:
    remember_pick(shop, "软的中华", "901002", None, at=AT)
    remember_pick(shop, "软中华", "901002", None, at=AT)
    with shop.connect() as conn:
        rows = conn.execute(select(MatchPick.query_key, MatchPick.customer_id, MatchPick.count)).all()  # type: ignore[call-overload]
    assert rows == [("软中华", None, 2)]


def test_pick_of_unknown_product_or_customer_is_refused_and_writes_nothing(shop: Engine) -> None:
    with pytest.raises(UnknownCode):
        remember_pick(shop, "中华", "000000", "C1", at=AT)
    with pytest.raises(UnknownCode):
        remember_pick(shop, "中华", "901001", "NOPE", at=AT)
    with pytest.raises(ValueError):
        remember_pick(shop, "两条", "901001", "C1", at=AT)
    with shop.connect() as conn:
        assert conn.execute(select(MatchPick.id)).all() == []  # type: ignore[call-overload]
