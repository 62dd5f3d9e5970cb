"""The order being taken on a call: kept in the database, mirrored on the terminal's disk on every change.

Nothing an order taker typed may be lost: not to a crash, a killed terminal or a database that went away
mid-call. Every change is therefore written first to a small JSON file per operator and customer, atomically
(temporary file, fsync, rename) so that a kill at any instant leaves either the old draft or the new one,
never half of each; then to the database (`call_draft`, one row per operator, shop and order week), so that an
operator who signs in on another terminal gets the open call back.

The local file lives in a folder named by the database's identity (`db.identity`): a terminal later pointed at
another database never opens it. It is called `*.unsynced` until the database has the same copy, then `*.json`;
an unsynced copy is written to the database once it answers again. Of the two copies the newer wins, the local
one only when it is newer. A local copy marked as synced whose row is gone was discarded on another terminal.
A draft is removed once the order is placed or the call ends without one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from db.engine import is_connection_error, write_transaction
from db.identity import database_id
from db.models import Call, CallDraft, Customer
from db.private_files import private_dir
from orders.clock import now, week_of

CALL_DRAFT: Table = CallDraft.__table__  # type: ignore[attr-defined]


@dataclass
class DraftLine:
    """A line as the order taker entered it; `heard` is what was typed for it, `alternative` the product the
    matcher found almost as likely (a mishearing risk the read-back points out)."""

    code: str
    name: str
    qty: int
    price_fen: int
    heard: str = ""
    alternative: str | None = None  # "code name" of a close runner-up

    @property
    def total_fen(self) -> int:
        return self.qty * self.price_fen


@dataclass
class Draft:
    operator: str
    customer: str
    call_id: int | None = None
    started_at: str = ""  # ISO-8601, when the call was opened: the call timer survives a restart
    lines: list[DraftLine] = field(default_factory=list)
    typing: str = ""  # what was in the brand box, not yet added
    note: str = ""
    # the order this draft amends (F12): kept with the draft, so a terminal restarted mid-amend amends that
    # order on F5 instead of placing the same lines again as a second order
    amending: int | None = None

    def add(self, line: DraftLine) -> int:
        """Add a line, or add its cartons to the line of the same product; returns the line's index."""
        for i, existing in enumerate(self.lines):
            if existing.code == line.code:
                existing.qty += line.qty
                existing.heard = line.heard or existing.heard
                existing.alternative = line.alternative or existing.alternative
                return i
        self.lines.append(line)
        return len(self.lines) - 1

    def set_qty(self, index: int, qty: int) -> None:
        if qty <= 0:
            raise ValueError("a quantity is a whole number of cartons above 0")
        self.lines[index].qty = qty

    def remove(self, index: int) -> DraftLine:
        return self.lines.pop(index)

    @property
    def cartons(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.total_fen for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        lines = [DraftLine(**line) for line in data.get("lines", [])]
        return cls(
            operator=str(data["operator"]),
            customer=str(data["customer"]),
            call_id=data.get("call_id"),
            started_at=str(data.get("started_at", "")),
            lines=lines,
            typing=str(data.get("typing", "")),
            note=str(data.get("note", "")),
            amending=_order_id(data.get("amending")),
        )


def _order_id(value: Any) -> int | None:
    """An order id from a draft's file, or None: a copy written by an older terminal has none, and a hand-edited
    or damaged one must not make the draft unreadable."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)
    except ValueError:
        return None


STALE_REASONS = ("customer_gone", "customer_inactive", "call_finished", "call_gone")
_TICK = timedelta(microseconds=1)
_UNKNOWN_DATABASE = "unknown-database"  # where a draft goes when the database never told its identity


class DraftsUnsaved(Exception):
    """The draft is safe on the terminal's disk but the database did not take it (it is down, or the file is
    gone); it is written there once the database answers (`DraftStore.sync`). The cause is the driver's error."""


@dataclass(frozen=True)
class StaleDraft:
    """A draft that cannot be reopened: its shop is gone or no longer served, or its call was ended (by
    another terminal, or before this one could discard it). `reason` is one of STALE_REASONS."""

    draft: Draft
    reason: str


@dataclass
class DraftReview:
    """What an operator left: drafts to reopen (oldest first) and drafts to offer to discard."""

    open: list[Draft] = field(default_factory=list)
    stale: list[StaleDraft] = field(default_factory=list)


@dataclass
class _Copy:
    draft: Draft
    updated_at: datetime
    synced: bool  # the database had this very copy when it was last written


class DraftStore:
    """Drafts under `root` on the terminal's disk and, once `engine` is given, in that database.

    Without an engine (tools, tests of the file format) the files live directly under `root` and there is
    nothing to reconcile. Writes are meant to come from one thread (the app's draft writer); a lock keeps a
    review at sign-in from reading a file half-way through a reconcile all the same."""

    def __init__(self, root: Path, engine: Engine | None = None, zone: ZoneInfo | None = None) -> None:
        self.root = root
        self.engine = engine
        self.zone = zone or ZoneInfo("Asia/Shanghai")
        self._database_id: str | None = None
        self._last: dict[tuple[str, str], datetime] = {}
        self._lock = threading.RLock()

    def attach(self, engine: Engine, zone: ZoneInfo) -> None:
        """Keep drafts in `engine`'s database too: the app binds the store it was given to its database."""
        self.engine = engine
        self.zone = zone
        self._database_id = None

    # ------------------------------------------------------------------------------------------- paths

    def database_id(self) -> str | None:
        """The identity of the database, read once; None without an engine. Raises while it cannot be read."""
        if self.engine is None:
            return None
        if self._database_id is None:
            self._database_id = database_id(self.engine)
        return self._database_id

    def _folder(self) -> Path:
        if self.engine is None:
            return self.root
        try:
            ident = self.database_id()
        except Exception:  # the database never answered since start: keep the draft, never to open by itself
            return self.root / _UNKNOWN_DATABASE
        return self.root / str(ident)

    def _name(self, operator: str, customer: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{operator}--{customer}")

    def _path(self, operator: str, customer: str) -> Path:
        return self._folder() / f"{self._name(operator, customer)}.json"

    def _unsynced_path(self, operator: str, customer: str) -> Path:
        return self._folder() / f"{self._name(operator, customer)}.unsynced"

    def _week(self, draft: Draft) -> date:
        """The order week (its Monday) of the call the draft belongs to: the week the call was opened."""
        started = datetime.fromisoformat(draft.started_at) if draft.started_at else now()
        if started.tzinfo is None:
            started = started.replace(tzinfo=self.zone)
        return week_of(started.astimezone(self.zone).date())

    def _stamp(self, key: tuple[str, str]) -> datetime:
        """When this save happened, strictly after the copy it replaces (a fixed or stepped-back clock must not
        make a newer copy look as old as the one before)."""
        stamp = now().astimezone(UTC)
        last = self._last.get(key)
        if last is not None and stamp <= last:
            stamp = last + _TICK
        self._last[key] = stamp
        return stamp

    def _seen(self, key: tuple[str, str], stamp: datetime) -> None:
        last = self._last.get(key)
        if last is None or stamp > last:
            self._last[key] = stamp

    # ------------------------------------------------------------------------------------------- files

    @staticmethod
    def _write(path: Path, record: dict[str, Any]) -> None:
        private_dir(path.parent)  # the mirror file itself is 0600: mkstemp makes it so, and os.replace keeps it
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".draft-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _record(self, draft: Draft, stamp: datetime) -> dict[str, Any]:
        return {**draft.as_dict(), "updated_at": stamp.isoformat(), "database_id": self._known_id()}

    def _known_id(self) -> str | None:
        return self._database_id if self.engine is not None else None

    def _read(self, path: Path) -> _Copy | None:
        """The copy in `path`, or None; a file that cannot be read is kept aside (never deleted) and ignored, and
        so is one written against another database."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            draft = Draft.from_dict(data)
            raw = data.get("updated_at")
            stamp = datetime.fromisoformat(raw) if raw else datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, AttributeError):
            path.replace(path.with_suffix(".unreadable"))
            return None
        if self.engine is not None and data.get("database_id") != self._database_id:
            return None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return _Copy(draft, stamp, synced=path.suffix == ".json")

    def _local(self, operator: str, customer: str) -> _Copy | None:
        """The newest copy on this terminal for this database: an unsynced copy is newer than a synced one."""
        copies = [
            c
            for c in (self._read(self._unsynced_path(operator, customer)), self._read(self._path(operator, customer)))
            if c is not None
        ]
        return max(copies, key=lambda c: c.updated_at) if copies else None

    def _mirror(self, copy: _Copy) -> None:
        """Keep the database's copy on this terminal (as synced): `load_local` then finds it without asking."""
        draft = copy.draft
        self._write(self._path(draft.operator, draft.customer), self._record(draft, copy.updated_at))
        self._unsynced_path(draft.operator, draft.customer).unlink(missing_ok=True)
        self._seen((draft.operator, draft.customer), copy.updated_at)

    def _mark_synced(self, operator: str, customer: str) -> None:
        unsynced = self._unsynced_path(operator, customer)
        if unsynced.exists():
            os.replace(unsynced, self._path(operator, customer))

    # ---------------------------------------------------------------------------------------- database

    def _push(self, draft: Draft, stamp: datetime) -> bool:
        """Write the copy to the database unless it holds a newer one; False when its shop is not there."""
        assert self.engine is not None
        with write_transaction(self.engine) as conn:
            customer_id = conn.execute(select(col(Customer.id)).where(col(Customer.code) == draft.customer)).scalar()
            if customer_id is None:
                return False
            call_id = draft.call_id
            if (
                call_id is not None
                and conn.execute(select(col(Call.id)).where(col(Call.id) == call_id)).first() is None
            ):
                call_id = None
            values = {
                "operator": draft.operator,
                "customer_id": customer_id,
                "week": self._week(draft),
                "call_id": call_id,
                "body": json.dumps(draft.as_dict(), ensure_ascii=False),
                "updated_at": stamp,
            }
            ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(CALL_DRAFT).values(**values)
            conn.execute(
                ins.on_conflict_do_update(
                    index_elements=["operator", "customer_id", "week"],
                    set_={
                        "call_id": ins.excluded.call_id,
                        "body": ins.excluded.body,
                        "updated_at": ins.excluded.updated_at,
                    },
                    where=CALL_DRAFT.c.updated_at < ins.excluded.updated_at,
                )
            )
        return True

    def _remote(self, operator: str, customer: str | None = None) -> dict[str, _Copy]:
        """The database's newest copy per shop for this operator (one shop, or all of them)."""
        assert self.engine is not None
        query = (
            select(CALL_DRAFT.c.body, CALL_DRAFT.c.updated_at, col(Customer.code))
            .join(Customer, col(Customer.id) == CALL_DRAFT.c.customer_id)
            .where(CALL_DRAFT.c.operator == operator)
            .order_by(CALL_DRAFT.c.updated_at)
        )
        if customer is not None:
            query = query.where(col(Customer.code) == customer)
        found: dict[str, _Copy] = {}
        with self.engine.connect() as conn:
            for body, stamp, code in conn.execute(query).all():
                try:
                    draft = Draft.from_dict(json.loads(body))
                except (ValueError, KeyError, TypeError):
                    continue
                found[str(code)] = _Copy(draft, stamp, synced=True)  # ordered by time: the newest stays
        return found

    # -------------------------------------------------------------------------------------------- API

    def save(self, draft: Draft) -> None:
        """The local file first (the draft is safe once it returns or raises `DraftsUnsaved`), then the database.

        Raises `DraftsUnsaved` when the database did not answer: the local copy stays unsynced until `sync`."""
        key = (draft.operator, draft.customer)
        with self._lock:
            stamp = self._stamp(key)
            if self.engine is None:
                self._write(self._path(*key), self._record(draft, stamp))
                return
            self._write(self._unsynced_path(*key), self._record(draft, stamp))
            if self._database_id is None:
                raise DraftsUnsaved("the database's identity is not known yet")
            try:
                pushed = self._push(draft, stamp)
            except Exception as exc:
                if is_connection_error(exc):
                    raise DraftsUnsaved(str(exc)) from exc
                raise
            if pushed:
                self._mark_synced(*key)

    def sync(self) -> int:
        """Write every unsynced copy of this database to it (after an outage); returns how many it took."""
        if self.engine is None:
            return 0
        with self._lock:
            self.database_id()
            taken = 0
            for path in sorted(self._folder().glob("*.unsynced")):
                copy = self._read(path)
                if copy is None:
                    continue
                if self._push(copy.draft, copy.updated_at):
                    self._mark_synced(copy.draft.operator, copy.draft.customer)
                    taken += 1
            return taken

    def load_local(self, operator: str, customer: str) -> Draft | None:
        """This terminal's copy for this database, without asking the database (the call screen opens on it at
        once; `review` at sign-in has already brought the database's newer copies here)."""
        with self._lock:
            copy = self._local(operator, customer)
        if copy is None:
            return None
        self._seen((operator, customer), copy.updated_at)
        return copy.draft

    def load(self, operator: str, customer: str) -> Draft | None:
        """The newer of the database's copy and this terminal's; the local one alone while the database is
        down. A synced local copy whose row is gone was discarded elsewhere and is not returned."""
        if self.engine is None:
            return self.load_local(operator, customer)
        with self._lock:
            try:
                self.database_id()
                remote = self._remote(operator, customer).get(customer)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                return self.load_local(operator, customer)
            local = self._local(operator, customer)
            winner = _newer(local, remote)
            if winner is not None:
                self._seen((operator, customer), winner.updated_at)
            return winner.draft if winner is not None else None

    def discard(self, operator: str, customer: str) -> None:
        """Remove both copies, the database's for every week (the call is over)."""
        with self._lock:
            self._path(operator, customer).unlink(missing_ok=True)
            self._unsynced_path(operator, customer).unlink(missing_ok=True)
            if self.engine is None:
                return
            ids = select(col(Customer.id)).where(col(Customer.code) == customer).scalar_subquery()
            with write_transaction(self.engine) as conn:
                conn.execute(
                    delete(CALL_DRAFT).where(CALL_DRAFT.c.operator == operator, CALL_DRAFT.c.customer_id == ids)
                )

    def pending(self, operator: str) -> list[Draft]:
        """This operator's drafts left from an earlier session (a crash, a killed terminal, another terminal),
        oldest first; stale ones are left out (see `review`)."""
        return self.review(operator).open

    def review(self, operator: str) -> DraftReview:
        """The operator's drafts from the database and this terminal, reconciled: the newer copy of each is kept
        on both sides, and those that can no longer be worked on are set apart with the reason."""
        with self._lock:
            if self.engine is None:
                copies = [c for c in self._local_copies(self.root) if c.draft.operator == operator]
                copies.sort(key=lambda c: c.updated_at)
                return DraftReview(open=[c.draft for c in copies])
            self.database_id()
            remote = self._remote(operator)
            local = {c.draft.customer: c for c in self._local_copies(self._folder()) if c.draft.operator == operator}
            call_ids = {c.draft.call_id for c in [*remote.values(), *local.values()] if c.draft.call_id is not None}
            customers, calls = self._facts(set(remote) | set(local), call_ids)
            kept: list[tuple[_Copy, str | None]] = []
            for code in set(remote) | set(local):
                mine, theirs = local.get(code), remote.get(code)
                winner = _newer(mine, theirs) or mine
                assert winner is not None
                reason = _stale_reason(winner.draft, customers, calls)
                if theirs is None and winner.synced and reason != "customer_gone":
                    # it reached the database and was removed there since: the call ended on another terminal
                    self._drop_local(winner)
                    continue
                self._settle(winner, theirs, reason)
                kept.append((winner, reason))
            kept.sort(key=lambda pair: pair[0].updated_at)
            return DraftReview(
                open=[c.draft for c, why in kept if why is None],
                stale=[StaleDraft(c.draft, why) for c, why in kept if why is not None],
            )

    # ------------------------------------------------------------------------------------------ review

    def _local_copies(self, folder: Path) -> list[_Copy]:
        if not folder.exists():
            return []
        newest: dict[tuple[str, str], _Copy] = {}
        for path in [*folder.glob("*.json"), *folder.glob("*.unsynced")]:
            copy = self._read(path)
            if copy is None:
                continue
            key = (copy.draft.operator, copy.draft.customer)
            if key not in newest or copy.updated_at > newest[key].updated_at:
                newest[key] = copy
        return list(newest.values())

    def _facts(self, codes: set[str], call_ids: set[int]) -> tuple[dict[str, bool], dict[int, bool]]:
        """Whether each shop is still served (missing: gone), and whether each call has ended."""
        assert self.engine is not None
        if not codes:
            return {}, {}
        with self.engine.connect() as conn:
            customers = {
                str(code): bool(active)
                for code, active in conn.execute(
                    select(col(Customer.code), col(Customer.active)).where(col(Customer.code).in_(codes))
                ).all()
            }
            calls = (
                {
                    int(str(i)): outcome is not None
                    for i, outcome in conn.execute(
                        select(col(Call.id), col(Call.outcome)).where(col(Call.id).in_(call_ids))
                    ).all()
                }
                if call_ids
                else {}
            )
        return customers, calls

    def _settle(self, winner: _Copy, remote: _Copy | None, reason: str | None) -> None:
        """Make both sides hold the winner: the database's copy is mirrored here, an unsynced one pushed there
        (a stale one stays where it is, to be discarded or kept by the operator)."""
        self._seen((winner.draft.operator, winner.draft.customer), winner.updated_at)
        if winner is remote:
            self._mirror(winner)
        elif not winner.synced and reason is None:
            try:
                if self._push(winner.draft, winner.updated_at):
                    self._mark_synced(winner.draft.operator, winner.draft.customer)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise

    def _drop_local(self, copy: _Copy) -> None:
        self._path(copy.draft.operator, copy.draft.customer).unlink(missing_ok=True)
        self._unsynced_path(copy.draft.operator, copy.draft.customer).unlink(missing_ok=True)


def _newer(local: _Copy | None, remote: _Copy | None) -> _Copy | None:
    """The database's copy, unless this terminal's is newer; a synced local copy with no row was discarded."""
    if remote is None:
        return local if local is not None and not local.synced else None
    if local is not None and local.updated_at > remote.updated_at:
        return local
    return remote


def _stale_reason(draft: Draft, customers: dict[str, bool], calls: dict[int, bool]) -> str | None:
    if draft.customer not in customers:
        return "customer_gone"
    if not customers[draft.customer]:
        return "customer_inactive"
    if draft.call_id is not None:
        if draft.call_id not in calls:
            return "call_gone"
        if calls[draft.call_id]:
            return "call_finished"
    return None
