"""The brand box's line: an `Input` that never asks the whole call screen for a layout per keystroke, and that
empties itself the moment Enter is pressed.

Layout: Textual's `Input` sets its virtual size to the text's width on each change, and a virtual size is a
layout property, so every key re-arranged and repainted the whole screen (script, tables, card) when only this
line and the candidates under it change. Here the virtual size never drops below the box's width: while the
text fits (almost always: a brand and a quantity) it stays the same and a keystroke repaints just this line;
longer text grows it exactly as before, so horizontal scrolling is unchanged.

Enter: an order taker types the next entry before the screen has dealt with the last one (`fr 2⏎hhs 1⏎`).
The keys after Enter are already queued for this widget, so the line is taken and cleared here, in key order,
before any of them is inserted; whoever handles the entry puts back only what it could not use, in front of
what has been typed since. Nothing typed is lost to a slow handler.
"""

from __future__ import annotations

from collections.abc import Callable

from tui.widgets.ordered_input import OrderedInput


class BrandInput(OrderedInput):
    def __init__(
        self,
        *,
        placeholder: str = "",
        id: str | None = None,
        compact: bool = False,
        on_enter: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(placeholder=placeholder, id=id, compact=compact)
        self.on_enter = on_enter

    @property
    def content_width(self) -> int:
        # Input's value watcher sets the virtual size from this; at least the box's width keeps it constant
        return max(super().content_width, self.scrollable_content_region.width)

    async def action_submit(self) -> None:
        text = self.value
        if not text.strip():
            return
        if self.on_enter is not None:
            self.on_enter(text)  # synchronously: what the candidates under the line show belongs to this text
        self.value = ""
        self.post_message(self.Submitted(self, text, None))
