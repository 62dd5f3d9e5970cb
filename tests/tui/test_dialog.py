"""The shared dialog frame (`tui/screens/base.py`) reaches subclasses through the `Dialog` type selector."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from tui.screens.base import Dialog


class Plain(Dialog[None]):
    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("plain", classes="title")


class Narrow(Plain):
    DEFAULT_CSS = "Narrow > Vertical { width: 44; }"


class Host(App[None]):
    db_down: reactive[bool] = reactive(False)  # every screen of ours watches it


async def test_subclasses_get_the_frame_and_keep_their_differences() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        for dialog, width in ((Plain(), 78), (Narrow(), 44)):
            app.push_screen(dialog)
            await pilot.pause()
            box = dialog.query_one(Vertical)
            assert box.outer_size.width == width
            assert box.styles.border_top[0] == "round"
            assert dialog.query_one(".title").styles.text_style.bold
            assert box.region.x == (100 - width) // 2  # centred
            app.pop_screen()
            await pilot.pause()
