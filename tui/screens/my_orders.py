"""「我今天的订单」: the signed-in order taker's orders placed today, newest first, to amend or cancel before the
cut-off (through `orders/placement.py`, which gives quota and supply back or takes them, and audits).

Enter opens the shop's call screen with the order's lines in the draft (the draft's keys change them, F5 amends);
`x` cancels after a confirmation. After the cut-off both are refused with placement's sentence, in the screen's
language.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from orders.clock import today
from orders.placement import PlacedOrder, PlacementError, cancel_order, operator_orders
from tui.i18n import t
from tui.keys import bind
from tui.messages import MyOrdersLoaded, OrderCancelled
from tui.money import yuan
from tui.screens.base import BaseScreen, db_worker
from tui.screens.order_dialogs import ConfirmDialog, refusal_text
from tui.widgets.banner import DbBanner


class MyOrdersTable(DataTable[Text]):
    BINDINGS = [bind("enter", "select_cursor", "amend_order", id="orders.amend", display="Enter")]  # noqa: RUF012


class MyOrdersScreen(BaseScreen[None]):
    BINDINGS = [  # noqa: RUF012
        bind("x", "cancel_order", "cancel_order", id="orders.cancel"),
        bind("r", "refresh", "refresh", id="orders.refresh", tip="refresh_orders"),
        bind("escape", "back", "back", id="orders.back"),
    ]
    DEFAULT_CSS = """
    MyOrdersScreen #orders-title { height: 1; padding: 0 1; text-style: bold; }
    MyOrdersScreen #orders-table { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.orders: list[PlacedOrder] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield DbBanner()
        yield Static(t("orders.title"), id="orders-title")
        yield MyOrdersTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one(MyOrdersTable)
        for key in ("id", "shop", "cartons", "total", "time", "status"):
            table.add_column(t("orders.col." + key), key=key)
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def database_back(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    @db_worker("my-orders")
    def load(self) -> None:
        app = self.telesales
        login = app.user.login if app.user else ""
        zone = app.settings.zone
        self.post_message(MyOrdersLoaded(operator_orders(app.engine, login, today(zone), zone)))

    @on(MyOrdersLoaded)
    def _show(self, message: MyOrdersLoaded) -> None:
        self.orders = message.orders
        zone = self.telesales.settings.zone
        table = self.query_one(MyOrdersTable)
        row = table.cursor_row
        table.clear()
        for o in message.orders:
            cancelled = o.status == "cancelled"
            style = "dim strike" if cancelled else ""
            table.add_row(
                Text(f"#{o.order_id}", style=style),
                Text(o.customer_name, style=style),
                Text(str(o.cartons), justify="right", style=style),
                Text(yuan(o.total_fen), justify="right", style=style),
                Text(o.placed_at.astimezone(zone).strftime("%H:%M")),
                Text(t("orders.status." + o.status), style="red" if cancelled else "green"),
                key=str(o.order_id),
            )
        if message.orders:
            table.move_cursor(row=max(0, min(row, len(message.orders) - 1)))
        else:
            table.add_row(Text(t("orders.none"), style="dim"), *[Text("")] * 5)
        table.focus()

    def _selected(self) -> PlacedOrder | None:
        table = self.query_one(MyOrdersTable)
        if not self.orders or not 0 <= table.cursor_row < len(self.orders):
            return None
        return self.orders[table.cursor_row]

    @on(DataTable.RowSelected, "#orders-table")
    def _open(self) -> None:
        from tui.screens.call import CallScreen

        order = self._selected()
        if order is None:
            return
        if order.status == "cancelled":
            self.notify(t("orders.already_cancelled"), severity="warning")
            return
        self.app.push_screen(CallScreen(order.customer, None, amend=order.order_id))

    def action_cancel_order(self) -> None:
        order = self._selected()
        if order is None:
            return
        if order.status == "cancelled":
            self.notify(t("orders.already_cancelled"), severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.cancel(order.order_id)

        question = t("orders.confirm_cancel", id=order.order_id, shop=order.customer_name, cartons=order.cartons)
        self.app.push_screen(ConfirmDialog(question), answered)

    @db_worker("cancel-order")
    def cancel(self, order_id: int) -> None:
        app = self.telesales
        login = app.user.login if app.user else "cli"
        self.post_message(OrderCancelled(cancel_order(app.engine, app.settings, order_id, operator=login)))

    @on(OrderCancelled)
    def _cancelled(self, message: OrderCancelled) -> None:
        self.notify(t("orders.cancelled", id=message.order.order_id))
        self.load()

    def worker_failed(self, exc: BaseException, group: str) -> None:
        if isinstance(exc, PlacementError) and not exc.kind.startswith("database"):
            self.notify(refusal_text(exc), severity="error")
            return
        super().worker_failed(exc, group)
