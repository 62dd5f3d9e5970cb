"""Reading the audit log: `telesales audit [--since] [--user]`.

Every change that matters writes an `audit_log` row in its own transaction (imports, placed orders, locked
logins, shops given away, policy changes); this is how a lead or an administrator reads them back, oldest first
(newest last, so the end of a long listing in a terminal is what just happened). The `detail` column is JSON
written by the code that acted; it is handed back parsed, or as text when some older row holds something else.
Rows are streamed: a year of placed orders is hundreds of thousands of rows, and none needs to be held.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from db.models import AuditLog


@dataclass(frozen=True)
class AuditRow:
    """One audit row as the lead reads it: when, who, what, on which thing, and the details."""

    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: Any  # the parsed JSON (usually an object), or the raw text

    def as_json(self, at: str) -> dict[str, Any]:
        """`at` is the time as the caller shows it (the centre's zone, ISO-8601 with offset)."""
        return {
            "at": at,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "details": self.details,
        }


def _details(raw: str) -> Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def audit_rows(engine: Engine, *, since: datetime | None = None, actor: str | None = None) -> Iterator[AuditRow]:
    """The audit rows at or after `since` (aware), of one `actor` when given, oldest first (ties by id, the order
    they were written). Indexed on `at`; a generator, so the connection is open while it is being read."""
    query = select(
        col(AuditLog.at),
        col(AuditLog.actor),
        col(AuditLog.action),
        col(AuditLog.entity),
        col(AuditLog.entity_id),
        col(AuditLog.detail),
    ).order_by(col(AuditLog.at), col(AuditLog.id))
    if since is not None:
        if since.tzinfo is None:
            raise ValueError("since must carry a UTC offset")
        query = query.where(col(AuditLog.at) >= since)
    if actor is not None:
        query = query.where(col(AuditLog.actor) == actor)
    with engine.connect() as conn:
        for at, who, action, entity, entity_id, detail in conn.execution_options(yield_per=1000).execute(query):
            yield AuditRow(at, who, action, entity or "", entity_id or "", _details(detail or ""))
