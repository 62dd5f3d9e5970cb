"""The Textual app: sign in, the day's call queue, the call screen.

Import this module only after `tui.i18n.set_language()`: binding descriptions are fixed at class creation.
The app holds what every screen shares (the signed-in user, the matcher index, the week's seasonal index,
the draft store) and watches the database: when a worker finds it gone, a banner says so and a probe retries
until it answers again, while the screens keep working on what they have.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from threading import Lock
from typing import TYPE_CHECKING, cast

from sqlalchemy import Engine, text
from textual import events, on, work
from textual.app import App, SystemCommand
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen

from db.engine import database_file_gone, is_connection_error
from orders.clock import today, week_of
from orders.drafts import Draft, DraftStore, DraftsUnsaved
from orders.settings import Settings, data_dir
from orders.telephony import NoPhone, Phone
from orders.users import SignedIn
from tui.help import HelpScreen
from tui.i18n import t
from tui.keys import bind, key_label
from tui.messages import CatalogLoaded, DatabaseProbed, SeasonLoaded, WorkFailed
from tui.widgets.banner import DbBanner

if TYPE_CHECKING:
    # the matcher pulls in pypinyin's dictionaries (a third of a second): loaded in a worker after sign-in,
    # so the sign-in screen is up before it
    from orders.matching import MatchIndex
    from orders.suggest import Item, Season
    from scripts_lib.loader import ScriptLibrary
    from tui.screens.call import CallScreen

DB_RETRY_SECONDS = 2.0
WARM_UP_PHRASES = ("x", "yx3", "软中华两条", "furongwang 5")  # an initial, initials, hanzi, full pinyin


def outage(exc: BaseException) -> bool:
    """Whether `exc` is a lost database: a connection error itself, or one that a rule of `orders/` wrapped into
    its own sentence (placement's `OrderDatabaseError` is raised from the driver's error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if is_connection_error(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def default_phone(settings: Settings) -> Phone:
    """The terminal's softphone as its settings name it: none (the order taker dials by hand) or baresip.

    `orders.baresip` is imported only when asked for, by name: a terminal without a softphone never loads it,
    and this module does not depend on it being there."""
    if settings.phone == "baresip":
        module = importlib.import_module("orders.baresip")
        return cast("Phone", module.BaresipPhone.from_settings(settings))
    return NoPhone()


class TelesalesApp(App[None]):
    """The terminal app; `engine` and `settings` come from the CLI, never built at import time."""

    TITLE = t("app.title")
    BINDINGS = [  # noqa: RUF012
        bind("f1", "help", "help", id="app.help", display="F1"),
        bind("ctrl+q", "quit", "quit", id="app.quit", show=False, priority=True),
        # the screens' own keys come first, so ctrl+o is free on each; refused (said why) during a call
        bind("ctrl+o", "sign_out", "sign_out", id="app.sign_out", show=False),
        # ours, so the footer's palette key speaks the screen's language (Textual's own says "^p palette");
        # Textual adds its binding only when none has this action
        bind("ctrl+p", "command_palette", "palette", id="app.palette", show=False, priority=True, display="Ctrl+P"),
    ]
    db_down: reactive[bool] = reactive(False)
    # flips to True once the matcher and prices are in memory: the brand box watches it to offer candidates
    catalog_ready: reactive[bool] = reactive(False)

    def __init__(self, engine: Engine, settings: Settings, *, drafts: DraftStore | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.drafts = drafts or DraftStore(data_dir() / "drafts")
        if self.drafts.engine is None:  # drafts follow the operator through this database
            self.drafts.attach(engine, settings.zone)
        self.user: SignedIn | None = None
        self.matcher: MatchIndex | None = None
        self.season: Season | None = None
        self.items: dict[str, Item] = {}  # the catalog by product code: prices for the draft
        self.scripts: ScriptLibrary | None = None
        self.db_error = ""  # the failure's first line, as the driver said it (logs, tests)
        self.db_message = ""  # what went wrong, for the banner's sentence: "down", "file_gone" or ""
        self.db_file_gone = False
        self.db_gone_path = ""
        # one writer thread: drafts reach the disk, then the database, in the order they changed, off the event
        # loop; a burst of changes is written once, as it stands (the newest snapshot per draft)
        self._draft_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="draft")
        self._draft_latest: dict[tuple[str, str], Draft] = {}
        self._draft_lock = Lock()
        # keys typed while the program starts (the terminal hands them over at once): kept here until the sign-in
        # screen's ID field has the focus, then given to it in order (they reached no widget and were lost)
        self._early_keys: list[events.Key] | None = []
        # notices are said on the screen's notice line (`notify`): Textual's toasts, drawn over the draft's total
        # and the queue's columns, are never mounted
        self._disable_notifications = True
        # the softphone, made on first use through `phone_factory` (tests put a scripted phone there) and
        # started on the first dial, in the dialling worker: starting baresip takes a moment and may fail, and
        # neither must hold the sign-in. `phone_clock` is the clock its events are stamped with.
        self.phone_factory: Callable[[Settings], Phone] = default_phone
        self.phone_clock: Callable[[], float] = time.monotonic
        self._phone: Phone | None = None
        self._phone_started = False
        self._phone_lock = Lock()

    def on_mount(self) -> None:
        from tui.screens.login import LoginScreen

        self.push_screen(LoginScreen())
        # The catalog and the season are the same for every user: they load while the order taker types their
        # login and PIN, so that the sign-in itself only checks the PIN and reads the day's queue (loading them
        # at sign-in held the interpreter for over a second while the queue waited its turn). After the first
        # paint: the sign-in screen must not wait for them either.
        self.call_after_refresh(self.load_shared)

    async def on_event(self, event: events.Event) -> None:
        # Held: a key straight from the terminal, and one on its way back up from the focused widget to have the
        # screen's bindings run (the app forwards every key to the focused widget before the screen has acted on
        # the ones before it: the keys typed after `n` are already queued at the queue's table when `n` runs)
        if self._early_keys is not None and isinstance(event, events.Key):
            self._early_keys.append(event)
            return
        await super().on_event(event)

    async def keys_ready(self) -> None:
        """The screen the held keys were meant for is up with the focus where they go (the sign-in screen's ID
        field, a call's brand box): they go there now, in the order typed (the ID field's Enter and Tab hand
        what follows to the PIN, `OrderedInput`). Nothing held: nothing to do."""
        keys, self._early_keys = self._early_keys or [], None
        for key in keys:
            # a fresh event (one forwarded already would not be forwarded again, to the new focus), sent by the
            # app as the terminal's are: made in a screen's callback it would be that screen's, and a key stops
            # bubbling below its sender, so F5 would never reach the screen's bindings
            fresh = events.Key(key.key, key.character)
            fresh.set_sender(self)
            await super().on_event(fresh)

    def hold_keys(self) -> None:
        """Keys typed from now on wait for `keys_ready` (or `drop_held_keys`): a call is being opened (`n` claims
        its shop in the database first) and what the order taker types meanwhile is the shop's order, meant for
        the call's brand box; on the queue its letters are keys (r, t, o, u, n) and its Enter opens a shop."""
        if self._early_keys is None:
            self._early_keys = []

    def drop_held_keys(self) -> None:
        """No call opened after all (none due, the claim failed): the held keys had nowhere to go, and on the
        queue they would run its single-letter keys, so they are dropped."""
        self._early_keys = None

    # ------------------------------------------------------------------------------------------- phone

    def phone(self) -> Phone:
        """The terminal's phone, made (not started) on first use. One that cannot even be made (the baresip
        adapter missing, its settings wrong) is said once and the terminal works as without a phone: the
        order taker dials by hand rather than losing the call screen."""
        problem = ""
        with self._phone_lock:
            if self._phone is None:
                try:
                    self._phone = self.phone_factory(self.settings)
                except Exception as exc:
                    self._phone = NoPhone()
                    problem = str(exc)[:120] or type(exc).__name__
            phone = self._phone
        if problem:
            self.notify(t("phone.error", error=problem), severity="error")
        return phone

    def ready_phone(self) -> Phone:
        """The phone, started once (in a worker thread: the first dial of the day pays for it)."""
        phone = self.phone()
        with self._phone_lock:
            if not self._phone_started:
                phone.start()
                self._phone_started = True
        return phone

    def on_unmount(self) -> None:
        """Quitting hangs up a call still going and stops the softphone: a baresip child left behind would
        keep the line, its ports and the headset."""
        phone = self._phone
        if phone is None:
            return
        try:
            phone.hangup()
        finally:
            phone.stop()

    # ------------------------------------------------------------------------------------------ session

    def signed_in(self, user: SignedIn) -> None:
        """Open the user's home screen: the day's queue for an order taker, the dashboard for a lead (who
        reaches the queue from there). The matcher and season have been loading since the app started."""
        from tui.screens.lead import DashboardScreen
        from tui.screens.queue import QueueScreen

        self.user = user
        self.sub_title = f"{user.name} ({t('role.' + user.role)})"
        if self.matcher is None and not self._shared_loading():
            self.load_shared()  # it failed at start (the database was away): try again now
        self.switch_screen(QueueScreen() if user.role == "order_taker" else DashboardScreen())

    def open_call(self) -> CallScreen | None:
        """The call screen of a call still without an outcome, wherever it is in the stack (under a dialog)."""
        from tui.screens.call import CallScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, CallScreen) and not screen.ended:
                return screen
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # nobody to sign out on the sign-in screen: the key is neither shown in F1 help nor in the palette
        if action == "sign_out":
            return self.user is not None
        return True

    async def action_sign_out(self) -> None:
        """Back to the sign-in screen with the user cleared, for the next person at the terminal. Never with a
        call open: its outcome would be lost and its shop held, so the order taker is told to end or leave it."""
        if self.user is None:
            return
        if self.open_call() is not None:
            self.notify(t("sign_out.in_call"), severity="warning")
            return
        from tui.screens.login import LoginScreen

        while len(self.screen_stack) > 2:  # the default screen, then the user's home screen
            await self.pop_screen()
        self.user = None
        self.sub_title = ""
        await self.switch_screen(LoginScreen())
        self.notify(t("sign_out.done"))

    async def action_quit(self) -> None:
        """Ctrl+Q: with a call open, ask first (its draft is kept either way, but the outcome is not recorded)."""
        from tui.screens.leave_call import QuitDuringCallDialog

        call = self.open_call()
        if call is None:
            self.exit()
            return
        if isinstance(self.screen, QuitDuringCallDialog):
            return

        def answered(quit_app: bool | None) -> None:
            if quit_app:
                self.exit()

        self.push_screen(QuitDuringCallDialog(t("quit.question", shop=call.shop_name())), answered)

    @work(thread=True, group="release", exit_on_error=False)
    def release_shop(self, code: str, operator: str) -> None:
        """Give back a shop whose call was left without an outcome. Here, not on the call screen: the screen is
        gone before the database answers. A failure is harmless: the hold lapses by itself
        (`call_claim_minutes`)."""
        from orders.claims import release_claim

        try:
            release_claim(self.engine, self.settings, code, operator)
        except Exception as exc:
            self.post_message(WorkFailed(exc, "release"))

    def _shared_loading(self) -> bool:
        return any(w.group == "shared" and not w.is_finished for w in self.workers)

    @work(thread=True, exclusive=True, group="shared", exit_on_error=False)
    def load_shared(self) -> None:
        from orders.entry import prepare as prepare_entry
        from orders.match_data import load_catalog
        from orders.matching import MatchIndex
        from orders.suggest_data import daily_index, load_catalog_items

        try:
            matcher = MatchIndex.build(load_catalog(self.engine))
            # The first query of each kind pays for lazy set-up inside the matcher (about 80 ms); pay it here,
            # not on the order taker's first keystroke of the day
            for phrase in WARM_UP_PHRASES:
                matcher.match(phrase, 5, None)
            prepare_entry(matcher)  # the catalog's word list for utterances, built once here, not on first Enter
            with self.engine.connect() as conn:
                items = {item.code: item for item in load_catalog_items(conn).values()}
            self.post_message(CatalogLoaded(matcher, items))
            # the week's festival index and what similar shops buy, computed once (and kept in the database), so
            # that opening a call costs only that shop's queries
            self.post_message(SeasonLoaded(daily_index(self.engine, week_of(today(self.settings.zone))).season))
        except Exception as exc:  # shown as the banner; the screens fall back to what they have
            self.post_message(WorkFailed(exc, "shared"))

    @on(CatalogLoaded)
    def _catalog_loaded(self, message: CatalogLoaded) -> None:
        self.matcher = message.matcher
        self.items = message.items
        self.catalog_ready = True

    @on(SeasonLoaded)
    def _season_loaded(self, message: SeasonLoaded) -> None:
        self.season = message.season

    @on(WorkFailed)
    def _shared_failed(self, message: WorkFailed) -> None:
        if is_connection_error(message.error):
            self.database_failed(message.error)
        else:  # a fault, not an outage: said once, and the screens go on without the matcher
            self.notify(t("app.fault", kind=type(message.error).__name__), severity="error")

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """On the notice line of the screen in front (`tui.widgets.notice`): over the header's line, never over
        the draft's total or the queue's columns as Textual's toasts were, and gone with that screen (a call's
        notices end with the call). Over a screen not of ours (F1 help, the palette) it is said on ours
        beneath. Plain text unless asked: a notice carries names and error text that must show as typed."""
        from tui.screens.base import BaseScreen

        screen = next((s for s in reversed(self.screen_stack) if isinstance(s, BaseScreen)), None)
        if screen is not None:
            screen.say(f"{title}: {message}" if title else message, severity, timeout)
        # kept in Textual's list too (what was said, for logs and tests), never drawn: no screen has a toast rack
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ------------------------------------------------------------------------------------------ drafts

    def save_draft(self, draft: Draft) -> None:
        """Queue a snapshot of the draft for the disk and the database; failures are reported, the draft stays
        in memory, and one the database missed is written there when it is back."""
        snapshot = Draft.from_dict(draft.as_dict())
        key = (snapshot.operator, snapshot.customer)
        with self._draft_lock:
            self._draft_latest[key] = snapshot
        future = self._draft_writer.submit(self._write_draft, key)
        future.add_done_callback(self._draft_saved)

    def _write_draft(self, key: tuple[str, str]) -> None:
        with self._draft_lock:
            snapshot = self._draft_latest.pop(key, None)
        if snapshot is not None:  # else a later job of the burst already wrote the newest
            self.drafts.save(snapshot)

    def _draft_saved(self, future: object) -> None:
        exc = getattr(future, "exception", lambda: None)()
        if isinstance(exc, DraftsUnsaved):
            if exc.__cause__ is not None:  # safe on disk; the database is down: the banner, and a probe
                self.call_from_thread(self.database_failed, exc.__cause__)
        elif exc is not None:
            self.call_from_thread(self.notify, t("draft.save_failed", error=str(exc)[:80]), severity="error")

    def discard_draft(self, draft: Draft) -> None:
        key = (draft.operator, draft.customer)
        with self._draft_lock:
            self._draft_latest.pop(key, None)
        self._draft_writer.submit(self.drafts.discard, *key)

    def flush_drafts(self) -> None:
        """Wait until every queued draft is on disk (tests, and quitting)."""
        self._draft_writer.submit(lambda: None).result()

    # ---------------------------------------------------------------------------------------- database

    def database_failed(self, exc: BaseException) -> None:
        """A worker lost the database: show the banner and probe until it answers.

        Only a real connection error (`db.engine.is_connection_error`) does: any other fault reaching here (a
        widget queried while a screen was closing) once put 「数据库连接中断」 up with its internal text. The
        banner says what happened in the screen's language (`DbBanner.sentence`); the driver's words stay in
        `db_error`, for logs and tests, and never reach the order taker. A deleted or replaced SQLite file is
        said as such: it will not come back by waiting (the probe still retries, so putting the file back
        resumes work), and a later follow-on failure must not hide it."""
        if not outage(exc):
            return
        gone = database_file_gone(exc)
        if gone is not None:
            self.db_error = str(gone)
        else:
            self.db_error = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
        if self.db_down and self.db_file_gone and gone is None:
            return  # the file is still what is wrong; a follow-on error must not hide it
        self.db_file_gone = gone is not None
        self.db_gone_path = gone.path if gone is not None else ""
        self.db_message = "file_gone" if gone is not None else "down"
        if not self.db_down:
            self.db_down = True
            self.set_timer(DB_RETRY_SECONDS, self.probe_database)
        else:
            for screen in self.screen_stack:
                for banner in screen.query(DbBanner):
                    banner.show()

    @work(thread=True, exclusive=True, group="probe", exit_on_error=False)
    def probe_database(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            self.post_message(DatabaseProbed(answered=False))
            return
        self.post_message(DatabaseProbed(answered=True))

    @on(DatabaseProbed)
    def _probed(self, message: DatabaseProbed) -> None:
        if message.answered:
            self._database_back()
        else:
            self.set_timer(DB_RETRY_SECONDS, self.probe_database)

    def _database_back(self) -> None:
        self.db_file_gone = False
        self.db_message = ""
        self.db_down = False
        self._draft_writer.submit(self.drafts.sync)  # drafts kept on this terminal meanwhile
        if self.matcher is None and not self._shared_loading():
            self.load_shared()

    # ------------------------------------------------------------------------------------ help, palette

    def help_keys(self, screen: Screen[object] | None = None) -> list[tuple[str, str, str]]:
        """Our keys active on the screen (the command palette's among them, bound by us in our language)."""
        screen = screen or self.screen
        seen: set[tuple[str, str, str]] = set()
        rows: list[tuple[str, str, str]] = []
        for key, active in screen.active_bindings.items():
            description = active.binding.description or active.binding.tooltip
            if not description or active.binding.id is None:  # ours all have ids; Textual's focus/copy keys don't
                continue
            row = (key_label(active.binding.key_display or key), description, active.binding.tooltip)
            if row not in seen:
                seen.add(row)
                rows.append(row)
        return rows

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.help_keys()))

    def action_command_palette(self) -> None:
        """Textual's palette with its placeholder in the screen's language (it says 「Search for commands…」
        unless told)."""
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]  # App[None]
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("palette.placeholder")))

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder=t("palette.theme_placeholder")))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key of the screen as a command, in our language, then the colour theme. Textual's own system
        commands (Keys, Maximize, Screenshot …) are English whatever the language and duplicate our F1 and
        Ctrl+Q, so they are replaced, not added."""
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.id is None or not binding.description or binding.action in seen:
                continue
            if binding.action == "command_palette":  # the palette is open already
                continue
            seen.add(binding.action)
            title = f"{binding.description} ({key_label(binding.key_display or key)})"
            yield SystemCommand(
                title, binding.tooltip or binding.description, partial(self.run_action, binding.action, active.node)
            )
        yield SystemCommand(t("palette.theme"), t("palette.theme.tip"), self.action_change_theme)
