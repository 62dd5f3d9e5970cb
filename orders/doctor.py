"""`telesales doctor`: what an administrator must know about this terminal and its database, each check with
what to do about it. Read-only: it never migrates, creates a database file or changes a mode itself, so it
can be run on a terminal that is half set up without making it more so."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from db.engine import describe
from db.migrate import current, head, known_revisions
from orders.policy import Policy, PolicyError, effective, fixed_clock_allowed, load_policy, measure_offset
from orders.policy import overridden_terminal_keys as overridden
from orders.settings import Settings, config_file, data_dir, env_name

Status = Literal["ok", "warn", "fail"]
# Within this, a terminal's clock agrees with the server's as far as a person can tell; beyond it the times the
# screen shows (computed from the server's clock) and the terminal's own clock in the corner disagree visibly.
CLOCK_TOLERANCE = timedelta(seconds=2)


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    message: str
    fix: str = ""

    def as_json(self) -> dict[str, str | None]:
        return {"check": self.name, "status": self.status, "message": self.message, "fix": self.fix or None}


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL, None for anything else (PostgreSQL, in-memory)."""
    try:
        parsed = make_url(url)
    except Exception:  # an unparsable URL is the connection check's to report
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def check_connection(engine: Engine) -> Check:
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                version = str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
                what = f"PostgreSQL {version}"
            else:
                version = str(conn.execute(text("SELECT sqlite_version()")).scalar_one())
                what = f"SQLite {version}"
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        return Check(
            "connection",
            "fail",
            f"cannot reach the database at {describe(engine)}: {reason}",
            "check the URL (--db, TELESALES_DATABASE_URL or database_url in config.toml) and that the server runs",
        )
    return Check("connection", "ok", f"{describe(engine)} answers ({what})")


def check_schema(engine: Engine) -> Check:
    rev = current(engine)
    target = head()
    if rev == target:
        return Check("schema", "ok", f"at revision {rev}, this version's newest")
    if rev is None:
        return Check("schema", "fail", "the database has no schema yet", "run `telesales db upgrade`")
    if rev not in known_revisions():
        return Check(
            "schema", "fail", f"at revision {rev}, newer than this version of telesales knows",
            "update telesales on this terminal",
        )
    return Check(
        "schema", "warn", f"at revision {rev}; this version needs {target}",
        "run `telesales db upgrade` (a command run with auto_upgrade on migrates it too)",
    )


def check_policy(engine: Engine, terminal: Settings) -> tuple[list[Check], Policy]:
    """The policy is valid, and which of this terminal's own settings it makes meaningless."""
    policy = load_policy(engine)
    checks: list[Check] = []
    try:
        effective(terminal, policy)
    except PolicyError as exc:
        checks.append(Check("policy", "fail", exc.message))
    else:
        where = "shared: only the database and the defaults count" if policy.shared else (
            "embedded: a key without a row may come from this terminal's file or environment"
        )
        count = len(policy.rows)
        checks.append(
            Check("policy", "ok", f"{count} key{'s' if count != 1 else ''} set in the database ({where})")
        )
    ignored = overridden(policy)
    in_file = sorted(k for k, where in ignored.items() if where == "file")
    in_env = sorted(k for k, where in ignored.items() if where == "environment")
    if in_file:
        checks.append(
            Check(
                "policy-file",
                "warn",
                f"{config_file()} sets {', '.join(in_file)}, which the database's policy decides: ignored here",
                f"remove {'them' if len(in_file) > 1 else 'it'} from {config_file()}; "
                "change the policy with `telesales config set`",
            )
        )
    if in_env:
        names = ", ".join(env_name(k) for k in in_env)
        checks.append(
            Check(
                "policy-environment",
                "warn",
                f"{names} {'are' if len(in_env) > 1 else 'is'} set, but the database's policy decides: ignored here",
                f"unset {names}; change the policy with `telesales config set`",
            )
        )
    return checks, policy


def check_clock(engine: Engine, settings: Settings, policy: Policy) -> list[Check]:
    checks: list[Check] = []
    if engine.dialect.name == "sqlite":
        checks.append(Check("clock", "ok", "embedded SQLite: this terminal's clock is the database's"))
    else:
        offset = measure_offset(engine)
        seconds = offset.total_seconds()
        if abs(offset) <= CLOCK_TOLERANCE:
            checks.append(Check("clock", "ok", f"this terminal's clock is within {abs(seconds):.1f} s of the server's"))
        else:
            side = "behind" if seconds > 0 else "ahead of"
            checks.append(
                Check(
                    "clock",
                    "warn",
                    f"this terminal's clock is {abs(seconds):.0f} s {side} the database server's "
                    "(telesales uses the server's for every cut-off and recorded time)",
                    "set this terminal's clock (enable NTP time sync)",
                )
            )
    allowed = fixed_clock_allowed(settings, policy)
    fixed = os.environ.get("TELESALES_NOW")
    if fixed and not allowed:
        checks.append(
            Check(
                "fixed-clock", "fail", f"TELESALES_NOW={fixed} is set, but this database does not allow a fixed clock",
                "unset TELESALES_NOW (every command refuses to run with it here)",
            )
        )
    elif fixed:
        checks.append(
            Check("fixed-clock", "warn", f"TELESALES_NOW={fixed} fixes the clock", "unset it unless replaying a day")
        )
    elif allowed and policy.shared:
        checks.append(
            Check(
                "fixed-clock",
                "warn",
                "clock_override is on: any terminal can set the time with TELESALES_NOW, and orders and audit "
                "rows would carry it",
                "on a real centre's database run `telesales config set clock_override false`",
            )
        )
    return checks


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def check_files(settings: Settings) -> list[Check]:
    """Who else on this machine can read what this terminal keeps: the data folder (drafts, the embedded
    database), the database file, and the settings file (which may hold a database password)."""
    checks: list[Check] = []
    folder = data_dir()
    if folder.is_dir():
        checks.append(_private("data folder", folder, 0o700, "others on this machine can read the drafts it keeps"))
    db_file = sqlite_path(settings.resolved_database_url())
    if db_file is not None and db_file.exists():
        checks.append(
            _private("database file", db_file, 0o600, "others on this machine can copy PIN hashes and shops' phones")
        )
    cfg = config_file()
    if cfg.is_file():
        password = _password(settings.database_url)
        mode = _mode(cfg)
        if mode & 0o022:
            checks.append(_too_open("settings file", cfg, mode, 0o600, "others can change which database it uses"))
        elif mode & 0o077 and password:
            checks.append(_too_open("settings file", cfg, mode, 0o600, "others can read the database password in it"))
        elif mode & 0o077:
            checks.append(
                Check("settings file", "warn", f"{cfg} is readable by others (mode {mode:o})", f"chmod 600 {cfg}")
            )
        else:
            checks.append(Check("settings file", "ok", f"{cfg} is private (mode {mode:o})"))
    return checks


def _password(url: str | None) -> str | None:
    try:
        return make_url(url).password if url else None
    except Exception:  # an unparsable URL holds no password we could find; the connection check reports it
        return None


def _private(name: str, path: Path, wanted: int, why: str) -> Check:
    mode = _mode(path)
    if mode & 0o077:
        return _too_open(name, path, mode, wanted, why)
    return Check(name, "ok", f"{path} is private (mode {mode:o})")


def _too_open(name: str, path: Path, mode: int, wanted: int, why: str) -> Check:
    return Check(name, "fail", f"{path} is open to others (mode {mode:o}): {why}", f"chmod {wanted:o} {path}")


def run_checks(engine: Engine, settings: Settings) -> list[Check]:
    """Every check, in the order an administrator fixes things: reach the database, its schema, its policy,
    the clock, then the files. A database that cannot be reached stops the database checks, not the file ones."""
    checks = [check_connection(engine)]
    if checks[0].status != "fail":
        checks.append(check_schema(engine))
        policy_checks, policy = check_policy(engine, settings)
        checks.extend(policy_checks)
        try:
            applied = effective(settings, policy)
        except PolicyError:
            applied = settings
        checks.extend(check_clock(engine, applied, policy))
    checks.extend(check_files(settings))
    return checks


def missing_database(settings: Settings) -> Check | None:
    """An embedded database file that does not exist yet: connecting would create it, which a check must not."""
    path = sqlite_path(settings.resolved_database_url())
    if path is not None and not path.exists():
        return Check("connection", "fail", f"there is no database at {path}", "run `telesales db upgrade` to create it")
    return None

