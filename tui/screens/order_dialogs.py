"""The dialogs of amending, cancelling and annotating: a note on the call, a yes/no confirmation, and the
read-back in its two other forms (amending an order placed earlier, and a deliberate second order of the week).

Apart from `tui/screens/dialogs.py` so the read-back's own placing path stays one: these only change what the
read-back says and which function of `orders/placement.py` it calls.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, Static

from orders.call_view import CallView
from orders.drafts import Draft
from orders.placement import PlacedOrder, PlacementError, amend_order
from orders.tickets import MAX_NOTE
from tui.i18n import t
from tui.keys import bind
from tui.messages import OrderPlaced
from tui.screens.base import Dialog, db_worker
from tui.screens.dialogs import ReadbackScreen


def refusal_text(exc: PlacementError) -> str:
    """A refusal of amend or cancel in the screen's language: the cut-off is the usual one."""
    if exc.kind == "cutoff_passed":
        return t("refused.cutoff")
    if exc.kind == "order_cancelled":
        return t("orders.already_cancelled")
    return exc.message


class NoteDialog(Dialog[str | None]):
    """One line about the call; Enter keeps it (empty clears it), Esc leaves it as it was."""

    BINDINGS = [bind("escape", "cancel", "back_call", id="note.cancel")]  # noqa: RUF012

    def __init__(self, note: str) -> None:
        super().__init__()
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(t("note.title"), classes="title")
            yield Input(value=self.note, placeholder=t("note.placeholder"), id="note", max_length=MAX_NOTE)
        yield Footer()

    @on(Input.Submitted, "#note")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(Dialog[bool]):
    """A question answered with y/Enter or n/Esc (Posting's `ModalScreen[bool]`)."""

    BINDINGS = [  # noqa: RUF012
        bind("y,enter", "answer(True)", "yes", id="confirm.yes", display="y"),
        bind("n,escape", "answer(False)", "no", id="confirm.no", display="n"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), classes="message")
        yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def _without(view: CallView | None, order: PlacedOrder) -> CallView | None:
    """The view with the order's own cartons given back to the limits: an amend is checked against what is left
    once it has returned them, so a kept line is never flagged as over the quota it already holds."""
    if view is None:
        return None
    quota_used = dict(view.limits.quota_used)
    supply_used = dict(view.limits.supply_used)
    for line in order.lines:
        item = view.items.get(line.code)
        if item is None:
            continue
        key = (view.customer_id, item.id)
        if key in quota_used:
            quota_used[key] = max(0, quota_used[key] - line.qty)
        if item.id in supply_used:
            supply_used[item.id] = max(0, supply_used[item.id] - line.qty)
    return replace(view, limits=replace(view.limits, quota_used=quota_used, supply_used=supply_used))


class AmendReadback(ReadbackScreen):
    """The read-back of an amend: says which order it changes, and Enter amends it instead of placing."""

    BINDINGS = [  # noqa: RUF012  Enter says what it does here: the footer must not offer to place a new order
        bind("enter", "place", "amend_place", id="readback.place", display="Enter"),
        bind("escape", "back", "back_draft", id="readback.back"),
    ]

    def __init__(self, code: str, draft: Draft, view: CallView | None, order: PlacedOrder) -> None:
        super().__init__(code, draft, _without(view, order))
        self.order = order

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".title", Static).update(Text(t("readback.amend_title", id=self.order.order_id)))
        self.query_one("#readback-status", Static).update(Text(t("readback.amend_hint"), style="dim"))

    @db_worker("place")
    def place(self) -> None:
        app = self.telesales
        operator = app.user.login if app.user else self.draft.operator
        lines = [(line.code, line.qty) for line in self.draft.lines]
        self.post_message(
            OrderPlaced(amend_order(app.engine, app.settings, self.order.order_id, lines, operator=operator))
        )

    def worker_failed(self, exc: BaseException, group: str) -> None:
        if isinstance(exc, PlacementError) and exc.kind == "cutoff_passed":
            exc = PlacementError(refusal_text(exc), kind=exc.kind)
        super().worker_failed(exc, group)


class NextOrderReadback(ReadbackScreen):
    """The read-back of a second (third …) order in the shop's week: said at the top, and Enter asks once more,
    so an order taker who meant to amend does not deliver twice by habit."""

    def __init__(self, code: str, draft: Draft, view: CallView | None, *, nth: int) -> None:
        super().__init__(code, draft, view)
        self.nth = nth
        self.confirmed = False

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(".title", Static).update(Text(t("readback.nth_title", n=self.nth), style="bold yellow"))

    def action_place(self) -> None:
        if not self.confirmed:
            self.confirmed = True
            self.query_one("#readback-error", Static).update(Text(t("readback.nth_confirm", n=self.nth)))
            return
        super().action_place()
