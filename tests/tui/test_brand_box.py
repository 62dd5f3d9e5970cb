"""The brand box on its own: keystrokes become candidates, Enter announces what was picked, and the box never
changes a draft or names its parent's actions (the host below has no call screen at all)."""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.reactive import reactive

from orders.matching import MatchIndex, RankContext
from tests.orders.test_matching import CATALOG
from tui.widgets.brand_box import BrandBox
from tui.widgets.candidates import CandidateList


class Host(App[None]):
    """What the box needs from the app: a matcher and the flag saying it is ready."""

    catalog_ready: reactive[bool] = reactive(False)

    def __init__(self, matcher: MatchIndex | None) -> None:
        super().__init__()
        self.matcher = matcher
        self.picked: list[BrandBox.Picked] = []
        self.typed: list[str] = []

    def compose(self) -> ComposeResult:
        yield BrandBox(id="box")

    def on_mount(self) -> None:
        self.query_one(BrandBox).input.focus()

    @on(BrandBox.Picked)
    def _picked(self, message: BrandBox.Picked) -> None:
        self.picked.append(message)

    @on(BrandBox.Typed)
    def _typed(self, message: BrandBox.Typed) -> None:
        self.typed.append(message.value)


MATCHER = MatchIndex.build(CATALOG)


def candidate_names(app: Host) -> list[str]:
    options = app.query_one(CandidateList)
    return [options.line(i).plain for i in range(options.option_count)]


async def test_keys_typed_without_a_pause_give_candidates_and_enter_announces_the_highlighted_one() -> None:
    app = Host(MATCHER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"软中华两条")
        await pilot.pause()
        assert app.typed[-1] == "软中华两条"  # every change announced: the call screen saves it in the draft
        names = candidate_names(app)
        assert names and names[0].startswith("中华(软)")
        await pilot.press("down", "enter")
        await pilot.pause()
        [picked] = app.picked
        assert not picked.several
        [heard] = picked.items
        assert heard.words == "软中华两条" and heard.quantity == 2
        assert heard.chosen_at == 1 and heard.result is not None
        assert heard.candidate == heard.result.candidates[1]  # the highlighted one, not the first
        # the box keeps the line until its parent says what was taken
        assert app.query_one(BrandBox).input.value == "软中华两条"
        app.query_one(BrandBox).keep([])
        await pilot.pause()
        assert app.query_one(BrandBox).input.value == "" and candidate_names(app) == []


async def test_several_items_in_one_entry_are_announced_in_order_and_unheard_ones_carry_no_candidate() -> None:
    app = Host(MATCHER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"rzh2 yx3 zzzz", "enter")
        await pilot.pause()
        [picked] = app.picked
        assert picked.several
        assert [h.words for h in picked.items] == ["rzh 2", "yx 3", "zzzz"]
        assert [h.quantity for h in picked.items][:2] == [2, 3]
        assert picked.items[0].candidate is not None and picked.items[1].candidate is not None
        assert picked.items[2].candidate is None  # no quantity and no match: the parent leaves it in the box


async def test_the_box_offers_candidates_once_the_matcher_is_ready_and_ranks_with_the_shops_habits() -> None:
    app = Host(None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"hhl")
        await pilot.pause()
        assert candidate_names(app) == []  # nothing to choose while the matcher loads
        app.matcher = MATCHER
        app.catalog_ready = True
        await pilot.pause()
        first = candidate_names(app)[0]
        box = app.query_one(BrandBox)
        assert box.result is not None
        codes = [c.code for c in box.result.candidates]
        other = codes[-1]
        box.set_context(RankContext(frequencies={other: 500.0}))
        await pilot.pause()
        assert box.result is not None and box.result.candidates[0].code == other
        assert candidate_names(app)[0] != first
