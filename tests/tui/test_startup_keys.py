"""Keys typed while Telesales starts are kept (issue 16): an order taker who types their ID, Tab, PIN and Enter
the moment the program is launched is signed in, with nothing lost or typed into the wrong field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from textual import events

from orders.drafts import DraftStore
from orders.settings import Settings
from tests.tui.flows import workers_done
from tui.app import TelesalesApp
from tui.screens.queue import QueueScreen


@pytest.mark.parametrize("between", ["tab", "enter"])
async def test_keys_typed_at_start_sign_in(demo_engine: Engine, tmp_path: Path, between: str) -> None:
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"demo", between, *"0000", "enter")  # no pause: typed as the program comes up
        for _ in range(80):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, QueueScreen):
                break
        assert isinstance(app.screen, QueueScreen), app.screen
        assert app.user is not None and app.user.login == "demo"


class KeysAtLaunch(TelesalesApp):
    """Keys already waiting when the app starts, as a terminal hands over what was typed while the program was
    loading: they are in the app's queue before the sign-in screen is mounted."""

    typed: tuple[str, ...] = ()

    def on_load(self) -> None:
        for key in self.typed:
            self.post_message(events.Key(key, key if len(key) == 1 else None))


@pytest.mark.parametrize("between", ["tab", "enter"])
async def test_keys_waiting_before_the_sign_in_screen_sign_in(
    demo_engine: Engine, tmp_path: Path, between: str
) -> None:
    app = KeysAtLaunch(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    app.typed = (*"demo", between, *"0000", "enter")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(80):
            await workers_done(app)
            await pilot.pause()
            if isinstance(app.screen, QueueScreen):
                break
        assert isinstance(app.screen, QueueScreen), app.screen
        assert app.user is not None and app.user.login == "demo"
