"""English counts and lists (issue 16): "1 draft line", not "1 draft lines"; ", " between English items and 、
between Chinese ones; read-back flags said from their figures in the screen's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orders.drafts import DraftLine
from orders.readback import line_flags
from tui import i18n
from tui.screens.dialogs import flag_text


@pytest.fixture
def english() -> Iterator[None]:
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def test_one_takes_the_singular_in_english(english: None) -> None:
    assert i18n.t("outcome.unplaced", n=1).startswith("1 draft line was not placed")
    assert i18n.t("outcome.unplaced", n=2).startswith("2 draft lines were not placed")
    assert i18n.t("call.taken", n=1) == "Took 1 suggested line"
    assert i18n.t("draft.total", cartons=1, amount="¥9.00") == "Total 1 carton ¥9.00"
    assert i18n.t("draft.total", cartons=0, amount="¥0.00") == "Total 0 cartons ¥0.00"
    assert i18n.t("assign.title", n=1) == "Give 1 shop to another order taker"
    assert i18n.t("assign.title", n=3) == "Give 3 shops to another order taker"
    assert i18n.t("users.title", n=1, locked=0, disabled=0) == "1 login · 0 locked · 0 disabled"
    assert all(key in i18n.MESSAGES for key in i18n.ONE)  # a singular for a key that exists


def test_lists_are_separated_as_the_language_writes_them(english: None) -> None:
    assert i18n.join(["late delivery", "short"]) == "late delivery, short"
    i18n.set_language("zh")
    assert i18n.join(["送货晚", "缺货"]) == "送货晚、缺货"


def test_flags_are_separate_items_in_the_screens_language(english: None) -> None:
    line = DraftLine("901002", "中华(软)", 3, 58350, alternative="902001 玉溪(硬)")
    texts = [flag_text(f) for f in line_flags(line, usual=None, quota_left=2, supply_left=1, lang="zh")]
    assert texts == [
        "never ordered here",
        "sounds like 902001 玉溪(硬)",
        "over this week's quota: 2 left",
        "short of supply: 1 left",
    ]
