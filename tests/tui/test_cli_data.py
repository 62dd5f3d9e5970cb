"""`telesales import` and `telesales export orders` as a user runs them: exit codes, the text they read, and
a database left exactly as it was whenever an import is refused."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text

from db.csv_import import CUSTOMER, PRODUCT
from db.models import Order, OrderLine
from tests.conftest import run_cli, table_snapshot

CATALOG = "code,name,price_per_carton,aliases\nP1,中华(硬),450.00,硬华|华子\nP2,玉溪(软),230.5,\n"
CUSTOMERS = "code,name,tier,order_weekday\nC1,张记小卖部,5,1\nC2,李记超市,30,7\n"


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def write(folder: Path, name: str, content: str, encoding: str = "utf-8") -> str:
    path = folder / name
    path.write_bytes(content.encode(encoding))
    return str(path)


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """Catalog and customers imported through the CLI, so "unchanged" below has rows to compare."""
    url = url_of(engine)
    first = run_cli("--db", url, "import", "catalog", write(tmp_path, "catalog.csv", CATALOG))
    assert first.exit_code == 0, first.stderr
    catalog = tmp_path / "catalog.csv"
    assert first.stdout == f"imported 2 catalog rows from {catalog} (2 new, 0 updated)\n"
    second = run_cli("import", "customers", write(tmp_path, "customers.csv", CUSTOMERS), "--db", url)
    assert second.exit_code == 0, second.stderr
    return engine


def refuse(engine: Engine, *args: str) -> str:
    """Run an import that must fail with exit 1, change nothing, and print no traceback; returns stderr."""
    before = table_snapshot(engine)
    result = run_cli("--db", url_of(engine), "import", *args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert table_snapshot(engine) == before
    return result.stderr


def test_reimport_updates_instead_of_duplicating(loaded: Engine, tmp_path: Path) -> None:
    changed = "\ufeffname,price_per_carton,code,colour\n中华(硬),460.00,P1,red\n"
    result = run_cli("--db", url_of(loaded), "import", "catalog", write(tmp_path, "cat2.csv", changed))
    assert result.exit_code == 0
    assert "imported 1 catalog rows" in result.stdout and "(0 new, 1 updated)" in result.stdout
    assert result.stderr == ""  # piped: no progress bar
    with loaded.connect() as conn:
        got = conn.execute(text("SELECT code, price_fen, aliases FROM product ORDER BY code")).all()
        audits = conn.execute(text("SELECT entity FROM audit_log ORDER BY id")).scalars().all()
    assert [tuple(r) for r in got] == [("P1", 46000, "硬华|华子"), ("P2", 23050, "")]
    assert audits == ["catalog", "customers", "catalog"]


def test_bad_rows_listed_as_file_line_reason(loaded: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "quotas.csv",
        "week,product_code,tier_from,tier_to,max_qty,customer_code\n"
        "2026-11-23,P1,1,10,5,\n"
        "2026-11-23,P2,1,10,5,\n"
        "2026-11-23,P1,1,30,4,C1\n"
        "2026-11-24,P1,1,10,5,\n"
        "2026-11-23,P9,1,10,5,\n"
        "2026-11-23,P2,1,10,0,\n"
        "2026-11-23,P1,1,10,7,\n",
    )
    err = refuse(loaded, "quotas", path)
    assert err.splitlines() == [
        f"{path}:5: week '2026-11-24' is a Tuesday; a week is written as its Monday (2026-11-23)",
        f"{path}:6: product_code 'P9' is not in the catalog",
        f"{path}:7: max_qty '0' must be a whole number > 0",
        f"{path}:8: same week 2026-11-23, product_code 'P1' and tiers 1-10 as line 2",
        f"telesales: 4 bad rows of 7 in {path}; nothing was imported",
    ]


@pytest.mark.parametrize(
    ("kind", "content", "expected"),
    [
        (
            "catalog",
            "code,name,price_per_carton,status,price_band\n"
            "P5,新品,12.345,,\nP6,新品,0,,\nP7,新品,abc,,\nP8,,-1,sold,9\nP1,again,1,,\nP1,twice,2,,\n",
            [
                "2: price_per_carton '12.345' has more than 2 decimals (1 fen = 0.01 is the smallest unit)",
                "3: price_per_carton '0' must be more than 0",
                "4: price_per_carton 'abc' is not a number (write yuan like 381.60)",
                "5: name is empty; price_per_carton '-1' must be more than 0; status 'sold' must be active or "
                "discontinued; price_band '9' must be a whole number from 1 to 5 (or empty)",
                "7: same code 'P1' as line 6",
            ],
        ),
        (
            "customers",
            "code,name,tier,order_weekday\nC7,x,31,1\nC8,y,3,0\n",
            [
                "2: tier '31' must be a whole number from 1 to 30",
                "3: order_weekday '0' must be a whole number from 1 (Monday) to 7 (Sunday)",
            ],
        ),
        (
            "history",
            "customer_code,order_date,product_code,qty\n"
            "C1,2026-11-16,P1,1.5\nC1,2026-11-16,P2,0\nC2,2026-11-16,P1,-2\nC2,2026-11-16,P2,abc\n"
            "C1,2026-11-17,P1,\nC9,2026-11-17,P9,1\nC1,17/11/2026,P1,1\nC2,2026-11-16,P2,3\n",
            [
                "2: qty '1.5' must be a whole number > 0",
                "3: qty '0' must be a whole number > 0",
                "4: qty '-2' must be a whole number > 0",
                "5: qty 'abc' must be a whole number > 0",
                "6: qty is empty",
                "7: customer_code 'C9' is not a known customer; product_code 'P9' is not in the catalog",
                "8: order_date '17/11/2026' is not a date written YYYY-MM-DD",
            ],
        ),
        (
            "supply",
            "week,product_code,total_qty\n2026-11-29,P1,5\n2026-11-23,P3,5\n2026-11-23,P2,1.0\n",
            [
                "2: week '2026-11-29' is a Sunday; a week is written as its Monday (2026-11-23)",
                "3: product_code 'P3' is not in the catalog",
                "4: total_qty '1.0' must be a whole number > 0",
            ],
        ),
    ],
)
def test_bad_values_per_kind(loaded: Engine, tmp_path: Path, kind: str, content: str, expected: list[str]) -> None:
    path = write(tmp_path, f"{kind}_bad.csv", content)
    lines = refuse(loaded, kind, path).splitlines()
    assert lines[:-1] == [f"{path}:{line}" for line in expected]
    assert lines[-1].startswith("telesales: ") and lines[-1].endswith(f"in {path}; nothing was imported")


def test_quota_customer_override_and_history_on_imported_products(loaded: Engine, tmp_path: Path) -> None:
    url = url_of(loaded)
    quotas = "week,product_code,tier_from,tier_to,max_qty,customer_code\n2026-11-23,P1,1,30,5,\n"
    quotas += "2026-11-23,P1,1,30,8,C2\n"
    result = run_cli("--db", url, "import", "quotas", write(tmp_path, "q.csv", quotas))
    assert result.exit_code == 0 and "(2 new, 0 updated)" in result.stdout
    history = "customer_code,order_date,product_code,qty\nC1,2026-11-16,P1,2\nC2,2026-11-16,P1,6\nC2,2026-11-16,P2,1\n"
    result = run_cli("--db", url, "import", "history", write(tmp_path, "h.csv", history))
    assert result.exit_code == 0
    assert result.stdout == f"imported 3 history rows from {tmp_path / 'h.csv'}\n"
    with loaded.connect() as conn:
        q = conn.execute(
            text(
                "SELECT c.code, q.max_qty FROM quota q LEFT JOIN customer c ON c.id = q.customer_id ORDER BY q.max_qty"
            )
        ).all()
        h = conn.execute(text("SELECT sum(qty), count(*) FROM history_line")).one()
    assert [tuple(r) for r in q] == [(None, 5), ("C2", 8)]
    assert tuple(h) == (9, 3)


def test_more_than_fifty_bad_rows_are_summarised(loaded: Engine, tmp_path: Path) -> None:
    body = "".join(f"C1,2026-11-{1 + i % 28:02d},X{i},1\n" for i in range(120))
    path = write(tmp_path, "h.csv", "customer_code,order_date,product_code,qty\n" + body)
    lines = refuse(loaded, "history", path).splitlines()
    assert len(lines) == 52
    assert lines[0] == f"{path}:2: product_code 'X0' is not in the catalog"
    assert lines[49] == f"{path}:51: product_code 'X49' is not in the catalog"
    assert lines[50] == "... and 70 more bad rows"
    assert lines[51] == f"telesales: 120 bad rows of 120 in {path}; nothing was imported"


def test_whole_file_problems(loaded: Engine, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    assert refuse(loaded, "catalog", missing) == f"telesales: {missing} does not exist\n"
    empty = write(tmp_path, "empty.csv", "")
    assert refuse(loaded, "catalog", empty).startswith(f"telesales: {empty} is empty")
    head = write(tmp_path, "head.csv", "\ufeffcustomer_code,order_date,product_code,qty\n")
    assert refuse(loaded, "history", head) == f"telesales: {head} has a header but no data rows\n"
    cols = write(tmp_path, "cols.csv", "code,name\nC1,x\n")
    assert refuse(loaded, "customers", cols) == (
        f"telesales: {cols} is missing the required columns tier, order_weekday; a customers file needs "
        "code,name,tier,order_weekday (optional: owner,phone,district,shop_type,operator,status)\n"
    )
    assert refuse(loaded, "orders", cols) == (
        "telesales: unknown kind 'orders'; use one of catalog, customers, history, quotas, supply\n"
    )


def test_gb18030_refused_then_accepted_with_encoding(loaded: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "erp.csv", "code,name,price_per_carton\nP3,红塔山(经典),95\n", encoding="gb18030")
    err = refuse(loaded, "catalog", path)
    assert err.startswith(f"telesales: {path} is not UTF-8 (line 2 has bytes that are not valid UTF-8)")
    assert "--encoding gb18030" in err
    result = run_cli("--db", url_of(loaded), "import", "catalog", path, "--encoding", "gb18030")
    assert result.exit_code == 0, result.stderr
    with loaded.connect() as conn:
        assert conn.execute(text("SELECT name FROM product WHERE code = 'P3'")).scalar_one() == "红塔山(经典)"


# --------------------------------------------------------------------------------------------- export


def _seed_orders(engine: Engine) -> None:
    with engine.begin() as conn:
        prod = dict(conn.execute(select(PRODUCT.c.code, PRODUCT.c.id)).all())
        cust = dict(conn.execute(select(CUSTOMER.c.code, CUSTOMER.c.id)).all())
        order = Order.__table__  # type: ignore[attr-defined]
        line = OrderLine.__table__  # type: ignore[attr-defined]
        conn.execute(
            insert(order).values(
                id=7, customer_id=cust["C2"], week=date(2026, 11, 23),
                placed_at=datetime(2026, 11, 23, 8, 5, 9, tzinfo=UTC), operator="demo", status="placed",
            )
        )  # fmt: skip
        conn.execute(insert(line).values(order_id=7, product_id=prod["P2"], qty=4, price_fen=23050))
        conn.execute(insert(line).values(order_id=7, product_id=prod["P1"], qty=1, price_fen=38160))


HEADER = "order_id,customer_code,product_code,qty,price_per_carton,placed_at,operator"


def test_export_orders_to_stdout_and_file(loaded: Engine, tmp_path: Path) -> None:
    _seed_orders(loaded)
    url = url_of(loaded)
    result = run_cli("--db", url, "export", "orders", "--week", "2026-11-26")  # a Thursday: its week
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        HEADER,
        "7,C2,P1,1,381.60,2026-11-23T16:05:09+08:00,demo",
        "7,C2,P2,4,230.50,2026-11-23T16:05:09+08:00,demo",
    ]
    out = tmp_path / "orders.csv"
    result = run_cli("export", "orders", "--week", "2026-11-23", "-o", str(out), "--db", url)
    assert result.exit_code == 0, result.stderr
    assert out.read_text().splitlines()[0] == HEADER and len(out.read_text().splitlines()) == 3
    assert f"exported 2 order lines of week 2026-11-23 to {out}" in result.stdout
    empty = run_cli("--db", url, "export", "orders", "--week", "2026-12-01")
    assert empty.stdout == HEADER + "\n"


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "2026-1-5"])
def test_export_bad_week(sqlite_url: str, bad: str) -> None:
    result = run_cli("--db", sqlite_url, "export", "orders", "--week", bad)
    assert result.exit_code == 1
    assert result.stderr == f"telesales: --week '{bad}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23\n"
    assert result.stdout == ""


def test_export_to_missing_folder(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "no" / "orders.csv"
    result = run_cli("--db", sqlite_url, "export", "orders", "--week", "2026-11-23", "-o", str(target))
    assert result.exit_code == 1
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_import_to_an_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    csv = tmp_path / "catalog.csv"
    csv.write_text("code,name,price_per_carton\n901001,中华(硬),381.6\n", encoding="utf-8")
    result = run_cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "import", "catalog", str(csv))
    assert result.exit_code == 1
    assert result.stderr.startswith("telesales: cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1")
    assert len(result.stderr.strip().splitlines()) == 1


def test_what_is_not_a_regular_file_or_not_an_encoding_is_one_sentence(loaded: Engine, tmp_path: Path) -> None:
    """`import catalog /dev/zero` would read without end and a FIFO block for ever; a codec that is not a text
    encoding was a traceback. Each is one sentence and exit 1, before the database is touched."""
    assert refuse(loaded, "catalog", "/dev/zero") == (
        "telesales: /dev/zero is a device, not a CSV file: import reads regular files only\n"
    )
    fifo = tmp_path / "erp.csv"
    os.mkfifo(fifo)
    assert refuse(loaded, "history", str(fifo)) == (
        f"telesales: {fifo} is a pipe, not a CSV file: import reads regular files only\n"
    )
    path = write(tmp_path, "c.csv", CATALOG)
    assert refuse(loaded, "catalog", path, "--encoding", "rot13") == (
        "telesales: 'rot13' is not a text encoding (it does not turn bytes into text); "
        "use utf-8 (the default) or gb18030\n"
    )
    assert refuse(loaded, "catalog", path, "--encoding", "nope").startswith("telesales: unknown encoding 'nope'")


def test_control_characters_and_open_quotes_are_listed_by_line(loaded: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", 'code,name,price_per_carton\nP3,红\x00塔山,95\nP4,"玉溪,230\n')
    assert refuse(loaded, "catalog", path).splitlines() == [
        f"{path}:2: name has a control character (U+0000, NUL) at character 2; remove it",
        f'{path}:3: unterminated quote: a value opened with " is never closed',
        f"telesales: 2 bad rows of 2 in {path}; nothing was imported",
    ]


# --------------------------------------------------------------------------------------------- CSV safety (issue 17)


def test_codes_and_names_a_spreadsheet_would_run_are_refused(loaded: Engine, tmp_path: Path) -> None:
    catalog = write(
        tmp_path,
        "evil_catalog.csv",
        "code,name,price_per_carton,brand\n"
        '"=HYPERLINK(""http://x"")",中华,1,\n'
        "P 9,中华,1,\n"
        "-5,中华,1,\n"
        "P9,@SUM(A1),1,\n"
        "P10,-中华,1,+brand\n"
        "P11,中华-硬,1,\n",
    )
    err = refuse(loaded, "catalog", catalog)
    assert err.splitlines() == [
        f"{catalog}:2: code '=HYPERLINK(\"http://x\")' may hold only letters, digits, '-' and '_'",
        f"{catalog}:3: code 'P 9' may hold only letters, digits, '-' and '_'",
        f"{catalog}:4: code '-5' starts with '-'; a code is letters, digits, '-' or '_' and starts with a letter "
        "or digit",
        f"{catalog}:5: name '@SUM(A1)' starts with '@', which a spreadsheet would run as a formula; remove it",
        f"{catalog}:6: name '-中华' starts with '-', which a spreadsheet would run as a formula; remove it; "
        "brand '+brand' starts with '+', which a spreadsheet would run as a formula; remove it",
        f"telesales: 5 bad rows of 6 in {catalog}; nothing was imported",
    ]
    customers = write(
        tmp_path,
        "evil_customers.csv",
        "code,name,tier,order_weekday,owner,phone,operator\n"
        "C9,+1 商店,5,1,,,\n"
        "C10,商店,5,1,=cmd|' /C calc'!A0,+86 138 0000 0000,\n"
        "C11,商店,5,1,,,=2+5\n"
        "C12,商店,5,1,,+86 138 0000 0000,wang.li\n",
    )
    err = refuse(loaded, "customers", customers)
    assert err.splitlines() == [
        f"{customers}:2: name '+1 商店' starts with '+', which a spreadsheet would run as a formula; remove it",
        f"{customers}:3: owner '=cmd|' /C calc'!A0' starts with '=', which a spreadsheet would run as a formula; "
        "remove it",
        f"{customers}:4: operator '=2+5' is not a login: use letters, digits, '_', '.' or '-', starting with a "
        "letter or digit",
        f"telesales: 3 bad rows of 4 in {customers}; nothing was imported",
    ]


def test_the_shared_data_sets_still_import(engine: Engine) -> None:
    """The acceptance files the other sessions use must pass the stricter code and name rules."""
    shared = Path("/work/shared/data")
    files = [("catalog", Path("tests/data/catalog.csv"))]
    if shared.is_dir():
        files += [("customers", shared / "entry" / "customers.csv"), ("history", shared / "entry" / "history.csv")]
    for kind, path in files:
        result = run_cli("--db", url_of(engine), "import", kind, str(path))
        assert result.exit_code == 0, (kind, result.stderr)


def test_customer_status_column(loaded: Engine, tmp_path: Path) -> None:
    """`status` deactivates a closed shop and brings it back; without the column, re-importing leaves it alone;
    an inactive shop leaves the call queue and `suggest --all`."""
    url = url_of(loaded)

    def queue() -> list[str]:
        result = run_cli("--db", url, "calls", "queue", "--date", "2026-11-23", "--json")
        assert result.exit_code == 0, result.stderr
        return [row["customer"] for row in json.loads(result.stdout)]

    def suggested() -> list[str]:
        result = run_cli("--db", url, "suggest", "--all", "--week", "2026-11-23", "--json")
        assert result.exit_code == 0, result.stderr
        return sorted(json.loads(line)["customer"] for line in result.stdout.splitlines())

    assert queue() == ["C1"] and suggested() == ["C1", "C2"]
    off = write(tmp_path, "off.csv", "code,name,tier,order_weekday,status\nC1,张记小卖部,5,1,inactive\n")
    assert run_cli("--db", url, "import", "customers", off).exit_code == 0
    assert queue() == [] and suggested() == ["C2"]
    again = write(tmp_path, "again.csv", "code,name,tier,order_weekday\nC1,张记小卖部(新),5,1\n")
    assert run_cli("--db", url, "import", "customers", again).exit_code == 0
    assert queue() == []  # no status column: the shop stays inactive
    on = write(tmp_path, "on.csv", "code,name,tier,order_weekday,status\nC1,张记小卖部,5,1,active\nC3,新店,2,1,\n")
    assert run_cli("--db", url, "import", "customers", on).exit_code == 0
    assert queue() == ["C1", "C3"]  # an empty status is active, as for the catalog
    bad = write(tmp_path, "bad.csv", "code,name,tier,order_weekday,status\nC1,张记,5,1,closed\nC2,李记,5,1,Active\n")
    err = refuse(loaded, "customers", bad)
    assert err.splitlines() == [
        f"{bad}:2: status 'closed' must be active or inactive",
        f"{bad}:3: status 'Active' must be active or inactive",
        f"telesales: 2 bad rows of 2 in {bad}; nothing was imported",
    ]


def test_export_neutralises_formula_cells(loaded: Engine) -> None:
    """What another path stored (an operator typed at a terminal, a row from before the import rule) reaches
    the ERP's spreadsheet as text, never as a formula."""
    _seed_orders(loaded)
    with loaded.begin() as conn:
        conn.execute(text("UPDATE customer_order SET operator = '=2+5' WHERE id = 7"))
        conn.execute(text("UPDATE customer SET code = '@SUM(1)' WHERE code = 'C2'"))
    result = run_cli("--db", url_of(loaded), "export", "orders", "--week", "2026-11-23")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "7,'@SUM(1),P1,1,381.60,2026-11-23T16:05:09+08:00,'=2+5",
        "7,'@SUM(1),P2,4,230.50,2026-11-23T16:05:09+08:00,'=2+5",
    ]


# --------------------------------------------------------------------------------------------- --replace-week


def _quota_rows(engine: Engine) -> list[tuple[str, str, int, int, str | None, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT q.week, p.code, q.tier_from, q.tier_to, c.code, q.max_qty FROM quota q "
                "JOIN product p ON p.id = q.product_id LEFT JOIN customer c ON c.id = q.customer_id"
            )
        ).all()
    return sorted((str(w), p, lo, hi, c, n) for w, p, lo, hi, c, n in rows)


def _last_audit(engine: Engine) -> tuple[str, str, dict[str, object]]:
    with engine.connect() as conn:
        action, entity, detail = conn.execute(
            text("SELECT action, entity, detail FROM audit_log ORDER BY id DESC LIMIT 1")
        ).one()
    return action, entity, json.loads(detail)


def test_replace_week_takes_quota_rows_away(loaded: Engine, tmp_path: Path) -> None:
    url = url_of(loaded)
    first = write(
        tmp_path,
        "quotas.csv",
        "week,product_code,tier_from,tier_to,max_qty,customer_code\n"
        "2026-11-23,P1,1,10,5,\n2026-11-23,P2,1,10,5,\n2026-11-23,P1,1,30,9,C1\n2026-11-30,P2,1,30,2,\n",
    )
    assert run_cli("--db", url, "import", "quotas", first).exit_code == 0
    plain = write(tmp_path, "plain.csv", "week,product_code,tier_from,tier_to,max_qty\n2026-11-23,P1,1,10,6\n")
    result = run_cli("--db", url, "import", "quotas", plain)
    assert result.exit_code == 0
    assert len(_quota_rows(loaded)) == 4  # without --replace-week a file only adds and updates
    replace = write(
        tmp_path,
        "replace.csv",
        "week,product_code,tier_from,tier_to,max_qty\n2026-11-23,P1,1,10,7\n2026-11-23,P2,11,30,3\n",
    )
    result = run_cli("--db", url, "import", "quotas", replace, "--replace-week")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"imported 2 quotas rows from {replace} (1 new, 1 updated)",
        "week 2026-11-23 replaced: 1 added, 1 updated, 2 removed",
    ]
    assert _quota_rows(loaded) == [
        ("2026-11-23", "P1", 1, 10, None, 7),
        ("2026-11-23", "P2", 11, 30, None, 3),
        ("2026-11-30", "P2", 1, 30, None, 2),  # a week the file does not name is left alone
    ]
    action, entity, detail = _last_audit(loaded)
    assert (action, entity) == ("import", "quotas")
    assert detail["replace_week"] == {"2026-11-23": {"added": 1, "updated": 1, "removed": 2}}
    assert (detail["rows"], detail["new"], detail["updated"]) == (2, 1, 1)


def test_replace_week_takes_a_supply_limit_away(loaded: Engine, tmp_path: Path) -> None:
    """Once the week's file no longer lists a product, that product has no supply limit that week."""
    url = url_of(loaded)
    supply = write(tmp_path, "supply.csv", "week,product_code,total_qty\n2026-11-23,P1,2\n2026-11-23,P2,2\n")
    assert run_cli("--db", url, "import", "supply", supply).exit_code == 0
    assert run_cli("--db", url, "order", "place", "C1", "P1=3").exit_code == 3  # only 2 in supply
    only_p2 = write(tmp_path, "only_p2.csv", "week,product_code,total_qty\n2026-11-23,P2,4\n")
    result = run_cli("--db", url, "import", "supply", only_p2, "--replace-week")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "week 2026-11-23 replaced: 0 added, 1 updated, 1 removed"
    placed = run_cli("--db", url, "order", "place", "C1", "P1=3", "P2=4")
    assert placed.exit_code == 0, placed.stderr


def test_replace_week_refusals_change_nothing(loaded: Engine, tmp_path: Path) -> None:
    url = url_of(loaded)
    supply = write(tmp_path, "supply.csv", "week,product_code,total_qty\n2026-11-23,P1,2\n2026-11-23,P2,2\n")
    assert run_cli("--db", url, "import", "supply", supply).exit_code == 0
    bad = write(tmp_path, "bad.csv", "week,product_code,total_qty\n2026-11-23,P1,4\n2026-11-23,P9,1\n")
    err = refuse(loaded, "supply", bad, "--replace-week")
    assert err.splitlines() == [
        f"{bad}:3: product_code 'P9' is not in the catalog",
        f"telesales: 1 bad row of 2 in {bad}; nothing was imported",
    ]
    catalog = write(tmp_path, "cat.csv", CATALOG)
    err = refuse(loaded, "catalog", catalog, "--replace-week")
    assert err == (
        "telesales: --replace-week applies to quotas and supply files only, not catalog: those are the kinds "
        "whose rows belong to a week\n"
    )
