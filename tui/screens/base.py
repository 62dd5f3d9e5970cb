"""What every screen and dialog shares, written once: the typed app, the database watch, worker failures.

A screen's workers are declared with `@db_worker(group)`: they compute and post a typed message
(`tui.messages`); when one raises instead, the exception becomes a `WorkFailed` message and `worker_failed`
below decides what the user sees: a lost database becomes the banner (the app probes until it is back, then
`database_back` runs on every screen), a refusal from `orders/` is said in a sentence, anything else is a
notice. Nothing a worker raises can quit the app or reach Textual's worker machinery as an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, cast

from textual import on, work
from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from db.engine import is_connection_error
from tui.keys import bind
from tui.messages import Refused, Reply, WorkFailed

if TYPE_CHECKING:
    from tui.app import TelesalesApp

ResultT = TypeVar("ResultT")
P = ParamSpec("P")
R = TypeVar("R")
PumpT = TypeVar("PumpT", bound=MessagePump)


def db_worker(
    group: str, *, exclusive: bool = True
) -> Callable[[Callable[Concatenate[PumpT, P], R]], Callable[Concatenate[PumpT, P], Worker[R | None]]]:
    """A thread worker whose exception is posted as `WorkFailed(exc, group)` instead of raised.

    Database work never runs on the event loop (typing must not wait for it), and one handler per screen
    turns its failures into the banner or a sentence; `exclusive` (the default) cancels the previous run of
    the same group, so a slow load never paints over a newer one."""

    def decorate(method: Callable[Concatenate[PumpT, P], R]) -> Callable[Concatenate[PumpT, P], Worker[R | None]]:
        @functools.wraps(method)
        def guarded(self: PumpT, *args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                self.post_message(WorkFailed(exc, group))
                return None

        return cast(
            "Callable[Concatenate[PumpT, P], Worker[R | None]]",
            work(thread=True, exclusive=exclusive, group=group, exit_on_error=False)(guarded),
        )

    return decorate


def fault_text(exc: BaseException) -> str:
    """A fault that is not a lost database, in a notice: its own sentence when it has one (our rules' errors
    speak to the user), else a generic sentence in the user's language with the exception's kind."""
    from tui.i18n import t

    if isinstance(exc, ValueError | LookupError) and str(exc):
        return str(exc)[:200]
    return t("app.fault", kind=type(exc).__name__)


class BaseScreen(Screen[ResultT]):
    """A screen of this app; subclasses override the hooks, never the plumbing."""

    # the banner of a screen that keeps a draft says the draft is safe; a lead's screens have none to speak of
    KEEPS_DRAFT = False


    def post_message(self, message: Message) -> bool:
        """A worker's answer for a screen that is gone (the order taker left the call) is dropped here: painting it
        would query widgets that no longer exist, and that fault was once taken for a lost database."""
        if isinstance(message, Reply) and self.is_mounted and not self.is_attached:
            return False
        return super().post_message(message)

    async def _dispatch_message(self, message: Message) -> None:
        # the same for an answer queued while the screen was still there and handled after it was closed
        if isinstance(message, Reply) and (not self.is_attached or not self.is_mounted):
            return
        await super()._dispatch_message(message)

    @property
    def telesales(self) -> TelesalesApp:
        """The app, typed: the engine, settings, the signed-in user, the matcher."""
        return cast("TelesalesApp", self.app)

    def on_mount(self) -> None:
        self.watch(self.app, "db_down", self._db_down_changed, init=False)

    def _db_down_changed(self, down: Any) -> None:
        if not down:
            self.database_back()

    def database_back(self) -> None:
        """The database answers again after a loss: reload what could not be loaded."""

    @on(WorkFailed)
    def _work_failed(self, message: WorkFailed) -> None:
        self.worker_failed(message.error, message.group)

    def worker_failed(self, exc: BaseException, group: str) -> None:
        """A worker of `group` raised. The default: a lost database shows the banner, anything else a notice."""
        if is_connection_error(exc):
            self.telesales.database_failed(exc)
            self.database_lost(group)
        else:
            self.notify(fault_text(exc), severity="error")

    def database_lost(self, group: str) -> None:
        """The worker of `group` failed because the database is gone; the banner is already up."""

    def on_refused(self, message: Refused) -> None:
        self.notify(message.text, severity="error")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Say `message` on the notice line of the screen in front (`tui.widgets.notice`), never in a toast over
        figures. Always plain text: our notices carry shop, product and user names and driver errors
        (`[SQL: …]`), and a `[/]` in one parsed as markup would crash the app or show something else than was
        typed."""
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def say(self, message: str, severity: SeverityLevel = "information", timeout: float | None = None) -> None:
        """Show `message` on this screen's notice line (in the header's place, covering no figure)."""
        from tui.widgets.notice import Notice

        found = self.query(Notice)
        notice = found.first() if found else None
        if notice is None:
            notice = Notice()
            self.mount(notice)
        notice.say(message, severity, timeout)

    def notice(self) -> str:
        """What this screen's notice line says now ("" when it says nothing)."""
        from tui.widgets.notice import Notice

        found = self.query(Notice)
        return found.first().message if found else ""

    def on_screen_suspend(self) -> None:
        # a notice is said to the screen in front: one left from before (「通话已结束」 on the queue) is not
        # still there when the order taker comes back from the next call
        from tui.widgets.notice import Notice

        for notice in self.query(Notice):
            notice.clear()


class Dialog(BaseScreen[ResultT], ModalScreen[ResultT]):
    """A modal dialog dismissed with its result, so the screen underneath keeps its state.

    The frame every dialog shares, so a change to how dialogs look is made once: a dialog puts its fields in
    one outer `Vertical`, the box centred over the dimmed screen. A Textual type selector matches subclasses
    too (a class answers to its bases' names), so `Dialog > Vertical` frames every dialog and a subclass
    writes only what differs, such as `QuantityDialog > Vertical { width: 44; }`; at equal specificity a
    subclass's DEFAULT_CSS wins over its base's.

    F1 is bound here, not only on the app: a modal screen cuts the app's ordinary bindings off, so F1 did
    nothing in a dialog. Help then lists the dialog's own keys (`TelesalesApp.help_keys` reads the screen on
    top). Textual merges `BINDINGS` along the class hierarchy, so every dialog gets it."""

    BINDINGS = [bind("f1", "app.help", "help", id="dialog.help")]  # noqa: RUF012

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
