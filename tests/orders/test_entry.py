"""What the shop owner says becomes the draft: every rule of the contract, on the development set (imported
through the public import path) and on a catalog, shop and wordings of our own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from db import migrate
from db.csv_import import import_file
from db.engine import make_engine
from orders.entry import (
    NO_LAST_ORDER,
    NO_PRODUCT,
    NO_QUANTITY,
    NOT_IN_DRAFT,
    DraftItem,
    EntryResult,
    Shop,
    apply_utterance,
)
from orders.match_data import UnknownCode, load_catalog, load_shop
from orders.matching import CatalogItem, MatchIndex, RankContext

SHARED = Path(__file__).resolve().parents[3] / "shared"
ENTRY = SHARED / "data" / "entry"
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _draft(text: str) -> tuple[DraftItem, ...]:
    return tuple(DraftItem(c, int(q)) for c, q in (p.split("=") for p in text.split(";") if p))


def _said(result: EntryResult) -> str:
    return ";".join(f"{d.code}={d.qty}" for d in result.draft)


# ------------------------------------------------------------------------------------------------ development set


def _cases() -> list[tuple[str, str, str, str, str]]:
    if not (ENTRY / "cases.tsv").exists():
        return []
    with (ENTRY / "cases.tsv").open(encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh if line.strip() and not line.startswith("#")]
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, MatchIndex]]:
    """The development set's catalog, shops and history in a SQLite database, imported as a user would."""
    if not ENTRY.exists():
        pytest.skip(f"the shared development set is not at {ENTRY}")
    path = tmp_path_factory.mktemp("entry") / "dev.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    import_file(engine, "catalog", SHARED / "data" / "matching" / "catalog.csv", at=AT)
    import_file(engine, "customers", ENTRY / "customers.csv", at=AT)
    import_file(engine, "history", ENTRY / "history.csv", at=AT)
    yield engine, MatchIndex.build(load_catalog(engine))
    engine.dispose()


@pytest.mark.parametrize(
    ("customer", "before", "said", "after", "kind"),
    _cases() or [pytest.param(*"xxxxx", marks=pytest.mark.skip("no dev set"))],
)
def test_development_set(
    dev: tuple[Engine, MatchIndex], customer: str, before: str, said: str, after: str, kind: str
) -> None:
    engine, index = dev
    result = apply_utterance(said, _draft(before), index, load_shop(engine, customer))
    assert _said(result) == after, (kind, result)


def test_load_shop_reads_the_last_order_in_its_listed_order(dev: tuple[Engine, MatchIndex]) -> None:
    engine, _ = dev
    shop = load_shop(engine, "D001")
    assert _said(EntryResult("", shop.last_order, (), ())) == "901002=2;904001=8;903001=6;910001=12"
    assert shop.context is not None and shop.context.frequencies["904001"] == 8 * 6
    assert load_shop(engine, None).last_order == ()
    with pytest.raises(UnknownCode):
        load_shop(engine, "NOPE")


def test_unclear_nonsense_changes_nothing(dev: tuple[Engine, MatchIndex]) -> None:
    engine, index = dev
    result = apply_utterance("那个谁来着", _draft("901002=2"), index, load_shop(engine, "D002"))
    assert _said(result) == "901002=2" and result.changes == ()
    assert [u.reason for u in result.unclear] == [NO_PRODUCT]


# ------------------------------------------------------------------------------------------------ our own shop


OWN = [
    CatalogItem("A01", "红河(硬)", "红河", "硬", aliases=("硬红河",)),
    CatalogItem("A02", "红河(99)", "红河"),
    CatalogItem("A03", "红河(软甲)", "红河", "软"),
    CatalogItem("B01", "娇子(蓝)", "娇子"),
    CatalogItem("B02", "娇子(软阳光)", "娇子", "软"),
    CatalogItem("B03", "娇子(宽窄好运细支)", "娇子", style="细支", aliases=("宽窄",)),
    CatalogItem("C01", "云烟(软珍品)", "云烟", "软", aliases=("软珍",)),
    CatalogItem("C02", "云烟(硬紫)", "云烟", "硬", aliases=("紫云",)),
    CatalogItem("C03", "云烟(细支珍品)", "云烟", style="细支"),
    CatalogItem("D01", "真龙(硬起源)", "真龙", "硬", aliases=("起源",)),
    CatalogItem("D02", "真龙(软祥云)", "真龙", "软", aliases=("祥云",)),
    CatalogItem("F01", "七匹狼(软灰)", "七匹狼", "软"),
    CatalogItem("F02", "七匹狼(硬蓝)", "七匹狼", "硬"),
    CatalogItem("G01", "贵烟(硬跨越)", "贵烟", "硬", aliases=("跨越",)),
    CatalogItem("G02", "贵烟(国酒香30)", "贵烟"),
    CatalogItem("H01", "苏烟(和谐)", "苏烟", aliases=("和谐",)),
]
OWN_INDEX = MatchIndex.build(OWN)
SHOP = Shop(
    RankContext(frequencies={"A01": 30, "B02": 20, "C01": 12, "C02": 4, "D01": 10, "F02": 5, "A02": 1}),
    (DraftItem("A01", 5), DraftItem("B02", 3), DraftItem("D01", 2)),
)


def said(text: str, before: str = "", shop: Shop = SHOP, chosen: dict[str, str] | None = None) -> EntryResult:
    return apply_utterance(text, _draft(before), OWN_INDEX, shop, chosen=chosen)


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("两条紫云三条起源", "C02=2;D01=3"),  # rule 1: the count first
        ("祥云五条 跨越两条", "D02=5;G01=2"),
        ("祥云五条,跨越两条", "D02=5;G01=2"),
        ("祥云五条和跨越两条", "D02=5;G01=2"),
        ("祥云五条还有跨越两条", "D02=5;G01=2"),
        ("祥云五条、跨越两条", "D02=5;G01=2"),
        ("紫云 起源 各三条", "C02=3;D01=3"),  # 各 gives each product named since the last count
        ("七匹狼娇子都来四条", "F02=4;B02=4"),
        ("云烟软的硬的各两条", "C01=2;C02=2"),
        ("紫云两条 祥云起源分别三条", "C02=2;D02=3;D01=3"),
    ],
)
def test_several_products_in_one_utterance(text: str, after: str) -> None:
    assert _said(said(text)) == after


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("起源一件", "D01=50"),
        ("起源半件", "D01=25"),
        ("起源一件半", "D01=75"),
        ("起源十二条", "D01=12"),
        ("起源二十五条", "D01=25"),
        ("起源 7", "D01=7"),
        ("起源7", "D01=7"),
        ("7 起源", "D01=7"),
        ("起源3条", "D01=3"),
    ],
)
def test_quantities(text: str, after: str) -> None:
    assert _said(said(text)) == after


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("红河99两条", "A02=2"),  # the catalog names a 红河 with 99
        ("红河 99 两条", "A02=2"),
        ("红河3", "A01=3"),  # no 红河 is named 3: cartons, the shop's usual 红河
        ("红河 1", "A01=1"),
        ("贵烟30两条", "G02=2"),
        ("贵烟 2", "G01=2"),
    ],
)
def test_a_number_after_a_brand_is_a_name_only_when_the_catalog_says_so(text: str, after: str) -> None:
    assert _said(said(text)) == after


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("红河两条", "A01=2"),  # the shop orders 红河(硬) most
        ("娇子三条", "B02=3"),
        ("云烟两条", "C01=2"),
        ("云烟硬的两条", "C02=2"),  # spec words narrow the brand
        ("硬的云烟两条", "C02=2"),
        ("云烟细支三条", "C03=3"),
        ("红河软的一条", "A03=1"),
        ("hh 2", "A01=2"),  # the brand's initials said alone
    ],
)
def test_a_brand_alone_is_the_shops_usual_product(text: str, after: str) -> None:
    assert _said(said(text)) == after


def test_a_brand_alone_with_no_history_is_the_plain_product() -> None:
    assert _said(said("七匹狼两条", shop=Shop())) in ("F01=2", "F02=2")
    assert _said(said("七匹狼软的两条", shop=Shop())) == "F01=2"


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        ("起源一件", "D01=2;C02=3", "D01=50;C02=3"),  # set, whatever it was
        ("紫云八条", "D01=2;C02=3", "D01=2;C02=8"),
        ("再来两条起源", "D01=2;C02=3", "D01=4;C02=3"),  # added
        ("起源多两条", "D01=2;C02=3", "D01=4;C02=3"),
        ("起源加一条", "D01=2;C02=3", "D01=3;C02=3"),
        ("紫云少一条", "D01=2;C02=3", "D01=2;C02=2"),  # subtracted
        ("紫云减两条", "D01=2;C02=3", "D01=2;C02=1"),
        ("紫云少三条", "D01=2;C02=3", "D01=2"),  # down to nothing: the line goes
        ("紫云不要了", "D01=2;C02=3", "D01=2"),  # removed
        ("去掉起源", "D01=2;C02=3", "C02=3"),
        ("删掉起源和紫云", "D01=2;C02=3", ""),
        ("取消紫云", "D01=2;C02=3", "D01=2"),
        ("起源改成十条", "D01=2;C02=3", "D01=10;C02=3"),  # set
        ("起源一共六条", "D01=2;C02=3", "D01=6;C02=3"),
        ("总共六条起源", "D01=2;C02=3", "D01=6;C02=3"),
    ],
)
def test_a_product_in_the_draft(text: str, before: str, after: str) -> None:
    assert _said(said(text, before)) == after


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        # the shop usually takes 云烟(软珍品) (C01), but the draft holds 云烟(硬紫): the brand alone means that line
        ("云烟不要了", "C02=3;D01=2", "D01=2"),
        ("云烟改成五条", "C02=3", "C02=5"),
        ("再来两条云烟", "C02=3", "C02=5"),
        ("娇子一件", "B01=2", "B01=50"),  # the usual is 娇子(软阳光); 娇子(蓝) is the line there
        # several lines of the brand: the one touched last
        ("云烟改成八条", "C01=1;C02=3", "C01=1;C02=8"),
        # spec words still choose: 软的 is not the 硬 line in the draft
        ("软的云烟两条", "C02=3", "C02=3;C01=2"),
    ],
)
def test_a_brand_alone_means_its_line_in_the_draft(text: str, before: str, after: str) -> None:
    assert _said(said(text, before)) == after


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        ("改成八条", "D01=2;C02=3", "D01=2;C02=8"),  # the draft's last line
        ("三条吧", "D01=2;C02=3", "D01=2;C02=3"),
        ("五条吧", "D01=2;C02=3", "D01=2;C02=5"),
        ("起源四条 改成六条", "D01=2;C02=3", "D01=6;C02=3"),  # the line touched last in this utterance
        ("再加两条", "D01=2;C02=3", "D01=2;C02=5"),
        ("少一条", "D01=2;C02=3", "D01=2;C02=2"),
    ],
)
def test_a_quantity_with_no_product_sets_the_last_line(text: str, before: str, after: str) -> None:
    assert _said(said(text, before)) == after


def test_a_quantity_with_no_product_and_no_draft_is_unclear() -> None:
    result = said("三条")
    assert result.draft == () and [u.reason for u in result.unclear] == [NO_PRODUCT]


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        ("硬的也来两条", "C01=2", "C01=2;C02=2"),  # the brand touched last, with those spec words
        ("再来三条细支的", "C01=2", "C01=2;C03=3"),
        ("祥云两条 硬的三条", "", "D02=2;D01=3"),
        ("软的一条", "A01=4", "A01=4;A03=1"),
    ],
)
def test_spec_words_alone_mean_the_brand_touched_last(text: str, before: str, after: str) -> None:
    assert _said(said(text, before)) == after


def test_spec_words_alone_with_nothing_touched_are_unclear() -> None:
    result = said("硬的两条")
    assert result.draft == () and result.unclear[0].reason == NO_PRODUCT


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        ("起源五条 哦不 六条", "", "D01=6"),  # a quantity sets the last line
        ("起源五条 不对 三条", "", "D01=3"),
        ("不对 两条", "D01=5;C02=4", "D01=5;C02=2"),
        ("祥云三条 不是 是硬的", "", "D01=3"),  # spec words replace the product, keeping the quantity
        ("紫云三条 不对 是起源", "", "D01=3"),
        ("不是紫云 是起源", "D01=1;C02=4", "D01=4"),
        ("祥云三条 不是 是硬的", "D02=1", "D02=1;D01=3"),  # the line goes back to what it was
    ],
)
def test_corrections(text: str, before: str, after: str) -> None:
    assert _said(said(text, before)) == after


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [
        ("老样子", "", "A01=5;B02=3;D01=2"),
        ("跟上周一样", "C02=1", "C02=1;A01=5;B02=3;D01=2"),  # other lines stay
        ("跟上次一样", "A01=9", "A01=5;B02=3;D01=2"),  # set, not added
        ("照旧 再加两条起源", "", "A01=5;B02=3;D01=4"),  # what follows applies after it
        ("老样子 娇子不要了", "", "A01=5;D01=2"),
    ],
)
def test_same_as_last_time(text: str, before: str, after: str) -> None:
    assert _said(said(text, before)) == after


def test_same_as_last_time_without_a_last_order_is_unclear() -> None:
    result = said("老样子 起源两条", shop=Shop())
    assert _said(result) == "D01=2" and [u.reason for u in result.unclear] == [NO_LAST_ORDER]


@pytest.mark.parametrize(
    "text",
    ["嗯 那个 起源来两条吧", "老板说起源要两条", "给我拿两条起源", "这周起源两条的话", "起源 两条 吧"],
)
def test_fillers_mean_nothing(text: str) -> None:
    assert _said(said(text)) == "D01=2"


def test_a_catalog_word_is_never_a_filler_or_a_separator() -> None:
    assert _said(said("和谐两条")) == "H01=2"  # 和 separates items, but not inside a name


@pytest.mark.parametrize(
    ("text", "after", "reasons"),
    [
        ("起源两条 qqqq三条", "D01=2", [NO_PRODUCT]),  # no product clear enough
        ("祥云 起源两条", "D01=2", [NO_QUANTITY]),  # a new product with no quantity keeps the rest
        ("起源两条 祥云", "D01=2", [NO_QUANTITY]),
        ("去掉紫云 起源两条", "D01=2", [NOT_IN_DRAFT]),
        ("起源零条 祥云一条", "D02=1", ["quantity_zero"]),
        ("😀😀", "", [NO_PRODUCT]),
        ("", "", []),
    ],
)
def test_what_is_not_safe_is_unclear_and_the_rest_applies(text: str, after: str, reasons: list[str]) -> None:
    result = said(text)
    assert _said(result) == after
    assert [u.reason for u in result.unclear] == reasons


def test_unclear_lists_candidates() -> None:
    (unclear,) = said("祥云").unclear
    assert unclear.heard == "祥云" and unclear.candidates[0].code == "D02"


def test_changes_are_the_difference_with_the_draft_before() -> None:
    result = said("起源五条 哦不 六条 紫云去掉 祥云两条", "C02=3;D02=2")
    assert [(c.op, c.code, c.qty, c.was) for c in result.changes] == [
        ("add", "D01", 6, None),
        ("remove", "C02", None, 3),
    ]
    assert said("祥云两条", "D02=2").changes == ()


def test_chosen_overrides_the_matcher() -> None:
    plain = said("宽窄两条")
    assert _said(plain) == "B03=2"
    assert _said(said("宽窄两条", chosen={"宽窄两条": "B01"})) == "B01=2"
    assert _said(said("宽窄两条", chosen={"宽窄": "B02"})) == "B02=2"


def test_confusable_comes_from_the_read_back_rule() -> None:
    (change,) = said("云烟两条", shop=Shop()).changes
    assert change.confusable_with is None or change.confusable_with.startswith("云烟")


def test_latin_initials_as_the_matcher_reads_them() -> None:
    assert _said(said("qy1 xy2")) == "D01=1;D02=2"


def test_as_json_is_the_contract_shape() -> None:
    out = said("起源两条 祥云", "C02=1").as_json({i.code: i.name for i in OWN})
    assert out["draft"] == [
        {"code": "C02", "name": "云烟(硬紫)", "qty": 1},
        {"code": "D01", "name": "真龙(硬起源)", "qty": 2},
    ]
    assert out["changes"] == [
        {
            "op": "add",
            "code": "D01",
            "name": "真龙(硬起源)",
            "qty": 2,
            "was": None,
            "heard": "起源两条",
            "confusable_with": None,
        }
    ]
    unclear = out["unclear"]
    assert isinstance(unclear, list) and unclear[0]["reason"] == NO_QUANTITY
    assert set(unclear[0]["candidates"][0]) == {"code", "name", "score"}


WORDS = ["起源", "祥云", "紫云", "云烟", "红河", "硬的", "软的", "老样子", "不对", "不要了", "再", "少", "各", "改成"]
WORDS += ["两条", "三条", "一件", "半件", "5", "99", "和", " ", "嗯", "吧", "零条", "x", "😀", "1916"]


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.sampled_from(WORDS) | st.text(max_size=3), max_size=8),
    before=st.lists(st.tuples(st.sampled_from([i.code for i in OWN]), st.integers(1, 60)), max_size=4),
)
def test_no_utterance_leaves_an_empty_or_duplicate_line(parts: list[str], before: list[tuple[str, int]]) -> None:
    draft = tuple(DraftItem(c, q) for c, q in dict(before).items())
    result = said("".join(parts), ";".join(f"{d.code}={d.qty}" for d in draft))
    codes = [d.code for d in result.draft]
    assert len(codes) == len(set(codes))
    assert all(d.qty > 0 for d in result.draft)
    for change in result.changes:
        assert (change.qty is None) == (change.op == "remove")


def test_a_number_too_large_for_a_count_is_never_cartons() -> None:
    result = said("起源 2026")
    assert result.draft == () and result.unclear
