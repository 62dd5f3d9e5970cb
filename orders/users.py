"""Logins: creating them and checking PINs. PINs are stored only as salted scrypt hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets

from sqlalchemy import Engine, insert, select
from sqlmodel import col

from db.engine import write_transaction
from db.models import ROLES, AuditLog, User
from orders.clock import now

# scrypt cost: ~50 ms per check on a call-centre PC; slow enough to make a stolen table expensive to brute-force
# (a 4-digit PIN space is tiny, which is why logins also lock after repeated failures).
_N, _R, _P = 2**14, 8, 1
LOGIN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
PIN_RE = re.compile(r"^[0-9]{4,12}$")


class UserError(ValueError):
    """A login cannot be created as asked; the message names the field and value."""


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
                at=at, actor=actor, action="user_add", entity="user", entity_id=login,
                detail=json.dumps({"role": role}),
            )
        )
    return user_id
