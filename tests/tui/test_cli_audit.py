"""`telesales audit` as an administrator reads it: oldest first, newest last, on the centre's clock; filtered by
time and by actor; JSON for scripts; a bad --since is one sentence."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert

from db.tables import AUDIT
from tests.conftest import run_cli

ROWS = [
    (datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "system:root", "import", "catalog", "", {"rows": 2, "new": 2}),
    (datetime(2026, 11, 23, 2, 30, tzinfo=UTC), "lead", "customer_assign", "customer", "C1",
     {"from": "wang", "to": "li"}),
    (datetime(2026, 11, 23, 2, 30, tzinfo=UTC), "demo", "order_placed", "order", "7", {"lines": 2}),
    (datetime(2026, 11, 24, 6, 0, tzinfo=UTC), "lead", "login_locked", "user", "wang", {"note": "x\x1b[31my"}),
]


@pytest.fixture
def url(engine: Engine) -> str:
    with engine.begin() as conn:
        for at, actor, action, entity, entity_id, detail in reversed(ROWS):  # stored out of order on purpose
            conn.execute(
                insert(AUDIT).values(
                    at=at, actor=actor, action=action, entity=entity, entity_id=entity_id,
                    detail=json.dumps(detail, ensure_ascii=False),
                )
            )  # fmt: skip
    return engine.url.render_as_string(hide_password=False)


def test_listing_is_oldest_first_on_the_centres_clock(url: str) -> None:
    result = run_cli("--db", url, "audit")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        '2026-11-23 09:00:00  system:root  import  catalog  {"rows":2,"new":2}',
        # equal times: in the order written (the fixture wrote the order before the assignment)
        '2026-11-23 10:30:00  demo  order_placed  order:7  {"lines":2}',
        '2026-11-23 10:30:00  lead  customer_assign  customer:C1  {"from":"wang","to":"li"}',
        '2026-11-24 14:00:00  lead  login_locked  user:wang  {"note":"x\\u001b[31my"}',  # no ESC reaches the terminal
    ]


def test_since_and_user_filter(url: str) -> None:
    since = run_cli("--db", url, "audit", "--since", "2026-11-23T10:30:00")  # no offset: the centre's clock
    assert [line.split("  ")[2] for line in since.stdout.splitlines()] == [
        "order_placed", "customer_assign", "login_locked",
    ]
    by_lead = run_cli("--db", url, "audit", "--user", "lead", "--since", "2026-11-23T02:30:00Z")
    assert [line.split("  ")[2] for line in by_lead.stdout.splitlines()] == ["customer_assign", "login_locked"]
    a_day = run_cli("--db", url, "audit", "--since", "2026-11-24")
    assert len(a_day.stdout.splitlines()) == 1
    nobody = run_cli("--db", url, "audit", "--user", "nobody")
    assert (nobody.exit_code, nobody.stdout) == (0, "")


def test_json_rows(url: str) -> None:
    result = run_cli("--db", url, "audit", "--user", "lead", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "at": "2026-11-23T10:30:00+08:00",
            "actor": "lead",
            "action": "customer_assign",
            "entity": "customer",
            "entity_id": "C1",
            "details": {"from": "wang", "to": "li"},
        },
        {
            "at": "2026-11-24T14:00:00+08:00",
            "actor": "lead",
            "action": "login_locked",
            "entity": "user",
            "entity_id": "wang",
            "details": {"note": "x\x1b[31my"},
        },
    ]


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00", "9999-12-31T23:59"])
def test_a_bad_since_is_one_sentence(url: str, bad: str) -> None:
    result = run_cli("--db", url, "audit", "--since", bad)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"telesales: --since '{bad}' is ") and result.stderr.count("\n") == 1
    as_json = run_cli("--db", url, "audit", "--since", bad, "--json")
    assert json.loads(as_json.stdout)["error"] == "bad_input"


def test_a_row_without_details_has_an_empty_object(url: str, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(AUDIT).values(at=datetime(2026, 11, 20, tzinfo=UTC), actor="x", action="y", detail=""))
    result = run_cli("--db", url, "audit", "--user", "x", "--json")
    assert json.loads(result.stdout)[0]["details"] == {}
