"""The brand box: where a keystroke becomes candidates, and Enter becomes what the order taker picked.

One widget holds the typed line (`BrandInput`), the candidates under it (`CandidateList`) and the matching:
every keystroke asks the in-memory matcher (no I/O) for the last item typed, ranked with this shop's habits.
The input keeps the focus while Up/Down move the highlight (Toolong's find dialog). Enter does not change the
draft: the box announces `BrandBox.Said` with the whole utterance (and the product chosen by hand for the item
being typed, if the order taker moved the highlight), the call screen turns it into draft changes through
`orders/entry.py`, shows them here (`show_said`) and gives back what it could not act on (`restore`), in front
of whatever has been typed since. The box never names its parent's actions.
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
from tui.widgets.candidates import ROWS, CandidateList

if TYPE_CHECKING:
    from tui.app import TelesalesApp

SHOWN = ROWS  # candidates under the box: the CandidateList's height while it offers them


class BrandBox(Vertical):
    """The typed line and its candidates; posts `Typed` on every change and `Said` on Enter."""

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
    class Said(Message):
        """Enter: the utterance as typed. `chosen` maps the words of the item being typed to the product the
        order taker highlighted by hand (empty when they took the matcher's first)."""

        text: str
        chosen: dict[str, str]

    def __init__(self, *, describe: Callable[[Candidate], Text] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.context: RankContext | None = None  # this shop's habits; None ranks by the words alone
        self.result: MatchResult | None = None  # the last item's match, as the candidates show it
        self.describe = describe or (lambda cand: Text(cand.name, style="bold"))
        self.said: list[Text] = []  # what the last utterance did, shown under an empty line
        self.why: tuple[str, str] | None = None  # (the words given back, why they were not taken)

    @property
    def telesales(self) -> TelesalesApp:
        return cast("TelesalesApp", self.app)

    @property
    def input(self) -> Input:
        return self.query_one("#brand", Input)

    def compose(self) -> ComposeResult:
        with Horizontal(id="brand-row"):
            yield Static(t("call.brand_prompt"), id="brand-label")
            yield BrandInput(
                placeholder=t("call.brand_placeholder"), id="brand", compact=True, on_enter=self._entering
            )
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

    def restore(self, words: list[str], *, why: str | None = None) -> None:
        """Put back what the call screen could not act on, in front of anything typed since Enter; `why` is said
        in place of the usual hint under the line until it is edited."""
        typed = self.input.value.strip()
        text = " ".join([*words, typed] if typed else words)
        self.why = (text, why) if why and words else None
        if text != self.input.value:
            self.input.value = text
            self.input.cursor_position = len(text)
        else:
            self.refresh_candidates()

    def clear(self) -> None:
        self.input.value = ""

    def show_said(self, lines: list[Text]) -> None:
        """What the last utterance did (「+ 中华(软) 2」, 「芙蓉王(硬) 9 → 50」): shown where the eye is, until the
        next key."""
        self.said = lines
        if not self.input.value.strip():
            self.query_one("#candidates", CandidateList).show(lines, choosable=False, fit=True)

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
            options.show(self.said, choosable=False, fit=True)
            return
        self.said = []
        if matcher is None:
            options.show([Text(t("call.matcher_loading"), style="dim")], choosable=False)
            return
        result = matcher.match(items[-1], SHOWN, self.context)
        self.result = result
        if not result.candidates:
            options.show([Text(self._why() or t("call.no_match"), style="dim")], choosable=False)
            return
        heard = t("call.heard", qty=result.quantity) if result.quantity is not None else t("call.no_qty")
        if len(items) > 1:
            heard = t("call.items", n=len(items)) + " · " + heard
        heard = self._why() or heard
        lines = []
        for i, cand in enumerate(result.candidates):
            line = self.describe(cand)
            if i == 0:
                line.append(f"   {heard}", style="italic")
            lines.append(line)
        options.show(lines)

    def _why(self) -> str | None:
        """Why the words in the line were given back, while they are still the words given back."""
        if self.why is not None and self.why[0] == self.input.value:
            return self.why[1]
        return None

    def action_move(self, step: int) -> None:
        self.query_one("#candidates", CandidateList).move(step)

    # -------------------------------------------------------------------------------------------- Enter

    def _entering(self, text: str) -> None:
        """Called by the line on Enter, before it empties: the hand-chosen product for the item being typed, if
        the candidates on screen are this text's (keys still queued may not have been matched yet)."""
        items = split_entry(text)
        result = self.result
        highlighted = self.query_one("#candidates", CandidateList).highlighted or 0
        chosen: dict[str, str] = {}
        if items and result is not None and result.candidates and highlighted > 0 and result.query == items[-1]:
            chosen[items[-1]] = result.candidates[min(highlighted, len(result.candidates) - 1)].code
        self.post_message(self.Said(text, chosen))

    @on(Input.Submitted, "#brand")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()  # `Said` was posted by `_entering`, in key order
