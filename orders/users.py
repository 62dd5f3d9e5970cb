"""Logins: creating them, signing in, and the role checks every protected action makes.

PINs are stored only as salted scrypt hashes. A 4-digit PIN is guessed in 10,000 tries, so repeated wrong PINs
lock the login for a while (settings `login_max_attempts`, `login_lock_minutes`) and the lock is audited. An
unknown login and a wrong PIN get the same answer, and take the same time, so nobody can find out which
operator IDs exist by trying them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlmodel import col

from db.engine import write_transaction
from db.models import ROLES, AuditLog, User
from orders.clock import now
from orders.settings import Settings

# scrypt cost: ~50 ms per check on a call-centre PC; slow enough to make a stolen table expensive to brute-force
# (a 4-digit PIN space is tiny, which is why logins also lock after repeated failures).
_N, _R, _P = 2**14, 8, 1
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
PIN_RE = re.compile(r"^[0-9]{4,12}$")
# Who may run the shift: close and reassign tickets, plan calls, read the lead's screens. Admins are listed too,
# though `require_role` lets them through anyway, because some checks compare a role with this list directly.
LEAD_ROLES = ("shift_lead", "admin")


class UserError(ValueError):
    """A login cannot be created as asked; the message names the field and value."""


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


def add_user(engine: Engine, login: str, name: str, role: str, pin: str, *, actor: str = "cli") -> int:
    """Create a login; refuses a duplicate login with a clear message and writes nothing."""
    validate_new_user(login, name, role, pin)
    pin_hash = hash_pin(pin)
    at = now()
    with write_transaction(engine) as conn:
        if conn.execute(select(col(User.id)).where(col(User.login) == login)).first() is not None:
            raise UserError(f"login {login!r} already exists")
        result = conn.execute(
            insert(User).values(login=login, name=name.strip(), role=role, pin_hash=pin_hash, created_at=at)
        )
        user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        conn.execute(
            insert(AuditLog).values(
                at=at,
                actor=actor,
                action="user_add",
                entity="user",
                entity_id=login,
                detail=json.dumps({"role": role}),
            )
        )
    return user_id


def _locked_message(login: str, until: datetime, settings: Settings) -> str:
    local = until.astimezone(settings.zone)
    today = now().astimezone(settings.zone).date()
    when = f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"
    return f"login {login!r} is locked after too many wrong PINs until {when}; try again then or ask a shift lead"


def authenticate(engine: Engine, settings: Settings, login: str, pin: str) -> SignedIn:
    """Check an operator ID and PIN; count a wrong PIN, lock the login at `login_max_attempts`, and reset the
    count on success.

    A locked login is refused before its PIN is looked at, or the lock would not slow a guesser down. An
    inactive login is only reported once the PIN is right, so its existence is not given away either. The
    ~50 ms scrypt check runs outside the write transaction: SQLite would otherwise hold every terminal's
    write lock for it.
    """
    at = now()
    with engine.connect() as conn:
        user = conn.execute(
            select(
                col(User.id),
                col(User.name),
                col(User.role),
                col(User.pin_hash),
                col(User.active),
                col(User.locked_until),
            ).where(col(User.login) == login)
        ).first()
    if user is None:
        verify_pin(pin, _DUMMY_HASH)
        raise LoginError(BAD_CREDENTIALS, kind="bad_credentials")
    user_id, name, role, pin_hash, active, locked_until = user
    if locked_until is not None and locked_until > at:
        raise LoginError(_locked_message(login, locked_until, settings), kind="locked", locked_until=locked_until)
    if verify_pin(pin, pin_hash):
        if not active:
            raise LoginError(f"login {login!r} is disabled; ask a shift lead", kind="inactive")
        with write_transaction(engine) as conn:
            conn.execute(update(User).where(col(User.id) == user_id).values(failed_attempts=0, locked_until=None))
        return SignedIn(login=login, name=name, role=role)
    with write_transaction(engine) as conn:
        # Re-read under the write lock (row lock on PostgreSQL): two terminals guessing at once must both count.
        row = conn.execute(
            select(col(User.failed_attempts), col(User.locked_until)).where(col(User.id) == user_id).with_for_update()
        ).one()
        failed, locked_until = int(row[0]) + 1, row[1]
        if locked_until is not None and locked_until > at:  # locked by a parallel attempt meanwhile
            raise LoginError(_locked_message(login, locked_until, settings), kind="locked", locked_until=locked_until)
        if failed < settings.login_max_attempts:
            conn.execute(update(User).where(col(User.id) == user_id).values(failed_attempts=failed))
            lock = None
        else:
            # The count starts again after the lock, so the user gets the full number of tries once it ends.
            lock = at + timedelta(minutes=settings.login_lock_minutes)
            conn.execute(update(User).where(col(User.id) == user_id).values(failed_attempts=0, locked_until=lock))
            conn.execute(
                insert(AuditLog).values(
                    at=at,
                    actor=login,
                    action="login_locked",
                    entity="user",
                    entity_id=login,
                    detail=json.dumps(
                        {
                            "failed_attempts": failed,
                            "locked_until": lock.isoformat(),
                            "minutes": settings.login_lock_minutes,
                        }
                    ),
                )
            )
    if lock is not None:
        raise LoginError(_locked_message(login, lock, settings), kind="locked", locked_until=lock)
    raise LoginError(BAD_CREDENTIALS, kind="bad_credentials")


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
