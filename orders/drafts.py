"""The order being taken on a call, kept on the terminal's disk on every change.

Nothing an order taker typed may be lost: not to a crash, a killed terminal or a database that went away
mid-call. The draft therefore lives in a small JSON file per operator and customer, written atomically
(temporary file, fsync, rename) so that a kill at any instant leaves either the old draft or the new one,
never half of each. It is removed only once the order is placed or the call ends without one.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


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
        )


class DraftStore:
    """Drafts on disk under `root`, one file per operator and customer."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, operator: str, customer: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{operator}--{customer}")
        return self.root / f"{safe}.json"

    def save(self, draft: Draft) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._path(draft.operator, draft.customer)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".draft-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(draft.as_dict(), out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, operator: str, customer: str) -> Draft | None:
        """The saved draft, or None; a file that cannot be read is kept aside (never deleted) and ignored."""
        path = self._path(operator, customer)
        if not path.exists():
            return None
        try:
            return Draft.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            path.replace(path.with_suffix(".unreadable"))
            return None

    def discard(self, operator: str, customer: str) -> None:
        self._path(operator, customer).unlink(missing_ok=True)

    def pending(self, operator: str) -> list[Draft]:
        """This operator's drafts left from an earlier session (a crash, a killed terminal), oldest first."""
        if not self.root.exists():
            return []
        found: list[Draft] = []
        for path in sorted(self.root.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                draft = Draft.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError, OSError):
                continue
            if draft.operator == operator:
                found.append(draft)
        return found
