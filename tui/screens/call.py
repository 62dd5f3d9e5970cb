"""The call screen: script, customer, suggestion, brand box and draft on one 80×24 screen.

Typing goes to the brand box; every keystroke asks the in-memory matcher (no I/O) for candidates, with this
shop's habits ranking close ones. Enter adds the highlighted candidate with the quantity heard; an entry with
several items (`rzh2 yx3`) adds each. The draft is written to the terminal's disk on every change, so a crash
or a killed terminal reopens the same call with everything typed. Database work (opening the call, the
suggestion, placing, the outcome) runs in thread workers; when the database is gone a banner says so and the
screen keeps working on what it has.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from orders import calendar
from orders.call_view import CallView, load_call_view
from orders.calls import QueueEntry, finish_call, record_call, start_call
from orders.clock import now
from orders.drafts import Draft, DraftLine
from orders.match_data import rank_context, remember_pick
from orders.matching import Candidate, MatchResult, RankContext
from orders.placement import PlacedOrder
from orders.quantity import split_entry
from orders.readback import line_flags, sounds_like
from orders.script_context import PreparedScript, prepare_script
from scripts_lib.render import RenderedStep
from tui.app import is_connection_error
from tui.i18n import language, t
from tui.money import amount, yuan
from tui.widgets.banner import DbBanner
from tui.widgets.brand_input import BrandInput
from tui.widgets.candidates import CandidateList

if TYPE_CHECKING:
    from tui.app import TelesalesApp


def weekday_name(day: int) -> str:
    return calendar.weekday_name(day, language(), short=True)


class DraftTable(DataTable[Text]):
    """The draft: + and - change a quantity, Delete removes a line, Enter types a quantity, Esc goes back."""

    BINDINGS = [  # noqa: RUF012
        Binding(
            "plus,equals_sign",
            "screen.bump(1)",
            t("key.more"),
            tooltip=t("key.more.tip"),
            id="draft.more",
            key_display="+",
        ),
        Binding("minus", "screen.bump(-1)", t("key.less"), tooltip=t("key.less.tip"), id="draft.less", key_display="-"),
        Binding(
            "delete,d",
            "screen.remove_line",
            t("key.remove"),
            tooltip=t("key.remove.tip"),
            id="draft.remove",
            key_display="Del",
        ),
        Binding(
            "enter",
            "screen.edit_qty",
            t("key.edit_qty"),
            tooltip=t("key.edit_qty.tip"),
            id="draft.edit",
            key_display="Enter",
        ),
        Binding("escape", "screen.to_brand", t("key.back_brand"), tooltip=t("key.back_brand.tip"), id="draft.back"),
    ]


class SuggestTable(DataTable[Text]):
    """The suggestion: Enter takes the highlighted line into the draft, Esc goes back to the brand box."""

    BINDINGS = [  # noqa: RUF012
        Binding(
            "enter",
            "screen.take_line",
            t("key.take_line"),
            tooltip=t("key.take_line.tip"),
            id="suggest.take",
            key_display="Enter",
        ),
        Binding("escape", "screen.to_brand", t("key.back_brand"), tooltip=t("key.back_brand.tip"), id="suggest.back"),
    ]


class CallScreen(Screen[None]):
    CSS_PATH = "call.tcss"
    BINDINGS = [  # noqa: RUF012
        Binding("f2", "take_suggestion", t("key.take"), tooltip=t("key.take.tip"), id="call.take"),
        Binding("f5", "readback", t("key.readback"), tooltip=t("key.readback.tip"), id="call.readback"),
        Binding("f8", "complaint", t("key.complaint"), tooltip=t("key.complaint.tip"), id="call.complaint"),
        Binding("f10", "end_call", t("key.end_call"), tooltip=t("key.end_call.tip"), id="call.end"),
        Binding(
            "f3",
            "script_step(1)",
            t("key.script_next"),
            tooltip=t("key.script_next.tip"),
            id="call.script_next",
            show=False,
        ),
        Binding(
            "f4",
            "script_step(-1)",
            t("key.script_back"),
            tooltip=t("key.script_back.tip"),
            id="call.script_back",
            show=False,
        ),
        Binding(
            "f6", "focus_draft", t("key.focus_draft"), tooltip=t("key.focus_draft.tip"), id="call.draft", show=False
        ),
        Binding(
            "f7",
            "focus_suggestion",
            t("key.focus_suggest"),
            tooltip=t("key.focus_suggest.tip"),
            id="call.suggest",
            show=False,
        ),
        Binding("down", "candidate(1)", t("key.cand_down"), tooltip=t("key.cand.tip"), id="call.cand_down", show=False),
        Binding("up", "candidate(-1)", t("key.cand_up"), tooltip=t("key.cand.tip"), id="call.cand_up", show=False),
    ]

    def __init__(self, code: str, entry: QueueEntry | None = None, *, script: str | None = None) -> None:
        super().__init__()
        self.code = code
        self.entry = entry
        self.script_name = script
        self.draft: Draft | None = None
        self.view: CallView | None = None
        self.context: RankContext | None = None
        self.script: PreparedScript | None = None
        self.step = 0
        self.result: MatchResult | None = None
        self.placed: list[PlacedOrder] = []
        self.started = now()
        self.ended = False

    @property
    def telesales(self) -> TelesalesApp:
        return cast("TelesalesApp", self.app)

    # ------------------------------------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        with Horizontal(id="call-top"):
            yield Static(self._title(), id="call-title")
            yield Static("", id="call-timer")
        yield Static(t("call.loading"), id="script")
        with Horizontal(id="call-middle"):
            with VerticalScroll(id="left"):
                yield Static("", id="info")
                yield Static(t("call.suggestion"), classes="section")
                yield SuggestTable(id="suggest-table", cursor_type="row", show_header=False)
                yield Static("", id="card")
            with Vertical(id="right"):
                yield DraftTable(id="draft-table", cursor_type="row")
                yield Static("", id="draft-total")
        with Horizontal(id="brand-row"):
            yield Static(t("call.brand_prompt"), id="brand-label")
            yield BrandInput(placeholder=t("call.brand_placeholder"), id="brand", compact=True)
        yield CandidateList(id="candidates")
        yield Footer()

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
        draft_table.add_columns(t("draft.col.name"), t("draft.col.qty"), t("draft.col.amount"), t("draft.col.left"))
        suggest_table = self.query_one("#suggest-table", SuggestTable)
        suggest_table.add_columns("name", "qty", "reason")
        user = self.telesales.user
        operator = user.login if user else "demo"
        draft = self.telesales.drafts.load(operator, self.code)
        if draft is None:
            draft = Draft(operator=operator, customer=self.code, started_at=now().isoformat())
        self.draft = draft
        self.started = datetime.fromisoformat(draft.started_at) if draft.started_at else now()
        brand = self.query_one("#brand", Input)
        if draft.typing:
            brand.value = draft.typing
        brand.focus()
        self._render_draft()
        self._save()
        self.set_interval(1.0, self._tick)
        self._tick()
        self.watch(self.app, "db_down", self._db_changed, init=False)
        # the workers start once the screen is painted: their queries hold the GIL in turns with the event loop,
        # and the order taker should see the call (and can type into the brand box) before anything is loaded
        self.call_after_refresh(self._start_loading)

    def _start_loading(self) -> None:
        self.open_call()
        self.load_view()

    # ------------------------------------------------------------------------------------------ workers

    @work(thread=True, exclusive=True, group="call-open", exit_on_error=False)
    def open_call(self) -> None:
        draft = self.draft
        if draft is None or draft.call_id is not None:
            return
        try:
            call_id = start_call(self.telesales.engine, self.code, draft.operator)
        except Exception as exc:
            self._failed(exc)
            return
        self.app.call_from_thread(self._call_opened, call_id)

    def _call_opened(self, call_id: int) -> None:
        if self.draft is not None and self.draft.call_id is None:
            self.draft.call_id = call_id
            self._save()

    @work(thread=True, exclusive=True, group="call-view", exit_on_error=False)
    def load_view(self) -> None:
        app = self.telesales
        lang = language()
        try:
            view = load_call_view(app.engine, app.settings, self.code, season=app.season, lang=lang)
            context = rank_context(app.engine, self.code)
        except Exception as exc:
            self._failed(exc)
            return
        self.app.call_from_thread(self._view_loaded, view, context)
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
                self._failed(exc)
            else:
                self.app.call_from_thread(self._script_failed, str(exc))
            return
        self.app.call_from_thread(self._script_loaded, prepared)

    def _failed(self, exc: BaseException) -> None:
        """From a worker: a lost database becomes the banner; anything else a notice (never a crash)."""
        if is_connection_error(exc):
            self.app.call_from_thread(self.telesales.database_failed, exc)
        else:
            self.app.call_from_thread(self.notify, str(exc), severity="error")

    def _db_changed(self, down: Any) -> None:
        if down:
            return
        if self.view is None:
            self.load_view()
        if self.draft is not None and self.draft.call_id is None:
            self.open_call()

    # ----------------------------------------------------------------------------------------- painting

    def _view_loaded(self, view: CallView, context: RankContext) -> None:
        self.view = view
        self.context = context
        self._render_info()
        self._render_suggestion()
        self._render_card()
        self._render_draft()
        self._refresh_candidates()

    def _script_loaded(self, prepared: PreparedScript) -> None:
        self.script = prepared
        if self.draft is not None and self.draft.lines:
            self._go_to_kind("order")
        self._render_script()

    def _script_failed(self, message: str) -> None:
        self.query_one("#script", Static).update(Text(t("call.script_failed", error=message[:70]), style="dim"))

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
        self.query_one("#script", Static).update(out, layout=False)  # fixed height: stepping repaints only the script

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
            out.append("、".join(view.short) + "\n")
        if view.new_products:
            out.append(t("call.new") + " ", style="bold green")
            out.append("、".join(view.new_products) + "\n")
        zone = self.telesales.settings.zone
        for ticket in view.card.tickets:
            due = ticket.due_at.astimezone(zone).strftime("%m-%d %H:%M")
            style = "bold red" if ticket.overdue else "bold"
            out.append(t("call.ticket", id=ticket.ticket_id) + " ", style=style)
            out.append(
                f"{t('category.' + ticket.category)} · {t('status.' + ticket.status)} · {t('call.due', due=due)}\n"
            )
        self.query_one("#info", Static).update(out if out.plain else Text(t("call.no_news"), style="dim"))

    def _render_suggestion(self) -> None:
        view = self.view
        table = self.query_one("#suggest-table", SuggestTable)
        table.clear()
        if view is None:
            return
        for line in view.suggestion.lines:
            marker = {"substitute": "↺ ", "new": "★ "}.get(line.kind, "")
            table.add_row(
                Text(marker + line.name),
                Text(str(line.qty), justify="right"),
                Text(line.reason, style="dim"),
                key=line.code,
            )
        for short in view.suggestion.short:
            table.add_row(
                Text(short.name, style="strike dim"), Text("0", justify="right"), Text(short.reason, style="yellow")
            )
        if not view.suggestion.lines and not view.suggestion.short:
            table.add_row(Text(t("call.no_suggestion"), style="dim"), Text(""), Text(""))

    def _render_card(self) -> None:
        view = self.view
        if view is None:
            return
        card = view.card
        out = Text()
        out.append(t("call.card") + "\n", style="bold")
        out.append(f"{card.name} ({card.code})\n")
        facts = [t("call.tier", tier=card.tier), t("call.order_day", day=weekday_name(card.order_weekday))]
        if card.district:
            facts.append(card.district)
        if card.phone:
            facts.append(card.phone)
        out.append(" · ".join(facts) + "\n")
        if card.notes:
            out.append(t("call.notes") + " ", style="bold")
            out.append(card.notes + "\n")
        for past in card.recent:
            lines = "、".join(f"{name}{qty}" for name, qty in past.lines[:4])
            more = "…" if len(past.lines) > 4 else ""
            out.append(f"{past.day:%m-%d} ", style="bold")
            out.append(t("call.past", cartons=past.cartons) + f" {lines}{more}\n")
        self.query_one("#card", Static).update(out)

    def _render_draft(self) -> None:
        draft = self.draft
        if draft is None:
            return
        table = self.query_one("#draft-table", DataTable)
        row = table.cursor_row
        table.clear()
        lang = language()
        for line in draft.lines:
            quota_left, supply_left = self.view.remaining(line.code) if self.view else (None, None)
            flags = self.view.flags(line, lang) if self.view else line_flags(line, usual=None, lang=lang)
            blocking = any(f.blocking for f in flags)
            left = ""
            if quota_left is not None:
                left = t("draft.quota_left", n=quota_left)
            elif supply_left is not None:
                left = t("draft.supply_left", n=supply_left)
            style = "bold red" if blocking else ""
            table.add_row(
                Text(line.name + (" !" if blocking else ""), style=style),
                Text(str(line.qty), justify="right", style=style),
                Text(amount(line.total_fen), justify="right"),
                Text(left, style="red" if blocking else "dim"),
                key=line.code,
            )
        if draft.lines:
            table.move_cursor(row=max(0, min(row, len(draft.lines) - 1)))
        total = Text(t("draft.total", cartons=draft.cartons, amount=yuan(draft.total_fen)), style="bold")
        for order in self.placed:
            total.append("  " + t("draft.placed", id=order.order_id, cartons=order.cartons), style="green")
        self.query_one("#draft-total", Static).update(total, layout=False)  # one fixed line

    def _tick(self) -> None:
        seconds = max(0, int((now() - self.started).total_seconds()))
        # fixed width: a repaint of these cells, not a new layout of the screen every second
        self.query_one("#call-timer", Static).update(Text(f"⏱ {seconds // 60:02d}:{seconds % 60:02d}"), layout=False)

    # -------------------------------------------------------------------------------------- brand box

    @on(Input.Changed, "#brand")
    def _typed(self, event: Input.Changed) -> None:
        if self.draft is not None and self.draft.typing != event.value:
            self.draft.typing = event.value
            self._save()
        self._refresh_candidates()

    def _refresh_candidates(self) -> None:
        options = self.query_one("#candidates", CandidateList)
        value = self.query_one("#brand", Input).value
        items = split_entry(value)
        matcher = self.telesales.matcher
        if not items:
            self.result = None
            options.clear()
            return
        if matcher is None:
            options.show([Text(t("call.matcher_loading"), style="dim")], choosable=False)
            return
        result = matcher.match(items[-1], 5, self.context)
        self.result = result
        if not result.candidates:
            options.show([Text(t("call.no_match"), style="dim")], choosable=False)
            return
        heard = t("call.heard", qty=result.quantity) if result.quantity is not None else t("call.no_qty")
        if len(items) > 1:
            heard = t("call.items", n=len(items)) + " · " + heard
        options.show([self._candidate_text(cand, heard if i == 0 else "") for i, cand in enumerate(result.candidates)])

    def _candidate_text(self, cand: Candidate, heard: str) -> Text:
        out = Text(cand.name, style="bold")
        item = self.telesales.items.get(cand.code)
        if item is not None:
            out.append(f"  {yuan(item.price_fen)}", style="dim")
            if not item.active:
                out.append("  " + t("call.discontinued"), style="red")
        if self.view is not None:
            quota_left, _supply = self.view.remaining(cand.code)
            if quota_left is not None:
                out.append("  " + t("draft.quota_left", n=quota_left), style="yellow")
            if cand.code in self.view.usual:
                out.append("  " + t("call.usual", n=self.view.usual[cand.code]), style="green")
        if heard:
            out.append(f"   {heard}", style="italic")
        return out

    def action_candidate(self, step: int) -> None:
        self.query_one("#candidates", CandidateList).move(step)

    @on(Input.Submitted, "#brand")
    def _entered(self, event: Input.Submitted) -> None:
        items = split_entry(event.value)
        matcher = self.telesales.matcher
        if not items or matcher is None:
            return
        if len(items) == 1:
            result = self.result
            if result is None or not result.candidates:
                self.notify(t("call.no_match"), severity="warning")
                return
            highlighted = self.query_one("#candidates", CandidateList).highlighted or 0
            chosen = result.candidates[min(highlighted, len(result.candidates) - 1)]
            if result.quantity is None:
                self._ask_quantity(chosen, result, items[0])
                return
            if self._add(chosen, result, result.quantity, items[0], picked=highlighted):
                self._clear_brand()
            return
        left: list[str] = []
        for item in items:
            result = matcher.match(item, 5, self.context)
            if (
                not result.candidates
                or result.quantity is None
                or not self._add(result.candidates[0], result, result.quantity, item, picked=0)
            ):
                left.append(item)
        brand = self.query_one("#brand", Input)
        brand.value = " ".join(left)
        if left:
            self.notify(t("call.left_over", items=" / ".join(left)), severity="warning")

    def _ask_quantity(self, chosen: Candidate, result: MatchResult, heard: str) -> None:
        from tui.screens.dialogs import QuantityDialog

        def done(qty: int | None) -> None:
            if qty is not None and self._add(chosen, result, qty, heard, picked=None):
                self._clear_brand()
            self.query_one("#brand", Input).focus()

        self.app.push_screen(QuantityDialog(chosen.name), done)

    def _clear_brand(self) -> None:
        self.query_one("#brand", Input).value = ""

    def _add(self, cand: Candidate, result: MatchResult, qty: int, heard: str, *, picked: int | None) -> bool:
        item = self.telesales.items.get(cand.code)
        if item is not None and not item.active:
            self.notify(t("call.cannot_order", name=cand.name), severity="error")
            return False
        if self.draft is None:
            return False
        alternative = sounds_like(cand, result.candidates)
        price = item.price_fen if item is not None else 0
        index = self.draft.add(DraftLine(cand.code, cand.name, qty, price, heard=heard, alternative=alternative))
        self._save()
        self._render_draft()
        self.query_one("#draft-table", DataTable).move_cursor(row=index)
        self._go_to_kind("order")
        if picked:  # the order taker chose other than the matcher's first: remember it for this shop
            self.remember(heard, cand.code)
        return True

    @work(thread=True, group="picks", exit_on_error=False)
    def remember(self, heard: str, code: str) -> None:
        try:
            remember_pick(self.telesales.engine, heard, code, self.code)
        except Exception as exc:  # a pick not remembered costs nothing now; a lost database shows the banner
            if is_connection_error(exc):
                self.app.call_from_thread(self.telesales.database_failed, exc)

    # ---------------------------------------------------------------------------------------- the draft

    def _save(self) -> None:
        if self.draft is not None:
            self.telesales.save_draft(self.draft)

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
        self.query_one("#brand", Input).focus()

    def action_focus_draft(self) -> None:
        self.query_one("#draft-table", DataTable).focus()

    def action_focus_suggestion(self) -> None:
        self.query_one("#suggest-table", SuggestTable).focus()

    def on_key(self, event: Key) -> None:
        """Typing while a table has focus goes to the brand box: the order taker never has to aim first."""
        brand = self.query_one("#brand", Input)
        if self.focused is brand or not event.is_printable or event.character is None:
            return
        if event.character in "+-=d":
            return
        brand.focus()
        brand.insert_text_at_cursor(event.character)
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
        self._go_to_kind("readback")
        self.app.push_screen(ReadbackScreen(self.code, self.draft, self.view), self._placed)

    def _placed(self, order: PlacedOrder | None) -> None:
        self.query_one("#brand", Input).focus()
        if order is None or self.draft is None:
            return
        self.placed.append(order)
        self.draft.lines = []
        self._save()
        self._render_draft()
        self._go_to_kind("close")
        self.notify(t("call.placed", id=order.order_id, cartons=order.cartons))
        if self.view is not None:
            self.load_view()  # remaining quota and supply changed

    # ----------------------------------------------------------------------------------------- complaint

    def action_complaint(self) -> None:
        from tui.screens.dialogs import ComplaintScreen

        call_id = self.draft.call_id if self.draft else None
        name = self.view.card.name if self.view else (self.entry.name if self.entry else self.code)

        def done(_ticket: object) -> None:
            self.query_one("#brand", Input).focus()
            if _ticket is not None and self.view is not None:
                self.load_view()

        self.app.push_screen(ComplaintScreen(self.code, name, call_id), done)

    # ------------------------------------------------------------------------------------------- outcome

    def action_end_call(self) -> None:
        from tui.screens.dialogs import OutcomeScreen

        unplaced = len(self.draft.lines) if self.draft else 0
        self.app.push_screen(OutcomeScreen(placed=bool(self.placed), unplaced=unplaced), self._outcome_chosen)

    def _outcome_chosen(self, choice: tuple[str, datetime | None] | None) -> None:
        self.query_one("#brand", Input).focus()
        if choice is None:
            return
        outcome, callback_at = choice
        self.finish(outcome, callback_at)

    @work(thread=True, exclusive=True, group="call-finish", exit_on_error=False)
    def finish(self, outcome: str, callback_at: datetime | None) -> None:
        app = self.telesales
        draft = self.draft
        try:
            if draft is not None and draft.call_id is not None:
                finish_call(app.engine, app.settings, draft.call_id, outcome, callback_at=callback_at)
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
                )
        except Exception as exc:
            self._failed(exc)
            return
        self.app.call_from_thread(self._finished, outcome)

    def _finished(self, outcome: str) -> None:
        self.ended = True
        if self.draft is not None:
            self.telesales.discard_draft(self.draft)
        self.notify(t("call.ended", outcome=t("outcome." + outcome)))
        self.app.pop_screen()
