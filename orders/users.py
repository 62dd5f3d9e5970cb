"""Logins: creating and administering them, signing in, and the role checks every protected action makes.

PINs are stored only as salted scrypt hashes. A 4-digit PIN is guessed in 10,000 tries, so repeated wrong PINs
lock the login for a while (settings `login_max_attempts`, `login_lock_minutes`) and the lock is audited. An
unknown login and a wrong PIN get the same answer, and take the same time, so nobody can find out which
operator IDs exist by trying them. Since anyone can lock a login by guessing, a lead or admin unlocks it at
once (`unlock_user`).

Administration (`add_user`, `unlock_user`, `set_active`, `set_pin`, `set_role`) takes `by`, who asks: a shift
lead runs the order takers of the shift, an admin everyone; the CLI without `--as` acts as `system_actor()`,
the database's administrator. Every change is an `audit_log` row naming `by`.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, case, delete, func, insert, select, update
from sqlmodel import col

from db.engine import write_transaction
from db.models import ROLES, AuditLog, LoginFailure, User
from orders.clock import now
from orders.settings import Settings
from orders.text_checks import MAX_LOGIN, shown

# scrypt cost: ~50 ms per check on a call-centre PC; slow enough to make a stolen table expensive to brute-force
# (a 4-digit PIN space is tiny, which is why logins also lock after repeated failures).
_N, _R, _P = 2**14, 8, 1
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
PIN_RE = re.compile(r"^[0-9]{4,12}$")
# Who may run the shift: close and reassign tickets, plan calls, read the lead's screens. Admins are listed too,
# though `require_role` lets them through anyway, because some checks compare a role with this list directly.
LEAD_ROLES = ("shift_lead", "admin")
# The CLI run without `--as` acts as the database's administrator and is recorded as `system:<OS user>`; no login
# can take this name, since LOGIN_RE allows no ':'.
SYSTEM_PREFIX = "system:"


class UserError(ValueError):
    """A login cannot be created or changed as asked (bad value, unknown login); the message names the field
    and value. `kind` is the word a script reads: `bad_input`, `unknown_user`, `unknown_operator`, `inactive`."""

    def __init__(self, message: str, *, kind: str = "bad_input") -> None:
        super().__init__(message)
        self.kind = kind


class LoginError(ValueError):
    """Signing in failed. `kind` is `bad_credentials` (unknown login or wrong PIN: one answer for both),
    `inactive`, or `locked` (then `locked_until` says until when); the message is one sentence for the user."""

    def __init__(self, message: str, *, kind: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.locked_until = locked_until


class PermissionDenied(Exception):
    """The signed-in user's role may not do this; nothing was done. Exit code 3 in the CLI."""

    kind = "permission"

    def __init__(self, message: str, *, role: str, allowed: tuple[str, ...]) -> None:
        super().__init__(message)
        self.details: dict[str, Any] = {"role": role, "allowed": list(allowed)}


@dataclass(frozen=True)
class SignedIn:
    """Who is at the terminal; passed to every action that checks a role."""

    login: str
    name: str
    role: str


BAD_CREDENTIALS = "unknown operator ID or wrong PIN"
# Checked against when the login does not exist, so an unknown login costs the same scrypt time as a real one.
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
# Unknown login names kept in `login_failure` at most: past it the longest idle rows go, so guessing junk names
# cannot grow the table without end (each row costs the guesser a ~50 ms KDF, so filling it takes minutes).
MAX_UNKNOWN_LOGINS = 10_000
# PostgreSQL advisory-lock namespace (issue 17) under which unknown-name counting runs one at a time, so the
# insert of a new name, the pruning and the cap never race; it is a few statements, the KDF runs before it.
_UNKNOWN_LOGINS_LOCK = 17


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` matches the stored hash; constant-time, and False for any malformed hash."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(digest_b64)
        got = hashlib.scrypt(pin.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def validate_new_user(login: str, name: str, role: str, pin: str) -> None:
    if not LOGIN_RE.match(login):
        raise UserError(f"login {login!r}: use 1-32 letters, digits, '_', '.' or '-'")
    if not name.strip():
        raise UserError("name: must not be empty")
    if len(name) > 50:
        raise UserError(f"name: {len(name)} characters, at most 50")
    if any(unicodedata.category(ch).startswith("C") for ch in name.strip()):
        raise UserError("name: holds a control or invisible character; it is shown on every screen")
    if role not in ROLES:
        raise UserError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    if not PIN_RE.match(pin):
        raise UserError("PIN: must be 4 to 12 digits")


def system_actor(os_user: str | None = None) -> SignedIn:
    """The database's administrator acting through the CLI without `--as`: whoever can run commands against the
    database already holds its URL, so a role check could not stop them; what matters is that their changes are
    recorded as theirs (`system:<OS user>`), never as an order taker's or `cli`."""
    if os_user is None:
        try:
            os_user = getpass.getuser()
        except Exception:  # no user name known (a container without a passwd entry)
            os_user = ""
    cleaned = "".join(ch for ch in os_user if ch.isprintable()).strip() or "unknown"
    return SignedIn(login=SYSTEM_PREFIX + cleaned[: MAX_LOGIN - len(SYSTEM_PREFIX)], name=cleaned, role="admin")


def is_system(user: SignedIn) -> bool:
    return user.login.startswith(SYSTEM_PREFIX)


def _audit(conn: Connection, at: datetime, by: SignedIn, action: str, login: str, **detail: Any) -> None:
    conn.execute(
        insert(AuditLog).values(
            at=at,
            actor=by.login,
            action=action,
            entity="user",
            entity_id=login,
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


def _may_manage(by: SignedIn, target_role: str, what: str) -> None:
    """A shift lead runs the order takers of the shift; only an admin (or the system actor) makes, changes or
    resets leads and admins, so a lead can never raise themselves or take over another lead's login."""
    require_role(by, *LEAD_ROLES)
    if by.role != "admin" and target_role != "order_taker":
        raise PermissionDenied(
            f"{by.login} ({by.role}) may not {what} a {target_role}; only an admin may",
            role=by.role,
            allowed=("admin",),
        )


def add_user(engine: Engine, login: str, name: str, role: str, pin: str, *, by: SignedIn | None = None) -> int:
    """Create a login; refuses a duplicate login with a clear message and writes nothing. `by` is who asks
    (default: the system actor, for trusted callers such as the demo builder); a shift lead may add order
    takers only."""
    by = by or system_actor()
    validate_new_user(login, name, role, pin)
    _may_manage(by, role, "create")
    pin_hash = hash_pin(pin)
    at = now()
    with write_transaction(engine) as conn:
        if conn.execute(select(col(User.id)).where(col(User.login) == login)).first() is not None:
            raise UserError(f"login {login!r} already exists")
        result = conn.execute(
            insert(User).values(login=login, name=name.strip(), role=role, pin_hash=pin_hash, created_at=at)
        )
        user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        _audit(conn, at, by, "user_add", login, role=role)
    return user_id


@dataclass(frozen=True)
class UserRow:
    """One login as the administration screens show it (never its PIN hash)."""

    login: str
    name: str
    role: str
    active: bool
    locked_until: datetime | None
    failed_attempts: int
    created_at: datetime

    def locked(self, at: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > at

    def as_json(self, zone: ZoneInfo, at: datetime) -> dict[str, Any]:
        return {
            "id": self.login,
            "name": self.name,
            "role": self.role,
            "active": self.active,
            "locked_until": self.locked_until.astimezone(zone).isoformat(timespec="seconds")
            if self.locked(at) and self.locked_until is not None
            else None,
            "failed_attempts": self.failed_attempts,
            "created_at": self.created_at.astimezone(zone).isoformat(timespec="seconds"),
        }


_USER_COLUMNS = (
    col(User.login),
    col(User.name),
    col(User.role),
    col(User.active),
    col(User.locked_until),
    col(User.failed_attempts),
    col(User.created_at),
)


def _row(r: Any) -> UserRow:
    return UserRow(r[0], r[1], r[2], bool(r[3]), r[4], int(r[5]), r[6])


def list_users(engine: Engine, *, by: SignedIn) -> list[UserRow]:
    """Every login, admins and leads first: who may sign in, who is locked, who is disabled. Leads and admins
    only: the list is who to try PINs against."""
    require_role(by, *LEAD_ROLES)
    order = case({"admin": 0, "shift_lead": 1}, value=col(User.role), else_=2)
    with engine.connect() as conn:
        rows = conn.execute(select(*_USER_COLUMNS).order_by(order, col(User.login))).all()
    return [_row(r) for r in rows]


def _target(conn: Connection, login: str) -> UserRow:
    """The login to change, row-locked on PostgreSQL (SQLite's write transaction already serialises)."""
    if len(login) > MAX_LOGIN or not login.strip():
        raise UserError(f"unknown login {shown(login)}", kind="unknown_user")
    row = conn.execute(select(*_USER_COLUMNS).where(col(User.login) == login).with_for_update()).first()
    if row is None:
        raise UserError(f"unknown login {shown(login)}", kind="unknown_user")
    return _row(row)


def unlock_user(engine: Engine, login: str, *, by: SignedIn) -> bool:
    """End a lock at once and forget the wrong PINs counted so far: anyone can lock a login by guessing, so a
    lead must not have to wait out the minutes. A lead unlocks order takers and leads; an admin anyone. True
    when the login was locked."""
    require_role(by, *LEAD_ROLES)
    at = now()
    with write_transaction(engine) as conn:
        user = _target(conn, login)
        if user.role == "admin":
            _may_manage(by, user.role, "unlock")
        was_locked = user.locked(at)
        conn.execute(update(User).where(col(User.login) == login).values(failed_attempts=0, locked_until=None))
        _audit(conn, at, by, "user_unlock", login, was_locked=was_locked, failed_attempts=user.failed_attempts)
    return was_locked


def set_active(engine: Engine, login: str, active: bool, *, by: SignedIn) -> bool:
    """Disable a login (it can no longer sign in, in the TUI or with `--as`; its history stays) or enable it
    again. Nobody disables their own login, so a centre cannot lock its last lead or admin out by a slip.
    True when the state changed."""
    verb = "enable" if active else "disable"
    at = now()
    with write_transaction(engine) as conn:
        user = _target(conn, login)
        if not active and login == by.login:
            raise UserError(f"you cannot disable your own login {login!r}; ask another lead or an admin")
        _may_manage(by, user.role, verb)
        changed = user.active != active
        if changed:
            conn.execute(update(User).where(col(User.login) == login).values(active=active))
            _audit(conn, at, by, "user_enable" if active else "user_disable", login)
    return changed


def set_pin(engine: Engine, login: str, pin: str, *, by: SignedIn) -> None:
    """Give a login a new PIN (a forgotten one, or one that others may have seen); it also ends any lock. Anyone
    signed in may change their own; a lead resets order takers', an admin anyone's."""
    if not PIN_RE.match(pin):
        raise UserError("PIN: must be 4 to 12 digits")
    pin_hash = hash_pin(pin)
    at = now()
    with write_transaction(engine) as conn:
        user = _target(conn, login)
        if login != by.login:
            _may_manage(by, user.role, "reset the PIN of")
        conn.execute(
            update(User).where(col(User.login) == login).values(pin_hash=pin_hash, failed_attempts=0, locked_until=None)
        )
        _audit(conn, at, by, "user_set_pin", login)


def set_role(engine: Engine, login: str, role: str, *, by: SignedIn) -> bool:
    """Change a login's role. Only an admin makes or unmakes leads and admins; nobody changes their own role
    (an admin demoting themselves by a slip could leave the centre without one). True when it changed."""
    if role not in ROLES:
        raise UserError(f"role {role!r}: must be one of {', '.join(ROLES)}")
    at = now()
    with write_transaction(engine) as conn:
        user = _target(conn, login)
        _may_manage(by, user.role if user.role != "order_taker" else role, "change the role of")
        if login == by.login:
            raise UserError("you cannot change your own role; ask another admin")
        changed = user.role != role
        if changed:
            conn.execute(update(User).where(col(User.login) == login).values(role=role))
            _audit(conn, at, by, "user_set_role", login, role=role, was=user.role)
    return changed


def display_names(engine: Engine) -> dict[str, str]:
    """Login → the name colleagues know (小王), for screens that show whose shop a row is: a team's queue
    reads "demo" and "zhang" otherwise, which nobody on the floor calls each other. Disabled logins are kept,
    since their shops and calls still name them. A few dozen rows, read with the queue."""
    with engine.connect() as conn:
        return {str(login): str(name) for login, name in conn.execute(select(col(User.login), col(User.name)))}


def known_operator(engine: Engine, value: str) -> str:
    """`value` when it is a known, enabled login, to be recorded as who took an order, a complaint or a call;
    refused otherwise, so an export never carries a name nobody can sign in as (or a formula). The length is
    checked first: PostgreSQL would refuse an over-long value as a driver error."""
    cleaned = value.strip()
    unknown = UserError(
        f"unknown operator {shown(value)}; give a login listed by `telesales user list`", kind="unknown_operator"
    )
    if not cleaned or len(cleaned) > MAX_LOGIN or not LOGIN_RE.match(cleaned):
        raise unknown
    with engine.connect() as conn:
        active = conn.execute(select(col(User.active)).where(col(User.login) == cleaned)).scalar()
    if active is None:
        raise unknown
    if not active:
        raise UserError(f"operator {cleaned!r} is disabled; enable the login or give another", kind="inactive")
    return cleaned


def _locked_message(login: str, until: datetime, settings: Settings) -> str:
    local = until.astimezone(settings.zone)
    today = now().astimezone(settings.zone).date()
    when = f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"
    return f"login {login!r} is locked after too many wrong PINs until {when}; try again then or ask a shift lead"


def authenticate(engine: Engine, settings: Settings, login: str, pin: str) -> SignedIn:
    """Check an operator ID and PIN; count a wrong PIN, lock the login at `login_max_attempts`, and reset the
    count on success.

    The ~50 ms scrypt check runs outside the write transaction (SQLite would otherwise hold every terminal's
    write lock for it), so the verdict is decided afterwards, in one transaction that re-reads the row under
    the write lock (a row lock on PostgreSQL): a lock set by a parallel wrong attempt while this PIN was being
    hashed still refuses it, and parallel wrong attempts all count. The KDF runs on every path (an unknown
    login checks a dummy hash, a locked one its own), so the answer's timing does not tell them apart. Wrong
    attempts at an unknown name are counted and locked by the same rule (`_count_unknown`), so "locked" does
    not tell them apart either. An inactive login is reported only once the PIN is right, so its existence is
    not given away either.
    """
    at = now()
    user = None
    if 0 < len(login) <= MAX_LOGIN:  # a longer text is no login; PostgreSQL would refuse it as a driver error
        with engine.connect() as conn:
            user = conn.execute(select(col(User.id), col(User.pin_hash)).where(col(User.login) == login)).first()
    if user is None:
        verify_pin(pin, _DUMMY_HASH)
        if 0 < len(login) <= MAX_LOGIN:  # the same bound as the lookup: longer text never reaches the database
            _count_unknown(engine, settings, login, at)
        raise LoginError(BAD_CREDENTIALS, kind="bad_credentials")
    user_id, pin_hash = user
    pin_ok = verify_pin(pin, pin_hash)
    lock: datetime | None = None
    with write_transaction(engine) as conn:
        row = conn.execute(
            select(
                col(User.failed_attempts),
                col(User.locked_until),
                col(User.active),
                col(User.pin_hash),
                col(User.name),
                col(User.role),
            )
            .where(col(User.id) == user_id)
            .with_for_update()
        ).one()
        failed, locked_until, active, current_hash, name, role = int(row[0]) + 1, row[1], row[2], row[3], row[4], row[5]
        if locked_until is not None and locked_until > at:  # locked before, or by a parallel attempt meanwhile
            raise LoginError(_locked_message(login, locked_until, settings), kind="locked", locked_until=locked_until)
        if pin_ok and current_hash == pin_hash:  # a PIN reset meanwhile makes the old PIN a wrong one
            if not active:
                raise LoginError(f"login {login!r} is disabled; ask a shift lead", kind="inactive")
            conn.execute(update(User).where(col(User.id) == user_id).values(failed_attempts=0, locked_until=None))
            return SignedIn(login=login, name=name, role=role)
        if failed < settings.login_max_attempts:
            conn.execute(update(User).where(col(User.id) == user_id).values(failed_attempts=failed))
        else:
            # The count starts again after the lock, so the user gets the full number of tries once it ends.
            lock = at + timedelta(minutes=settings.login_lock_minutes)
            conn.execute(update(User).where(col(User.id) == user_id).values(failed_attempts=0, locked_until=lock))
            actor = SignedIn(login=login, name=name, role=role)
            _audit(
                conn,
                at,
                actor,
                "login_locked",
                login,
                failed_attempts=failed,
                locked_until=lock.isoformat(),
                minutes=settings.login_lock_minutes,
            )
    if lock is not None:
        raise LoginError(_locked_message(login, lock, settings), kind="locked", locked_until=lock)
    raise LoginError(BAD_CREDENTIALS, kind="bad_credentials")


def _count_unknown(engine: Engine, settings: Settings, login: str, at: datetime) -> None:
    """Count a wrong attempt at a login name that does not exist, by the rule `authenticate` applies to a real
    one: the same count, lock, minutes and message, so "locked" after `login_max_attempts` tries no longer
    tells a real login from an invented one. Returns when the attempt is only counted (the caller answers
    "wrong PIN"); raises `LoginError` "locked" when the name is locked or this attempt locks it.

    Runs after the KDF, in one write transaction that reads and writes the row (serialised by SQLite's write
    lock, on PostgreSQL by an advisory lock, since a new name has no row to lock yet). Rows whose lock has
    ended are deleted on the way: after a lock the count starts again, which is what no row means. Past
    `MAX_UNKNOWN_LOGINS` rows the longest idle are dropped. The lock is audited as for a real login, marked
    `unknown_login`, so a lead sees the guessing.
    """
    lock: datetime | None = None
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_UNKNOWN_LOGINS_LOCK, 0)))
        conn.execute(delete(LoginFailure).where(col(LoginFailure.locked_until) <= at))
        row = conn.execute(
            select(col(LoginFailure.failures), col(LoginFailure.locked_until)).where(col(LoginFailure.login) == login)
        ).first()
        if row is not None and row[1] is not None:  # still locked: expired locks were deleted above
            raise LoginError(_locked_message(login, row[1], settings), kind="locked", locked_until=row[1])
        failed = (int(row[0]) if row is not None else 0) + 1
        if failed < settings.login_max_attempts:
            values: dict[str, Any] = {"failures": failed, "locked_until": None, "last_failed_at": at}
        else:
            lock = at + timedelta(minutes=settings.login_lock_minutes)
            values = {"failures": 0, "locked_until": lock, "last_failed_at": at}
            _audit(
                conn,
                at,
                SignedIn(login=login, name="", role="order_taker"),  # `_audit` records only the login as actor
                "login_locked",
                login,
                failed_attempts=failed,
                locked_until=lock.isoformat(),
                minutes=settings.login_lock_minutes,
                unknown_login=True,
            )
        if row is not None:
            conn.execute(update(LoginFailure).where(col(LoginFailure.login) == login).values(**values))
        else:
            conn.execute(insert(LoginFailure).values(login=login, **values))
            excess = int(conn.execute(select(func.count()).select_from(LoginFailure)).scalar_one()) - MAX_UNKNOWN_LOGINS
            if excess > 0:
                idle = (
                    select(col(LoginFailure.login))
                    .where(col(LoginFailure.login) != login)
                    .order_by(col(LoginFailure.last_failed_at))
                    .limit(excess)
                )
                conn.execute(delete(LoginFailure).where(col(LoginFailure.login).in_(idle.scalar_subquery())))
    if lock is not None:
        raise LoginError(_locked_message(login, lock, settings), kind="locked", locked_until=lock)


def require_role(user: SignedIn, *roles: str) -> None:
    """Refuse unless `user` has one of `roles`. Admins pass every check: they set the centre up and must be
    able to do whatever they configure. Called in `orders/`, so hiding a screen is never the only guard."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles are {', '.join(ROLES)}")
    if user.role == "admin" or user.role in roles:
        return
    allowed = tuple(dict.fromkeys((*roles, "admin")))
    raise PermissionDenied(
        f"{user.login} ({user.role}) may not do this; it needs {' or '.join(allowed)}",
        role=user.role,
        allowed=allowed,
    )
