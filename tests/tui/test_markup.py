"""Everything typed by a user or imported reaches the screen as text, never as markup.

A ticket whose actor was the text `[/]` crashed the lead's TUI every time it was opened: the actor went to
Rich as markup. Here every text field a screen shows holds markup-like text (`[/]`, `[bold]`, a link, an
unclosed `[red`), put there through the import path and the domain functions, and every screen is opened
with Pilot: the app must keep running and show the text exactly as it was typed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select, update
from textual.app import App
from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable

from db.csv_import import import_file
from db.tables import CUSTOMER, PRODUCT
from orders.clock import now
from orders.drafts import DraftStore
from orders.settings import Settings
from orders.tickets import Change, open_ticket, update_ticket
from orders.users import add_user
from tests.tui.flows import workers_done
from tui.app import TelesalesApp
from tui.help import HelpScreen
from tui.screens.call import CallScreen
from tui.screens.dialogs import ComplaintScreen, OutcomeScreen, QuantityDialog, ReadbackScreen
from tui.screens.lead import CoverageScreen, DashboardScreen, RetentionScreen
from tui.screens.queue import QueueScreen
from tui.screens.summary import SummaryScreen
from tui.screens.tickets import TicketQueueScreen
from tui.screens.tickets.detail import TicketDetailScreen
from tui.screens.tickets.dialogs import AssignDialog, DueDialog, EscalateDialog, NoteDialog, StatusDialog
from tui.screens.tickets.filter import FilterDialog

SHOP = "[bold]小店[/]"
OWNER = "[red 老板"
DISTRICT = "[link=http://x]x[/link]区"
NOTES = "备注 [/] [bold]"
PRODUCT_TAIL = "[/]"
BRAND_TAIL = "[bold]"
TAKER = "[/]小王"
LEAD = "[link=http://x]组长[/link]"
WORDS = "烟盒破了 [/] [bold]"
ACTOR = "[/]"
NOTE = "[link=http://x]x[/link] 已回电"
ESCALATED = "[red"
SIZE = (200, 60)


def build(engine: Engine, folder: Path) -> str:
    """The demo with every shown text replaced through the public paths; returns a ticket's customer code.

    Customers and products go through `import_file` (upserts by code, as a wholesaler's nightly file would);
    logins through `add_user`; the ticket, its note and escalation through `open_ticket` / `update_ticket`.
    A customer's notes have no import column yet, so they are written directly."""
    with engine.connect() as conn:
        products = conn.execute(
            select(
                PRODUCT.c.code,
                PRODUCT.c.name,
                PRODUCT.c.price_fen,
                PRODUCT.c.brand,
                PRODUCT.c.status,
                PRODUCT.c.aliases,
                PRODUCT.c.launched_on,
            )
        ).all()
        customers = conn.execute(
            select(CUSTOMER.c.code, CUSTOMER.c.tier, CUSTOMER.c.order_weekday, CUSTOMER.c.phone, CUSTOMER.c.operator)
        ).all()
    catalog = folder / "catalog.csv"
    with catalog.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "price_per_carton", "brand", "status", "aliases", "launched_on"])
        for p in products:
            writer.writerow(
                [
                    p.code,
                    p.name + PRODUCT_TAIL,
                    f"{p.price_fen / 100:.2f}",
                    (p.brand or "烟") + BRAND_TAIL,
                    p.status,
                    p.aliases,
                    p.launched_on.isoformat() if p.launched_on else "",
                ]
            )
    shops = folder / "customers.csv"
    with shops.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "tier", "order_weekday", "owner", "phone", "district", "operator"])
        for c in customers:
            operator = "mk" if c.operator == "demo" else c.operator or ""
            writer.writerow([c.code, SHOP, c.tier, c.order_weekday, OWNER, c.phone or "", DISTRICT, operator])
    add_user(engine, "mk", TAKER, "order_taker", "0000")
    add_user(engine, "mklead", LEAD, "shift_lead", "0000")
    import_file(engine, "catalog", catalog, at=now(), actor="mk")
    import_file(engine, "customers", shops, at=now(), actor="mk")
    with engine.begin() as conn:
        conn.execute(update(CUSTOMER).values(notes=NOTES))
    code = customers[0].code
    ticket = open_ticket(engine, code, "damaged", WORDS, settings=Settings(), operator=ACTOR)
    update_ticket(engine, ticket.ticket_id, Change(note=NOTE))
    update_ticket(engine, ticket.ticket_id, Change(escalate_to=ESCALATED, reason="[/] 原因"))
    return code


def rendered(widget: Widget) -> str:
    """The widget's whole content as the terminal would show it, scrolled out of view or not.

    A table's rendered lines are cached; rendering them here before the table has sized its columns to new
    rows (it does so when idle) would keep the narrow lines for this reading, so the cache is dropped first
    and the lines are what the next paint shows."""
    if isinstance(widget, DataTable):
        widget._clear_caches()
    height = max(widget.virtual_size.height, widget.size.height)
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, widget.size.width, height)))


def shown(app: App[None]) -> str:
    """Every widget's rendering on the current screen (toasts included)."""
    return "\n".join(rendered(w) for w in app.screen.query("*") if w.display and w.size.area)


async def until(pilot: object, test: Callable[[], bool], tries: int = 80) -> None:
    """Wait for `test`, then let the screen settle (a table sizes its columns to new rows once idle)."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(tries):
        await workers_done(app)
        await pilot.pause()  # type: ignore[attr-defined]
        if test():
            break
    await settle(pilot)


async def settle(pilot: object) -> None:
    for _ in range(5):
        await pilot.pause()  # type: ignore[attr-defined]


async def on(pilot: object, kind: type[Screen[object]], *keys: str) -> Screen[object]:
    """Press `keys` and wait until a `kind` screen is on top; the app must still be running."""
    app = pilot.app  # type: ignore[attr-defined]
    await pilot.press(*keys)  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, kind))
    assert app.is_running
    assert isinstance(app.screen, kind), app.screen
    return app.screen


async def shows(pilot: object, *texts: str) -> None:
    """Wait until each text is shown as typed, then assert it: a table sizes its columns to new rows on a
    later refresh, so the first frame may still cut a name that the next one shows whole."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(40):
        screen = "".join(shown(app).split())
        if all("".join(text.split()) in screen for text in texts):
            break
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    visible(app, *texts)


def visible(app: App[None], *texts: str) -> None:
    """Each text is on the screen as typed (compared without white space: a narrow list wraps a long name)."""
    assert app.is_running
    screen = "".join(shown(app).split())
    for text in texts:
        assert "".join(text.split()) in screen, (text, type(app.screen).__name__)


async def test_the_order_takers_screens_show_markup_as_typed(demo_engine: Engine, tmp_path: Path) -> None:
    build(demo_engine, tmp_path)
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=SIZE) as pilot:
        await on(pilot, SummaryScreen, "f9")
        await until(pilot, lambda: "零售户" in shown(app))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*"mk", "enter", *"0000", "enter")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen) and bool(app.screen.entries))
        await shows(pilot, SHOP, OWNER, TAKER)

        call = await on(pilot, CallScreen, "n")
        assert isinstance(call, CallScreen)
        await until(pilot, lambda: call.view is not None and app.matcher is not None)
        await shows(pilot, SHOP, OWNER, DISTRICT, NOTES)
        await pilot.press("f2")  # the suggestion into the draft: product names in both tables
        await pilot.pause()
        assert call.draft is not None and call.draft.lines
        name = call.draft.lines[0].name
        assert name.endswith(PRODUCT_TAIL)
        await shows(pilot, name)

        await on(pilot, ReadbackScreen, "f5")
        await shows(pilot, name)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is call)

        await on(pilot, QuantityDialog, "f6", "enter")
        await shows(pilot, name)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is call)
        lines = len(call.draft.lines)
        await pilot.press("d")  # removed: the notice names the product
        await until(pilot, lambda: len(call.draft.lines) < lines)
        await shows(pilot, name)

        complaint = await on(pilot, ComplaintScreen, "f8")
        await shows(pilot, SHOP)
        await pilot.press("enter", *"[/]坏了[bold]", "enter")
        await until(pilot, lambda: isinstance(complaint, ComplaintScreen) and complaint.ticket is not None)
        assert isinstance(complaint, ComplaintScreen) and complaint.ticket is not None
        assert complaint.ticket.text == "[/]坏了[bold]"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is call)

        await on(pilot, OutcomeScreen, "f10")
        await pilot.press("escape")
        await on(pilot, HelpScreen, "f1")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is call)
        assert app.is_running


async def test_the_leads_screens_show_markup_as_typed(demo_engine: Engine, tmp_path: Path) -> None:
    build(demo_engine, tmp_path)
    app = TelesalesApp(demo_engine, Settings(), drafts=DraftStore(tmp_path / "drafts"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"mklead", "enter", *"0000", "enter")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard is not None)
        await shows(pilot, TAKER, LEAD)  # the order taker in the table, the lead in the header

        retention = await on(pilot, RetentionScreen, "r")
        assert isinstance(retention, RetentionScreen)
        await until(pilot, lambda: bool(retention.rows))
        assert retention.rows, "the demo has shops whose orders fall"
        await shows(pilot, SHOP, DISTRICT, OWNER)
        await pilot.press("p")  # planned: the notice names the shop
        await until(pilot, lambda: any(r.scheduled for r in retention.rows))
        await shows(pilot, SHOP)
        await pilot.press("escape")

        coverage = await on(pilot, CoverageScreen, "c")
        await until(pilot, lambda: coverage.query_one(DataTable).row_count > 0)
        await shows(pilot, BRAND_TAIL, DISTRICT)
        await pilot.press("escape")

        queue = await on(pilot, TicketQueueScreen, "t")
        assert isinstance(queue, TicketQueueScreen)
        await until(pilot, lambda: bool(queue.items))
        await shows(pilot, SHOP, ACTOR)
        await on(pilot, FilterDialog, "f")
        await shows(pilot, TAKER, LEAD, DISTRICT)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is queue)
        mine = next(i for i, item in enumerate(queue.items) if item.ticket.text == WORDS)
        await pilot.press(*["down"] * mine)

        detail = await on(pilot, TicketDetailScreen, "enter")
        assert isinstance(detail, TicketDetailScreen)
        await until(pilot, lambda: detail.view is not None)
        await shows(pilot, WORDS, ACTOR, NOTE, ESCALATED, SHOP, OWNER, DISTRICT, NOTES)
        for key, dialog in (
            ("n", NoteDialog),
            ("a", AssignDialog),
            ("e", EscalateDialog),
            ("s", StatusDialog),
            ("d", DueDialog),
        ):
            await on(pilot, dialog, key)
            if dialog is AssignDialog:  # the people to choose from, by login and name
                await shows(pilot, TAKER, LEAD)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is detail)
        await on(pilot, HelpScreen, "f1")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is detail)
        await shows(pilot, WORDS, ACTOR)
