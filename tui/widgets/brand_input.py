"""The brand box: an `Input` that does not ask the whole call screen for a new layout on every keystroke.

Textual's `Input` sets its virtual size to the text's width on each change, and a virtual size is a layout
property, so every key re-arranged and repainted the whole screen (script, tables, card) when only this line
and the candidates under it change. Here the virtual size never drops below the box's width: while the text
fits (almost always: a brand and a quantity) it stays the same and a keystroke repaints just this line;
longer text grows it exactly as before, so horizontal scrolling is unchanged.
"""

from __future__ import annotations

from textual.widgets import Input


class BrandInput(Input):
    @property
    def content_width(self) -> int:
        # Input's value watcher sets the virtual size from this; at least the box's width keeps it constant
        return max(super().content_width, self.scrollable_content_region.width)
