"""Which database this is: a random id written once into `app_meta` by migration 0006.

A terminal keeps local copies of drafts; the id says which database a copy was written against, so that a
terminal pointed at another database (a test copy, a restored backup under a new name, the demo) never
reopens a draft that cannot be placed or ended there.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from db.engine import write_transaction
from db.models import AppMeta

DATABASE_ID_KEY = "database_id"


def database_id(engine: Engine) -> str:
    """This database's identity. A database whose `app_meta` was emptied since the migration (the demo build
    clears it) gets a new one here: its shops were rebuilt, so drafts kept for the old content must not open."""
    with engine.connect() as conn:
        found = conn.execute(select(col(AppMeta.value)).where(col(AppMeta.key) == DATABASE_ID_KEY)).scalar()
    if found:
        return str(found)
    try:
        with write_transaction(engine) as conn:
            conn.execute(insert(AppMeta).values(key=DATABASE_ID_KEY, value=uuid.uuid4().hex))
    except IntegrityError:
        pass  # another terminal wrote it first: theirs is the id
    with engine.connect() as conn:
        return str(conn.execute(select(col(AppMeta.value)).where(col(AppMeta.key) == DATABASE_ID_KEY)).scalar_one())
