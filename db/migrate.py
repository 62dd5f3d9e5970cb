"""Schema migrations, run by the app itself so a user never sees a raw SQL error from an old schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 7_400_251  # advisory lock id: one terminal migrates, the others wait
# The newest migration, known without importing Alembic (a fifth of a second of every start): when the database
# is already here, nothing else is needed. tests/db/test_migrations.py checks it against Alembic's own head.
HEAD = "0010"


class SchemaError(RuntimeError):
    """The database's schema is not one this version can use; the message says what to do."""


def _config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest revision this version of the app knows."""
    from alembic.script import ScriptDirectory

    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def known_revisions() -> set[str]:
    """Every revision this version of the app can migrate from."""
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; on PostgreSQL under an advisory lock so terminals don't race."""
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _at_head(engine: Engine) -> bool:
    """The fast path of `ensure_current`: the version table says HEAD (plain SQL, no Alembic)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]


def ensure_current(engine: Engine, *, auto_upgrade: bool = True) -> None:
    """Make sure the schema is at head before a command touches data.

    With `auto_upgrade` (the default) an older schema is migrated; otherwise the user is told to run
    `telesales db upgrade`. A schema newer than this version knows is always refused: a newer terminal has
    migrated the shared database and this one must be updated.
    """
    if _at_head(engine):
        return

    rev = current(engine)
    target = head()
    if rev == target:
        return
    known = known_revisions()
    if rev is not None and rev not in known:
        raise SchemaError(
            f"the database is at schema revision {rev}, newer than this version of telesales knows; "
            "update telesales on this terminal"
        )
    if not auto_upgrade:
        raise SchemaError(
            f"the database schema is at {rev or 'nothing'} and needs {target}; run `telesales db upgrade`"
        )
    upgrade(engine)
