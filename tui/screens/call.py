"""The call screen: script, customer, suggestion, brand box and draft on one 80×24 screen.

Typing goes to the brand box (`tui/widgets/brand_box.py`: keystroke → candidates); Enter there announces what
was picked and this screen adds it to the draft with the quantity heard; an entry with several items
(`rzh2 yx3`) adds each. The draft is written to the terminal's disk on every change, so a crash
or a killed terminal reopens the same call with everything typed. Database work (opening the call, the
suggestion, placing, the outcome) runs in thread workers; when the database is gone a banner says so and the
screen keeps working on what it has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, get_current_worker

from db.engine import is_connection_error
from orders.call_view import CallView, CustomerCard, load_call_view, load_limits, with_card_details
from orders.calls import PhoneFacts, QueueEntry, finish_call, outcome_to_record, phone_facts, record_call, start_call
from orders.claims import InCall, claim_shop, renew_claim
from orders.clock import now, today
from orders.drafts import Draft, DraftLine
from orders.entry import Change, DraftItem, Shop, apply_utterance
from orders.match_data import load_shop, remember_pick
from orders.matching import Candidate
from orders.placement import PlacedOrder, cutoff_state, orders_for_week
from orders.readback import line_flags
from orders.script_context import PreparedScript, prepare_script
from orders.shop_week import week_orders
from orders.suggest import brief_or_reason
from orders.telephony import CallResult, PhoneEvent, normalise_number, outcome_of
from scripts_lib.render import RenderedStep
from tui.i18n import join, language, t, weekday
from tui.keys import bind, key_label
from tui.messages import (
    CallFinished,
    CallOpened,
    ClaimRenewed,
    LimitsLoaded,
    PhoneCallOver,
    PhoneSaid,
    ScriptFailed,
    ScriptLoaded,
    WeekOrdersLoaded,
    WorkFailed,
)
from tui.money import amount, yuan
from tui.screens.base import BaseScreen, db_worker
from tui.widgets.banner import DbBanner
from tui.widgets.brand_box import BrandBox

T = TypeVar("T")


class DraftTable(DataTable[Text]):
    """The draft: + and - change a quantity, Delete removes a line, Enter types a quantity, Esc goes back."""

    BINDINGS = [  # noqa: RUF012
        bind("plus,equals_sign", "screen.bump(1)", "more", id="draft.more", display="+"),
        bind("minus", "screen.bump(-1)", "less", id="draft.less", display="-"),
        bind("delete,d", "screen.remove_line", "remove", id="draft.remove", display="Del"),
        bind("enter", "screen.edit_qty", "edit_qty", id="draft.edit", display="Enter"),
        bind("escape", "screen.to_brand", "back_brand", id="draft.back"),
    ]


class SuggestTable(DataTable[Text]):
    """The suggestion: Enter takes the highlighted line into the draft, Esc goes back to the brand box."""

    BINDINGS = [  # noqa: RUF012
        bind("enter", "screen.take_line", "take_line", id="suggest.take", display="Enter"),
        bind("escape", "screen.to_brand", "back_brand", id="suggest.back"),
    ]


# How often the dialling worker looks at the clock between the phone's events (the ring timeout's grain), and
# how long it waits for the phone to confirm a hang-up before taking the call as ended at the hang-up.
PHONE_POLL_S = 0.1
HANGUP_GRACE_S = 5.0
DIAL_KEY = "ctrl+t"
HANGUP_KEY = "ctrl+g"


@dataclass
class PhoneCall:
    """One call dialled from the screen, shared by the screen (which hangs up) and its worker (which reads
    the phone): the events so far, and whether we hung up before an answer (then it is a no answer)."""

    number: str
    events: list[PhoneEvent] = field(default_factory=list)
    cancelled: bool = False
    hangup_at: float | None = None
    result: CallResult | None = None  # set once the call is over

    @property
    def active(self) -> bool:
        return self.result is None

    @property
    def answered_at(self) -> float | None:
        return next((e.at for e in self.events if e.kind == "established"), None)
class CallFooter(Footer):
    """The footer, its keys built only once the suggestion is on screen (`release`). Building them (a widget per
    key, each styled) holds the screen's message queue, and the screen paints nothing until it is free: built
    at the first paint, as Textual does, they kept the suggestion off the screen for longer than it took to
    load. The first paint shows no keys either way (Textual's footer is empty until the bindings settle)."""

    held = True

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not self.held:
            super().bindings_changed(screen)

    def release(self) -> None:
        if self.held and self.is_attached:
            self.held = False
            self.call_later(self._build)  # in the footer's own context, as Textual's data binding needs

    def _build(self) -> None:
        if self.is_attached:
            self.bindings_changed(self.screen)


class CallScreen(BaseScreen[None]):
    CSS_PATH = "call.tcss"
    KEEPS_DRAFT = True
    BINDINGS = [  # noqa: RUF012
        # the softphone's keys (shown only when the terminal has one): Ctrl+letters, since every F-key is taken
        # and letters go to the brand box; T for telephone, G for 挂断 (guàduàn)
        bind(DIAL_KEY, "dial", "dial", id="call.dial", display=key_label(DIAL_KEY)),
        bind(HANGUP_KEY, "hangup", "hangup", id="call.hangup", display=key_label(HANGUP_KEY)),
        bind("f2", "take_suggestion", "take", id="call.take"),
        bind("f5", "readback", "readback", id="call.readback"),
        bind("f8", "complaint", "complaint", id="call.complaint"),
        bind("f10", "end_call", "end_call", id="call.end"),
        bind("f3", "script_step(1)", "script_next", id="call.script_next", show=False),
        bind("f4", "script_step(-1)", "script_back", id="call.script_back", show=False),
        bind("f6", "focus_draft", "focus_draft", id="call.draft", show=False),
        bind("f7", "focus_suggestion", "focus_suggest", id="call.suggest", show=False),
        bind("f9", "note", "call_note", id="call.note", show=False),
        bind("f12", "amend_week_order", "amend_order", id="call.amend", show=False),
        bind("f11", "show_card", "show_card", id="call.card", show=False),
        # the tables' Esc (back to the brand box) comes first; here Esc clears the line, else asks to leave
        bind("escape", "leave", "leave_call", id="call.leave", show=False, display="Esc"),
    ]

    def __init__(
        self, code: str, entry: QueueEntry | None = None, *, script: str | None = None, amend: int | None = None
    ) -> None:
        super().__init__()
        self.amend_id = amend  # opened from "my orders" to amend this order: its lines load into the draft
        self.week_orders: list[PlacedOrder] = []  # this shop's orders already placed for the week
        self.week_order_names: dict[str, str] = {}  # who placed them: login -> name, for 「09:41 小王」
        self.amending: PlacedOrder | None = None  # F5 amends this order instead of placing a new one
        # F5 reads back only once this week's orders are read (a second order asks first, an amend amends); one
        # pressed before that waits for them rather than being lost
        self.week_orders_read = False
        self._readback_waiting = False
        self._limits_of: tuple[tuple[str, int], ...] | None = None  # the draft the limits were last read for
        self.code = code
        self.entry = entry
        self.script_name = script
        self.draft: Draft | None = None
        self.view: CallView | None = None
        self.shop = Shop()  # the shop's habits and last order, for the brand box and for 「老样子」
        self.script: PreparedScript | None = None
        self.step = 0
        self.placed: list[PlacedOrder] = []
        self.started = now()
        self.ended = False
        self.claim_lost_said = False
        self.phone_call: PhoneCall | None = None  # the last call dialled from this screen
        self._view_requested = False  # the first load of the view has started (at the first paint)

    # ------------------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        with Horizontal(id="call-top"):
            yield Static(self._title(), id="call-title")
            yield Static("", id="call-timer")
        yield Static("", id="essentials")
        yield Static("", id="week-orders")
        yield Static(t("call.loading"), id="script")
        with Horizontal(id="call-middle"):
            with VerticalScroll(id="left"):
                yield Static("", id="info")
                yield Static(t("call.suggestion"), classes="section")
                yield SuggestTable(id="suggest-table", cursor_type="row", show_header=False, cell_padding=0)
                yield Static("", id="suggest-detail")
                yield Static("", id="card")
            with Vertical(id="right"):
                yield DraftTable(id="draft-table", cursor_type="row", cell_padding=0)
                yield Static("", id="draft-total")
        yield BrandBox(describe=self._candidate_text, id="brand-box")
        yield CallFooter()

    def _title(self) -> Text:
        e = self.entry
        if e is None:
            return Text(self.code, style="bold")
        out = Text(e.name, style="bold")
        if e.owner:
            out.append(f" · {e.owner}")
        out.append(" · " + t("call.tier", tier=e.tier))
        return out

    def on_mount(self) -> None:
        draft_table = self.query_one("#draft-table", DataTable)
        # no cell padding (at 80 columns the four headers fit only without it): a column after the first
        # starts with one space of its own
        draft_table.add_columns(
            t("draft.col.name"), " " + t("draft.col.qty"), " " + t("draft.col.amount"), " " + t("draft.col.left")
        )
        suggest_table = self.query_one("#suggest-table", SuggestTable)
        suggest_table.add_columns("name", "qty", "reason")
        user = self.telesales.user
        operator = user.login if user else "demo"
        draft = self.telesales.drafts.load_local(operator, self.code)  # the sign-in review brought it here
        if draft is None:
            draft = Draft(operator=operator, customer=self.code, started_at=now().isoformat())
        self.draft = draft
        self.started = datetime.fromisoformat(draft.started_at) if draft.started_at else now()
        brand = self.query_one(BrandBox).input
        if draft.typing:
            brand.value = draft.typing
        self.set_focus(brand)  # now, not after this handler (`focus()`): the keys held for the call follow it
        self.call_later(self.telesales.keys_ready)  # what was typed while the call opened, into the brand box
        self._render_draft()
        self._save()
        if self.telesales.phone().available:
            self._phone_footer()
        self.set_interval(1.0, self._tick)
        self.set_interval(self.telesales.settings.limits_refresh_seconds, self.refresh_limits)
        self.set_interval(max(10.0, self.telesales.settings.call_claim_minutes * 60 / 3), self.renew)
        self._tick()
        # the workers start once the screen is painted: their queries hold the GIL in turns with the event loop,
        # and the order taker should see the call (and can type into the brand box) before anything is loaded.
        # The suggestion starts at the first paint (`on_screen_resume`); the rest once the screen has settled
        self.call_after_refresh(self._start_loading)
        self.set_timer(2.0, self.query_one(CallFooter).release)  # the keys even when the suggestion fails to load

    def on_screen_resume(self) -> None:
        """The suggestion is what the order taker reads out first, so its worker starts right after the screen's
        first paint (Textual paints in its own handler of this event, just before this one), not once the
        screen is idle: settling the footer's keys and styles takes longer than the suggestion itself."""
        if self.view is None and not self._view_requested:
            self._view_requested = True
            self.load_view()

    def _start_loading(self) -> None:
        self.open_call()
        if not self._view_requested:
            self.load_view()
        self.load_week_orders()

    # ------------------------------------------------------------------------------------------ workers

    @db_worker("call-open")
    def open_call(self) -> None:
        """Open the call's row and hold the shop for it (`orders.claims`): another terminal's queue then shows
        this call, and its `n` passes the shop by. A call reopened from its draft takes its shop back."""
        draft = self.draft
        if draft is None:
            return
        app = self.telesales
        if draft.call_id is not None:
            claim_shop(app.engine, app.settings, self.code, draft.operator)
            return
        self.post_message(CallOpened(start_call(app.engine, self.code, draft.operator, app.settings)))

    def renew(self) -> None:
        if self.draft is not None and not self.ended and self.draft.call_id is not None:
            self.renew_hold(self.draft.operator)

    @db_worker("call-renew")
    def renew_hold(self, operator: str) -> None:
        """Renewed while the screen is open, so the hold lapses only when this terminal stops answering."""
        app = self.telesales
        held = renew_claim(app.engine, app.settings, self.code, operator)
        holder = ""
        if not held:
            from orders.claims import claim_of

            claim = claim_of(app.engine, app.settings, self.code)
            holder = claim.name if claim is not None else ""
            if claim is None:  # lapsed and nobody took it: take it back
                claim_shop(app.engine, app.settings, self.code, operator)
                held = True
        self.post_message(ClaimRenewed(held, holder))

    @on(ClaimRenewed)
    def _renewed(self, message: ClaimRenewed) -> None:
        if not message.held and not self.claim_lost_said:
            self.claim_lost_said = True
            self.notify(t("call.claim_lost", name=message.holder), severity="error", timeout=30)

    def worker_failed(self, exc: BaseException, group: str) -> None:
        if group == "phone":  # the softphone could not start or dial: said as it said it; the call is over
            call = self.phone_call
            if call is not None and call.active:
                self.phone_call = None
                self._phone_footer()
                self._tick()
            self.notify(t("phone.error", error=str(exc)[:120] or type(exc).__name__), severity="error")
            return
        if isinstance(exc, InCall):
            self._held_elsewhere(exc)
            return
        super().worker_failed(exc, group)

    def _held_elsewhere(self, exc: InCall) -> None:
        """Another order taker's call holds the shop (both opened it at once, or the list was old): say who
        and since when, and go back to the queue. What was typed meanwhile stays in the draft."""
        since = exc.since.astimezone(self.telesales.settings.zone).strftime("%H:%M")
        self.notify(t("call.in_call_elsewhere", name=exc.holder_name, since=since), severity="warning", timeout=8)
        self.ended = True
        if self.draft is not None and not self.draft.lines:
            self.telesales.discard_draft(self.draft)
        if self.app.screen is self:
            self.app.pop_screen()

    @on(CallOpened)
    def _call_opened(self, message: CallOpened) -> None:
        if self.draft is not None and self.draft.call_id is None:
            self.draft.call_id = message.call_id
            self._save()

    @db_worker("call-view")
    def load_view(self) -> None:
        app = self.telesales
        lang = language()
        view = load_call_view(app.engine, app.settings, self.code, season=app.season, lang=lang, card_details=False)
        # Straight onto the event loop, not through this screen's message queue: while the screen settles,
        # that queue waits on the footer's keys being mounted and styled, which takes longer than the
        # suggestion did. The card's past orders, notes and tickets and the shop's habits (for the brand box)
        # follow in a second step, so the suggestion does not wait for them either.
        if not self._on_loop(self._view_loaded, view):
            return
        card = with_card_details(app.engine, view)
        if not self._on_loop(self._details_loaded, (view, card, load_shop(app.engine, self.code))):
            return
        try:
            from scripts_lib.loader import ScriptLibrary

            library = getattr(app, "scripts", None) or ScriptLibrary(app.settings.scripts_dir)
            app.scripts = library
            prepared = prepare_script(
                app.engine,
                library,
                self.code,
                settings=app.settings,
                operator=app.user.login if app.user else None,
                script=self.script_name,
                lang=lang,
            )
        except Exception as exc:
            if is_connection_error(exc):
                raise
            self.post_message(ScriptFailed(str(exc)))
            return
        self.post_message(ScriptLoaded(prepared))

    @db_worker("limits")
    def refresh_limits(self) -> None:
        """Quota and supply left as the database holds them now: other terminals place orders while this call is
        open, and the candidates and the draft must not offer what is gone. Off the event loop: typing never
        waits for it."""
        view = self.view
        if view is None or self.telesales.db_down:
            return
        self.post_message(LimitsLoaded(load_limits(self.telesales.engine, view.week, view.customer_id)))

    @on(LimitsLoaded)
    def _limits_loaded(self, message: LimitsLoaded) -> None:
        if self.view is None or message.limits.week != self.view.week:
            return
        self.view.limits = message.limits
        self._render_draft()
        self.query_one(BrandBox).refresh_candidates()

    @db_worker("week-orders")
    def load_week_orders(self) -> None:
        app = self.telesales
        placed = orders_for_week(app.engine, self.code, today(app.settings.zone))
        names = (
            {o.operator: o.operator_name for o in week_orders(app.engine, app.settings, self.code)} if placed else {}
        )
        self.post_message(WeekOrdersLoaded(placed, names))

    @on(WeekOrdersLoaded)
    def _week_orders_loaded(self, message: WeekOrdersLoaded) -> None:
        self.week_orders_read = True
        self.week_orders = message.orders
        self.week_order_names = message.names
        if self.amend_id is not None:
            order = next((o for o in message.orders if o.order_id == self.amend_id), None)
            self.amend_id = None
            if order is not None:
                self._start_amend(order)
        if self.amending is None and self.draft is not None and self.draft.amending is not None:
            self._resume_amend(self.draft, message.orders)  # the terminal stopped mid-amend
        self._render_week_orders()
        if self._readback_waiting:
            self._readback_waiting = False
            if self.app.screen is self:  # not over a dialog opened meanwhile
                self.action_readback()

    def _resume_amend(self, draft: Draft, orders: list[PlacedOrder]) -> None:
        """The draft was amending an order when the terminal stopped: F5 amends it again, with the lines as they
        were being changed, not as a second order. An order cancelled meanwhile is said, and the lines stay."""
        wanted = draft.amending
        order = next((o for o in orders if o.order_id == wanted), None)
        if order is not None:
            self.amending = order
            self._render_draft()
            self.notify(t("call.amend_resumed", id=order.order_id))
            return
        draft.amending = None
        self._save()
        self.notify(t("call.amend_gone", id=wanted), severity="warning", timeout=10)

    def _render_week_orders(self) -> None:
        """「本周已下单 #12 · 131条 · 09:41 小王」 at the top: the shop ordered already; amend, not order twice."""
        out = Text()
        settings = self.telesales.settings
        zone = settings.zone
        if self.view is not None:  # the cut-off in sight, and after it: no order can be taken, said before typing
            cut = cutoff_state(self.view.week, self.view.card.order_weekday, now(), settings)
            time = cut.cutoff_at.strftime("%H:%M")
            if cut.passed:
                out.append(t("call.cutoff_passed", time=time) + "  ", style="bold white on red")
            elif cut.soon:
                out.append(
                    t("call.cutoff_soon", time=time, minutes=max(0, cut.minutes_left)) + "  ", style="bold yellow"
                )
        for order in self.week_orders:
            at = order.placed_at.astimezone(zone).strftime("%H:%M")
            out.append(
                t(
                    "call.week_order",
                    id=order.order_id,
                    cartons=order.cartons,
                    time=at,
                    operator=self.week_order_names.get(order.operator, order.operator),
                )
                + "  ",
                style="bold green",
            )
        if self.amending is not None:
            out.append(t("call.amending", id=self.amending.order_id), style="bold reverse")
        elif self.week_orders:
            out.append(t("call.amend_hint"), style="dim")
        widget = self.query_one("#week-orders", Static)
        widget.update(out)
        widget.set_class(bool(out.plain), "shown")

    def action_amend_week_order(self) -> None:
        if not self.week_orders:
            self.notify(t("call.no_week_order"), severity="warning")
            return
        self._start_amend(self.week_orders[-1])

    def _start_amend(self, order: PlacedOrder) -> None:
        """The order's lines become the draft, to change with the draft's keys; F5 then amends that order."""
        if self.draft is None:
            return
        self.amending = order
        self.draft.amending = order.order_id
        self.draft.lines = [DraftLine(ln.code, ln.name, ln.qty, ln.price_fen) for ln in order.lines]
        self._save()
        self._render_draft()
        self._render_week_orders()
        self.notify(t("call.amend_started", id=order.order_id))

    def database_back(self) -> None:
        if self.view is None:
            self.load_view()
        if self.draft is not None and self.draft.call_id is None:
            self.open_call()
        if not self.week_orders_read:  # F5 waits for them
            self.load_week_orders()

    # ----------------------------------------------------------------------------------------- painting

    def _on_loop(self, handler: Callable[[T], None], arg: T) -> bool:
        """From a worker: run `handler(arg)` on the event loop now and wait for it; False once the screen is gone
        (the call was left meanwhile), so the worker stops."""
        if not self.is_attached:
            return False

        def run() -> None:
            if self.is_attached:
                handler(arg)

        self.app.call_from_thread(run)
        return self.is_attached

    def _view_loaded(self, view: CallView) -> None:
        """The suggestion first, then everything else the view holds (called on the loop by `load_view`)."""
        if self.view is not None:  # a reload (after an order, a complaint): the card keeps its details meanwhile
            old = self.view.card
            view.card = replace(view.card, recent=old.recent, call_notes=old.call_notes, tickets=old.tickets)
        self.view = view
        self._render_suggestion()
        self.call_after_refresh(self.query_one(CallFooter).release)  # once the suggestion is painted
        self._render_essentials()
        self._render_info()
        self._render_card()
        self._render_draft()
        self._render_week_orders()

    def _details_loaded(self, loaded: tuple[CallView, CustomerCard, Shop]) -> None:
        view, card, shop = loaded
        self.shop = shop
        self.query_one(BrandBox).set_context(shop.context)
        if self.view is view:  # not replaced by a newer load meanwhile
            view.card = card
            self._render_essentials()
            self._render_card()

    @on(ScriptLoaded)
    def _script_loaded(self, message: ScriptLoaded) -> None:
        self.script = message.script
        if self.draft is not None and self.draft.lines:
            self._go_to_kind("order")
        self._render_script()

    @on(ScriptFailed)
    def _script_failed(self, message: ScriptFailed) -> None:
        self.query_one("#script", Static).update(Text(t("call.script_failed", error=message.error[:70]), style="dim"))

    def _render_script(self) -> None:
        prepared = self.script
        if prepared is None or not prepared.steps:
            return
        self.step = max(0, min(self.step, len(prepared.steps) - 1))
        step: RenderedStep = prepared.steps[self.step]
        out = Text()
        out.append(f"{self.step + 1}/{len(prepared.steps)} {t('step.' + step.kind)}  ", style="bold cyan")
        out.append(step.text)
        if step.hint:
            out.append("\n" + step.hint, style="dim italic")
        script = self.query_one("#script", Static)
        script.update(out)  # the step in full, wrapped: the panel grows to its max height, then scrolls
        script.scroll_home(animate=False)

    def _go_to_kind(self, kind: str) -> None:
        if self.script is None:
            return
        for i, step in enumerate(self.script.steps):
            if step.kind == kind:
                if i > self.step:
                    self.step = i
                    self._render_script()
                return

    def _render_info(self) -> None:
        view = self.view
        if view is None:
            return
        out = Text()
        if view.short:
            out.append(t("call.short") + " ", style="bold yellow")
            out.append(join(view.short) + "\n")
        if view.new_products:
            out.append(t("call.new") + " ", style="bold green")
            out.append(join(view.new_products) + "\n")
        out.rstrip()
        self.query_one("#info", Static).update(out if out.plain else Text(t("call.no_news"), style="dim"))

    def _ticket_text(self, out: Text) -> None:
        """Each open ticket with its committed reply time, red once it is overdue: the shop will ask about it."""
        if self.view is None:
            return
        zone = self.telesales.settings.zone
        for ticket in self.view.card.tickets:
            due = ticket.due_at.astimezone(zone).strftime("%m-%d %H:%M")
            style = "bold red" if ticket.overdue else "bold"
            out.append(t("call.ticket", id=ticket.ticket_id) + " ", style=style)
            out.append(f"{t('category.' + ticket.category)} · {t('status.' + ticket.status)} · ")
            out.append(t("call.due", due=due), style="red" if ticket.overdue else "")
            if ticket.overdue:
                out.append(" " + t("call.overdue"), style="bold white on red")
            out.append("\n")

    def _render_essentials(self) -> None:
        """The card's essentials under the title, always in view at 80×24: the phone, the account manager's note
        and any open ticket with its reply time. The rest of the card is below the suggestion and on F11."""
        view = self.view
        if view is None:
            return
        card = view.card
        out = Text()
        out.append(t("call.phone", phone=card.phone) if card.phone else t("call.no_phone"), style="bold")
        if card.notes:
            out.append("  " + t("call.notes") + " ", style="bold yellow")
            out.append(card.notes)
        out.append("\n")
        self._ticket_text(out)
        out.rstrip()
        self.query_one("#essentials", Static).update(out)

    def action_show_card(self) -> None:
        """F11: the whole card in a dialog, reachable at any terminal size."""
        from tui.screens.card_dialog import CardDialog

        if self.view is None:
            self.notify(t("call.not_loaded"), severity="warning")
            return
        def back(_closed: None) -> None:
            self.query_one(BrandBox).input.focus()

        self.app.push_screen(CardDialog(self._card_text()), back)

    def _render_suggestion(self) -> None:
        """One row per line: name, cartons and the reason that fits the panel (the full one where the room
        allows, as at 120 columns, else the brief 「18/20次·常订3条」); the highlighted row's full reason is in
        the detail line under the table. No cell padding and no scrollbars: at 80 columns every cell counts."""
        view = self.view
        table = self.query_one("#suggest-table", SuggestTable)
        row = table.cursor_row
        table.clear()
        if view is None:
            return
        rows: list[tuple[str, str, str, str, bool]] = []  # name, cartons, full reason, brief, short of supply
        for line in view.suggestion.lines:
            marker = {"substitute": "↺ ", "new": "★ "}.get(line.kind, "")
            rows.append((marker + line.name, str(line.qty), line.reason, brief_or_reason(line), False))
        for short in view.suggestion.short:
            rows.append((short.name, "0", short.reason, brief_or_reason(short), True))
        if not rows:
            table.add_row(Text(t("call.no_suggestion"), style="dim"), Text(""), Text(""))
            self.query_one("#suggest-detail", Static).update("")
            return
        qty_w = max(cell_len(r[1]) for r in rows) + 1
        width = self.query_one("#left").content_region.width - 1  # 1: the panel's scrollbar
        # the brief's first part (at most 8 cells) is never cut: a name too long for the row gives way instead,
        # cut with 「…」 (the order taker knows the brand from its start)
        first = max(cell_len(r[3].split("·")[0]) for r in rows) + 1
        name_w = max(6, min(max(cell_len(r[0]) for r in rows) + 1, width - qty_w - first))
        room = width - name_w - qty_w
        for name, qty, reason, brief, short_of in rows:
            shown = Text(name, style="strike dim" if short_of else "")
            if cell_len(name) >= name_w:
                shown.truncate(name_w - 1, overflow="ellipsis")
            table.add_row(
                shown + " ",
                Text(qty, justify="right"),
                Text(" " + self._fitting_reason(reason, brief, room - 1), style="yellow" if short_of else "dim"),
            )
        table.move_cursor(row=max(0, min(row, len(rows) - 1)))
        self._render_suggest_detail()

    @staticmethod
    def _fitting_reason(reason: str, brief: str, room: int) -> str:
        """The full reason if it fits the row, else the brief one with its last 「·」 parts dropped until it fits
        (「18/20次·常订3条」 → 「18/20次」); what is dropped is in the detail line."""
        if cell_len(reason) <= room:
            return reason
        parts = brief.split("·")
        while len(parts) > 1 and cell_len("·".join(parts)) > room:
            parts.pop()
        return "·".join(parts)

    def _suggest_reasons(self) -> list[str]:
        view = self.view
        if view is None:
            return []
        return [line.reason for line in view.suggestion.lines] + [s.reason for s in view.suggestion.short]

    @on(DataTable.RowHighlighted, "#suggest-table")
    def _suggest_highlighted(self, _message: DataTable.RowHighlighted) -> None:
        self._render_suggest_detail()

    def _render_suggest_detail(self) -> None:
        """The highlighted suggestion line's reason in full, to read out: the row itself shows it brief."""
        reasons = self._suggest_reasons()
        row = self.query_one("#suggest-table", SuggestTable).cursor_row
        text = reasons[row] if 0 <= row < len(reasons) else ""
        self.query_one("#suggest-detail", Static).update(Text(text, style="italic"))

    def on_resize(self) -> None:
        """A wider terminal has room for the full reasons in the rows, a taller one for more rows (5 at 24 lines,
        so that a two-line English reason in the detail line fits under them); a smaller one goes back to the
        brief."""
        self.query_one("#suggest-table", SuggestTable).styles.max_height = 5 if self.size.height < 32 else 12
        self.call_after_refresh(self._render_suggestion)

    def _render_card(self) -> None:
        if self.view is not None:
            self.query_one("#card", Static).update(self._card_text())

    def _card_text(self) -> Text:
        """The whole card: below the suggestion on the screen and in the F11 dialog, written once."""
        assert self.view is not None
        card = self.view.card
        out = Text()
        out.append(t("call.card") + "\n", style="bold")
        out.append(f"{card.name} ({card.code})\n")
        facts = [t("call.tier", tier=card.tier), t("call.order_day", day=weekday(card.order_weekday))]
        if card.district:
            facts.append(card.district)
        if card.phone:
            facts.append(card.phone)
        out.append(" · ".join(facts) + "\n")
        if card.notes:
            out.append(t("call.notes") + " ", style="bold")
            out.append(card.notes + "\n")
        zone = self.telesales.settings.zone
        for note in card.call_notes:
            out.append(f"{note.at.astimezone(zone):%m-%d} {t('call.note_label')} ", style="bold magenta")
            out.append(f"{note.text} ({note.operator})\n")
        if self.draft is not None and self.draft.note:
            out.append(t("call.note_now") + " ", style="bold magenta")
            out.append(self.draft.note + "\n")
        for past in card.recent:
            lines = join(f"{name}{qty}" for name, qty in past.lines[:4])
            more = "…" if len(past.lines) > 4 else ""
            out.append(f"{past.day:%m-%d} ", style="bold")
            out.append(t("call.past", cartons=past.cartons) + f" {lines}{more}\n")
        self._ticket_text(out)
        out.rstrip()
        return out

    def _render_draft(self) -> None:
        draft = self.draft
        if draft is None:
            return
        table = self.query_one("#draft-table", DataTable)
        row = table.cursor_row
        table.clear()
        lang = language()
        for line in draft.lines:
            quota_left, supply_left = self.remaining(line.code)
            flags = (
                line_flags(
                    line,
                    usual=self.view.usual.get(line.code),
                    quota_left=quota_left,
                    supply_left=supply_left,
                    lang=lang,
                )
                if self.view
                else line_flags(line, usual=None, lang=lang)
            )
            blocking = any(f.blocking for f in flags)
            # the 余量 column's short forms (限3, 货47, 超限3; max3, stk47, !max3): at 80 columns it has 6 cells
            left = ""
            if quota_left is not None:
                left = t("draft.cell_quota", n=quota_left)
            elif supply_left is not None:
                left = t("draft.cell_supply", n=supply_left)
            if blocking:
                left = t("draft.cell_over", left=left)
            style = "bold red" if blocking else ""
            table.add_row(
                Text(line.name + (" !" if blocking else ""), style=style),
                Text(" " + str(line.qty), justify="right", style=style),
                Text(" " + amount(line.total_fen), justify="right"),
                Text(" " + left, style="red" if blocking else "dim"),
                key=line.code,
            )
        if draft.lines:
            table.move_cursor(row=max(0, min(row, len(draft.lines) - 1)))
        total = Text(t("draft.total", cartons=draft.cartons, amount=yuan(draft.total_fen)), style="bold")
        for order in self.placed:
            total.append("  " + t("draft.placed", id=order.order_id, cartons=order.cartons), style="green")
        self.query_one("#draft-total", Static).update(total, layout=False)  # one fixed line

    def remaining(self, code: str) -> tuple[int | None, int | None]:
        """(quota left, supply left) for a product as last read; while amending, what the order being amended
        holds counts as left, since the amend gives it back before taking the new quantity."""
        if self.view is None:
            return None, None
        quota_left, supply_left = self.view.remaining(code)
        if self.amending is not None:
            held = sum(ln.qty for ln in self.amending.lines if ln.code == code)
            quota_left = None if quota_left is None else quota_left + held
            supply_left = None if supply_left is None else supply_left + held
        return quota_left, supply_left

    def _tick(self) -> None:
        seconds = max(0, int((now() - self.started).total_seconds()))
        # fixed width: a repaint of these cells, not a new layout of the screen every second
        if not self._render_phone():  # the call's own time once one was dialled here
            self.query_one("#call-timer", Static).update(Text(f"⏱ {_mmss(seconds)}"), layout=False)
        if seconds % 30 == 0 and self.view is not None:
            self._render_week_orders()  # the cut-off's minutes left

    # ------------------------------------------------------------------------------------------- phone

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The softphone's keys exist only on a terminal that has one: with none configured the screen is as it
        was (the order taker dials by hand), and neither the footer, F1 help nor the palette offers them."""
        if action in ("dial", "hangup"):
            return self.telesales.phone().available
        return True

    # keys that leave the footer for the softphone's on a terminal that has one: at 80 columns the footer holds
    # about four keys; these stay in F1 help and the palette
    FOOTER_MAKES_ROOM = ("f2", "f8")

    def _phone_footer(self) -> None:
        """Room in the footer for the softphone's key, and in the title row for the call's state. The footer
        shows Ctrl+T while no call is on the line and Ctrl+G while one is (both keys work at any time: a second
        Ctrl+T is refused with a notice). The screen's bindings map is a copy per instance (Textual), so this
        changes this screen only."""
        self.query_one("#call-timer", Static).add_class("phone")
        active = self.phone_call is not None and self.phone_call.active
        shown = {DIAL_KEY: not active, HANGUP_KEY: active, **dict.fromkeys(self.FOOTER_MAKES_ROOM, False)}
        for key, show in shown.items():
            bindings = self._bindings.key_to_bindings.get(key, [])
            self._bindings.key_to_bindings[key] = [replace(b, show=show) for b in bindings]
        self.refresh_bindings()

    def _number(self) -> str | None:
        """The shop's number as the customer list holds it, from the card (or the queue's row before)."""
        if self.view is not None:
            return self.view.card.phone or ""
        if self.entry is not None:
            return self.entry.phone or ""
        return None

    def action_dial(self) -> None:
        """Dial the shop. Refused, with nothing dialled, while a call is on the line (baresip would open a
        second one in parallel) and for a missing or malformed number (baresip dials any text it is given)."""
        app = self.telesales
        phone = app.phone()
        if not phone.available:
            self.notify(t("phone.unavailable"), severity="warning")
            return
        if self.phone_call is not None and self.phone_call.active:
            self.notify(t("phone.one_call", hangup=key_label(HANGUP_KEY)), severity="warning")
            return
        raw = self._number()
        if raw is None:
            self.notify(t("phone.not_loaded"), severity="warning")
            return
        if not raw.strip():
            self.notify(t("phone.no_number"), severity="error")
            return
        try:
            number = normalise_number(raw, area_code=app.settings.area_code, dial_prefix=app.settings.dial_prefix)
        except ValueError as exc:
            self.notify(t("phone.bad_number", error=str(exc)), severity="error")
            return
        self.phone_call = PhoneCall(number)
        self._phone_footer()
        self._render_phone()
        self.notify(t("phone.dialling_to", number=number))
        self.place_call(self.phone_call)

    def action_hangup(self) -> None:
        """Hang up (or cancel the ringing: then the call is a no answer). The worker reports the end."""
        call = self.phone_call
        if call is None or not call.active:
            self.notify(t("phone.no_call"), severity="warning")
            return
        self._hang_up(call)

    def _hang_up(self, call: PhoneCall) -> None:
        if call.hangup_at is None:
            call.cancelled = call.answered_at is None
            call.hangup_at = self.telesales.phone_clock()
        self.telesales.phone().hangup()

    def place_call(self, call: PhoneCall) -> Worker[None]:
        return self.run_worker(
            lambda: self._run_call(call), group="phone", thread=True, exclusive=False, exit_on_error=False
        )

    def _run_call(self, call: PhoneCall) -> None:
        """The dialling worker: dial, then read the phone's events until the call is over, posting each one
        and the end. It hangs up at the ring timeout (a no answer), and when the screen is gone."""
        app = self.telesales
        clock = app.phone_clock
        try:
            phone = app.ready_phone()
            first = PhoneEvent("dialling", clock())
            call.events.append(first)
            self.post_message(PhoneSaid(first))
            phone.dial(call.number)
            deadline = first.at + app.settings.ring_timeout_seconds
            timed_out = False
            worker = get_current_worker()
            while True:
                event = phone.next_event(PHONE_POLL_S)
                if event is not None and event.kind != "dialling":  # "dialling" is ours, said above
                    call.events.append(event)
                    self.post_message(PhoneSaid(event))
                    result = outcome_of(call.events, cancelled=call.cancelled)
                    if result is not None:
                        self.post_message(PhoneCallOver(result, timed_out))
                        return
                    continue
                at = clock()
                if worker.is_cancelled:  # the screen is gone: never leave a call on the line
                    phone.hangup()
                    return
                if call.answered_at is None and call.hangup_at is None and at >= deadline:
                    timed_out = True
                    call.cancelled = True
                    call.hangup_at = at
                    phone.hangup()
                if call.hangup_at is not None and at - call.hangup_at >= HANGUP_GRACE_S:
                    # the phone never confirmed the hang-up: the call ended when it was hung up
                    call.events.append(PhoneEvent("closed", call.hangup_at))
                    result = outcome_of(call.events, cancelled=call.cancelled)
                    if result is not None:
                        self.post_message(PhoneCallOver(result, timed_out))
                    return
        except Exception as exc:
            self.post_message(WorkFailed(exc, "phone"))

    @on(PhoneSaid)
    def _phone_said(self, _message: PhoneSaid) -> None:
        self._render_phone()

    @on(PhoneCallOver)
    def _phone_call_over(self, message: PhoneCallOver) -> None:
        """The call is over: an answered one waits for F10 with its real times; busy, no answer and a wrong
        number open the outcome dialog with that outcome chosen, so Enter records it (and its retry)."""
        call = self.phone_call
        if call is None:
            return
        call.result = result = message.result
        self._phone_footer()
        self._render_phone()
        if result.outcome == "answered":
            self.notify(t("phone.ended_answered", time=_mmss(result.talk_s)))
            return
        recorded = outcome_to_record(result)
        reason = result.reason or "-"
        if message.timed_out:
            self.notify(t("phone.timeout", seconds=self.telesales.settings.ring_timeout_seconds), severity="warning")
        elif recorded is None:
            self.notify(t("phone.ended_failed", reason=reason), severity="error")
            return
        else:
            self.notify(t(f"phone.ended_{recorded}", reason=reason), severity="warning")
        if recorded is not None and self.app.screen is self:
            self.action_end_call(recorded)

    def _render_phone(self) -> bool:
        """The call's state where the screen's timer was: dialling, ringing with its seconds, the talk time
        from the answer, then how it ended. False when no call was dialled here (the timer stays)."""
        call = self.phone_call
        if call is None:
            return False
        clock = self.telesales.phone_clock()
        style = "bold"
        if call.result is not None:
            result = call.result
            if result.outcome == "answered":
                text = t("phone.ended", time=_mmss(result.talk_s))
            else:
                text = t("phone." + result.outcome)
            style = "dim" if result.outcome == "answered" else "bold yellow"
        elif call.answered_at is not None:
            text = t("phone.talking", time=_mmss(clock - call.answered_at))
            style = "bold green"
        elif any(e.kind in ("ringing", "progress") for e in call.events):
            text = t("phone.ringing", time=_mmss(clock - call.events[0].at))
        else:
            text = t("phone.dialling")
        self.query_one("#call-timer", Static).update(Text(text, style=style), layout=False)
        return True

    def on_unmount(self) -> None:
        """Leaving the call (Esc, sign-out refused, quitting) with the phone still on the line hangs it up."""
        call = self.phone_call
        if call is not None and call.active:
            self._hang_up(call)

    # -------------------------------------------------------------------------------------- brand box

    @on(BrandBox.Typed)
    def _typed(self, message: BrandBox.Typed) -> None:
        if self.draft is not None and self.draft.typing != message.value:
            self.draft.typing = message.value
            self._save()

    def _candidate_text(self, cand: Candidate) -> Text:
        """A candidate as the brand box lists it: price, discontinued, quota left and the shop's usual."""
        out = Text(cand.name, style="bold")
        item = self.telesales.items.get(cand.code)
        if item is not None:
            out.append(f"  {yuan(item.price_fen)}", style="dim")
            if not item.active:
                out.append("  " + t("call.discontinued"), style="red")
        if self.view is not None:
            quota_left, supply_left = self.remaining(cand.code)
            if quota_left is not None:
                out.append("  " + t("draft.quota_left", n=quota_left), style="red" if quota_left == 0 else "yellow")
            if supply_left is not None:
                out.append("  " + t("draft.supply_left", n=supply_left), style="red" if supply_left == 0 else "yellow")
            if cand.code in self.view.usual:
                out.append("  " + t("call.usual", n=self.view.usual[cand.code]), style="green")
        return out

    @on(BrandBox.Said)
    def _said(self, message: BrandBox.Said) -> None:
        """Turn what the shop owner said into draft changes (`orders/entry.py`, the same rules as `telesales
        entry`), show each change under the brand box, and give back to the box what could not be acted on."""
        box = self.query_one(BrandBox)
        matcher = self.telesales.matcher
        draft = self.draft
        if matcher is None or draft is None:
            box.restore([message.text])
            self.notify(t("call.matcher_loading"), severity="warning")
            return
        before = [DraftItem(line.code, line.qty) for line in draft.lines]
        result = apply_utterance(message.text, before, matcher, self.shop, chosen=message.chosen)
        said: list[Text] = []
        left = [u.heard for u in result.unclear]
        touched: str | None = None
        for change in result.changes:
            item = self.telesales.items.get(change.code)
            if change.op != "remove" and item is not None and not item.active:
                self.notify(t("call.cannot_order", name=change.name), severity="error")
                left.append(change.heard)
                continue
            said.append(self._apply_change(draft, change, item.price_fen if item is not None else 0))
            touched = change.code
        if touched is None and left:
            left = [message.text]  # nothing was taken: the words stay exactly as typed, to be corrected
        order = [i.code for i in result.draft]
        draft.lines.sort(key=lambda line: order.index(line.code) if line.code in order else len(order))
        for words, code in message.chosen.items():
            if any(c.code == code and c.heard == words for c in result.changes):
                self.remember(words, code)  # chosen by hand over the matcher's first: remembered for this shop
        reasons = "; ".join(t("entry.why." + u.reason) for u in result.unclear)
        self._save()
        self._render_draft()
        if touched is not None:
            index = next((i for i, line in enumerate(draft.lines) if line.code == touched), None)
            if index is not None:
                self.query_one("#draft-table", DataTable).move_cursor(row=index)
            self._go_to_kind("order")
        box.restore(left, why=t("entry.unclear", why=reasons) if reasons else None)
        box.show_said(said)

    @staticmethod
    def _apply_change(draft: Draft, change: Change, price_fen: int) -> Text:
        """One change to the draft, and how it reads under the brand box."""
        index = next((i for i, line in enumerate(draft.lines) if line.code == change.code), None)
        if change.op == "remove":
            if index is not None:
                draft.remove(index)
            return Text(f"− {change.name}", style="red")
        qty = change.qty or 0
        if index is None:
            line = DraftLine(change.code, change.name, qty, price_fen, heard=change.heard)
            line.alternative = change.confusable_with
            draft.lines.append(line)
            return Text(f"+ {change.name} {qty}", style="green")
        line = draft.lines[index]
        was = line.qty
        draft.set_qty(index, qty)
        line.heard = change.heard
        line.alternative = change.confusable_with
        return Text(f"{change.name} {was} → {qty}", style="bold")

    @db_worker("picks", exclusive=False)
    def remember(self, heard: str, code: str) -> None:
        try:
            remember_pick(self.telesales.engine, heard, code, self.code)
        except Exception as exc:  # a pick not remembered costs nothing now; a lost database shows the banner
            if is_connection_error(exc):
                raise

    # ---------------------------------------------------------------------------------------- the draft

    def _save(self) -> None:
        if self.draft is not None:
            self.telesales.save_draft(self.draft)
            lines = tuple((line.code, line.qty) for line in self.draft.lines)
            if lines != self._limits_of and self.view is not None:
                self._limits_of = lines
                self.refresh_limits()  # the draft changed: read what is left now, before the read-back

    def _current_line(self) -> int | None:
        table = self.query_one("#draft-table", DataTable)
        if self.draft is None or not self.draft.lines:
            return None
        return max(0, min(table.cursor_row, len(self.draft.lines) - 1))

    def action_bump(self, step: int) -> None:
        index = self._current_line()
        if index is None or self.draft is None:
            return
        qty = self.draft.lines[index].qty + step
        if qty <= 0:
            self.notify(t("draft.at_least_one"), severity="warning")
            return
        self.draft.set_qty(index, qty)
        self._save()
        self._render_draft()

    def action_remove_line(self) -> None:
        index = self._current_line()
        if index is None or self.draft is None:
            return
        line = self.draft.remove(index)
        self._save()
        self._render_draft()
        self.notify(t("draft.removed", name=line.name))

    def action_edit_qty(self) -> None:
        from tui.screens.dialogs import QuantityDialog

        index = self._current_line()
        if index is None or self.draft is None:
            return
        line = self.draft.lines[index]

        def done(qty: int | None) -> None:
            if qty is not None and self.draft is not None:
                self.draft.set_qty(index, qty)
                self._save()
                self._render_draft()
            self.query_one("#draft-table", DataTable).focus()

        self.app.push_screen(QuantityDialog(line.name, line.qty), done)

    def action_to_brand(self) -> None:
        self.query_one(BrandBox).input.focus()

    def action_focus_draft(self) -> None:
        self.query_one("#draft-table", DataTable).focus()

    def action_focus_suggestion(self) -> None:
        self.query_one("#suggest-table", SuggestTable).focus()

    def on_key(self, event: Key) -> None:
        """Typing while a table has focus goes to the brand box: the order taker never has to aim first."""
        box = self.query_one(BrandBox)
        if self.focused is box.input or not event.is_printable or event.character is None:
            return
        if event.character in "+-=d":
            return
        box.type_text(event.character)
        event.stop()

    # ----------------------------------------------------------------------------------------- suggestion

    def action_take_suggestion(self) -> None:
        if self.view is None or self.draft is None:
            self.notify(t("call.not_loaded"), severity="warning")
            return
        have = {line.code for line in self.draft.lines}
        added = 0
        for line in self.view.suggestion.lines:
            if line.code in have:
                continue
            item = self.view.items.get(line.code)
            self.draft.add(
                DraftLine(
                    line.code, line.name, line.qty, item.price_fen if item else 0, heard=t("call.from_suggestion")
                )
            )
            added += 1
        self._save()
        self._render_draft()
        self._go_to_kind("order")
        self.notify(t("call.taken", n=added))

    def action_take_line(self) -> None:
        if self.view is None or self.draft is None:
            return
        table = self.query_one("#suggest-table", SuggestTable)
        lines = self.view.suggestion.lines
        if not lines or table.cursor_row >= len(lines):
            return
        line = lines[table.cursor_row]
        if any(x.code == line.code for x in self.draft.lines):
            self.notify(t("call.already_in_draft", name=line.name))
            return
        item = self.view.items.get(line.code)
        self.draft.add(
            DraftLine(line.code, line.name, line.qty, item.price_fen if item else 0, heard=t("call.from_suggestion"))
        )
        self._save()
        self._render_draft()
        self._go_to_kind("order")

    # ------------------------------------------------------------------------------------------- script

    def action_script_step(self, step: int) -> None:
        if self.script is None:
            return
        self.step = max(0, min(len(self.script.steps) - 1, self.step + step))
        self._render_script()

    # ------------------------------------------------------------------------------- read-back, place

    def action_readback(self) -> None:
        from tui.screens.dialogs import ReadbackScreen

        if self.draft is None or not self.draft.lines:
            self.notify(t("call.empty_draft"), severity="warning")
            return
        if not self.week_orders_read:
            # not yet known whether the shop ordered this week (on another terminal too) or whether the order
            # being amended still can be: the read-back opens as soon as that is read
            if not self._readback_waiting:
                self._readback_waiting = True
                self.notify(t("call.readback_wait"), timeout=3)
            return
        self._go_to_kind("readback")
        if self.amending is not None:
            from tui.screens.order_dialogs import AmendReadback

            self.app.push_screen(AmendReadback(self.code, self.draft, self.view, self.amending), self._placed)
            return
        if self.week_orders:
            from tui.screens.order_dialogs import NextOrderReadback

            screen = NextOrderReadback(self.code, self.draft, self.view, nth=len(self.week_orders) + 1)
            self.app.push_screen(screen, self._placed)
            return
        self.app.push_screen(ReadbackScreen(self.code, self.draft, self.view), self._placed)

    def _placed(self, order: PlacedOrder | None) -> None:
        self.query_one(BrandBox).input.focus()
        if order is None or self.draft is None:
            return
        self.placed.append(order)
        self.draft.lines = []
        self.amending = None
        self.draft.amending = None
        self.week_orders_read = False  # this order is one of them now: a second one must be asked for
        self.load_week_orders()
        self._save()
        self._render_draft()
        self._go_to_kind("close")
        self.notify(t("call.placed", id=order.order_id, cartons=order.cartons))
        if self.view is not None:
            self.load_view()  # remaining quota and supply changed

    # ---------------------------------------------------------------------------------------------- note

    def action_note(self) -> None:
        """A one-line note on the call (why the shop refused, what was promised), kept in the draft and recorded
        with the outcome; the card shows it the next time the shop is opened."""
        from tui.screens.order_dialogs import NoteDialog

        def done(note: str | None) -> None:
            self.query_one(BrandBox).input.focus()
            if note is None or self.draft is None:
                return
            self.draft.note = note
            self._save()
            self._render_card()
            self.notify(t("note.kept") if note else t("note.cleared"))

        self.app.push_screen(NoteDialog(self.draft.note if self.draft else ""), done)

    # ----------------------------------------------------------------------------------------- complaint

    def action_complaint(self) -> None:
        from tui.screens.dialogs import ComplaintScreen

        call_id = self.draft.call_id if self.draft else None
        name = self.shop_name()

        def done(_ticket: object) -> None:
            self.query_one(BrandBox).input.focus()
            if _ticket is not None and self.view is not None:
                self.load_view()

        self.app.push_screen(ComplaintScreen(self.code, name, call_id), done)

    # ---------------------------------------------------------------------------------------------- leave

    def shop_name(self) -> str:
        """The shop as the order taker knows it, for questions about this call."""
        return self.view.card.name if self.view else (self.entry.name if self.entry else self.code)

    def action_leave(self) -> None:
        """Esc: a typed line is cleared first; with nothing to clear, ask whether to leave the call without an
        outcome (a call opened by mistake used to have no way back but F10 and a made-up outcome)."""
        from tui.screens.leave_call import LeaveCallDialog

        box = self.query_one(BrandBox).input
        if box.value:
            box.value = ""
            return
        self.app.push_screen(LeaveCallDialog(t("leave.question", shop=self.shop_name())), self._leave_answered)

    def _leave_answered(self, leave: bool | None) -> None:
        if not leave:
            self.query_one(BrandBox).input.focus()
            return
        self.ended = True  # stops renewing the hold
        if self.draft is not None:
            if self.draft.lines or self.draft.note:
                self.telesales.save_draft(self.draft)  # kept: the call reopens with it when the shop is opened
            else:
                self.telesales.discard_draft(self.draft)  # nothing to keep: a call opened by mistake
            self.telesales.release_shop(self.code, self.draft.operator)
        self.app.pop_screen()

    # ------------------------------------------------------------------------------------------- outcome

    def action_end_call(self, preselect: str | None = None) -> None:
        """F10: the outcome dialog; a call still on the line is hung up first (the outcome ends it). After a
        call the phone saw end unanswered, its outcome is preselected: Enter records it."""
        from tui.screens.dialogs import OutcomeScreen

        call = self.phone_call
        if call is not None and call.active:
            self.action_hangup()
        if preselect is None and call is not None and call.result is not None:
            preselect = outcome_to_record(call.result)
        unplaced = len(self.draft.lines) if self.draft else 0
        open_ticket = self.view is not None and bool(self.view.card.tickets)
        self.app.push_screen(
            OutcomeScreen(placed=bool(self.placed), unplaced=unplaced, open_ticket=open_ticket, preselect=preselect),
            self._outcome_chosen,
        )

    def _outcome_chosen(self, choice: tuple[str, datetime | None] | None) -> None:
        self.query_one(BrandBox).input.focus()
        if choice is None:
            return
        outcome, callback_at = choice
        self.finish(outcome, callback_at, self._phone_facts())

    def _phone_facts(self) -> PhoneFacts | None:
        """What the phone knew of the last call dialled here, on the wall clock; None if none was dialled. A
        call hung up a moment ago whose end the phone has not confirmed yet ends at the hang-up."""
        call = self.phone_call
        if call is None or not call.events:
            return None
        clock = self.telesales.phone_clock()
        result = call.result
        if result is None:
            ended = PhoneEvent("closed", call.hangup_at if call.hangup_at is not None else clock)
            result = outcome_of([*call.events, ended], cancelled=call.cancelled)
        if result is None:
            return None
        return phone_facts(result, wall_now=now(), monotonic_now=clock)

    @db_worker("call-finish")
    def finish(self, outcome: str, callback_at: datetime | None, phone: PhoneFacts | None = None) -> None:
        app = self.telesales
        draft = self.draft
        if draft is not None and draft.call_id is not None:
            finish_call(
                app.engine, app.settings, draft.call_id, outcome, callback_at=callback_at, note=draft.note, phone=phone
            )
        elif phone is not None:  # the call's row could not be opened (database away): the phone's figures
            record_call(
                app.engine,
                app.settings,
                self.code,
                outcome,
                operator=draft.operator if draft else None,
                duration_s=phone.talk_s,
                callback_at=callback_at,
                started_at=phone.started_at,
                note=draft.note if draft else "",
            )
        else:
            seconds = max(0, int((now() - self.started).total_seconds()))
            record_call(
                app.engine,
                app.settings,
                self.code,
                outcome,
                operator=draft.operator if draft else None,
                duration_s=seconds,
                callback_at=callback_at,
                started_at=self.started,
                note=draft.note if draft else "",
            )
        self.post_message(CallFinished(outcome))

    @on(CallFinished)
    def _finished(self, message: CallFinished) -> None:
        self.ended = True
        if self.draft is not None:
            self.telesales.discard_draft(self.draft)
        self.app.pop_screen()
        # said on the queue, once the call is gone: the next call starts with nothing said
        self.notify(t("call.ended", outcome=t("outcome." + message.outcome)))


def _mmss(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"
