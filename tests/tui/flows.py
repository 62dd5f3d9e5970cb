"""What an order taker does before the part a test is about: sign in, wait for the queue, open the next call.

One copy for the screen tests, so a change to the sign-in or the call's loading is made once."""

from __future__ import annotations

import contextlib
from typing import Any

from textual.worker import WorkerCancelled

from tui.screens.call import CallScreen
from tui.screens.queue import QueueScreen


async def workers_done(app: Any) -> None:
    """Wait for the app's workers to finish. A worker cancelled because its screen was left meanwhile (the
    sign-in screen's demo check, once the queue replaces it) is what leaving a screen does, not a failure; a
    worker that failed still raises."""
    with contextlib.suppress(WorkerCancelled):
        await app.workers.wait_for_complete()


async def sign_in_to_queue(pilot: Any, login: str = "demo", pin: str = "0000") -> QueueScreen:
    """Type the login and PIN as an order taker does and wait for the day's queue to be listed."""
    app = pilot.app
    await pilot.press(*login, "enter", *pin, "enter")
    for _ in range(80):
        await workers_done(app)
        await pilot.pause()
        if isinstance(app.screen, QueueScreen) and app.screen.entries:
            return app.screen
    raise AssertionError(f"no call queue after signing in: {app.screen}")


async def open_next_call(pilot: Any) -> CallScreen:
    """Press `n` on the queue and wait until the call, the matcher and the shop are loaded."""
    app = pilot.app
    await pilot.press("n")
    for _ in range(80):
        await workers_done(app)
        await pilot.pause()
        screen = app.screen
        if isinstance(screen, CallScreen) and screen.view is not None and app.matcher is not None:
            return screen
    raise AssertionError(f"no call screen: {app.screen}")


async def open_call(pilot: Any) -> CallScreen:
    """Sign in as the demo order taker and open the next call."""
    await sign_in_to_queue(pilot)
    return await open_next_call(pilot)
