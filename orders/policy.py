"""The policy every terminal shares: read from the database once per command or app start, laid over the
terminal's settings, changed by `telesales config`, and deciding which clock `orders.clock` reads.

Precedence, key by key (the keys are `orders.settings.POLICY_KEYS`):
- a row in the database's `policy` table wins, on every backend: a terminal whose own file says
  `cutoff_time = "16:30"` follows the database's 17:00;
- without a row, on a shared database (PostgreSQL) the default holds: neither the terminal's config.toml nor a
  `TELESALES_*` variable can loosen the lockout or move the cut-off for one terminal;
- without a row, on the embedded SQLite file the terminal's file and environment still count, as they always
  did: that database belongs to this one terminal, whose settings are the only ones there are.

Values are checked by the validators of `orders.settings.Settings` (the one rule for a cut-off or a list of
working days), whether they come from a file, `config set` or the database.
"""

from __future__ import annotations

import json
import time as _time
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, delete, insert, inspect, select, text, update
from sqlmodel import col

from db.engine import write_transaction
from db.models import AuditLog, PolicySetting
from orders import clock
from orders.clock import ClockSource
from orders.settings import POLICY_KEYS, Settings, settings_from, terminal_sources
from orders.users import SignedIn, require_role

SOURCE_DATABASE = "database"
SOURCE_DEFAULT = "default"
_AUDIT_ACTOR_LENGTH = 32  # audit_log.actor
_ROW_ACTOR_LENGTH = 64  # policy.updated_by


class PolicyError(ValueError):
    """A policy value that cannot be used; `problems` lists each bad key as one line (`KEY: reason`, or
    `FILE: KEY: reason` for a file) and the message is one sentence."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class StoredValue:
    key: str
    value: Any  # as JSON decodes it; checked when laid over the settings
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class Policy:
    """The database's policy rows as read at start, and which backend they came from."""

    backend: str
    rows: Mapping[str, StoredValue]

    @property
    def shared(self) -> bool:
        """A database several terminals use: there, only the database and the defaults decide."""
        return self.backend != "sqlite"


@dataclass(frozen=True)
class Change:
    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Entry:
    """One key as `config show` prints it."""

    key: str
    value: Any  # JSON form
    source: str  # database, default, file, environment
    updated_at: datetime | None = None
    updated_by: str | None = None


def load_policy(engine: Engine, *, at_head: bool = False) -> Policy:
    """The policy rows. A database without the table (an old schema `doctor` looks at) has no policy yet: every
    key keeps its default. `at_head` (the schema was just brought to head) skips asking whether the table is
    there, so that a command start costs one SELECT."""
    with engine.connect() as conn:
        return _read(conn, check_table=not at_head)


def _read(conn: Connection, *, check_table: bool = False) -> Policy:
    backend = conn.dialect.name
    if check_table and not inspect(conn).has_table(PolicySetting.__tablename__):
        return Policy(backend, {})
    found: dict[str, StoredValue] = {}
    query = select(
        col(PolicySetting.key), col(PolicySetting.value), col(PolicySetting.updated_at), col(PolicySetting.updated_by)
    )
    for key, raw, at, by in conn.execute(query):
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw  # reported by `effective` as a bad value, with the key
        found[key] = StoredValue(key, value, at, by)
    return Policy(backend, found)


def effective(terminal: Settings, policy: Policy) -> Settings:
    """The settings this terminal works by: its own keys as it set them, the policy keys as the precedence in
    this module's docstring says. Raises `PolicyError` naming the key when a database value is not valid (a row
    written by hand, or by a newer version)."""
    values = terminal.model_dump()
    for key in POLICY_KEYS:
        if key in policy.rows:
            values[key] = policy.rows[key].value
        elif policy.shared:
            values.pop(key, None)
    try:
        return settings_from(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else ""
        msg = first["msg"].removeprefix("Value error, ")
        if key in policy.rows:
            raise PolicyError(
                f"the policy in the database has {key} = {_shown(policy.rows[key].value)}, which is not valid: {msg}; "
                f"set it again with `telesales config set {key} VALUE`"
            ) from exc
        raise PolicyError(f"the policy in the database and this terminal's settings disagree: {msg}") from exc


def apply(target: Settings, policy: Policy) -> Settings:
    """Lay the policy over `target` in place and return it.

    In place because the CLI's commands take their one `Settings` before they open the database; laying the
    policy over that same object means none of them can work by a terminal's own cut-off by holding a copy."""
    result = effective(target, policy)
    for key in POLICY_KEYS:
        setattr(target, key, getattr(result, key))
    return target


def fixed_clock_allowed(settings: Settings, policy: Policy) -> bool:
    """Whether `TELESALES_NOW` may fix the clock: the policy's `clock_override`, whose default is yes on the
    embedded SQLite file (the local clock is the only one there) and no on a shared database. Read from the row
    itself, so that a database whose other policy rows are broken still keeps its clock."""
    row = policy.rows.get("clock_override")
    if row is not None:
        return row.value is True
    if policy.shared:
        return False
    return settings.clock_override if settings.clock_override is not None else True


def measure_offset(engine: Engine) -> timedelta:
    """The database server's clock minus this terminal's, from one `SELECT now()` (timed on both sides, so the
    round trip does not count). Zero for SQLite, whose clock is this terminal's."""
    if engine.dialect.name == "sqlite":
        return timedelta(0)
    with engine.connect() as conn:
        before = _time.time()
        server = conn.execute(text("SELECT now()")).scalar_one()
        after = _time.time()
    local = datetime.fromtimestamp((before + after) / 2, tz=server.tzinfo)
    return server - local


def use_clock(engine: Engine, settings: Settings, policy: Policy) -> ClockSource:
    """Register the clock this process reads from now on: the server's on a shared database, with
    `TELESALES_NOW` honoured only where the policy allows it."""
    allowed = fixed_clock_allowed(settings, policy)
    source = ClockSource(
        offset=measure_offset(engine),
        fixed_allowed=allowed,
        refusal=(
            ""
            if allowed
            else "TELESALES_NOW is set, but this database keeps its own clock (policy clock_override is off), so "
            "no time can be fixed from a terminal; unset TELESALES_NOW, or on a test database run "
            "`telesales config set clock_override true`"
        ),
    )
    clock.use(source)
    return source


def allow_fixed_clock(conn: Connection, *, actor: str) -> None:
    """Turn `clock_override` on from inside a transaction that is building a demo or test database, and let this
    process honour `TELESALES_NOW` at once (the row is stamped by it then, so a demo built twice with the same
    TELESALES_NOW is the same database). Not audited: only a database being built from nothing gets here."""
    clock.use(ClockSource(offset=clock.source().offset, fixed_allowed=True))
    row = conn.execute(select(col(PolicySetting.value)).where(col(PolicySetting.key) == "clock_override")).first()
    if row is None or row[0] != "true":
        _upsert(conn, "clock_override", True, at=clock.now(), actor=actor, exists=row is not None)


def entries(settings: Settings, policy: Policy) -> list[Entry]:
    """Every policy key with its value as `settings` holds it (after `apply`) and where that value came from."""
    local = {} if policy.shared else terminal_sources()
    dumped = json_values(settings, POLICY_KEYS)
    if settings.clock_override is None:
        dumped["clock_override"] = fixed_clock_allowed(settings, policy)
    out = []
    for key in POLICY_KEYS:
        row = policy.rows.get(key)
        if row is not None:
            out.append(Entry(key, dumped[key], SOURCE_DATABASE, row.updated_at, row.updated_by))
        else:
            out.append(Entry(key, dumped[key], local.get(key, SOURCE_DEFAULT)))
    return out


def overridden_terminal_keys(policy: Policy) -> dict[str, str]:
    """Policy keys this terminal's file or environment sets that do not count here (key -> `file` or
    `environment`): every one on a shared database, those with a database row on SQLite."""
    return {
        key: where
        for key, where in terminal_sources().items()
        if key in POLICY_KEYS and (policy.shared or key in policy.rows)
    }


# ----------------------------------------------------------------------------------------------------- changes


def parse_value(key: str, raw: str) -> Any:
    """A value as `config set` takes it: written as in TOML (`16:30:00`, `[1,2,3,4,5]`, `true`, `"总公司"`),
    or bare text where TOML would need quotes (`16:30`, `总公司`): the shell has already eaten the quotes."""
    if key not in POLICY_KEYS:
        raise PolicyError(f"cannot set {key!r} to {raw!r}: {_unknown_key(key)}; nothing was changed")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
    if _is_text(key) and not isinstance(value, str):
        return raw  # a company called 2026 is a name, not a number
    return value


def _is_text(key: str) -> bool:
    annotation = Settings.model_fields[key].annotation
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return str in args


def _unknown_key(key: str) -> str:
    return f"{key} is not a policy key (the keys are {', '.join(POLICY_KEYS)})"


def check_changes(current: Settings, changes: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """The settings with `changes` made, checked together (a work_start must still come before work_end), and
    one `KEY: reason` line for each key that is wrong; the settings are `current` when anything is."""
    problems = [f"{key}: not a policy key" for key in changes if key not in POLICY_KEYS]
    if problems:
        return current, problems
    values = {key: getattr(current, key) for key in POLICY_KEYS}
    values.update(changes)
    try:
        return settings_from(values), []
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            msg = error["msg"].removeprefix("Value error, ")
            if key:
                problems.append(f"{key}: {_shown(changes.get(key, values.get(key)))} is not valid: {msg}")
            else:
                problems.append(f"{', '.join(sorted(changes))}: {msg}")
        return current, problems


def change_policy(engine: Engine, terminal: Settings, changes: Mapping[str, Any], *, by: SignedIn) -> list[Change]:
    """Write `changes` (key -> value as parsed) all together or not at all, one audit row per key whose value
    changes. Only an admin (or the CLI's system actor, the database's administrator) changes what every terminal
    follows. Checked against the policy as it is inside the transaction, so two admins changing work_start and
    work_end at once cannot together make an impossible day. Raises `PolicyError`; nothing is written then."""
    require_role(by, "admin")
    actor = by.login
    at = clock.now()
    with write_transaction(engine) as conn:
        policy = _read(conn)
        # a row being replaced is not checked as it stands: `config set` is how a broken row gets fixed
        kept = {k: v for k, v in policy.rows.items() if k not in changes}
        current = effective(terminal, Policy(policy.backend, kept))
        updated, problems = check_changes(current, changes)
        if problems:
            if len(problems) == 1:
                raise PolicyError(f"cannot set {problems[0]}; nothing was changed", problems)
            raise PolicyError(f"{len(problems)} bad policy values; nothing was changed", problems)
        new_json = json_values(updated, changes)
        old_json = json_values(current, changes)
        done: list[Change] = []
        for key in changes:
            old = policy.rows[key].value if key in policy.rows else old_json[key]
            if key == "clock_override" and old is None:
                old = fixed_clock_allowed(current, policy)  # "not set" means the backend's default
            if key in policy.rows and policy.rows[key].value == new_json[key]:
                continue
            _upsert(conn, key, new_json[key], at=at, actor=actor, exists=key in policy.rows)
            conn.execute(
                insert(AuditLog).values(
                    at=at,
                    actor=actor[:_AUDIT_ACTOR_LENGTH],
                    action="policy_set",
                    entity="policy",
                    entity_id=key,
                    detail=json.dumps({"old": old, "new": new_json[key]}, ensure_ascii=False),
                )
            )
            done.append(Change(key, old, new_json[key]))
    return done


def unset_policy(engine: Engine, terminal: Settings, key: str, *, by: SignedIn) -> Change | None:
    """Remove the database's value for `key`, so every terminal goes back to the default (on the embedded SQLite
    file: to the terminal's own file or environment, then the default). Without it, a key once set could only
    be set again to what the default happens to be today, and would not follow a changed default. Checked like
    a change: the day must still make sense without the row (removing work_end while work_start is 18:00 is
    refused). Returns None when the database held no value. Audited as `policy_unset`."""
    require_role(by, "admin")
    if key not in POLICY_KEYS:
        raise PolicyError(_unknown_key(key))
    actor = by.login
    at = clock.now()
    with write_transaction(engine) as conn:
        policy = _read(conn)
        if key not in policy.rows:
            return None
        kept = Policy(policy.backend, {k: v for k, v in policy.rows.items() if k != key})
        try:
            after = effective(terminal, kept)
        except PolicyError as exc:
            raise PolicyError(f"cannot unset {key}: {exc}; nothing was changed") from exc
        old = policy.rows[key].value
        new = json_values(after, [key])[key]
        conn.execute(delete(PolicySetting).where(col(PolicySetting.key) == key))
        conn.execute(
            insert(AuditLog).values(
                at=at,
                actor=actor[:_AUDIT_ACTOR_LENGTH],
                action="policy_unset",
                entity="policy",
                entity_id=key,
                detail=json.dumps({"old": old, "new": new}, ensure_ascii=False),
            )
        )
    return Change(key, old, new)


def _upsert(conn: Connection, key: str, value: Any, *, at: datetime, actor: str, exists: bool | None = None) -> None:
    raw = json.dumps(value, ensure_ascii=False)
    if exists is None:
        exists = conn.execute(select(col(PolicySetting.key)).where(col(PolicySetting.key) == key)).first() is not None
    row = {"value": raw, "updated_at": at, "updated_by": actor[:_ROW_ACTOR_LENGTH]}
    if exists:
        conn.execute(update(PolicySetting).where(col(PolicySetting.key) == key).values(**row))
    else:
        conn.execute(insert(PolicySetting).values(key=key, **row))


def read_policy_file(path: Path) -> dict[str, Any]:
    """The keys and values of a policy file for `config import`; a file that cannot be read as TOML is one
    sentence."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path} is not valid TOML: {exc}; nothing was changed") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path} is not UTF-8 text; nothing was changed") from exc
    except IsADirectoryError as exc:
        raise PolicyError(f"cannot read {path}: it is a folder; nothing was changed") from exc
    except OSError as exc:
        raise PolicyError(f"cannot read {path}: {exc.strerror or exc}; nothing was changed") from exc
    if not data:
        raise PolicyError(f"{path} holds no policy key; nothing was changed")
    return data


def import_policy(engine: Engine, terminal: Settings, path: Path, *, by: SignedIn) -> list[Change]:
    """`config import`: every key of the file or none. Every bad key is named as `FILE: KEY: reason` in one go,
    the unknown ones and the bad values alike, so a file is fixed in one round."""
    require_role(by, "admin")
    data = read_policy_file(path)
    unknown = [f"{path}: {key}: not a policy key (a terminal's own setting stays in its config.toml)"
               for key in data if key not in POLICY_KEYS]
    known = {key: value for key, value in data.items() if key in POLICY_KEYS}
    try:
        if unknown:
            _, problems = check_changes(effective(terminal, load_policy(engine)), known)
            raise PolicyError("", problems)
        return change_policy(engine, terminal, known, by=by)
    except PolicyError as exc:
        lines = unknown + [f"{path}: {line}" for line in exc.problems]
        raise PolicyError(
            f"{len(lines)} bad key{'s' if len(lines) != 1 else ''} in {path}; nothing was changed", lines
        ) from exc


# ----------------------------------------------------------------------------------------------------- display


def json_values(settings: Settings, keys: Iterable[str]) -> dict[str, Any]:
    """The values of `keys` as JSON holds them: as stored in the database and printed by `config show --json`.
    A time is "HH:MM" (seconds only when there are some), as people write a cut-off."""
    wanted = set(keys)
    out = settings.model_dump(mode="json", include=wanted)
    for key in wanted:
        value = getattr(settings, key)
        if isinstance(value, time) and not value.second and not value.microsecond:
            out[key] = value.strftime("%H:%M")
    return out


def toml_literal(value: Any) -> str:
    """A JSON-form value as it is written in a TOML file (and in `config set`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_literal(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _shown(value: Any) -> str:
    if isinstance(value, time):
        return repr(value.strftime("%H:%M"))
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:60] + "…"
