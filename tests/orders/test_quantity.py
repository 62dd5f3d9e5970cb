"""Cartons heard in a phrase, as an order taker would read them back; names with numbers stay names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.quantity import (
    MAX_CARTONS,
    NOTE_FRACTION,
    NOTE_TOO_LARGE,
    NOTE_ZERO,
    chinese_number,
    extract_quantity,
    split_entry,
)


@pytest.mark.parametrize(
    ("phrase", "cartons"),
    [
        ("2条", 2),
        ("两条", 2),
        ("十条", 10),
        ("十二条", 12),
        ("二十条", 20),
        ("二十五条", 25),
        ("一百条", 100),
        ("一件", 50),
        ("两件", 100),
        ("半件", 25),
        ("一件半", 75),
        ("1箱", 50),
        ("２条", 2),  # full-width digit
        ("１０条软中华", 10),
        ("软中华 3", 3),
        ("3 软中华", 3),
        ("给我拿两条硬中华", 2),
        ("再来三条软玉溪吧", 3),
        ("那个炫赫门要五条", 5),
        ("红塔山经典1956 一件", 50),
        ("软中华 3 条", 3),
    ],
)
def test_quantity_in_digits_or_chinese_before_or_after_the_brand(phrase: str, cartons: int) -> None:
    assert extract_quantity(phrase).cartons == cartons


@pytest.mark.parametrize(
    "phrase", ["黄鹤楼 1916", "长白山777", "hts1956", "黄鹤楼8度", "软中华", "九五至尊", "七匹狼", "南京 九五"]
)
def test_numbers_that_belong_to_a_name_are_no_quantity(phrase: str) -> None:
    heard = extract_quantity(phrase)
    assert heard.cartons is None
    assert heard.note is None


def test_the_rest_of_the_phrase_is_what_remains_for_the_matcher() -> None:
    assert extract_quantity("中华软的两条").rest == "中华软的"
    assert extract_quantity("软中华 3").rest == "软中华"
    assert extract_quantity("硬玉溪两件").rest == "硬玉溪"


@pytest.mark.parametrize(
    ("phrase", "note"),
    [
        ("0条", NOTE_ZERO),
        ("零条 中华", NOTE_ZERO),
        ("9999件", NOTE_TOO_LARGE),
        ("1001条", NOTE_TOO_LARGE),
        ("半条", NOTE_FRACTION),
    ],
)
def test_zero_absurd_or_half_carton_gives_no_quantity_and_says_why(phrase: str, note: str) -> None:
    heard = extract_quantity(phrase)
    assert heard.cartons is None
    assert heard.note == note


def test_largest_accepted_quantity_is_the_limit() -> None:
    assert extract_quantity(f"{MAX_CARTONS}条").cartons == MAX_CARTONS
    assert extract_quantity("20件").cartons == 1000


def test_a_bare_number_is_marked_bare_so_the_matcher_may_read_it_as_a_name() -> None:
    assert extract_quantity("泰山心悦 7").bare is True
    assert extract_quantity("泰山心悦 7条").bare is False


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("九十九", 99), ("一百零五", 105), ("两千", 2000), ("42", 42)],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize("text", ["", "二三", "中"])
def test_what_is_not_a_numeral(text: str) -> None:
    assert chinese_number(text) is None


@given(st.text(max_size=200))
def test_any_text_gives_a_whole_positive_bounded_quantity_or_none(text: str) -> None:
    heard = extract_quantity(text)
    assert heard.cartons is None or 1 <= heard.cartons <= MAX_CARTONS
    assert isinstance(heard.rest, str)


@pytest.mark.parametrize(
    ("entry", "items"),
    [
        ("rzh2 yx3", ["rzh 2", "yx 3"]),
        ("rzh 2 yx 3", ["rzh 2", "yx 3"]),
        ("软中华两条玉溪三条", ["软中华两条", "玉溪三条"]),
        ("软中华2条,玉溪3条", ["软中华2条", "玉溪3条"]),
        ("两条软中华", ["两条 软中华"]),
        ("一件半 白沙", ["一件半 白沙"]),
        ("白沙 一件半", ["白沙 一件半"]),
        ("rzh", ["rzh"]),
        ("软中华两条 玉溪", ["软中华两条", "玉溪"]),
        ("hts1956 2", ["hts1956 2"]),  # 1956 is a name, 2 the count
        ("  ", []),
    ],
)
def test_one_entry_splits_into_items_at_each_quantity(entry: str, items: list[str]) -> None:
    assert split_entry(entry) == items


@given(st.text(max_size=40))
def test_any_pasted_text_splits_without_error(text: str) -> None:
    for item in split_entry(text):
        assert item.strip()
