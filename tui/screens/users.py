"""The logins screen: a shift lead or admin sees every login (role, lock, disabled) and unlocks one at once,
gives it a new PIN, or disables and enables it, without waiting for the lock's minutes or for someone with a
shell on the server.

Every rule (a lead manages order takers, an admin everyone; nobody disables themselves) and every audit row
is in `orders.users`; the screen passes the signed-in user as `by` and shows what came back. Reached from the
lead's dashboard (`u`); an order taker who somehow reaches it is refused by the worker's role check and sees
no login.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Input, Static

from orders.clock import now
from orders.users import (
    LEAD_ROLES,
    PIN_RE,
    PermissionDenied,
    SignedIn,
    UserError,
    UserRow,
    list_users,
    set_active,
    set_pin,
    unlock_user,
)
from tui.i18n import t
from tui.keys import bind
from tui.messages import Refused, UserChanged, UsersLoaded
from tui.screens.base import Dialog, db_worker
from tui.screens.lead import LeadScreen
from tui.widgets.banner import DbBanner


class UsersScreen(LeadScreen):
    """Every login, admins and leads first; the cursor's row is the one the keys act on."""

    CSS_PATH = "lead.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("u", "unlock", "users.unlock", id="users.unlock"),
        bind("p", "pin", "users.pin", id="users.pin"),
        bind("d", "switch", "users.toggle", id="users.toggle"),
        bind("escape", "back", "back", id="users.back", tip="lead.back"),
        bind("f5", "refresh", "refresh", id="users.refresh", show=False, tip="users.refresh"),
    ]
    FAILURE_PLACES: ClassVar[dict[str, str]] = {"users": "#users-title", "users-change": "#users-status"}

    def __init__(self) -> None:
        super().__init__()
        self.users: list[UserRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("lead.loading"), id="users-title")
        yield DataTable(id="users-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(t("users.hint"), style="dim"), id="users-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#users-table", DataTable)
        for key in ("login", "name", "role", "locked", "state"):
            table.add_column(t("users.col." + key), key=key)
        self.load()

    def _signed_in(self) -> SignedIn:
        user = self.telesales.user
        if user is None:
            raise PermissionDenied(t("lead.not_signed_in"), role="", allowed=LEAD_ROLES)
        return user

    @db_worker("users")
    def load(self) -> None:
        self.check_role()
        self.post_message(UsersLoaded(list_users(self.telesales.engine, by=self._signed_in()), now()))

    @on(UsersLoaded)
    def _show(self, message: UsersLoaded) -> None:
        users = self.users = message.users
        at = message.at
        zone = self.telesales.settings.zone
        locked = sum(1 for u in users if u.locked(at))
        disabled = sum(1 for u in users if not u.active)
        title = t("users.title", n=len(users), locked=locked, disabled=disabled)
        self.query_one("#users-title", Static).update(Text(title, style="bold"))
        table = self.query_one("#users-table", DataTable)
        row = table.cursor_row
        table.clear()
        for u in users:
            until = u.locked_until.astimezone(zone).strftime("%m-%d %H:%M") if u.locked_until and u.locked(at) else ""
            state = Text(t("users.enabled")) if u.active else Text(t("users.disabled"), style="bold red")
            table.add_row(
                Text(u.login),
                Text(u.name),
                Text(t("role." + u.role)),
                Text(until, style="bold red"),
                state,
                key=u.login,
            )
        if users:
            table.move_cursor(row=max(0, min(row, len(users) - 1)))
            table.focus()

    def _current(self) -> UserRow | None:
        table = self.query_one("#users-table", DataTable)
        if not self.users or not 0 <= table.cursor_row < len(self.users):
            return None
        return self.users[table.cursor_row]

    # ------------------------------------------------------------------------------------------ keys

    def action_unlock(self) -> None:
        if (user := self._current()) is not None:
            self.change("unlock", user.login)

    def action_switch(self) -> None:
        if (user := self._current()) is not None:
            self.change("enable" if not user.active else "disable", user.login)

    def action_pin(self) -> None:
        user = self._current()
        if user is None:
            return

        def chosen(pin: str | None) -> None:
            if pin is not None:
                self.change("pin", user.login, pin)

        self.app.push_screen(PinDialog(user), chosen)

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    @db_worker("users-change")
    def change(self, what: str, login: str, pin: str = "") -> None:
        """One change as the signed-in user; a refusal by `orders.users` is said in words, nothing changed."""
        engine = self.telesales.engine
        by = self._signed_in()
        try:
            if what == "unlock":
                text = t("users.unlocked" if unlock_user(engine, login, by=by) else "users.not_locked", login=login)
            elif what == "pin":
                set_pin(engine, login, pin, by=by)
                text = t("users.pin_set", login=login)
            else:
                set_active(engine, login, what == "enable", by=by)
                text = t("users.now_enabled" if what == "enable" else "users.now_disabled", login=login)
        except PermissionDenied:
            self.post_message(Refused(t("users.denied")))
            return
        except UserError as exc:
            self.post_message(Refused(t("users.self") if login == by.login else str(exc)))
            return
        self.post_message(UserChanged(text))

    @on(UserChanged)
    def _changed(self, message: UserChanged) -> None:
        self.query_one("#users-status", Static).update(Text(message.text, style="bold green"))
        self.load()

    def on_refused(self, message: Refused) -> None:
        self.query_one("#users-status", Static).update(Text(message.text, style="bold red"))


class PinDialog(Dialog[str | None]):
    """A new PIN typed twice, masked; closes with the PIN once both agree and it is 4 to 12 digits."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        bind("escape", "cancel", "users.cancel", id="users.pin_cancel"),
    ]

    def __init__(self, user: UserRow) -> None:
        super().__init__()
        self.user = user

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(t("users.pin.title", login=self.user.login, name=self.user.name)), classes="title")
            yield Input(password=True, placeholder=t("users.pin.first"), id="pin-first", max_length=12)
            yield Input(password=True, placeholder=t("users.pin.second"), id="pin-second", max_length=12)
            yield Static(Text(t("users.pin.hint"), style="dim"))
            yield Static("", classes="error", id="pin-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#pin-first", Input).focus()

    @on(Input.Submitted, "#pin-first")
    def _next(self) -> None:
        self.query_one("#pin-second", Input).focus()

    @on(Input.Submitted, "#pin-second")
    def _save(self) -> None:
        first = self.query_one("#pin-first", Input)
        second = self.query_one("#pin-second", Input)
        error = self.query_one("#pin-error", Static)
        if not PIN_RE.match(first.value):
            error.update(Text(t("users.pin.bad")))
            first.value = second.value = ""
            first.focus()
            return
        if first.value != second.value:
            error.update(Text(t("users.pin.differ")))
            second.value = ""
            second.focus()
            return
        self.dismiss(first.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
