"""The brand box in a call, as an order taker uses it: whole utterances become draft changes through the same
rules as `telesales entry`, each change is shown under the box, what is unclear stays in the box, and keys
typed with no pause are never lost."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from textual.pilot import Pilot

from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import open_call
from tui.app import TelesalesApp
from tui.screens.call import CallScreen
from tui.widgets.brand_box import BrandBox
from tui.widgets.candidates import CandidateList


async def say(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*[ch if ch != " " else "space" for ch in text], "enter")
    await pilot.pause()


def draft_of(call: CallScreen) -> dict[str, int]:
    assert call.draft is not None
    return {line.name: line.qty for line in call.draft.lines}


def under_box(call: CallScreen) -> str:
    options = call.query_one(CandidateList)
    return "\n".join(line.plain for line in options._lines)


def make_app(engine: Engine, tmp_path: Path) -> TelesalesApp:
    return TelesalesApp(engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))


async def test_several_products_in_one_breath_then_set_add_subtract_remove(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await say(pilot, "软中华三条 硬芙蓉王五条")
        assert draft_of(call) == {"中华(软)": 3, "芙蓉王(硬)": 5}
        shown = under_box(call)
        assert "+ 中华(软) 3" in shown and "+ 芙蓉王(硬) 5" in shown  # each change where the eye is
        await say(pilot, "芙蓉王一件")
        assert draft_of(call)["芙蓉王(硬)"] == 50  # set to what was said, not 55
        assert "芙蓉王(硬) 5 → 50" in under_box(call)
        await say(pilot, "再来两条软中华")
        assert draft_of(call)["中华(软)"] == 5
        await say(pilot, "芙蓉王少十条")
        assert draft_of(call)["芙蓉王(硬)"] == 40
        await say(pilot, "中华不要了")
        assert draft_of(call) == {"芙蓉王(硬)": 40}
        await say(pilot, "改成八条")  # a quantity alone sets the last line touched
        assert draft_of(call) == {"芙蓉王(硬)": 8}
        assert call.query_one(BrandBox).input.value == ""


async def test_what_is_unclear_stays_in_the_box_and_changes_nothing(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await say(pilot, "利群两条")
        before = draft_of(call)
        await say(pilot, "那个谁来着")
        assert draft_of(call) == before
        assert call.query_one(BrandBox).input.value == "那个谁来着"  # kept, to be corrected or cleared
        assert "没听清:对不上品规" in under_box(call)  # and why, where the eye is
        call.query_one(BrandBox).clear()
        await say(pilot, "玉溪软")  # a product not in the draft, no quantity: offered, not added
        assert draft_of(call) == before
        shown = under_box(call)
        assert "新加的品规要说数量" in shown and "玉溪(软)" in shown
        await pilot.press("space", "3", "enter")  # the quantity added to what stayed in the box
        await pilot.pause()
        assert draft_of(call)["玉溪(软)"] == 3


async def test_same_as_last_time_puts_the_shops_last_order_in_the_draft(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        last = call.shop.last_order
        assert last, "the demo shop has ordered before"
        await say(pilot, "老样子")
        assert call.draft is not None
        assert [(line.code, line.qty) for line in call.draft.lines] == [(i.code, i.qty) for i in last]


async def test_entries_typed_with_no_pause_are_all_kept(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        # three entries in one burst, Enter after each: nothing waits for the screen between keys
        keys: list[str] = []
        for entry in ("frw 2", "hhl 1", "rzh 1"):
            keys += [ch if ch != " " else "space" for ch in entry] + ["enter"]
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()
        names = draft_of(call)
        assert len(names) == 3, names
        assert sorted(names.values()) == [1, 1, 2]


async def test_a_200_key_burst_loses_no_key(demo_engine: Engine, tmp_path: Path) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        # eight products named in full, five rounds (each round sets the same quantities again)
        entries = [
            "中华软 2",
            "玉溪软 3",
            "芙蓉王硬 1",
            "利群硬新版 4",
            "中华硬 5",
            "玉溪硬 2",
            "芙蓉王硬细支 1",
            "利群软蓝新 2",
        ]
        keys: list[str] = []
        for entry in entries * 5:
            keys += [ch if ch != " " else "space" for ch in entry] + ["enter"]
        keys += list("zh")  # and a half-typed last entry
        assert len(keys) >= 200
        await pilot.press(*keys)
        for _ in range(5):
            await pilot.pause()
        # every entry was applied once (the draft holds each product at its last quantity) and the half-typed
        # words are still in the box
        assert call.query_one(BrandBox).input.value == "zh"
        assert draft_of(call) == {
            "中华(软)": 2,
            "玉溪(软)": 3,
            "芙蓉王(硬)": 1,
            "利群(硬新版)": 4,
            "中华(硬)": 5,
            "玉溪(硬)": 2,
            "芙蓉王(硬细支)": 1,
            "利群(软蓝新)": 2,
        }


async def test_each_digits_cases_ellipsis_corrections_and_fillers_in_the_brand_box(
    demo_engine: Engine, tmp_path: Path
) -> None:
    app = make_app(demo_engine, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        call = await open_call(pilot)
        await say(pilot, "中华软的硬的各两条")  # 各: one quantity for each product just named
        assert draft_of(call) == {"中华(软)": 2, "中华(硬)": 2}
        await say(pilot, "芙蓉王硬5")  # a digit glued to a brand is cartons
        assert draft_of(call)["芙蓉王(硬)"] == 5
        await say(pilot, "玉溪软的半件")  # 半件 = 25
        assert draft_of(call)["玉溪(软)"] == 25
        await say(pilot, "硬的也来一条")  # spec words alone: the brand touched last
        assert draft_of(call)["玉溪(硬)"] == 1
        await say(pilot, "利群硬新版六条 不对 五条")  # a correction sets the last line
        assert draft_of(call)["利群(硬新版)"] == 5
        await say(pilot, "嗯 那个 白沙硬精品来三条吧")  # fillers mean nothing
        assert draft_of(call)["白沙(硬精品)"] == 3
        assert call.query_one(BrandBox).input.value == ""


def test_every_reason_an_utterance_is_unclear_has_words_in_both_languages() -> None:
    """The reason is shown under the brand box; a reason without a translation would show its key."""
    from orders import entry
    from orders.quantity import NOTE_FRACTION, NOTE_TOO_LARGE, NOTE_ZERO
    from tui.i18n import MESSAGES

    reasons = [entry.NO_PRODUCT, entry.NO_QUANTITY, entry.NOT_IN_DRAFT, entry.NO_LAST_ORDER]
    for reason in [*reasons, NOTE_ZERO, NOTE_TOO_LARGE, NOTE_FRACTION]:
        zh, en = MESSAGES["entry.why." + reason]
        assert zh and en
