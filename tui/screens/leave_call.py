"""Leaving a call with no outcome: asked, never done by one stray key.

Esc on the call screen (when the brand box has nothing to clear) and Ctrl+Q with a call open used to do
nothing and to quit at once; both now ask. Leaving keeps the draft, so the call reopens with it next time.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static

from tui.keys import bind
from tui.screens.base import Dialog


class CallQuestion(Dialog[bool]):
    """Dismissed with True to leave the call, False to stay on it. Enter and y leave, Esc and n stay: Esc
    twice must never lose a call, so the key that opened the question is the one that answers "stay". The
    subclasses only name the yes key (Textual merges `BINDINGS` along the hierarchy, so they live there)."""

    DEFAULT_CSS = "CallQuestion > Vertical { width: 60; }"

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), classes="message", id="leave-question")
        yield Footer()

    def action_answer(self, leave: bool) -> None:
        self.dismiss(leave)


class LeaveCallDialog(CallQuestion):
    """Esc on the call screen: leave it for the queue."""

    BINDINGS = [  # noqa: RUF012
        bind("enter,y", "answer(True)", "leave", id="leave.yes", display="Enter/y"),
        bind("escape,n", "answer(False)", "stay", id="leave.no", display="Esc/n"),
    ]


class QuitDuringCallDialog(CallQuestion):
    """Ctrl+Q with a call open: the same question before quitting the app; the yes key says "quit"."""

    BINDINGS = [  # noqa: RUF012
        bind("enter,y", "answer(True)", "quit_anyway", id="quit.yes", display="Enter/y"),
        bind("escape,n", "answer(False)", "stay", id="quit.no", display="Esc/n"),
    ]
