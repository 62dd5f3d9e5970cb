"""The frame every dialog shares, so a change to how dialogs look is made once and not per dialog.

A dialog puts its fields in one outer `Vertical`: the box, centred over the dimmed screen. A Textual type
selector matches subclasses too (a class answers to its bases' names), so `Dialog > Vertical` frames every
dialog and a subclass writes only what differs, such as `QuantityDialog > Vertical { width: 44; }`; at equal
specificity a subclass's DEFAULT_CSS wins over its base's.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Dialog(ModalScreen[ResultT]):
    """A modal screen dismissed with a `ResultT`, framed like every other dialog."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    Dialog .title { text-style: bold; }
    Dialog .message { height: auto; }
    Dialog .error { color: $error; height: auto; }
    """
