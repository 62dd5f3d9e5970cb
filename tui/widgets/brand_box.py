"""The brand box: where a keystroke becomes candidates, and Enter becomes what the order taker picked.

One widget holds the typed line (`BrandInput`), the candidates under it (`CandidateList`) and the matching:
every keystroke asks the in-memory matcher (no I/O) for the last item typed, ranked with this shop's habits.
The input keeps the focus while Up/Down move the highlight (Toolong's find dialog). Enter does not change the
draft: the box announces `BrandBox.Picked` with each item heard, its candidate and quantity, and the call
screen decides (adds the lines, asks for a missing quantity, refuses a discontinued product) and tells the box
what to keep (`keep`). The box never names its parent's actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from orders.matching import Candidate, MatchResult, RankContext
from orders.quantity import split_entry
from tui.i18n import t
from tui.keys import bind
from tui.widgets.brand_input import BrandInput
from tui.widgets.candidates import CandidateList

if TYPE_CHECKING:
    from tui.app import TelesalesApp

SHOWN = 5  # candidates under the box: the CandidateList's fixed height


@dataclass(frozen=True)
class Heard:
    """One item of the entry: the words, and what the matcher made of them (no candidate: nothing matched)."""

    words: str
    result: MatchResult | None
    candidate: Candidate | None
    quantity: int | None
    # the candidate's place in the list when the order taker chose it by hand (remembered for the shop when it
    # is not the first); None when nobody chose (a quantity asked afterwards, or several items at once)
    chosen_at: int | None


class BrandBox(Vertical):
    """The typed line and its candidates; posts `Typed` on every change and `Picked` on Enter."""

    DEFAULT_CSS = """
    BrandBox { height: auto; }
    BrandBox #brand-row { height: 1; background: $boost; }
    BrandBox #brand-label { width: auto; padding: 0 1; text-style: bold; }
    BrandBox #brand { border: none; height: 1; padding: 0; width: 1fr; background: $boost; }
    BrandBox #brand:focus { border: none; }
    BrandBox #candidates { height: 5; padding: 0; }
    """
    BINDINGS = [  # noqa: RUF012
        bind("down", "move(1)", "cand_down", id="call.cand_down", show=False, tip="cand"),
        bind("up", "move(-1)", "cand_up", id="call.cand_up", show=False, tip="cand"),
    ]

    @dataclass
    class Typed(Message):
        """The line changed (the call screen keeps it in the draft, so a crash loses no keystroke)."""

        value: str

    @dataclass
    class Picked(Message):
        """Enter: every item heard, in the order typed. One item carries the highlighted candidate and may
        lack a quantity; several items carry each one's first candidate and only those with a quantity."""

        items: list[Heard]
        several: bool

    def __init__(self, *, describe: Callable[[Candidate], Text] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context: RankContext | None = None  # this shop's habits; None ranks by the words alone
        self.result: MatchResult | None = None  # the last item's match, as the candidates show it
        self.describe = describe or (lambda cand: Text(cand.name, style="bold"))

    @property
    def telesales(self) -> TelesalesApp:
        return cast("TelesalesApp", self.app)

    @property
    def input(self) -> Input:
        return self.query_one("#brand", Input)

    def compose(self) -> ComposeResult:
        with Horizontal(id="brand-row"):
            yield Static(t("call.brand_prompt"), id="brand-label")
            yield BrandInput(placeholder=t("call.brand_placeholder"), id="brand", compact=True)
        yield CandidateList(id="candidates")

    def on_mount(self) -> None:
        # the matcher loads after sign-in; a call opened before it is ready offers candidates once it is
        self.watch(self.app, "catalog_ready", self._catalog_ready, init=False)

    def _catalog_ready(self, ready: Any) -> None:
        if ready:
            self.refresh_candidates()

    # ------------------------------------------------------------------------------------------- typing

    def set_context(self, context: RankContext | None) -> None:
        """This shop's habits arrived: rank the current line with them."""
        self.context = context
        self.refresh_candidates()

    def type_text(self, text: str) -> None:
        """Typing that started while another widget had the focus: continue it here."""
        self.input.focus()
        self.input.insert_text_at_cursor(text)

    def keep(self, words: list[str]) -> None:
        """What the call screen did not take stays in the line; an empty list clears it."""
        self.input.value = " ".join(words)

    @on(Input.Changed, "#brand")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Typed(event.value))
        self.refresh_candidates()

    def refresh_candidates(self) -> None:
        """Match the last item typed and repaint the candidates (the per-keystroke path: no I/O)."""
        options = self.query_one("#candidates", CandidateList)
        items = split_entry(self.input.value)
        matcher = self.telesales.matcher
        if not items:
            self.result = None
            options.clear()
            return
        if matcher is None:
            options.show([Text(t("call.matcher_loading"), style="dim")], choosable=False)
            return
        result = matcher.match(items[-1], SHOWN, self.context)
        self.result = result
        if not result.candidates:
            options.show([Text(t("call.no_match"), style="dim")], choosable=False)
            return
        heard = t("call.heard", qty=result.quantity) if result.quantity is not None else t("call.no_qty")
        if len(items) > 1:
            heard = t("call.items", n=len(items)) + " · " + heard
        lines = []
        for i, cand in enumerate(result.candidates):
            line = self.describe(cand)
            if i == 0:
                line.append(f"   {heard}", style="italic")
            lines.append(line)
        options.show(lines)

    def action_move(self, step: int) -> None:
        self.query_one("#candidates", CandidateList).move(step)

    # -------------------------------------------------------------------------------------------- Enter

    @on(Input.Submitted, "#brand")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        items = split_entry(event.value)
        matcher = self.telesales.matcher
        if not items or matcher is None:
            return
        if len(items) == 1:
            result = self.result
            if result is None or not result.candidates:
                self.notify(t("call.no_match"), severity="warning")
                return
            highlighted = self.query_one("#candidates", CandidateList).highlighted or 0
            index = min(highlighted, len(result.candidates) - 1)
            chosen = result.candidates[index]
            self.post_message(self.Picked([Heard(items[0], result, chosen, result.quantity, highlighted)], False))
            return
        heard: list[Heard] = []
        for item in items:
            result = matcher.match(item, SHOWN, self.context)
            first = result.candidates[0] if result.candidates and result.quantity is not None else None
            heard.append(Heard(item, result, first, result.quantity, 0))
        self.post_message(self.Picked(heard, True))
