"""Keys: one way to declare a binding and one way to print a key.

Every binding of ours carries an id (so a centre can remap keys from its config), a translated description
for the footer and a translated tooltip for F1 help and the palette. Writing the three by hand in every
screen made ~300 lines of declarations whose description and tooltip drifted apart; `bind` fills both from
one message name, `key.<name>` and `key.<name>.tip` in `tui.i18n`.
"""

from __future__ import annotations

import re

from textual.binding import Binding

from tui.i18n import t

# keys Textual would print in lower case (`esc`, `enter`) beside our capitals
NAMED = {"escape": "Esc", "enter": "Enter", "delete": "Del"}


def bind(
    keys: str,
    action: str,
    name: str,
    *,
    id: str,
    show: bool = True,
    display: str | None = None,
    priority: bool = False,
    tip: str | None = None,
) -> Binding:
    """A binding whose description is `key.<name>` and tooltip `key.<tip or name>.tip`, translated now.

    Translated at class creation, as Textual fixes `BINDINGS` then: choose the language before importing
    screens (`tui.i18n`). An F-key with no `display` is shown as the training sheet prints it (`F2`, not
    Textual's `f2` beside our `F1`; `Esc`, not `esc`), in the footer as in F1 help and the palette."""
    first = keys.split(",")[0]
    if display is None and re.fullmatch(r"f\d+", first):
        display = key_label(first)
    elif display is None and first in NAMED:
        display = NAMED[first]
    return Binding(
        keys,
        action,
        t(f"key.{name}"),
        show=show,
        key_display=display,
        priority=priority,
        tooltip=t(f"key.{tip or name}.tip"),
        id=id,
    )


def key_label(key: str) -> str:
    """How a key is printed on the training sheet: F1, Ctrl+Q, q."""
    *mods, last = key.split("+")
    if re.fullmatch(r"f\d+", last):
        last = last.upper()
    elif mods or len(last) > 1:
        last = last.capitalize()
    return "+".join([*(m.capitalize() for m in mods), last])
