"""Drafts in the database: they follow the operator to another terminal, survive an outage on the terminal's
disk, and a copy kept for one database never opens on another."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, update
from sqlmodel import col

from db.engine import make_engine
from db.identity import database_id
from db.migrate import upgrade
from db.models import Call, CallDraft, Customer
from orders.calls import finish_call, start_call
from orders.drafts import Draft, DraftLine, DraftStore, DraftsUnsaved
from orders.settings import Settings

ZONE = ZoneInfo("Asia/Shanghai")
RZH = DraftLine("901002", "中华(软)", 2, 58350, heard="rzh 2")
YX = DraftLine("902002", "玉溪(软)", 3, 20140, heard="yx 3")


def add_shop(engine: Engine, code: str = "430102", *, active: bool = True) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Customer).values(code=code, name="好又多便利店", tier=5, order_weekday=1, active=active))


def store(root: Path, engine: Engine) -> DraftStore:
    """A terminal's store as the app builds it: its own folder, bound to the database."""
    s = DraftStore(root)
    s.attach(engine, ZONE)
    s.database_id()  # read at sign-in
    return s


def draft(*lines: DraftLine, call_id: int | None = None) -> Draft:
    out = Draft(operator="demo", customer="430102", call_id=call_id, started_at="2026-11-23T09:00:00+08:00")
    for line in lines:
        out.add(DraftLine(**vars(line)))
    return out


def rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CallDraft)).scalar_one())


def unreachable(tmp_path: Path) -> Engine:
    """A database that does not answer: every connection fails as a dropped server's would."""
    return create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}")


@pytest.fixture
def other_db(tmp_path: Path) -> Iterator[Engine]:
    """A second database, as a terminal later pointed elsewhere would see."""
    eng = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


def test_each_database_has_its_own_identity_kept_for_good(engine: Engine, other_db: Engine) -> None:
    first = database_id(engine)
    assert len(first) == 32 and database_id(engine) == first
    assert database_id(other_db) != first


def test_a_draft_of_one_database_never_opens_on_another(engine: Engine, other_db: Engine, tmp_path: Path) -> None:
    add_shop(engine)
    add_shop(other_db)  # the same licence number in both
    here = store(tmp_path / "drafts", engine)
    here.save(draft(RZH))
    there = store(tmp_path / "drafts", other_db)  # the same terminal, pointed at the other database
    assert there.pending("demo") == [] and there.review("demo").stale == []
    assert there.load("demo", "430102") is None and there.load_local("demo", "430102") is None
    assert rows(other_db) == 0
    assert [x.code for d in here.pending("demo") for x in d.lines] == ["901002"]  # still there for its own


def test_a_draft_saved_on_one_terminal_opens_on_another(engine: Engine, tmp_path: Path) -> None:
    add_shop(engine)
    a = store(tmp_path / "a", engine)
    a.save(draft(RZH, YX))
    b = store(tmp_path / "b", engine)
    back = b.pending("demo")
    assert [[(x.code, x.qty) for x in d.lines] for d in back] == [[("901002", 2), ("902002", 3)]]
    # brought to terminal B's disk, so the call screen opens on it without asking the database
    local = b.load_local("demo", "430102")
    assert local is not None and [x.code for x in local.lines] == ["901002", "902002"]
    with engine.connect() as conn:
        week = conn.execute(select(col(CallDraft.week))).scalar_one()
    assert week.isoformat() == "2026-11-23"  # the order week's Monday


def test_a_draft_saved_while_the_database_is_down_reaches_it_later(engine: Engine, tmp_path: Path) -> None:
    add_shop(engine)
    s = store(tmp_path / "drafts", engine)
    s.save(draft(RZH))
    up = s.engine
    assert up is not None
    dead = unreachable(tmp_path)
    s.engine = dead  # the database stops answering
    with pytest.raises(DraftsUnsaved):
        s.save(draft(RZH, YX))
    kept = s.load("demo", "430102")  # the terminal's copy, while the database is down
    assert kept is not None and [x.code for x in kept.lines] == ["901002", "902002"]
    s.engine = up  # it answers again
    assert s.sync() == 1
    other = store(tmp_path / "elsewhere", engine)
    back = other.load("demo", "430102")
    assert back is not None and [x.code for x in back.lines] == ["901002", "902002"]
    dead.dispose()


def test_the_newer_copy_wins(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_shop(engine)
    a = store(tmp_path / "a", engine)
    b = store(tmp_path / "b", engine)
    a.save(draft(RZH))
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T09:05:00+08:00")
    b.save(draft(YX))  # the operator went on at terminal B
    got = a.load("demo", "430102")
    assert got is not None and [x.code for x in got.lines] == ["902002"]  # A's older local copy loses

    up = a.engine
    assert up is not None
    dead = unreachable(tmp_path)
    a.engine = dead
    monkeypatch.setenv("TELESALES_NOW", "2026-11-23T09:10:00+08:00")
    with pytest.raises(DraftsUnsaved):
        a.save(draft(RZH, YX))  # later, back at A, while the database is down
    a.engine = up
    got = a.load("demo", "430102")  # A's copy is newer now, and of this database
    assert got is not None and [x.code for x in got.lines] == ["901002", "902002"]
    assert [x.code for d in a.pending("demo") for x in d.lines] == ["901002", "902002"]
    got = b.load("demo", "430102")  # and the review wrote it to the database
    assert got is not None and [x.code for x in got.lines] == ["901002", "902002"]
    dead.dispose()


def test_a_draft_that_cannot_go_on_is_stale_with_its_reason(engine: Engine, tmp_path: Path) -> None:
    add_shop(engine)
    add_shop(engine, "430103")
    s = store(tmp_path / "drafts", engine)
    s.save(draft(RZH))
    call_id = start_call(engine, "430103", "demo")
    s.save(Draft(operator="demo", customer="430103", call_id=call_id, lines=[DraftLine(**vars(YX))]))
    assert sorted(d.customer for d in s.pending("demo")) == ["430102", "430103"]

    with engine.begin() as conn:
        conn.execute(update(Customer).where(col(Customer.code) == "430102").values(active=False))
    finish_call(engine, Settings(), call_id, "no_answer")  # ended by someone else
    review = s.review("demo")
    assert review.open == []
    assert sorted((x.draft.customer, x.reason) for x in review.stale) == [
        ("430102", "customer_inactive"),
        ("430103", "call_finished"),
    ]
    s.discard("demo", "430102")
    assert [x.draft.customer for x in s.review("demo").stale] == ["430103"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Call)).scalar_one() == 1


def test_a_deleted_shops_draft_is_stale_and_a_discarded_one_is_gone_everywhere(engine: Engine, tmp_path: Path) -> None:
    add_shop(engine)
    a = store(tmp_path / "a", engine)
    b = store(tmp_path / "b", engine)
    a.save(draft(RZH))
    assert len(b.pending("demo")) == 1
    b.discard("demo", "430102")  # the call ended at terminal B
    assert rows(engine) == 0
    assert a.pending("demo") == [] and a.review("demo").stale == []  # A's synced copy is not brought back
    assert rows(engine) == 0

    a.save(draft(YX))
    with engine.begin() as conn:
        conn.execute(Customer.__table__.delete())  # type: ignore[attr-defined]
    assert rows(engine) == 0  # the row went with its shop
    assert [(x.draft.customer, x.reason) for x in a.review("demo").stale] == [("430102", "customer_gone")]


@pytest.mark.parametrize(
    ("written", "read"),
    [(17, 17), ("17", 17), (None, None), ("#17", None), (True, None), ([17], None), (1.5, None), ("", None)],
)
def test_the_order_a_draft_amends_survives_the_file_and_a_damaged_value_never_makes_it_unreadable(
    written: object, read: int | None
) -> None:
    """A draft written mid-amend says which order F5 amends; an older terminal's copy (no such key) or a
    hand-edited one still opens, as a draft for a new order."""
    kept = Draft(operator="demo", customer="430102", lines=[YX], amending=17)
    assert Draft.from_dict(kept.as_dict()).amending == 17
    data = kept.as_dict() | {"amending": written}
    back = Draft.from_dict(data)
    assert back.amending == read and [(x.code, x.qty) for x in back.lines] == [("902002", 3)]
    del data["amending"]
    assert Draft.from_dict(data).amending is None
