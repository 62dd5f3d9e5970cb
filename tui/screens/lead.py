"""The shift lead's screens: the day's dashboard (the lead's home), the retention list and brand coverage.

A lead signs in to the dashboard and reaches everything else from it by one key: the ticket queue, the
retention list, brand coverage, and the call queue (a lead takes calls too). Every figure is computed in
`orders/` (`orders.report`, `orders.retention`, `orders.coverage`) in a worker; these screens only lay it out.
Each worker first asks `orders.users.require_role`, so an order taker who somehow reaches a screen is told
no and sees nothing, and the rule is tested without a screen.

The dashboard polls while it is on screen (every `DASHBOARD_POLL_SECONDS`, only for today): one dashboard
costs a few indexed queries, far below the poll interval, and polling needs nothing from the server that
SQLite could not give.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Sparkline, Static

from db.engine import is_connection_error
from orders.clock import today, week_of
from orders.coverage import GroupBy, brand_coverage
from orders.customers import Assigned
from orders.report import Dashboard, Figures, day_dashboard
from orders.retention import RetentionError, RetentionRow, retention_list, schedule_retention_call
from orders.users import LEAD_ROLES, PermissionDenied, require_role
from tui.cells import pad
from tui.i18n import join, t, weekday
from tui.keys import bind
from tui.messages import CoverageLoaded, DashboardLoaded, Refused, RetentionLoaded, RetentionPlanned
from tui.screens.base import BaseScreen, db_worker
from tui.widgets.banner import DbBanner

DASHBOARD_POLL_SECONDS = 10.0
# Every outcome a call can end with, the lead's reply on a complaint included: the panel shows each even at 0.
OUTCOME_ORDER = (
    "ordered", "no_answer", "busy", "callback_requested", "refused", "closed", "wrong_number", "replied",
)
BAR_WIDTH = 14
OUTCOMES_WIDTH = 40  # the outcome panel's width in lead.tcss, before it is laid out


def minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> str:
    """A bar of whole and eighth blocks: a lead compares lengths faster than numbers."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + ("" if part == 0 else " ▏▎▍▌▋▊▉"[part])


class LeadScreen(BaseScreen[None]):
    """What the lead's screens share: the role check, and a worker's failure said in words where the figures
    would be (`FAILURE_PLACES`: worker group -> the widget's id)."""

    FAILURE_PLACES: ClassVar[dict[str, str]] = {}

    def check_role(self) -> None:
        """Raise PermissionDenied unless a lead (or admin) is signed in; workers call it before reading."""
        user = self.telesales.user
        if user is None:
            raise PermissionDenied(t("lead.not_signed_in"), role="", allowed=LEAD_ROLES)
        require_role(user, *LEAD_ROLES)

    def worker_failed(self, exc: BaseException, group: str) -> None:
        """A lost database becomes the banner; a refusal or anything else is shown in place."""
        if is_connection_error(exc):
            self.telesales.database_failed(exc)
            message = t("lead.db_down")
        elif isinstance(exc, PermissionDenied):
            message = t("lead.denied")
        else:
            message = t("lead.failed", error=str(exc)[:80])
        place = self.FAILURE_PLACES.get(group)
        if place is None:
            self.notify(message, severity="error")
        else:
            self.query_one(place, Static).update(Text(message, style="bold red"))


# ------------------------------------------------------------------------------------------------ dashboard


class DashboardScreen(LeadScreen):
    """The day at a glance: progress, outcomes, calls per hour, complaints and tickets, and each operator."""

    CSS_PATH = "lead.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("t", "tickets", "lead.tickets", id="lead.tickets"),
        bind("r", "retention", "lead.retention", id="lead.retention"),
        bind("c", "coverage", "lead.coverage", id="lead.coverage"),
        bind("q", "calls", "lead.calls", id="lead.calls"),
        bind("u", "users", "lead.users", id="lead.users"),
        bind("left_square_bracket", "day(-1)", "lead.prev_day", id="lead.prev_day", display="[", show=False),
        bind("right_square_bracket", "day(1)", "lead.next_day", id="lead.next_day", display="]", show=False),
        # priority: the operator table would take Home for itself, and it has only a screenful of rows anyway
        bind("home", "today", "lead.today", id="lead.today", show=False, priority=True),
        bind("f5", "refresh", "refresh", id="lead.refresh", show=False, tip="lead.refresh"),
        bind("ctrl+q", "app.quit", "quit", id="lead.quit", show=False),
    ]
    FAILURE_PLACES: ClassVar[dict[str, str]] = {"dashboard": "#dash-totals"}

    def __init__(self, day: date | None = None) -> None:
        super().__init__()
        self.day = day
        self.dashboard: Dashboard | None = None
        self._poll: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("lead.loading"), id="dash-title")
        yield Static("", id="dash-totals")
        with Horizontal(id="dash-charts"):
            with Vertical(id="dash-hours-box"):
                yield Static(t("dash.per_hour"), classes="caption")
                yield Sparkline([], id="dash-hours")
                yield Static("", id="dash-hours-label")
            yield Static("", id="dash-outcomes")
        yield DataTable(id="dash-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#dash-table", DataTable)
        for key in ("operator", "due", "done", "orders", "cartons", "avg", "complaints", "closed"):
            table.add_column(t("dash.col." + key), key=key)
        self.day = self.day or today(self.telesales.settings.zone)
        self._poll = self.set_interval(DASHBOARD_POLL_SECONDS, self._tick, pause=False)
        self.load()

    def on_screen_suspend(self) -> None:
        if self._poll is not None:
            self._poll.pause()

    def on_screen_resume(self) -> None:
        if self._poll is not None:
            self._poll.resume()
        if self.dashboard is not None:
            self.load()

    def _tick(self) -> None:
        if self.day == today(self.telesales.settings.zone) and not self.telesales.db_down:
            self.load()

    @db_worker("dashboard")
    def load(self) -> None:
        app = self.telesales
        day = self.day or today(app.settings.zone)
        self.check_role()
        self.post_message(DashboardLoaded(day_dashboard(app.engine, day, app.settings)))

    @on(DashboardLoaded)
    def _show(self, message: DashboardLoaded) -> None:
        dash = message.dashboard
        if dash.day != self.day:  # the lead moved to another day while this one was loading
            return
        self.dashboard = dash
        zone = self.telesales.settings.zone
        total = dash.report.total
        title = Text(
            t("dash.title", day=dash.day.isoformat(), weekday=weekday(dash.day.isoweekday())), style="bold"
        )
        if dash.day == today(zone):
            title.append("  " + t("dash.as_of", time=dash.at.astimezone(zone).strftime("%H:%M:%S")), style="dim")
        self.query_one("#dash-title", Static).update(title)
        # Progress is shops finished out of the shops on the list (100 % = every shop done), not calls made:
        # a shop tried three times is one shop, and calls made are shown beside it.
        share = f"{total.shops_done / total.shops_due:.0%}" if total.shops_due else "-"
        line1 = t(
            "dash.line1",
            done=total.shops_done,
            due=total.shops_due,
            share=share,
            calls=total.calls_done,
            orders=total.orders,
            cartons=f"{total.cartons:,}",
            avg=minutes(total.avg_call_seconds),
        )
        q = dash.open_tickets
        line2 = t(
            "dash.line2",
            opened=total.complaints_opened,
            repeat=dash.repeat_complaints,
            on_time=total.tickets_closed_on_time,
            late=total.tickets_closed_late,
            open=q.total,
            overdue=q.overdue,
            soon=q.due_soon,
        )
        totals = Text(line1 + "\n")
        totals.append(line2, style="bold red" if q.overdue else "")
        self.query_one("#dash-totals", Static).update(totals)
        self.query_one("#dash-hours", Sparkline).data = [float(n) for n in dash.calls_per_hour]
        self.query_one("#dash-hours-label", Static).update(self._hour_labels(dash))
        self.query_one("#dash-outcomes", Static).update(self._outcome_bars(total))
        self._fill_table(dash)

    def _hour_labels(self, dash: Dashboard) -> Text:
        """Hours under the sparkline: first, middle and last, so its bars can be read against the clock."""
        width = max(10, self.query_one("#dash-hours", Sparkline).size.width)
        hours = dash.hours
        if not hours:
            return Text("")
        first, last = f"{hours[0]:02d}:00", f"{hours[-1] + 1:02d}:00"
        peak = max(dash.calls_per_hour, default=0)
        middle = t("dash.peak", n=peak)
        gap = max(1, width - len(first) - len(last) - cell_len(middle))
        left = gap // 2
        return Text(first + " " * left + middle + " " * (gap - left) + last)

    def _outcome_bars(self, total: Figures) -> Text:
        out = Text()
        out.append(t("dash.outcomes") + "\n", style="bold")
        largest = max(total.outcomes.values(), default=0)
        label_width = max(cell_len(t("dash.outcome." + o)) for o in OUTCOME_ORDER)
        # The bar takes what the labels and counts leave: a fixed 14 wrapped every English row onto two lines.
        width = self.query_one("#dash-outcomes", Static).content_size.width or OUTCOMES_WIDTH - 2
        bar_width = max(3, min(BAR_WIDTH, width - label_width - 6))
        for outcome in OUTCOME_ORDER:
            n = total.outcomes.get(outcome, 0)
            style = "green" if outcome == "ordered" else "yellow" if outcome in ("no_answer", "busy") else "cyan"
            out.append(pad(t("dash.outcome." + outcome), label_width) + " ")
            out.append(pad(bar(n, largest, bar_width), bar_width), style=style)
            out.append(f" {n:>4}\n")
        out.rstrip()
        return out

    def _fill_table(self, dash: Dashboard) -> None:
        table = self.query_one("#dash-table", DataTable)
        row = table.cursor_row
        table.clear()
        people = sorted(dash.report.operators.items(), key=lambda kv: (-kv[1].calls_done, kv[0]))
        rows: list[tuple[str, Figures, str]] = [
            (dash.names.get(login, login), figures, "") for login, figures in people
        ]
        rows.append((t("dash.team"), dash.report.total, "bold"))
        for name, f, style in rows:
            table.add_row(
                Text(name, style=style),
                Text(str(f.calls_due), justify="right", style=style),
                Text(str(f.calls_done), justify="right", style=style),
                Text(str(f.orders), justify="right", style=style),
                Text(f"{f.cartons:,}", justify="right", style=style),
                Text(minutes(f.avg_call_seconds), justify="right", style=style),
                Text(str(f.complaints_opened), justify="right", style=style),
                Text(
                    f"{f.tickets_closed_on_time}/{f.tickets_closed_late}",
                    justify="right",
                    style="bold red" if f.tickets_closed_late else style,
                ),
            )
        table.move_cursor(row=max(0, min(row, table.row_count - 1)))

    # ------------------------------------------------------------------------------------------ keys

    def action_day(self, step: int) -> None:
        current = self.day or today(self.telesales.settings.zone)
        self.day = current + timedelta(days=step)
        self.query_one("#dash-title", Static).update(Text(t("lead.loading_day", day=self.day.isoformat())))
        self.load()

    def action_today(self) -> None:
        self.day = today(self.telesales.settings.zone)
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_tickets(self) -> None:
        from tui.screens.tickets import TicketQueueScreen

        self.app.push_screen(TicketQueueScreen())

    def action_retention(self) -> None:
        self.app.push_screen(RetentionScreen())

    def action_coverage(self) -> None:
        self.app.push_screen(CoverageScreen())

    def action_calls(self) -> None:
        from tui.screens.queue import QueueScreen

        self.app.push_screen(QueueScreen())

    def action_users(self) -> None:
        from tui.screens.users import UsersScreen  # it builds on LeadScreen: imported here, not at the top

        self.app.push_screen(UsersScreen())


# ------------------------------------------------------------------------------------------------ retention


class RetentionScreen(LeadScreen):
    """Shops whose orders are falling, biggest loss first; `p` puts a personal call in tomorrow's queue, `a`
    gives the shop (or the shops marked with Space) to another order taker: a falling shop is often one whose
    owner and order taker no longer get on, and this is where the lead sees it."""

    CSS_PATH = "lead.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("p", "schedule", "ret.schedule", id="ret.schedule"),
        bind("a", "assign", "ret.assign", id="ret.assign"),
        bind("space", "mark", "ret.mark", id="ret.mark", show=False, display="Space"),
        bind("f5", "refresh", "refresh", id="ret.refresh", tip="ret.refresh"),
        bind("escape", "back", "back", id="ret.back", tip="lead.back"),
    ]
    FAILURE_PLACES: ClassVar[dict[str, str]] = {"retention": "#ret-title", "retention-plan": "#ret-why"}
    MARK = "* "  # before a marked shop's name: plain ASCII, one cell wide in every terminal and font

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RetentionRow] = []
        self.marked: set[str] = set()  # codes of the shops marked for `a`

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("lead.loading"), id="ret-title")
        yield DataTable(id="ret-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="ret-why")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#ret-table", DataTable)
        for key in ("shop", "district", "tier", "orders", "cartons", "last_year", "last", "planned"):
            table.add_column(t("ret.col." + key), key=key)
        self.load()

    @db_worker("retention")
    def load(self) -> None:
        app = self.telesales
        self.check_role()
        self.post_message(RetentionLoaded(retention_list(app.engine, today(app.settings.zone), settings=app.settings)))

    @on(RetentionLoaded)
    def _show(self, message: RetentionLoaded) -> None:
        rows = self.rows = message.rows
        planned = sum(1 for r in rows if r.scheduled)
        self.query_one("#ret-title", Static).update(Text(t("ret.title", n=len(rows), planned=planned), style="bold"))
        table = self.query_one("#ret-table", DataTable)
        row = table.cursor_row
        table.clear()
        self.marked &= {r.code for r in rows}
        for r in rows:
            last_year = "-" if r.last_year_cartons is None else str(r.last_year_cartons)
            table.add_row(
                self._shop_cell(r),
                Text(r.district or ""),
                Text(str(r.tier), justify="right"),
                Text(f"{r.earlier_orders}→{r.recent_orders}", justify="right"),
                Text(f"{r.earlier_cartons}→{r.recent_cartons}", justify="right"),
                Text(last_year, justify="right"),
                Text(r.last_order.strftime("%m-%d") if r.last_order else "-"),
                Text(t("ret.planned") if r.scheduled else "", style="green"),
                key=r.code,
            )
        if rows:
            table.move_cursor(row=max(0, min(row, len(rows) - 1)))
            table.focus()
        self._explain()

    @on(DataTable.RowHighlighted, "#ret-table")
    def _highlighted(self) -> None:
        self._explain()

    def _current(self) -> RetentionRow | None:
        table = self.query_one("#ret-table", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def _explain(self) -> None:
        row = self._current()
        why = self.query_one("#ret-why", Static)
        if row is None:
            why.update(Text(t("ret.none"), style="dim") if not self.rows else "")
            return
        reasons = join(t("ret.why." + r) for r in row.reasons)
        owner = f" · {row.owner}" if row.owner else ""
        taker = t("ret.taker", login=row.operator or "-")
        why.update(Text(f"{row.name}{owner} ({row.code}) {taker}: {reasons}"))

    def _shop_cell(self, row: RetentionRow) -> Text:
        if row.code in self.marked:
            return Text(self.MARK + row.name, style="bold")
        return Text(row.name)

    def action_mark(self) -> None:
        """Space marks or unmarks the shop under the cursor, then moves down, so a run of shops is marked fast."""
        row = self._current()
        if row is None:
            return
        self.marked ^= {row.code}
        table = self.query_one("#ret-table", DataTable)
        table.update_cell(row.code, "shop", self._shop_cell(row))
        table.move_cursor(row=min(table.cursor_row + 1, len(self.rows) - 1))

    def action_assign(self) -> None:
        from tui.screens.assign_dialog import AssignShopsDialog

        shops = [(r.code, r.name) for r in self.rows if r.code in self.marked]
        if not shops:
            row = self._current()
            if row is None:
                return
            shops = [(row.code, row.name)]
        self.app.push_screen(AssignShopsDialog(shops), self._assigned)

    def _assigned(self, done: Assigned | None) -> None:
        if done is None:
            return
        self.marked.clear()
        self.notify(t("ret.assigned", n=len(done.moved), login=done.operator))
        self.load()

    def action_schedule(self) -> None:
        row = self._current()
        if row is None:
            return
        if row.scheduled:
            self.notify(t("ret.already", shop=row.name), severity="warning")
            return
        self.schedule(row.code, row.name)

    @db_worker("retention-plan")
    def schedule(self, code: str, name: str) -> None:
        app = self.telesales
        user = app.user
        try:
            if user is None:
                raise PermissionDenied(t("lead.not_signed_in"), role="", allowed=LEAD_ROLES)
            info = schedule_retention_call(app.engine, code, by=user, settings=app.settings)
        except (RetentionError, PermissionDenied) as exc:
            self.post_message(Refused(str(exc)))
            return
        self.post_message(RetentionPlanned(name, info.due_at))

    @on(RetentionPlanned)
    def _planned(self, message: RetentionPlanned) -> None:
        self.notify(t("ret.scheduled", shop=message.shop, when=message.due_at.strftime("%m-%d %H:%M")))
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()


# ------------------------------------------------------------------------------------------------ coverage


class CoverageScreen(LeadScreen):
    """Brand coverage (覆盖率) and growth (成长率) for a week, by district or by tier band."""

    CSS_PATH = "lead.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("g", "group", "cov.group", id="cov.group"),
        bind("left_square_bracket", "week(-1)", "cov.prev", id="cov.prev", display="["),
        bind("right_square_bracket", "week(1)", "cov.next", id="cov.next", display="]", show=False),
        bind("escape", "back", "back", id="cov.back", tip="lead.back"),
    ]
    FAILURE_PLACES: ClassVar[dict[str, str]] = {"coverage": "#cov-title"}

    def __init__(self, week: date | None = None) -> None:
        super().__init__()
        self.week = week
        self.by: GroupBy = "district"

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("lead.loading"), id="cov-title")
        yield DataTable(id="cov-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        if self.week is None:
            # the last complete week: this week's orders are still coming in
            self.week = week_of(today(self.telesales.settings.zone)) - timedelta(weeks=1)
        self._columns()
        self.load()

    def _columns(self) -> None:
        table = self.query_one("#cov-table", DataTable)
        table.clear(columns=True)
        for key in ("brand", "group", "share", "change", "growth"):
            label = t("cov.col." + key) if key != "group" else t("cov.by." + self.by)
            table.add_column(label, key=key)

    @db_worker("coverage")
    def load(self) -> None:
        app = self.telesales
        week, by = self.week, self.by
        assert week is not None
        self.check_role()
        self.post_message(CoverageLoaded(week, by, brand_coverage(app.engine, week, by=by, settings=app.settings)))

    @on(CoverageLoaded)
    def _show(self, message: CoverageLoaded) -> None:
        week, by, rows = message.week, message.by, message.rows
        if (week, by) != (self.week, self.by):
            return
        self.query_one("#cov-title", Static).update(
            Text(t("cov.title", week=week.isoformat(), by=t("cov.by." + by)), style="bold")
        )
        table = self.query_one("#cov-table", DataTable)
        table.clear()
        for r in rows:
            total = r.group is None
            style = "bold" if total else ""
            change = r.change_pp
            growth = r.growth
            table.add_row(
                Text(r.brand, style=style),
                Text(t("cov.all") if total else str(r.group), style=style),
                Text(f"{r.share:.1%}", justify="right", style=style),
                Text(f"{change:+.1f}", justify="right", style="red" if change < 0 else "green" if change > 0 else ""),
                Text(
                    "-" if growth is None else f"{growth:+.0%}",
                    justify="right",
                    style="red" if growth is not None and growth < 0 else "",
                ),
            )
        if rows:
            table.focus()

    def action_group(self) -> None:
        self.by = "tier" if self.by == "district" else "district"
        self._columns()
        self.load()

    def action_week(self, step: int) -> None:
        assert self.week is not None
        self.week = self.week + timedelta(weeks=step)
        self.query_one("#cov-title", Static).update(Text(t("lead.loading_day", day=self.week.isoformat())))
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
