"""The day's call queue: whom to call, in what order, and how far the day has got.

The list comes from `orders.calls.call_queue` (callbacks at their time first, then key customers, then the
rest) in a worker; `n` opens the next call due, Enter the highlighted one. A draft left by a crash, a killed
terminal or on another terminal (drafts live in the database) reopens its call as soon as the queue is shown,
so the order taker picks up where they were; one that cannot go on is offered to discard, never in the way.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from orders.calls import QueueEntry, call_queue, claim_next, queue_progress
from orders.claims import lead_release
from orders.clock import now
from orders.drafts import Draft, StaleDraft
from orders.users import LEAD_ROLES, display_names
from tui.i18n import t
from tui.keys import bind
from tui.messages import ClaimReleased, DraftsReviewed, NextClaimed, QueueLoaded
from tui.screens.base import BaseScreen, db_worker
from tui.widgets.banner import DbBanner

WIDE = 100  # columns from which the queue shows the owner, the tier, the last order and the full in-call status


def status_text(entry: QueueEntry, me: str | None = None, *, wide: bool = True) -> Text:
    """What the row says about the call, short (its time is in the due column): who is on a call with the shop
    now (since when, on a wide screen), a callback (overdue ones in red), a planned call, to call, or how the
    last call ended."""
    if entry.in_call_by is not None and not entry.done:
        name = entry.in_call_name or entry.in_call_by
        style = "bold cyan" if entry.in_call_by != me else "cyan"
        if wide:
            since = entry.since.strftime("%H:%M") if entry.since else ""
            return Text(t("queue.in_call", name=name, since=since), style=style)
        return Text(t("queue.in_call_short", name=name), style=style)
    if entry.status == "to_call" or (entry.overdue and not entry.done):
        if entry.overdue and entry.due_at is not None:
            return Text(t("queue.callback_late"), style="bold red")
        if entry.reason == "callback" and entry.due_at is not None:
            return Text(t("queue.callback"), style="bold yellow")
        if entry.reason in ("retention", "ticket_callback") and entry.due_at is not None:
            return Text(t("queue.planned_short_" + entry.reason), style="bold magenta")
        return Text(t("queue.to_call"))
    style = "green" if entry.done else "yellow"
    return Text(t("outcome." + entry.status), style=style)


def due_text(entry: QueueEntry, due: str) -> Text:
    """The due column: a callback's or planned call's time, red once passed; "-" for a call of the order day."""
    if not due or entry.done:
        return Text("-", style="dim")
    return Text(due, style="bold red" if entry.overdue else "")


def flags_text(entry: QueueEntry) -> Text:
    out = Text()
    if entry.key_customer:
        out.append(t("queue.flag_key") + " ", style="bold")
    if entry.open_ticket:
        out.append(t("queue.flag_ticket") + " ", style="bold red")
    if entry.retention_risk:
        out.append(t("queue.flag_retention") + " ", style="magenta")
    if not entry.done and entry.cutoff_passed:
        out.append(t("queue.cutoff_passed") + " ", style="dim")
    return out


def cutoff_note(entries: list[QueueEntry], at: datetime) -> Text:
    """The nearest cut-off in sight among the shops still to do, once for the list (on every row it would push
    the flags out of an 80-column screen): 「17:00截单 · 还有40分钟」."""
    soon = [e.cutoff_at for e in entries if not e.done and e.cutoff_soon and e.cutoff_at is not None]
    if not soon:
        return Text()
    first = min(soon)
    minutes = max(0, int((first - at).total_seconds() // 60))
    return Text(" · " + t("queue.cutoff_soon", time=first.strftime("%H:%M"), minutes=minutes), style="bold yellow")


INBOUND_SCRIPT = "inbound"  # scripts_lib/scripts/inbound.yaml: the shop called us


class QueueTable(DataTable[Text]):
    """The queue's table: Enter opens the call, and says so in the footer."""

    BINDINGS = [bind("enter", "select_cursor", "open_call", id="queue.open", display="Enter")]  # noqa: RUF012


class QueueScreen(BaseScreen[None]):
    CSS_PATH = "queue.tcss"
    BINDINGS = [  # noqa: RUF012
        bind("n", "open_next", "next_call", id="queue.next"),
        bind("r", "refresh", "refresh", id="queue.refresh", tip="refresh_queue", show=False),
        bind("t", "toggle_team", "team", id="queue.team", show=False),
        bind("slash,i", "find_shop", "find_shop", id="queue.find", display="/"),
        bind("o", "my_orders", "my_orders", id="queue.orders", show=False),
        bind("u", "release", "release", id="queue.release", show=False),
        bind("ctrl+q", "app.quit", "quit", id="queue.quit", show=False),
        bind("escape", "back", "back", id="queue.back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[QueueEntry] = []
        self.names: dict[str, str] = {}  # login → name, for the team view's whose column
        self.team = False
        self.reopened = False
        self.claiming = False  # a `n` is being answered: a second `n` typed meanwhile must not claim a second shop
        self.wide = False  # 100 columns or more: every column, the in-call status in full

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("queue.loading"), id="queue-progress")
        yield QueueTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Static(t("queue.empty"), id="queue-empty")
        yield Footer()

    def on_mount(self) -> None:
        user = self.telesales.user
        self.team = user is not None and user.role != "order_taker"
        self.wide = self._wide()
        self._columns()
        self.load()

    def _wide(self) -> bool:
        return self.app.size.width >= WIDE

    def _keys(self) -> list[str]:
        """The columns: the status, its due time and the phone (what is dialled) always, whose shop it is in the
        team's view; the owner (not in the team's view), tier and last order only from 100 columns on, so the
        flags stay on an 80-column screen."""
        if self.wide:
            keys = ["status", "due", "shop", "phone", "owner", "tier", "last", "flags"]
        else:
            keys = ["status", "due", "shop", "phone", *([] if self.team else ["owner"]), "flags"]
        if self.team:
            keys.insert(2, "whose")
        return keys

    def _columns(self) -> None:
        table = self.query_one("#queue-table", DataTable)
        table.clear(columns=True)
        for key in self._keys():
            table.add_column(t("queue.col." + key), key=key)

    def on_resize(self) -> None:
        if self._wide() != self.wide:
            self.wide = self._wide()
            self._columns()
            self._fill()

    def on_screen_resume(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Esc leads back to the lead's dashboard; an order taker's queue is their home and has nothing under it
        if action == "back":
            return len(self.app.screen_stack) > 2
        if action == "release":  # a shift lead's key: an order taker cannot take a colleague's shop away
            user = self.telesales.user
            return user is not None and user.role in LEAD_ROLES
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_team(self) -> None:
        self.team = not self.team
        self._columns()
        self.load()

    def database_back(self) -> None:
        self.load()

    @db_worker("queue")
    def load(self) -> None:
        app = self.telesales
        operator = None if self.team or app.user is None else app.user.login
        entries = call_queue(app.engine, app.settings, operator=operator)
        self.post_message(QueueLoaded(entries, display_names(app.engine) if self.team else {}))

    @on(QueueLoaded)
    def _show(self, message: QueueLoaded) -> None:
        self.entries = message.entries
        self.names = message.names
        self._fill()
        entries = self.entries
        done, due_count = queue_progress(entries)
        scope = t("queue.scope_team") if self.team else t("queue.scope_mine")
        progress = Text(t("queue.progress", done=done, due=due_count, scope=scope))
        progress.append_text(cutoff_note(entries, now()))
        self.query_one("#queue-progress", Static).update(progress)
        self.query_one("#queue-empty").set_class(not entries, "shown")
        self.query_one("#queue-table", DataTable).focus()
        self._reopen_pending()

    def _fill(self) -> None:
        entries = self.entries
        zone = self.telesales.settings.zone
        table = self.query_one("#queue-table", DataTable)
        selected = table.cursor_row
        table.clear()
        user = self.telesales.user
        me = user.login if user else None
        keys = self._keys()
        for e in entries:
            due = e.due_at.astimezone(zone).strftime("%H:%M") if e.due_at else ""
            cells = {
                "status": status_text(e, me, wide=self.wide),
                "due": due_text(e, due),
                "whose": Text(self.names.get(e.operator, e.operator) if e.operator else "-"),
                "shop": Text(e.name),
                "phone": Text(e.phone or ""),
                "owner": Text(e.owner or ""),
                "tier": Text(str(e.tier), justify="right"),
                "last": Text(e.last_order.strftime("%m-%d") if e.last_order else "-"),
                "flags": flags_text(e),
            }
            table.add_row(*(cells[k] for k in keys), key=e.customer)
        if entries:
            table.move_cursor(row=min(selected, len(entries) - 1))

    def _reopen_pending(self) -> None:
        """A draft left from a crash or on another terminal reopens its call once, before anything else; one
        that cannot go on is offered to discard first. Asked in a worker: the database answers it."""
        user = self.telesales.user
        if self.reopened or user is None:
            return
        self.reopened = True
        self.review_drafts(user.login)

    @db_worker("drafts")
    def review_drafts(self, operator: str) -> None:
        self.post_message(DraftsReviewed(self.telesales.drafts.review(operator)))

    @on(DraftsReviewed)
    def _drafts_reviewed(self, message: DraftsReviewed) -> None:
        if not self.is_current:  # the order taker opened a call meanwhile: they are asked at the next sign-in
            return
        self._offer_stale(list(message.review.stale), message.review.open)

    def _shop_name(self, code: str) -> str:
        entry = next((e for e in self.entries if e.customer == code), None)
        return entry.name if entry else code

    def _offer_stale(self, stale: list[StaleDraft], reopen: list[Draft]) -> None:
        """One dialog per stale draft (Enter discards, Esc keeps it), then the first draft to reopen."""
        from tui.screens.draft_dialogs import StaleDraftDialog

        if not stale:
            if reopen and self.is_current:
                draft = reopen[0]
                entry = next((e for e in self.entries if e.customer == draft.customer), None)
                self.notify(t("queue.reopened", shop=self._shop_name(draft.customer)))
                self._open(draft.customer, entry)
            return
        first, rest = stale[0], stale[1:]
        shop = self._shop_name(first.draft.customer)

        def chosen(discard: bool | None) -> None:
            if discard:
                self.telesales.discard_draft(first.draft)
                self.notify(t("stale.discarded", shop=shop))
            else:
                self.notify(t("stale.kept", shop=shop))
            self._offer_stale(rest, reopen)

        self.app.push_screen(StaleDraftDialog(first, shop), chosen)

    def action_open_selected(self) -> None:
        table = self.query_one("#queue-table", DataTable)
        if not self.entries or table.cursor_row < 0:
            return
        entry = self.entries[table.cursor_row]
        user = self.telesales.user
        if entry.in_call_by is not None and not entry.done and (user is None or entry.in_call_by != user.login):
            since = entry.since.strftime("%H:%M") if entry.since else ""
            name = entry.in_call_name or entry.in_call_by
            self.notify(t("queue.in_call_refused", shop=entry.name, name=name, since=since), severity="warning")
            return
        self._open(entry.customer, entry)

    @on(DataTable.RowSelected, "#queue-table")
    def _row_selected(self) -> None:
        self.action_open_selected()

    def action_open_next(self) -> None:
        """The next call due, claimed in the database first: two terminals pressing `n` at the same moment get
        two different shops, and a shop in another order taker's call is skipped."""
        user = self.telesales.user
        if self.claiming or user is None:
            return
        self.claiming = True
        self.telesales.hold_keys()  # what is typed while the shop is claimed is for the call
        self.claim_next_call(user.login)

    @db_worker("claim", exclusive=False)
    def claim_next_call(self, operator: str) -> None:
        app = self.telesales
        try:
            entry = claim_next(app.engine, app.settings, operator, team=self.team)
        except BaseException:
            app.call_from_thread(app.drop_held_keys)  # no call opens: the failure is said as any worker's
            raise
        finally:
            self.claiming = False
        self.post_message(NextClaimed(entry))

    @on(NextClaimed)
    def _next_claimed(self, message: NextClaimed) -> None:
        if message.entry is None:
            self.telesales.drop_held_keys()
            self.notify(t("queue.none_due"))
            self.load()
            return
        if not self.is_current:  # a call or dialog opened meanwhile: the claim lapses unless renewed
            self.telesales.drop_held_keys()
            return
        self._open(message.entry.customer, message.entry)

    def action_release(self) -> None:
        table = self.query_one("#queue-table", DataTable)
        user = self.telesales.user
        if not self.entries or table.cursor_row < 0 or user is None:
            return
        entry = self.entries[table.cursor_row]
        self.release_shop(entry.customer, entry.name, user.login)

    @db_worker("release")
    def release_shop(self, code: str, shop: str, actor: str) -> None:
        claim = lead_release(self.telesales.engine, code, actor)
        self.post_message(ClaimReleased(shop, claim.name if claim is not None else None))

    @on(ClaimReleased)
    def _released(self, message: ClaimReleased) -> None:
        if message.holder is None:
            self.notify(t("queue.not_held", shop=message.shop))
        else:
            self.notify(t("queue.released", shop=message.shop, name=message.holder))
        self.load()

    def _open(self, code: str, entry: QueueEntry | None, script: str | None = None) -> None:
        """Open the call; keys typed before its brand box has the focus wait for it (`CallScreen.on_mount`)."""
        from tui.screens.call import CallScreen

        self.telesales.hold_keys()
        self.app.push_screen(CallScreen(code, entry, script=script))

    # ------------------------------------------------------------------------------- inbound, my orders

    def action_find_shop(self) -> None:
        """A shop calls in: find it among all active shops and open an inbound call with the inbound script."""
        from tui.screens.find_shop import FindShopDialog

        def chosen(hit: object) -> None:
            from orders.find_shop import ShopHit

            if isinstance(hit, ShopHit):
                entry = next((e for e in self.entries if e.customer == hit.code), None)
                self._open(hit.code, entry, script=INBOUND_SCRIPT)

        self.app.push_screen(FindShopDialog(), chosen)

    def action_my_orders(self) -> None:
        from tui.screens.my_orders import MyOrdersScreen

        self.app.push_screen(MyOrdersScreen())
