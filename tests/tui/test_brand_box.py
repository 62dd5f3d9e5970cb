"""The brand box on its own: keystrokes become candidates, Enter announces what was said (and the product chosen
by hand), and the box never changes a draft or names its parent's actions (the host has no call screen)."""

from __future__ import annotations

from rich.text import Text
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
        self.said: list[BrandBox.Said] = []
        self.typed: list[str] = []

    def compose(self) -> ComposeResult:
        yield BrandBox(id="box")

    def on_mount(self) -> None:
        self.query_one(BrandBox).input.focus()

    @on(BrandBox.Said)
    def _said(self, message: BrandBox.Said) -> None:
        self.said.append(message)

    @on(BrandBox.Typed)
    def _typed(self, message: BrandBox.Typed) -> None:
        self.typed.append(message.value)


MATCHER = MatchIndex.build(CATALOG)


def candidate_names(app: Host) -> list[str]:
    options = app.query_one(CandidateList)
    return [options.line(i).plain for i in range(options.option_count)]


async def test_keys_typed_without_a_pause_give_candidates_and_enter_announces_the_hand_chosen_one() -> None:
    app = Host(MATCHER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"软中华两条")
        await pilot.pause()
        assert app.typed[-1] == "软中华两条"  # every change announced: the call screen saves it in the draft
        names = candidate_names(app)
        assert names and names[0].startswith("中华(软)")
        box = app.query_one(BrandBox)
        assert box.result is not None
        second = box.result.candidates[1].code
        await pilot.press("down", "enter")
        await pilot.pause()
        [said] = app.said
        assert said.text == "软中华两条"
        assert said.chosen == {"软中华两条": second}  # the highlighted one, not the first
        assert box.input.value == ""  # emptied at Enter: the next entry typed at once lands in an empty line


async def test_enter_on_the_first_candidate_chooses_nothing_by_hand_and_what_comes_back_goes_in_front() -> None:
    app = Host(MATCHER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"rzh2 yx3", "enter", *"frw")  # the next entry typed before the first is dealt with
        await pilot.pause()
        [said] = app.said
        assert said.text == "rzh2 yx3" and said.chosen == {}
        box = app.query_one(BrandBox)
        assert box.input.value == "frw"
        box.restore(["yx3"])  # what the call screen could not act on
        await pilot.pause()
        assert box.input.value == "yx3 frw"
        box.clear()
        box.show_said([Text("+ 中华(软) 2")])
        await pilot.pause()
        assert candidate_names(app) == []  # said lines are shown, not offered
        assert "+ 中华(软) 2" in app.query_one(CandidateList).line(0).plain


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


async def test_what_an_utterance_did_takes_only_its_own_rows_and_candidates_take_five_again() -> None:
    """At 80×24 every row counts: one change shown under the box must not keep four blank rows of the
    candidates' place from the draft and the suggestion until the next key."""
    app = Host(MATCHER)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"rzh", "enter")
        await pilot.pause()
        box = app.query_one(BrandBox)
        options = app.query_one(CandidateList)
        box.show_said([Text("+ 中华(软) 2")])
        await pilot.pause()
        assert options.display and options.size.height == 1
        assert "+ 中华(软) 2" in str(options.render())
        await pilot.press(*"frw")
        await pilot.pause()
        assert options.option_count == 5 and options.size.height == 5
        await pilot.press(*["backspace"] * 3)
        await pilot.pause()
        assert not options.display  # nothing typed and nothing said since: the rows go back to the screen
