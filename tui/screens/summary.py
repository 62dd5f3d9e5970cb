"""The database summary: what the demo (or a real database) holds, until the call-queue screens land.

Counting two million history lines takes a moment on the large demo, so the counts are read in a thread worker
that posts a typed message back; the worker never touches a widget, and a failure becomes a message on screen
instead of a crash.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Static

from db.engine import describe
from orders.settings import Settings
from orders.summary import Summary, summarize
from tui.i18n import t
from tui.keys import bind
from tui.screens.base import BaseScreen


class SummaryLoaded(Message):
    """The counts arrived from the worker."""

    def __init__(self, summary: Summary) -> None:
        super().__init__()
        self.summary = summary


class SummaryFailed(Message):
    """Reading the counts failed; `error` is one line for the user."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


def _int(n: int) -> str:
    return f"{n:,}"


def users_line(users: dict[str, str]) -> str:
    """The logins by role, the demo's two first, so the eye finds them."""
    shown = [f"{login} ({t('role.' + role)})" for login, role in users.items() if login in ("demo", "lead")]
    rest: dict[str, int] = {}
    for login, role in users.items():
        if login not in ("demo", "lead"):
            rest[role] = rest.get(role, 0) + 1
    shown += ["+" + t("roles." + role, n=n) for role, n in sorted(rest.items())]
    return ", ".join(shown) or "-"


def summary_table(summary: Summary, database: str) -> Table:
    """Label and value columns; rich measures Chinese as double-width cells, so the columns stay aligned."""
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0), expand=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    history = (
        t("summary.history_value", n=_int(summary.history_lines), w=summary.history_weeks)
        + (f"  {summary.first_order} … {summary.last_order}" if summary.first_order else "")
        if summary.history_lines
        else t("summary.history_empty")
    )
    rows: list[tuple[str, str]] = [
        (t("summary.database"), database),
        (t("summary.today"), summary.today.isoformat()),
        (t("summary.products"), t("summary.products_value", n=_int(summary.products), d=summary.discontinued)),
        (t("summary.customers"), t("summary.customers_value", n=_int(summary.customers), i=summary.inactive_customers)),
        (t("summary.history"), history),
        (t("summary.users"), users_line(summary.users)),
        (t("summary.quotas"), t("summary.quotas_value", n=_int(summary.quotas))),
        (t("summary.supply"), t("summary.supply_value", n=_int(summary.supply_rows))),
        (
            t("summary.tickets"),
            t("summary.tickets_value", n=summary.open_tickets, o=summary.overdue_tickets, h=summary.due_within_hour),
        ),
        (
            t("summary.demo"),
            t("summary.demo_value", size=t("size." + summary.demo.size), seed=summary.demo.seed)
            if summary.demo
            else t("summary.no_demo"),
        ),
    ]
    for label, value in rows:
        table.add_row(Text(label), Text(value))
    return table


def demo_logins_text() -> Group:
    """The logins in both languages: whoever sits down at the demo can sign in."""
    from tui.i18n import MESSAGES, language

    zh, en = MESSAGES["demo.logins"]
    first, second = (en, zh) if language() == "en" else (zh, en)
    return Group(Text(first, style="bold"), Text(second, style="dim"))


class SummaryScreen(BaseScreen[None]):
    """What the database holds, with the demo logins."""

    CSS_PATH = "summary.tcss"
    BINDINGS = [  # noqa: RUF012  (Textual's own convention)
        bind("r", "refresh", "refresh", id="summary.refresh"),
        bind("q", "app.quit", "quit", id="summary.quit"),
        bind("escape", "back", "back", id="summary.back"),
    ]

    def __init__(self, engine: Engine, settings: Settings) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.summary: Summary | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="summary-body"):
            yield Static(t("summary.title"), id="summary-title")
            yield Static(t("summary.loading"), id="summary-table")
            yield Static("", id="summary-error")
            yield Static(demo_logins_text(), id="demo-logins")
        yield Footer()

    def on_mount(self) -> None:
        self.load_summary()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:  # the login screen is underneath: go back to it
            self.app.pop_screen()

    def action_refresh(self) -> None:
        self.query_one("#summary-table", Static).update(t("summary.loading"))
        self.load_summary()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_summary(self) -> None:
        try:
            summary = summarize(self.engine, self.settings.zone)
        except Exception as exc:  # any failure is shown, never raised into the event loop
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self.post_message(SummaryFailed(first_line))
            return
        self.post_message(SummaryLoaded(summary))

    def on_summary_loaded(self, message: SummaryLoaded) -> None:
        self.summary = message.summary
        self.query_one("#summary-table", Static).update(summary_table(message.summary, describe(self.engine)))
        error = self.query_one("#summary-error", Static)
        error.remove_class("shown")
        self.query_one("#demo-logins").display = message.summary.demo is not None

    def on_summary_failed(self, message: SummaryFailed) -> None:
        self.query_one("#summary-table", Static).update("")
        error = self.query_one("#summary-error", Static)
        error.update(Text(t("summary.failed", error=message.error)))
        error.add_class("shown")
