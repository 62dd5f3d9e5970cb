"""Sign in with operator ID and PIN.

The PIN check (scrypt, ~50 ms) and the lockout bookkeeping run in `orders.users.authenticate`, in a thread
worker so the screen never freezes; a wrong PIN clears only the PIN, never the operator ID typed.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, Static

from orders.summary import read_meta
from orders.users import LoginError, authenticate
from tui.i18n import t
from tui.keys import bind
from tui.messages import DemoDetected, SignInAccepted, SignInFailed, SignInRefused
from tui.screens.base import BaseScreen
from tui.screens.summary import SummaryScreen, demo_logins_text
from tui.widgets.ordered_input import OrderedInput


class LoginScreen(BaseScreen[None]):
    CSS_PATH = "login.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("enter", "sign_in", "sign_in", id="login.sign_in", display="Enter"),
        bind("f9", "summary", "summary", id="login.summary"),
        bind("ctrl+q", "app.quit", "quit", id="login.quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="login-box"):
            yield Static(t("login.title"), id="login-title")
            yield OrderedInput(placeholder=t("login.operator"), id="login-id", max_length=32, next_field="#login-pin")
            yield OrderedInput(placeholder=t("login.pin"), id="login-pin", password=True, max_length=32)
            yield Static("", id="login-error")
            yield Static(demo_logins_text(), id="demo-logins")
        yield Footer()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#login-id", Input))  # now: the keys typed at start follow at once
        self.call_later(self.telesales.keys_ready)
        self.check_demo()

    @work(thread=True, exit_on_error=False)
    def check_demo(self) -> None:
        try:
            with self.telesales.engine.connect() as conn:
                is_demo = read_meta(conn) is not None
        except Exception:  # the sign-in attempt will say what is wrong with the database
            return
        if is_demo:
            self.post_message(DemoDetected())

    @on(DemoDetected)
    def _demo_detected(self) -> None:
        self.query_one("#demo-logins").add_class("shown")

    @on(Input.Submitted, "#login-id")
    def _id_entered(self) -> None:
        self.query_one("#login-pin", Input).focus()

    @on(Input.Submitted, "#login-pin")
    def _pin_entered(self) -> None:
        self.action_sign_in()

    def action_sign_in(self) -> None:
        login = self.query_one("#login-id", Input).value.strip()
        pin = self.query_one("#login-pin", Input).value
        if not login:
            self._error(t("login.need_id"))
            self.query_one("#login-id", Input).focus()
            return
        if not pin:
            self._error(t("login.need_pin"))
            self.query_one("#login-pin", Input).focus()
            return
        self._error(t("login.checking"), error=False)
        self.sign_in(login, pin)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def sign_in(self, login: str, pin: str) -> None:
        try:
            user = authenticate(self.telesales.engine, self.telesales.settings, login, pin)
        except LoginError as exc:
            self.post_message(SignInRefused(exc))
            return
        except Exception as exc:  # a database that cannot be reached: say so, keep what was typed
            first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
            self.post_message(SignInFailed(first))
            return
        self.post_message(SignInAccepted(user))

    @on(SignInFailed)
    def _failed(self, message: SignInFailed) -> None:
        self._error(t("login.db_failed", error=message.error))

    @on(SignInRefused)
    def _refused(self, message: SignInRefused) -> None:
        exc = message.error
        if exc.kind == "locked" and exc.locked_until is not None:
            until = exc.locked_until.astimezone(self.telesales.settings.zone)
            self._error(t("login.locked", until=f"{until:%H:%M}"))
        elif exc.kind == "inactive":
            self._error(t("login.inactive"))
        else:
            self._error(t("login.bad"))
        pin = self.query_one("#login-pin", Input)
        pin.value = ""
        pin.focus()

    @on(SignInAccepted)
    def _accepted(self, message: SignInAccepted) -> None:
        self.telesales.signed_in(message.user)

    def _error(self, message: str, *, error: bool = True) -> None:
        self.query_one("#login-error", Static).update(Text(message, style="bold" if error else "dim"))

    def action_summary(self) -> None:
        self.app.push_screen(SummaryScreen(self.telesales.engine, self.telesales.settings))
