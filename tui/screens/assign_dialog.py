"""The lead gives shops to another order taker: the operator is typed by ID (completed from the active logins
listed under it), saved through `orders.customers.assign_customers`, and a refusal (an unknown or disabled
login) is said in the dialog, which stays open with what was typed. Dismissed with what was done, or None."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input, Static

from db.engine import is_connection_error
from orders.customers import Assigned, AssignError, assign_customers
from orders.ticket_view import Person, people
from orders.users import LEAD_ROLES, PermissionDenied
from tui.i18n import t
from tui.keys import bind
from tui.messages import Reply
from tui.screens.base import Dialog, db_worker

SHOPS_SHOWN = 3  # names in the heading; more are counted, so the dialog keeps its height at 80x24


@dataclass
class PeopleLoaded(Reply):
    people: list[Person]


@dataclass
class ShopsAssigned(Reply):
    done: Assigned


class AssignShopsDialog(Dialog[Assigned | None]):
    """`shops` are (code, name) pairs, in the order the lead sees them."""

    BINDINGS = [bind("escape", "cancel", "cancel", id="assign.cancel")]  # noqa: RUF012
    DEFAULT_CSS = """
    AssignShopsDialog #assign-people { height: auto; max-height: 3; color: $text-muted; }
    """

    def __init__(self, shops: list[tuple[str, str]]) -> None:
        super().__init__()
        self.shops = shops
        self.busy = False

    def compose(self) -> ComposeResult:
        names = "、".join(name for _, name in self.shops[:SHOPS_SHOWN])
        more = len(self.shops) - SHOPS_SHOWN
        if more > 0:
            names += t("assign.more", n=more)
        with Vertical():
            yield Static(Text(t("assign.title", n=len(self.shops))), classes="title")
            yield Static(Text(names), id="assign-shops")
            yield Static(Text(t("assign.label")), classes="label")
            yield Input(placeholder=t("assign.placeholder"), id="assign-operator", max_length=32)
            yield Static("", id="assign-people")
            yield Static(Text(t("assign.hint")), id="assign-status")
            yield Static("", classes="error", id="assign-error")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#assign-operator", Input).focus()
        self.load_people()

    @db_worker("assign-people")
    def load_people(self) -> None:
        self.post_message(PeopleLoaded(people(self.telesales.engine)))

    @on(PeopleLoaded)
    def _people(self, message: PeopleLoaded) -> None:
        takers = [p for p in message.people if p.role not in LEAD_ROLES] or message.people
        self.query_one("#assign-operator", Input).suggester = SuggestFromList(
            [p.login for p in message.people], case_sensitive=False
        )
        listed = " · ".join(f"{p.login} {p.name}" for p in takers)
        self.query_one("#assign-people", Static).update(Text(t("assign.people", people=listed)))

    def error(self, message: str) -> None:
        self.query_one("#assign-error", Static).update(Text(message))

    @on(Input.Submitted, "#assign-operator")
    def _entered(self) -> None:
        if self.busy:
            return
        login = self.query_one("#assign-operator", Input).value.strip()
        if not login:
            self.error(t("assign.need"))
            return
        self.busy = True
        self.error("")
        self.query_one("#assign-status", Static).update(Text(t("assign.saving"), style="bold"))
        self.save(login)

    @db_worker("assign-save")
    def save(self, login: str) -> None:
        app = self.telesales
        user = app.user
        if user is None:
            raise PermissionDenied(t("lead.not_signed_in"), role="", allowed=LEAD_ROLES)
        done = assign_customers(app.engine, [code for code, _ in self.shops], login, actor=user.login, by=user)
        self.post_message(ShopsAssigned(done))

    @on(ShopsAssigned)
    def _saved(self, message: ShopsAssigned) -> None:
        self.dismiss(message.done)

    def worker_failed(self, exc: BaseException, group: str) -> None:
        """Refused or not saved: the dialog stays open with the login typed and says why in the lead's words."""
        if is_connection_error(exc):
            self.telesales.database_failed(exc)
            message = t("lead.db_down")
        elif isinstance(exc, AssignError) and exc.kind in ("unknown_operator", "operator_disabled"):
            login = self.query_one("#assign-operator", Input).value.strip()
            message = t(f"assign.{exc.kind}", login=login)
        elif isinstance(exc, AssignError) and exc.kind == "unknown_customer":
            message = t("assign.unknown_customer", codes="、".join(exc.details.get("customers", [])))
        elif isinstance(exc, PermissionDenied):
            message = t("lead.denied")
        else:
            message = t("lead.failed", error=str(exc)[:80])
        if group == "assign-people":
            self.notify(message, severity="error")
            return
        self.busy = False
        self.query_one("#assign-status", Static).update(Text(t("assign.hint")))
        self.error(message)

    def action_cancel(self) -> None:
        self.dismiss(None)
