"""Sign in with operator ID and PIN.

The PIN check (scrypt, ~50 ms) and the lockout bookkeeping run in `orders.users.authenticate`, in a thread
worker so the screen never freezes; a wrong PIN clears only the PIN, never the operator ID typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from orders.summary import read_meta
from orders.users import LoginError, SignedIn, authenticate
from tui.i18n import t
from tui.screens.summary import SummaryScreen, demo_logins_text

if TYPE_CHECKING:
    from tui.app import TelesalesApp


class LoginScreen(Screen[None]):
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    #login-box { width: 50; height: auto; border: round $accent; padding: 0 2; }
    #login-title { text-style: bold; padding: 1 0; }
    #login-box Input { margin-bottom: 1; }
    #login-error { color: $error; height: auto; }
    #demo-logins { margin-top: 1; height: auto; border: round $success; padding: 0 1; display: none; }
    #demo-logins.shown { display: block; }
    """
    BINDINGS = [  # noqa: RUF012
        Binding(
            "enter", "sign_in", t("key.sign_in"), tooltip=t("key.sign_in.tip"), id="login.sign_in", key_display="Enter"
        ),
        Binding("f9", "summary", t("key.summary"), tooltip=t("key.summary.tip"), id="login.summary"),
        Binding("ctrl+q", "app.quit", t("key.quit"), tooltip=t("key.quit.tip"), id="login.quit"),
    ]

    @property
    def telesales(self) -> TelesalesApp:
        return cast("TelesalesApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="login-box"):
            yield Static(t("login.title"), id="login-title")
            yield Input(placeholder=t("login.operator"), id="login-id", max_length=32)
            yield Input(placeholder=t("login.pin"), id="login-pin", password=True, max_length=32)
            yield Static("", id="login-error")
            yield Static(demo_logins_text(), id="demo-logins")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#login-id", Input).focus()
        self.check_demo()

    @work(thread=True, exit_on_error=False)
    def check_demo(self) -> None:
        try:
            with self.telesales.engine.connect() as conn:
                is_demo = read_meta(conn) is not None
        except Exception:  # the sign-in attempt will say what is wrong with the database
            return
        if is_demo:
            self.app.call_from_thread(self.query_one("#demo-logins").add_class, "shown")

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
            self.app.call_from_thread(self._refused, exc)
            return
        except Exception as exc:  # a database that cannot be reached: say so, keep what was typed
            first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
            self.app.call_from_thread(self._error, t("login.db_failed", error=first))
            return
        self.app.call_from_thread(self._accepted, user)

    def _refused(self, exc: LoginError) -> None:
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

    def _accepted(self, user: SignedIn) -> None:
        self.telesales.signed_in(user)

    def _error(self, message: str, *, error: bool = True) -> None:
        self.query_one("#login-error", Static).update(Text(message, style="bold" if error else "dim"))

    def action_summary(self) -> None:
        self.app.push_screen(SummaryScreen(self.telesales.engine, self.telesales.settings))
