"""The matcher's candidates under the brand box, repainted on every keystroke.

Not an `OptionList`: that widget recomputes its virtual size for every option added, and each of those asks
the whole screen for a new layout, which cost more than the match itself on the call screen. This list has a
fixed height and only repaints itself while it shows anything (it folds away when empty); the brand box keeps
the focus (the Toolong pattern) and moves the highlight with Up/Down, so the list needs no focus, mouse or
scrolling of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

ROWS = 5  # candidates shown at once (the brand box's SHOWN)


class CandidateList(Static):
    """Up to a handful of lines, one highlighted; `highlighted` is None when there is nothing to choose."""

    DEFAULT_CSS = """
    CandidateList { height: 5; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._lines: list[Text] = []
        self._choosable = 0
        self._fit = False
        self.highlighted: int | None = None

    @property
    def option_count(self) -> int:
        """How many lines can be chosen (a note such as "no match" cannot)."""
        return self._choosable

    def show(self, lines: Sequence[Text], *, choosable: bool = True, fit: bool = False) -> None:
        """Replace the lines; the first is highlighted when they can be chosen. `fit` shrinks the list to its
        lines: what the last utterance did is one or two lines, and four blank rows under it at 80×24 are four
        rows of draft and suggestion hidden until the next key."""
        self._lines = list(lines)
        self._choosable = len(self._lines) if choosable else 0
        self._fit = fit and not choosable
        self.highlighted = 0 if self._choosable else None
        self._paint()

    def clear(self) -> None:
        self.show([], choosable=False)

    def move(self, step: int) -> None:
        if not self._choosable:
            return
        current = self.highlighted or 0
        self.highlighted = max(0, min(self._choosable - 1, current + step))
        self._paint()

    def line(self, index: int) -> Text:
        return self._lines[index]

    def _paint(self) -> None:
        out = Text(no_wrap=True, overflow="ellipsis")
        for i, line in enumerate(self._lines):
            if i:
                out.append("\n")
            if i == self.highlighted:
                out.append("▶ ", style="bold reverse")
                row = line.copy()
                row.stylize("reverse")
                out.append_text(row)
            else:
                out.append("  ")
                out.append_text(line)
        # same fixed size whatever the content: no layout pass, just a repaint of these five rows; folded away
        # while there is nothing to show, so the call screen's panels get its rows (a layout pass only when the
        # first key of an utterance is typed and when it is taken)
        shown = bool(self._lines)
        if self.display != shown:
            self.display = shown
        rows = min(len(self._lines), ROWS) if self._fit else ROWS
        if shown and self.styles.height is not None and self.styles.height.value != rows:
            self.styles.height = rows  # a layout pass, once per utterance taken and once when the next begins
        self.update(out, layout=False)
