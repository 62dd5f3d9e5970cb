"""Keys as a terminal delivers them when someone types faster than the screen: all sent before any is handled.

Pilot's `press` waits for the app to go idle after every key, which hides the bug this reproduces: a key's
binding (Enter) bubbling back to the app after the next keys were already inserted.
"""

from __future__ import annotations

import unicodedata

from textual import events
from textual.pilot import Pilot


def _char(key: str) -> str | None:
    if len(key) == 1:
        return key
    named = {"enter": "\r", "space": " ", "tab": "\t"}
    if key in named:
        return named[key]
    try:
        return unicodedata.lookup(key.upper().replace("_", " "))
    except KeyError:
        return None


def typed(text: str) -> list[str]:
    """Keys for a text, with "\\n" as Enter."""
    return ["enter" if ch == "\n" else "space" if ch == " " else ch for ch in text]


async def burst(pilot: Pilot[object], keys: list[str]) -> None:
    """Send every key to the app's driver at once, then let the app handle them all."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        event = events.Key(key, _char(key))
        event.set_sender(app)
        driver.send_message(event)
    for _ in range(5):
        await pilot.pause()
