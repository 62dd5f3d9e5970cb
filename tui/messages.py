"""What workers tell their screens: one typed message per result.

Thread workers compute and `post_message` one of these (posting is thread-safe); the screen's `@on` handler
paints it on the event loop. Workers never touch widgets and never call into a screen's private methods, and
a worker that raises ends in `BaseScreen.on_worker_state_changed`, the one place failures are handled
(Harlequin's `messages.py` and its one error path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from orders.calls import QueueEntry
    from orders.coverage import CoverageRow, GroupBy
    from orders.drafts import DraftReview
    from orders.find_shop import ShopHit
    from orders.matching import MatchIndex
    from orders.placement import PlacedOrder, PlacementError
    from orders.quotas import WeekLimits
    from orders.report import Dashboard
    from orders.retention import RetentionRow
    from orders.script_context import PreparedScript
    from orders.suggest import Item, Season
    from orders.telephony import CallResult, PhoneEvent
    from orders.ticket_view import QueueChoices, QueueFilter, QueueItem, TicketView
    from orders.tickets import QueueCounts, TicketRow
    from orders.users import LoginError, SignedIn, UserRow


class Reply(Message, bubble=False):
    """A worker's answer to the screen (or app) that started it: it does not bubble, so a screen's failure is
    never mistaken by the app for its own, and an unhandled answer goes nowhere."""

    def __init_subclass__(cls, bubble: bool | None = False, **kwargs: Any) -> None:
        # Textual's default for a subclass is to bubble again; an answer stays with whoever asked
        super().__init_subclass__(bubble=bubble, **kwargs)


@dataclass
class WorkFailed(Reply):
    """A worker raised: `BaseScreen` (or the app, for its own workers) decides what the user sees."""

    error: BaseException
    group: str


@dataclass
class Refused(Reply):
    """A rule of `orders/` said no (a plan made twice, a role that may not): said to the user, nothing changed."""

    text: str


# ---------------------------------------------------------------------------------------------- the app


@dataclass
class CatalogLoaded(Reply):
    """The matcher index and the catalog's prices, built after sign-in."""

    matcher: MatchIndex
    items: dict[str, Item]


@dataclass
class SeasonLoaded(Reply):
    """The week's seasonal index for suggestions (loaded after the catalog: the brand box does not wait)."""

    season: Season


@dataclass
class DatabaseProbed(Reply):
    """The app's probe while the database is down: did it answer?"""

    answered: bool


# ------------------------------------------------------------------------------------------ sign-in


@dataclass
class DemoDetected(Reply):
    """The database is the demo: the sign-in screen shows its logins."""


@dataclass
class SignInAccepted(Reply):
    user: SignedIn


@dataclass
class SignInRefused(Reply):
    error: LoginError


@dataclass
class SignInFailed(Reply):
    """The database could not answer the sign-in; `error` is its first line."""

    error: str


# ---------------------------------------------------------------------------------------- the queue


@dataclass
class QueueLoaded(Reply):
    entries: list[QueueEntry]
    names: dict[str, str] = field(default_factory=dict)  # login → the name the team knows


@dataclass
class NextClaimed(Reply):
    """The queue's `n` answered: the shop now held for this operator's call, or None when nothing is due."""

    entry: QueueEntry | None


@dataclass
class ClaimReleased(Reply):
    """A lead freed a shop: whose call held it (None when nobody's did)."""

    shop: str
    holder: str | None


@dataclass
class ClaimRenewed(Reply):
    """The call's hold on its shop was renewed (`held`), or another terminal has taken the shop over."""

    held: bool
    holder: str = ""


@dataclass
class DraftsReviewed(Reply):
    """The operator's drafts at sign-in: those to reopen and those to offer to discard."""

    review: DraftReview


# ----------------------------------------------------------------------------------------- the call


@dataclass
class CallOpened(Reply):
    """The call's row exists in the database (its id goes into the draft)."""

    call_id: int


@dataclass
class LimitsLoaded(Reply):
    """The week's quota and supply left as the database holds them now (other terminals' orders included)."""

    limits: WeekLimits


@dataclass
class WeekOrdersLoaded(Reply):
    """The shop's orders placed for this week so far (an amend instead of a second order)."""

    orders: list[PlacedOrder]
    names: dict[str, str] = field(default_factory=dict)  # login -> name of who placed them


@dataclass
class MyOrdersLoaded(Reply):
    """The signed-in operator's orders placed today, newest first."""

    orders: list[PlacedOrder]


@dataclass
class OrderCancelled(Reply):
    order: PlacedOrder


@dataclass
class ShopsLoaded(Reply):
    """Every active shop, for the find-shop dialog's in-memory search."""

    shops: list[ShopHit]


@dataclass
class ScriptLoaded(Reply):
    script: PreparedScript


@dataclass
class ScriptFailed(Reply):
    """The script could not be prepared (a bad script file): the call goes on without it."""

    error: str


@dataclass
class CallFinished(Reply):
    outcome: str


@dataclass
class OrderPlaced(Reply):
    order: PlacedOrder


@dataclass
class OrderRefused(Reply):
    error: PlacementError


@dataclass
class TicketOpened(Reply):
    ticket: TicketRow


# ------------------------------------------------------------------------------------- the lead's day


@dataclass
class DashboardLoaded(Reply):
    dashboard: Dashboard


@dataclass
class RetentionLoaded(Reply):
    rows: list[RetentionRow]


@dataclass
class RetentionPlanned(Reply):
    shop: str
    due_at: datetime


@dataclass
class CoverageLoaded(Reply):
    week: date
    by: GroupBy
    rows: list[CoverageRow]


# ------------------------------------------------------------------------------------------- tickets


@dataclass
class TicketsLoaded(Reply):
    """A page of the lead's queue for the filter it was asked with (a newer filter ignores it)."""

    flt: QueueFilter
    items: list[QueueItem]
    counts: QueueCounts
    choices: QueueChoices


@dataclass
class TicketViewLoaded(Reply):
    view: TicketView


@dataclass
class TicketChanged(Reply):
    """A change to a ticket was saved; the dialog closes with the updated row."""

    ticket: TicketRow


# ---------------------------------------------------------------------------------------------- logins


@dataclass
class UsersLoaded(Reply):
    """Every login for the logins screen, with the moment it was read (a lock shows only while it lasts)."""

    users: list[UserRow]
    at: datetime


@dataclass
class UserChanged(Reply):
    """A lead's change to a login was saved; `text` says what, in the screen's language."""

    text: str


# ------------------------------------------------------------------------------------------- the phone


@dataclass
class PhoneSaid(Reply):
    """The softphone's worker saw an event of the current call (dialling, ringing, answered …): the header
    shows it at once."""

    event: PhoneEvent


@dataclass
class PhoneCallOver(Reply):
    """The current call is over, with what the phone knew; `timed_out` when the ring timeout hung it up."""

    result: CallResult
    timed_out: bool = False
