"""CSV import core: read a file as a stream, check every row, and write it in one transaction, or nothing.

All-or-nothing is the contract: the ERP exports are re-run by hand when something is wrong, so a half-imported
file would be worse than a refused one. Every bad row is reported (not just the first) so the person fixing the
export sees the whole job at once.

A history file has millions of rows, so nothing here holds a whole file: rows are checked and written as they
are read, inside the transaction that a bad row rolls back, and repeated keys are found from 8-byte hashes (a
second read confirms them, only when there are any). Only regular files are read (/dev/zero never ends, a FIFO
blocks), and no physical line may be longer than MAX_LINE characters.

No printing here: the caller gets `ImportFileError` (one sentence about the whole file), `ImportRowErrors`
(the bad rows with their line numbers) or an `ImportResult`, and a progress callback for long files.

`history` files have their own tight validation loop and write with the driver's `executemany` / PostgreSQL
`COPY`; the other kinds are thousands of rows and use a small declarative column spec.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
import zlib
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Engine, MetaData, Table, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError

from db.engine import write_transaction
from db.tables import AUDIT, CUSTOMER, HISTORY, PRODUCT, QUOTA, SUPPLY

KINDS = ("catalog", "customers", "history", "quotas", "supply")
REQUIRED: dict[str, tuple[str, ...]] = {
    "catalog": ("code", "name", "price_per_carton"),
    "customers": ("code", "name", "tier", "order_weekday"),
    "history": ("customer_code", "order_date", "product_code", "qty"),
    "quotas": ("week", "product_code", "tier_from", "tier_to", "max_qty"),
    "supply": ("week", "product_code", "total_qty"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "catalog": ("brand", "pack", "style", "price_band", "barcode", "status", "aliases", "launched_on"),
    "customers": ("owner", "phone", "district", "shop_type", "operator", "status"),
    "history": (),
    "quotas": ("customer_code",),
    "supply": (),
}

BATCH = 5_000  # rows per executemany: big enough to amortise round trips, small enough for a smooth progress bar
HISTORY_BATCH = 50_000
MAX_INT = 2_147_483_647  # INTEGER columns on PostgreSQL; checked here so a typo never surfaces as a SQL error
MAX_LINE = 1 << 20  # characters in one physical line: no row of these kinds comes near it
MAX_KEPT = 1_000  # bad rows kept with their reason (all are counted); the CLI prints 50

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

ProgressFn = Callable[[str, int, int], None]
"""progress(phase, done, total), every few thousand rows. "checking" while the file is read (good rows are written
as they are checked; `total` is estimated from the bytes read so far), then "writing" for the last step (ending
the COPY, merging, committing)."""


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message is one sentence for the user."""


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


class ImportRowErrors(ValueError):
    """Some rows are bad: nothing was written. `count` is how many; `errors` holds the first MAX_KEPT of them
    by line (a file can fail millions of rows, and nobody reads past the first screenful)."""

    def __init__(self, file: str, errors: list[RowError], rows: int, count: int | None = None):
        self.file = file
        self.errors = sorted(errors, key=lambda e: e.line)[:MAX_KEPT]
        self.count = len(errors) if count is None else count
        self.rows = rows
        super().__init__(f"{self.count} bad rows in {file}")


@dataclass
class ImportResult:
    kind: str
    file: str
    rows: int
    new: int
    updated: int
    weeks: dict[date, WeekChange] = field(default_factory=dict)  # with --replace-week: what each week became


class _Bad(ValueError):
    """A value's problem, phrased to follow "<column> '<value>' "."""


# --------------------------------------------------------------------------------------------- value parsers


def _whole(lo: int = 1, hi: int = MAX_INT, what: str | None = None) -> Callable[[str], int]:
    """Whole numbers only: "1.5", "1e2", "+3" and "1_000" are all rejected, since Python's int() takes some."""
    if what is None:
        what = "a whole number > 0" if lo == 1 and hi == MAX_INT else f"a whole number from {lo} to {hi}"

    def parse(raw: str) -> int:
        if not raw.isdecimal():
            raise _Bad(f"must be {what}")
        value = int(raw)
        if not lo <= value <= hi:
            raise _Bad(f"must be {what}")
        return value

    return parse


_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


def _price_fen(raw: str) -> int:
    """Yuan as written by the ERP to exact fen: Decimal, never float, so 0.1 + 0.2 cannot creep in."""
    if not _DECIMAL.fullmatch(raw):
        raise _Bad("is not a number (write yuan like 381.60)")
    try:
        yuan = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees a decimal
        raise _Bad("is not a number (write yuan like 381.60)") from exc
    if yuan <= 0:
        raise _Bad("must be more than 0")
    fen = yuan * 100
    if fen != fen.to_integral_value():
        raise _Bad("has more than 2 decimals (1 fen = 0.01 is the smallest unit)")
    if fen > MAX_INT:
        raise _Bad("is too large")
    return int(fen)


def _strict_date(raw: str) -> date:
    """Only YYYY-MM-DD: fromisoformat alone would also take 20261123 and 2026-W48, which the ERP never means."""
    if len(raw) != 10 or raw[4] != "-" or raw[7] != "-" or not raw.replace("-", "").isdigit():
        raise _Bad("is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _Bad("is not a real date") from exc


def _monday(raw: str) -> date:
    day = _strict_date(raw)
    if day.weekday() != 0:
        monday = date.fromordinal(day.toordinal() - day.weekday())
        raise _Bad(f"is a {WEEKDAYS[day.weekday()]}; a week is written as its Monday ({monday.isoformat()})")
    return day


def _text(max_len: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_len:
            raise _Bad(f"is longer than {max_len} characters")
        return raw

    return parse


_CODE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*", re.ASCII)
_LOGIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", re.ASCII)
FORMULA_START = ("=", "+", "-", "@")  # what a spreadsheet reads as the start of a formula (OWASP CSV injection)


def _code(raw: str) -> str:
    """A product or customer code: ASCII letters, digits, '-' and '_', not starting with '-'.

    Codes travel back to the ERP in every export and are typed into spreadsheets by the people fixing one; a
    code such as `=HYPERLINK(...)` or `@SUM(...)` would run there, so it is refused at the door rather than
    trusted to every later writer. Licence numbers and product codes are digits, so nothing real is lost."""
    if len(raw) > 32:
        raise _Bad("is longer than 32 characters")
    if not _CODE.fullmatch(raw):
        if raw[0] == "-":
            raise _Bad("starts with '-'; a code is letters, digits, '-' or '_' and starts with a letter or digit")
        raise _Bad("may hold only letters, digits, '-' and '_'")
    return raw


def _login(raw: str) -> str:
    """An order taker's login, as `telesales user add` accepts it (letters, digits, '_', '.', '-')."""
    if len(raw) > 32:
        raise _Bad("is longer than 32 characters")
    if not _LOGIN.fullmatch(raw):
        raise _Bad("is not a login: use letters, digits, '_', '.' or '-', starting with a letter or digit")
    return raw


def _name(max_len: int) -> Callable[[str], str]:
    """A name shown on screens and written to exports: refused when it starts like a spreadsheet formula
    (`=`, `+`, `-`, `@`), since no shop or product is called that and an export must never carry one."""
    check = _text(max_len)

    def parse(raw: str) -> str:
        if raw[0] in FORMULA_START:
            raise _Bad(f"starts with '{raw[0]}', which a spreadsheet would run as a formula; remove it")
        return check(raw)

    return parse


def _customer_status(raw: str) -> bool:
    """`active` or `inactive` to the customer's `active` flag: an inactive shop leaves the call lists."""
    if raw not in ("active", "inactive"):
        raise _Bad("must be active or inactive")
    return raw == "active"


def _status(raw: str) -> str:
    if raw not in ("active", "discontinued"):
        raise _Bad("must be active or discontinued")
    return raw


def _aliases(raw: str) -> str:
    return "|".join(part.strip() for part in raw.split("|") if part.strip())


@dataclass(frozen=True)
class _Col:
    """One CSV column: how to parse it, and which table column (if any) receives the value."""

    name: str
    parse: Callable[[str], Any]
    target: str | None = None
    empty: Any = None  # value of an optional column left empty


_SPECS: dict[str, tuple[_Col, ...]] = {
    "catalog": (
        _Col("code", _code, "code"),
        _Col("name", _name(100), "name"),
        _Col("price_per_carton", _price_fen, "price_fen"),
        _Col("brand", _name(50), "brand"),
        _Col("pack", _text(20), "pack"),
        _Col("style", _text(20), "style"),
        _Col("price_band", _whole(1, 5, "a whole number from 1 to 5 (or empty)"), "price_band"),
        _Col("barcode", _text(32), "barcode"),
        _Col("status", _status, "status", empty="active"),
        _Col("aliases", _aliases, "aliases", empty=""),
        _Col("launched_on", _strict_date, "launched_on"),
    ),
    "customers": (
        _Col("code", _code, "code"),
        _Col("name", _name(100), "name"),
        _Col("tier", _whole(1, 30), "tier"),
        _Col("order_weekday", _whole(1, 7, "a whole number from 1 (Monday) to 7 (Sunday)"), "order_weekday"),
        _Col("owner", _name(50), "owner"),
        _Col("phone", _text(32), "phone"),
        _Col("district", _text(50), "district"),
        _Col("shop_type", _text(50), "shop_type"),
        _Col("operator", _login, "operator"),
        _Col("status", _customer_status, "active", empty=True),
    ),
    "quotas": (
        _Col("week", _monday, "week"),
        _Col("product_code", str),
        _Col("tier_from", _whole(1, 30), "tier_from"),
        _Col("tier_to", _whole(1, 30), "tier_to"),
        _Col("max_qty", _whole(), "max_qty"),
        _Col("customer_code", str),
    ),
    "supply": (
        _Col("week", _monday, "week"),
        _Col("product_code", str),
        _Col("total_qty", _whole(), "total_qty"),
    ),
}


# --------------------------------------------------------------------------------------------- reading


class _LineTooLong(Exception):
    """A physical line of MAX_LINE characters or more, raised from inside the csv reader's input."""


def _printable(text: str) -> str:
    """`text` with control characters escaped, for a message that echoes what the user typed or the file held:
    an ESC in a file name or an encoding must not act on the terminal that prints the refusal."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _codec(encoding: str | None) -> str:
    """The codec to decode with, checked before any file is opened. An unknown name, or a codec that does not
    turn bytes into text (rot13, hex, zlib), is one sentence here instead of a traceback from the decoder."""
    if encoding is not None and not encoding.strip():
        raise ImportFileError("the encoding is empty; use utf-8 (the default) or gb18030")
    enc = encoding or "utf-8"
    shown = _printable(enc)
    try:
        name = codecs.lookup(enc).name
    except (LookupError, ValueError, TypeError) as exc:
        raise ImportFileError(f"unknown encoding '{shown}'; use utf-8 (the default) or gb18030") from exc
    try:
        io.TextIOWrapper(io.BytesIO(), encoding=name)  # refuses a codec that is not a text encoding
    except LookupError as exc:
        raise ImportFileError(
            f"'{shown}' is not a text encoding (it does not turn bytes into text); use utf-8 (the default) or gb18030"
        ) from exc
    return "utf-8-sig" if name == "utf-8" else name


def _open_regular(path: Path, file: str) -> tuple[int, os.stat_result]:
    """Open `path` for reading, refusing anything but a regular file.

    /dev/zero never ends and a FIFO blocks until someone writes to it, so the type is checked on the opened
    descriptor (no window for the name to be swapped between a check and the open), and the open itself does not
    block (O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise ImportFileError(f"{file} does not exist") from exc
    except IsADirectoryError as exc:
        raise ImportFileError(f"{file} is a folder, not a CSV file") from exc
    except OSError as exc:
        raise ImportFileError(f"cannot read {file}: {exc.strerror or exc}") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ImportFileError(f"{file} is a folder, not a CSV file")
        what = (
            "a pipe"
            if stat.S_ISFIFO(info.st_mode)
            else "a device"
            if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
            else "a socket"
            if stat.S_ISSOCK(info.st_mode)
            else "not a regular file"
        )
        raise ImportFileError(f"{file} is {what}, not a CSV file: import reads regular files only")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd, info


def check_replace_week(kind: str, replace_week: bool) -> None:
    """Refuse an unknown kind, and `--replace-week` for a kind that has no weeks to replace."""
    if kind not in KINDS:
        raise ImportFileError(f"unknown kind '{_printable(kind)}'; use one of {', '.join(KINDS)}")
    if replace_week and kind not in REPLACEABLE:
        raise ImportFileError(
            f"--replace-week applies to {' and '.join(REPLACEABLE)} files only, not {kind}: those are the kinds "
            "whose rows belong to a week"
        )


def check_source(path: str | Path, kind: str, encoding: str | None = None, replace_week: bool = False) -> None:
    """Refuse a file that cannot be imported whatever the database holds (missing, not a regular file, an
    unknown kind or encoding, `--replace-week` on a kind without weeks), so the CLI can say so before it
    connects to anything."""
    check_replace_week(kind, replace_week)
    _codec(encoding)
    fd, _ = _open_regular(Path(path), str(path))
    os.close(fd)


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def _lines(stream: io.TextIOWrapper) -> Iterator[str]:
    """The file's physical lines for the csv reader, never one longer than MAX_LINE characters: a file with no
    line breaks (a binary file, a log) would otherwise be read whole into memory before any check could run."""
    readline = stream.readline
    while line := readline(MAX_LINE):
        if len(line) == MAX_LINE and line[-1] not in "\r\n":
            raise _LineTooLong
        yield line


@dataclass
class _Csv:
    """An open file positioned after its header; the file is read as it is checked, never held whole."""

    file: str
    path: Path
    kind: str
    codec: str
    explicit: bool  # the encoding was chosen by the user (the hint about GB18030 is for the default only)
    columns: dict[str, int]  # normalised header name -> position
    width: int
    reader: Any  # csv.reader; its line_num gives file line numbers even across quoted newlines
    raw: io.BufferedReader  # the bytes under the text, for progress by position
    size: int
    identity: tuple[int, int, int, int]


def _open_csv(path: Path, file: str, kind: str, codec: str, explicit: bool, stack: ExitStack) -> _Csv:
    fd, info = _open_regular(path, file)
    try:
        raw = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    stream = stack.enter_context(io.TextIOWrapper(raw, encoding=codec, errors="strict", newline=""))
    if info.st_size == 0:
        raise ImportFileError(f"{file} is empty: a {kind} file needs a header row ({_needs(kind)}) and data rows")
    # strict: an unterminated quote is an error instead of a value that swallows the rest of the file
    reader = csv.reader(_lines(stream), strict=True)
    src = _Csv(file, path, kind, codec, explicit, {}, 0, reader, raw, info.st_size, _identity(info))
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)  # leading blank lines
    except csv.Error as exc:
        raise ImportFileError(f"{file}:{reader.line_num}: cannot be read as CSV ({_csv_reason(exc)})") from exc
    except (UnicodeError, _LineTooLong) as exc:
        raise _stream_error(src, exc, reader.line_num) from exc
    if header is None:
        raise ImportFileError(f"{file} is empty: a {kind} file needs a header row ({_needs(kind)}) and data rows")
    columns: dict[str, int] = {}
    for pos, raw_name in enumerate(header):
        name = raw_name.removeprefix("\ufeff").strip().lower() if pos == 0 else raw_name.strip().lower()
        if not name:
            continue
        if name in columns:
            raise ImportFileError(f"{file}: column '{_printable(name)}' appears twice in the header")
        columns[name] = pos
    missing = [c for c in REQUIRED[kind] if c not in columns]
    if missing:
        raise ImportFileError(
            f"{file} is missing the required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"a {kind} file needs {_needs(kind)}"
        )
    src.columns = columns
    src.width = len(header)
    return src


def _reopen(src: _Csv, stack: ExitStack) -> _Csv:
    """The same file from the top, for a second look; refused if it changed since the first read began."""
    again = _open_csv(src.path, src.file, src.kind, src.codec, src.explicit, stack)
    if again.identity != src.identity:
        raise ImportFileError(f"{src.file} changed while it was being imported; nothing was imported: run it again")
    return again


def _needs(kind: str) -> str:
    out = ",".join(REQUIRED[kind])
    if OPTIONAL[kind]:
        out += f" (optional: {','.join(OPTIONAL[kind])})"
    return out


def _csv_reason(exc: csv.Error) -> str:
    """The csv module's complaint in the words of someone fixing an export in a spreadsheet."""
    said = str(exc)
    if "unexpected end of data" in said:
        return 'unterminated quote: a value opened with " is never closed'
    if "expected after" in said:
        return 'unterminated quote: a quoted value must end with " followed by a comma (write "" for a " inside it)'
    if "field larger than field limit" in said:
        return f"a value is longer than {csv.field_size_limit():,} characters (an unterminated quote?)"
    return f"cannot be read as CSV ({said})"


def _stream_error(src: _Csv, exc: BaseException, lines_read: int) -> ImportFileError:
    """A whole-file refusal for a problem met while reading: a line too long, or bytes the encoding cannot read."""
    if isinstance(exc, _LineTooLong):
        return ImportFileError(
            f"{src.file}:{lines_read + 1}: a line is longer than {MAX_LINE:,} characters; "
            f"this is not a {src.kind} CSV file"
        )
    line = _undecodable_line(src)
    if not src.explicit or src.codec == "utf-8-sig":
        return ImportFileError(
            f"{src.file} is not UTF-8 (line {line} has bytes that are not valid UTF-8); Chinese ERPs and Excel "
            f"often write GB18030, so if that is where it came from, rerun with --encoding gb18030"
        )
    return ImportFileError(f"{src.file} cannot be read as {src.codec} (line {line}); check the --encoding")


def _undecodable_line(src: _Csv) -> int:
    """The line holding the first bytes `src.codec` cannot decode. The text layer decodes in chunks, so where it
    failed says little; this reads the bytes again (an error path only), a bounded piece at a time."""
    decoder = codecs.getincrementaldecoder(src.codec)()
    fd, _ = _open_regular(src.path, src.file)
    line = 1
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.readline(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeError:
                return line
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeError:
            return line
    return line


def _rows(src: _Csv) -> Iterator[tuple[int, list[str] | str]]:
    """(first line of the row, its fields) for every non-blank row; a row the csv module cannot split comes as
    (line, reason) and reading goes on with the next line, so every bad row is listed, not just the first."""
    reader = src.reader
    prev = reader.line_num
    while True:
        try:
            for row in reader:
                line = prev + 1
                prev = reader.line_num
                if not any(f.strip() for f in row):
                    continue
                yield line, row
            return
        except csv.Error as exc:
            line = prev + 1
            prev = reader.line_num
            yield line, _csv_reason(exc)
        except (UnicodeError, _LineTooLong) as exc:
            raise _stream_error(src, exc, reader.line_num) from exc


def _estimate(src: _Csv, rows: int) -> int:
    """Rows in the whole file, guessed from the bytes read so far: the file is not counted ahead of time."""
    pos = src.raw.tell()
    return max(rows, round(rows * src.size / pos)) if pos > 0 else rows


def _width_error(row: list[str], width: int) -> str | None:
    """More values than header columns almost always means an unquoted comma inside a name."""
    if len(row) > width and any(f.strip() for f in row[width:]):
        return f"has {len(row)} values but the header has {width} columns (a comma inside a value must be quoted)"
    return None


def _echo(raw: str) -> str:
    """A value as quoted in a row's reason, cut short: a value may be 131,072 characters long, and a thousand
    kept reasons each quoting one in full would hold more memory than the import itself."""
    return raw if len(raw) <= 64 else raw[:60] + "…"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0: "NUL", 9: "tab", 10: "line feed", 13: "carriage return", 27: "ESC"}


def _control(raw: str) -> str | None:
    """Why a value may not be imported because it holds a control character, else None.

    One rule on both databases: SQLite stores a NUL and PostgreSQL refuses it, so the same file would import on
    one and fail on the other. No field of any kind needs a control character (a tab or a line break inside a
    shop's name is an export mistake too), and an ESC or a C1 code in a name would act on the terminal that shows
    it. Leading and trailing whitespace is trimmed before this check, as for every value."""
    found = _CONTROL.search(raw)
    if found is None:
        return None
    code = ord(found.group())
    name = _CONTROL_NAMES.get(code)
    label = f"U+{code:04X}, {name}" if name else f"U+{code:04X}"
    return f"has a control character ({label}) at character {found.start() + 1}; remove it"


# --------------------------------------------------------------------------------------------- bad rows, repeats


class _Errors:
    """Bad rows as they are found: every one counted, the first MAX_KEPT by line kept with its reason, so a file
    whose millions of rows are all bad costs no more memory than a good one."""

    def __init__(self) -> None:
        self.count = 0
        self.kept: list[RowError] = []

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        self.kept.append(RowError(line, reason))
        if len(self.kept) >= 2 * MAX_KEPT:
            self.kept.sort(key=lambda e: e.line)
            del self.kept[MAX_KEPT:]

    def raise_if_any(self, file: str, rows: int) -> None:
        if self.count:
            raise ImportRowErrors(file, self.kept, rows, self.count)


_BUCKETS = 251  # a prime: history keys are arithmetic, and a power of two would crowd them into a few buckets


class _KeyHashes:
    """The hash of every good row's key, 8 bytes a row, so repeated keys are found without holding the rows.

    Equal hashes are only candidates (two keys may share a hash). `repeats()` names them; only then is the file
    read a second time, to confirm each candidate against its key and to find the line where it first appeared."""

    def __init__(self) -> None:
        self.buckets: list[array[int]] = [array("q") for _ in range(_BUCKETS)]

    def repeats(self) -> _Repeats | None:
        found: list[array[int]] = []
        any_found = False
        for bucket in self.buckets:
            if len(set(bucket)) == len(bucket):
                found.append(array("q"))
                continue
            counts = Counter(bucket)
            found.append(array("q", sorted(h for h, n in counts.items() if n > 1)))
            any_found = True
        self.buckets = []
        return _Repeats(found) if any_found else None


def _check_hash(key: tuple[Any, ...]) -> int:
    """A second 64-bit hash of a key, independent of Python's, to tell apart two keys that share `hash()`."""
    data = repr(key).encode("utf-8", "surrogatepass")
    return (zlib.crc32(data) << 32) | zlib.adler32(data)


class _Repeats:
    """Hashes seen more than once, each with the first line and check hash of the key that first had it: 24 bytes
    a repeated key, however many times a file repeats itself (an export appended twice repeats every row)."""

    def __init__(self, hashes: list[array[int]]) -> None:
        self.hashes = hashes
        self.first = [array("q", bytes(8 * len(h))) for h in hashes]
        self.check = [array("Q", bytes(8 * len(h))) for h in hashes]

    def seen_before(self, h: int, key: tuple[Any, ...], line: int) -> int | None:
        """The line where `key` first appeared when this row repeats it; None (remembering this line) otherwise."""
        b = h % _BUCKETS
        hashes = self.hashes[b]
        i = bisect_left(hashes, h)
        if i == len(hashes) or hashes[i] != h:
            return None
        check = _check_hash(key)
        first = self.first[b]
        if first[i] == 0:
            first[i] = line
            self.check[b][i] = check
            return None
        return first[i] if self.check[b][i] == check else None


# --------------------------------------------------------------------------------------------- lookups


def _codes(conn: Connection, table: Table) -> dict[str, int]:
    """code -> id for a whole table in one query: far cheaper than a query per row, and customers number
    in the tens of thousands at most."""
    return {code: ident for code, ident in conn.execute(select(table.c.code, table.c.id))}


# --------------------------------------------------------------------------------------------- generic kinds


class _GenericRows:
    """Checks one row of a catalog, customers, quotas or supply file against the column spec."""

    def __init__(self, src: _Csv, kind: str, conn: Connection) -> None:
        self.kind = kind
        self.width = src.width
        self.required = set(REQUIRED[kind])
        # in the file's column order, so a row's problems read left to right as the user sees the row
        self.where = sorted(
            ((col, src.columns.get(col.name)) for col in _SPECS[kind]), key=lambda cp: (cp[1] is None, cp[1] or 0)
        )
        self.products = _codes(conn, PRODUCT) if kind in ("quotas", "supply") else {}
        self.customers = _codes(conn, CUSTOMER) if kind == "quotas" else {}
        self.present = {col.target for col, pos in self.where if pos is not None and col.target}

    def check(self, row: list[str]) -> str | tuple[str, dict[str, Any], str, tuple[Any, ...]]:
        """The reason the row is bad, or (group, record for the table, key description, key)."""
        if (wide := _width_error(row, self.width)) is not None:
            return wide
        problems: list[str] = []
        values: dict[str, Any] = {}
        for col, pos in self.where:
            if pos is None:
                continue
            raw = row[pos].strip() if pos < len(row) else ""
            if raw == "":
                if col.name in self.required:
                    problems.append(f"{col.name} is empty")
                else:
                    values[col.name] = col.empty
                continue
            if (bad := _control(raw)) is not None:
                problems.append(f"{col.name} {bad}")
                continue
            try:
                values[col.name] = col.parse(raw)
            except _Bad as exc:
                problems.append(f"{col.name} '{_echo(raw)}' {exc}")
        kind = self.kind
        record = {col.target: values[col.name] for col, _ in self.where if col.target and col.name in values}
        group = kind
        if kind in ("quotas", "supply"):
            code = values.get("product_code")
            if code is not None:
                if code in self.products:
                    record["product_id"] = self.products[code]
                else:
                    problems.append(f"product_code '{_echo(code)}' is not in the catalog")
        if kind == "quotas":
            lo, hi = values.get("tier_from"), values.get("tier_to")
            if lo is not None and hi is not None and lo > hi:
                problems.append(f"tier_from '{lo}' is greater than tier_to '{hi}'")
            cust = values.get("customer_code")
            record["customer_id"] = None
            group = "quotas_tier"
            if cust:
                group = "quotas_customer"
                if cust in self.customers:
                    record["customer_id"] = self.customers[cust]
                else:
                    problems.append(f"customer_code '{_echo(cust)}' is not a known customer")
        if problems:
            return "; ".join(problems)
        key_desc, key = _key(kind, group, values)
        return group, record, key_desc, key


def _key(kind: str, group: str, v: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    if kind in ("catalog", "customers"):
        return f"code '{v['code']}'", (v["code"],)
    week = v["week"].isoformat()
    if group == "quotas_customer":
        return (
            f"week {week}, product_code '{v['product_code']}' and customer_code '{v['customer_code']}'",
            (group, v["week"], v["product_code"], v["customer_code"]),
        )
    if group == "quotas_tier":
        return (
            f"week {week}, product_code '{v['product_code']}' and tiers {v['tier_from']}-{v['tier_to']}",
            (group, v["week"], v["product_code"], v["tier_from"], v["tier_to"]),
        )
    return f"week {week} and product_code '{v['product_code']}'", (v["week"], v["product_code"])


def _upsert_statement(conn: Connection, kind: str, group: str, present: set[str]) -> Any:
    """INSERT … ON CONFLICT DO UPDATE for one group: columns the file does not supply are left alone."""
    qc: Column[Any] = QUOTA.c.customer_id
    keys: Sequence[str]
    where: Any = None
    if kind in ("catalog", "customers"):
        table, keys, update = _TABLES[kind], ["code"], sorted(present - {"code"})
    elif group == "quotas_tier":
        table, keys, update, where = QUOTA, ["week", "product_id", "tier_from", "tier_to"], ["max_qty"], qc.is_(None)
    elif group == "quotas_customer":
        table, keys, update = QUOTA, ["week", "product_id", "customer_id"], ["tier_from", "tier_to", "max_qty"]
        where = qc.isnot(None)
    else:
        table, keys, update = SUPPLY, ["week", "product_id"], ["total_qty"]
    stmt = _dialect_insert(conn, table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        index_where=where,
        set_={c: stmt.excluded[c] for c in update},
    )


class _GenericWriter:
    """Upserts checked rows in batches as the file is read, inside the import's transaction."""

    def __init__(self, conn: Connection, kind: str, present: set[str]) -> None:
        self.conn = conn
        self.kind = kind
        self.present = present
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.statements: dict[str, Any] = {}

    def add(self, group: str, record: dict[str, Any]) -> None:
        batch = self.pending.setdefault(group, [])
        batch.append(record)
        if len(batch) >= BATCH:
            self.flush(group)

    def flush(self, group: str) -> None:
        batch = self.pending.pop(group, [])
        if not batch:
            return
        if group not in self.statements:
            self.statements[group] = _upsert_statement(self.conn, self.kind, group, self.present)
        self.conn.execute(self.statements[group], batch)

    def finish(self) -> None:
        for group in list(self.pending):
            self.flush(group)


REPLACEABLE = ("quotas", "supply")


@dataclass
class WeekChange:
    """What `--replace-week` did to one week: rows of the file new to it, rows it already had (updated in
    place), and rows it had that the file no longer lists (removed)."""

    added: int = 0
    updated: int = 0
    removed: int = 0

    def as_json(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "removed": self.removed}


class _WeekReplacer:
    """`--replace-week`: the weeks a quotas or supply file names end up holding exactly the file's rows.

    The ERP sends the week's whole allocation, and a product taken off it must stop being limited (or, for a
    customer override, fall back to the tier rule): an upsert alone could never take a row away. Each week's
    existing keys are read the first time the file names that week, before any of its rows is written, so the
    counts compare the file with the week as it was; the rows the file does not list are deleted at the end,
    inside the import's transaction, so a refused file removes nothing either."""

    def __init__(self, conn: Connection, kind: str) -> None:
        self.conn = conn
        self.table: Table = QUOTA if kind == "quotas" else SUPPLY
        self.before: dict[date, dict[tuple[Any, ...], int]] = {}  # week -> key -> row id, as the week was
        self.kept: dict[date, set[tuple[Any, ...]]] = {}

    def _key(self, row: Any) -> tuple[Any, ...]:
        """A row's natural key, the same for a record about to be written and a row read back."""
        if self.table is SUPPLY:
            return (row["product_id"],)
        if row["customer_id"] is None:
            return ("tier", row["product_id"], row["tier_from"], row["tier_to"])
        return ("customer", row["product_id"], row["customer_id"])

    def note(self, group: str, record: dict[str, Any]) -> None:
        week: date = record["week"]
        if week not in self.before:
            t = self.table
            cols = [t.c.id, t.c.product_id] + ([t.c.customer_id, t.c.tier_from, t.c.tier_to] if t is QUOTA else [])
            rows = self.conn.execute(select(*cols).where(t.c.week == week)).mappings()
            self.before[week] = {self._key(r): int(r["id"]) for r in rows}
            self.kept[week] = set()
        self.kept[week].add(self._key(record))

    def finish(self) -> dict[date, WeekChange]:
        """Delete what the file no longer lists; return each week's counts."""
        changes: dict[date, WeekChange] = {}
        for week in sorted(self.before):
            before, kept = self.before[week], self.kept[week]
            gone = [ident for key, ident in before.items() if key not in kept]
            for start in range(0, len(gone), BATCH):
                self.conn.execute(delete(self.table).where(self.table.c.id.in_(gone[start : start + BATCH])))
            updated = sum(1 for key in kept if key in before)
            changes[week] = WeekChange(added=len(kept) - updated, updated=updated, removed=len(gone))
        return changes


def _import_generic(
    conn: Connection,
    src: _Csv,
    kind: str,
    errors: _Errors,
    progress: ProgressFn | None,
    replacer: _WeekReplacer | None = None,
) -> tuple[int, Callable[[], None]]:
    """Check and write in one pass; returns the row count and what completes the writing. Writing stops at the
    first bad row (the transaction will be rolled back) but checking goes on, to list every bad row. With a
    `replacer`, each good row is shown to it before it is written, so it sees each week as it stood before."""
    rows_of = _GenericRows(src, kind, conn)
    writer = _GenericWriter(conn, kind, rows_of.present)
    keys = _KeyHashes()
    buckets = keys.buckets
    rows = 0
    for line, row in _rows(src):
        rows += 1
        if progress is not None and rows % BATCH == 0:
            progress("checking", rows, _estimate(src, rows))
        checked = row if isinstance(row, str) else rows_of.check(row)
        if isinstance(checked, str):
            errors.add(line, checked)
            continue
        group, record, _, key = checked
        h = hash(key)
        buckets[h % _BUCKETS].append(h)
        if not errors.count:
            if replacer is not None:
                replacer.note(group, record)
            writer.add(group, record)
    repeats = keys.repeats()
    if repeats is not None:
        with ExitStack() as stack:
            for line, row in _rows(_reopen(src, stack)):
                if isinstance(row, str) or isinstance(checked := rows_of.check(row), str):
                    continue
                _, _, key_desc, key = checked
                first = repeats.seen_before(hash(key), key, line)
                if first is not None:
                    errors.add(line, f"same {key_desc} as line {first}")
    return rows, writer.finish


# --------------------------------------------------------------------------------------------- history


_QTY = _whole()


class _HistoryWriter:
    """Writes checked history rows in batches as the file is read, inside the import's transaction.

    SQLite: the Core upsert compiled once and run through the driver's executemany with plain tuples: the rows are
    already validated and the dates already in SQLite's storage form, so per-row bind processing would be pure
    overhead (it was most of the write time when measured).
    PostgreSQL: COPY, several times faster than any INSERT. Into an empty table (the first, big import) it goes
    straight in; otherwise into a temporary table, then one INSERT … SELECT … ON CONFLICT DO UPDATE. The COPY stays
    open while the file is read; when the file turns out bad it is abandoned with the transaction, unfinished."""

    def __init__(self, conn: Connection, empty: bool, stack: ExitStack) -> None:
        self.conn = conn
        self.empty = empty
        self.copying = ExitStack()
        self.copy: Any = None
        self.sql = ""
        table: Table = HISTORY
        if conn.dialect.name != "postgresql":
            stmt = sqlite.insert(table).values({c: None for c in _HISTORY_COLS})
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.customer_id, table.c.order_date, table.c.product_id],
                set_={"qty": stmt.excluded.qty},
            )
            compiled = stmt.compile(dialect=conn.dialect)
            order = [compiled.positiontup.index(c) for c in _HISTORY_COLS] if compiled.positiontup else None
            assert order == [0, 1, 2, 3], f"unexpected parameter order {compiled.positiontup}"
            self.sql = str(compiled)
            return
        target = table.name
        if not empty:
            conn.execute(
                text(
                    "CREATE TEMPORARY TABLE _import_history "
                    "(customer_id integer, order_date date, product_id integer, qty integer) ON COMMIT DROP"
                )
            )
            target = "_import_history"
        raw: Any = conn.connection.driver_connection  # the psycopg connection, inside the same transaction
        # entered on the caller's stack, so a refusal unwinds it with the exception: COPY is cancelled, not ended
        stack.enter_context(self.copying)
        cur = self.copying.enter_context(raw.cursor())
        self.copy = self.copying.enter_context(cur.copy(f"COPY {target} ({', '.join(_HISTORY_COLS)}) FROM STDIN"))

    def write(self, rows: list[tuple[int, str, int, int]]) -> None:
        if self.copy is None:
            self.conn.exec_driver_sql(self.sql, rows)
        else:
            self.copy.write("".join([f"{c}\t{d}\t{p}\t{q}\n" for c, d, p, q in rows]))

    def finish(self) -> None:
        if self.copy is None:
            return
        self.copying.close()  # ends the COPY
        if not self.empty:
            table: Table = HISTORY
            staged = Table("_import_history", MetaData(), *(Column(c, table.c[c].type) for c in _HISTORY_COLS))
            stmt = postgresql.insert(table).from_select(list(_HISTORY_COLS), select(*staged.c))
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.customer_id, table.c.order_date, table.c.product_id],
                set_={"qty": stmt.excluded.qty},
            )
            self.conn.execute(stmt)


_HISTORY_COLS = ("customer_id", "order_date", "product_id", "qty")


def _import_history(
    conn: Connection, src: _Csv, empty: bool, errors: _Errors, progress: ProgressFn | None, stack: ExitStack
) -> tuple[int, Callable[[], None]]:
    """The million-row path: check and write in one pass, one dict lookup per field on the common case.

    Dates and quantities repeat endlessly in a history file, so each distinct raw string is parsed once and
    cached; a row whose four lookups all hit is valid without further work. Anything unusual (whitespace,
    unknown code, a bad value, a ragged row) falls to the careful path, which produces the messages.
    Good rows go to the database in batches of HISTORY_BATCH as they are read, and each row's key is kept only
    as an 8-byte hash, so memory does not grow with the file. Returns the row count and what completes writing.
    """
    products = _codes(conn, PRODUCT)
    customers = _codes(conn, CUSTOMER)
    writer = _HistoryWriter(conn, empty, stack)
    cols = src.columns
    ic, idt, ip, iq = cols["customer_code"], cols["order_date"], cols["product_code"], cols["qty"]
    need = max(ic, idt, ip, iq) + 1
    width = src.width
    dates: dict[str, tuple[str, int]] = {}  # raw -> (canonical text, day number for the duplicate key)
    qtys: dict[str, int] = {}
    n_cust = max(customers.values(), default=0) + 1
    n_prod = max(products.values(), default=0) + 1
    keys = _KeyHashes()
    buckets = keys.buckets
    batch: list[tuple[int, str, int, int]] = []
    append = batch.append
    reader = src.reader
    prev = reader.line_num
    rows = 0
    tick = prev + BATCH * 4
    while True:
        try:
            for row in reader:
                line = prev + 1
                prev = reader.line_num
                if len(row) == width:
                    cid = customers.get(row[ic])
                    day = dates.get(row[idt])
                    pid = products.get(row[ip])
                    qty = qtys.get(row[iq])
                else:
                    cid = day = pid = qty = None
                if cid is None or day is None or pid is None or qty is None:
                    if not any(f.strip() for f in row):
                        continue
                    checked = _history_slow(row, width, need, (ic, idt, ip, iq), customers, products, dates, qtys)
                    if isinstance(checked, str):
                        rows += 1
                        errors.add(line, checked)
                        continue
                    cid, day, pid, qty = checked
                rows += 1
                h = hash((day[1] * n_cust + cid) * n_prod + pid)
                buckets[h % _BUCKETS].append(h)
                if not errors.count:
                    append((cid, day[0], pid, qty))
                    if len(batch) >= HISTORY_BATCH:
                        writer.write(batch)
                        batch = []
                        append = batch.append
                if prev >= tick and progress is not None:
                    tick = prev + BATCH * 4
                    progress("checking", rows, _estimate(src, rows))
            break
        except csv.Error as exc:
            line = prev + 1
            prev = reader.line_num
            rows += 1
            errors.add(line, _csv_reason(exc))
        except (UnicodeError, _LineTooLong) as exc:
            raise _stream_error(src, exc, reader.line_num) from exc
    if batch and not errors.count:
        writer.write(batch)
    del batch
    repeats = keys.repeats()
    if repeats is not None:
        with ExitStack() as again:
            for line, row in _rows(_reopen(src, again)):
                if isinstance(row, str):
                    continue
                checked = _history_slow(row, width, need, (ic, idt, ip, iq), customers, products, dates, qtys)
                if isinstance(checked, str):
                    continue
                cid, day, pid, _ = checked
                first = repeats.seen_before(hash((day[1] * n_cust + cid) * n_prod + pid), (cid, day[1], pid), line)
                if first is not None:
                    errors.add(
                        line,
                        f"same customer_code '{row[ic].strip()}', order_date {day[0]} and product_code "
                        f"'{row[ip].strip()}' as line {first}",
                    )
    return rows, writer.finish


def _history_slow(
    row: list[str],
    width: int,
    need: int,
    idx: tuple[int, int, int, int],
    customers: dict[str, int],
    products: dict[str, int],
    dates: dict[str, tuple[str, int]],
    qtys: dict[str, int],
) -> tuple[int, tuple[str, int], int, int] | str:
    """Check one row carefully; returns the parsed row or the reason it is bad. Fills the caches."""
    if (wide := _width_error(row, width)) is not None:
        return wide
    if len(row) < need:
        row = row + [""] * (need - len(row))
    ic, idt, ip, iq = idx
    problems: list[str] = []
    c, d, p, q = row[ic].strip(), row[idt].strip(), row[ip].strip(), row[iq].strip()
    cid = day = pid = qty = None
    if not c:
        problems.append("customer_code is empty")
    elif (bad := _control(c)) is not None:
        problems.append(f"customer_code {bad}")
    elif (cid := customers.get(c)) is None:
        problems.append(f"customer_code '{_echo(c)}' is not a known customer")
    if not d:
        problems.append("order_date is empty")
    elif (bad := _control(d)) is not None:
        problems.append(f"order_date {bad}")
    elif (day := dates.get(d)) is None:
        try:
            parsed = _strict_date(d)
            day = (parsed.isoformat(), parsed.toordinal())
            dates[d] = day
            dates[row[idt]] = day
        except _Bad as exc:
            problems.append(f"order_date '{_echo(d)}' {exc}")
    if not p:
        problems.append("product_code is empty")
    elif (bad := _control(p)) is not None:
        problems.append(f"product_code {bad}")
    elif (pid := products.get(p)) is None:
        problems.append(f"product_code '{_echo(p)}' is not in the catalog")
    if not q:
        problems.append("qty is empty")
    elif (bad := _control(q)) is not None:
        problems.append(f"qty {bad}")
    elif (qty := qtys.get(q)) is None:
        try:
            qty = _QTY(q)
            qtys[q] = qty
            qtys[row[iq]] = qty
        except _Bad as exc:
            problems.append(f"qty '{_echo(q)}' {exc}")
    if problems or cid is None or day is None or pid is None or qty is None:
        return "; ".join(problems)
    return cid, day, pid, qty


# --------------------------------------------------------------------------------------------- writing


def _dialect_insert(conn: Connection, table: Table) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _lock(conn: Connection, table: Table) -> None:
    """Serialise imports of one table on PostgreSQL (SQLite's BEGIN IMMEDIATE already does), so the
    before/after row counts are exact and the empty-table fast path is safe. Readers are not blocked."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))


_TABLES: dict[str, Table] = {
    "catalog": PRODUCT,
    "customers": CUSTOMER,
    "history": HISTORY,
    "quotas": QUOTA,
    "supply": SUPPLY,
}


# --------------------------------------------------------------------------------------------- entry point


def import_file(
    engine: Engine,
    kind: str,
    path: str | Path,
    *,
    at: datetime,
    actor: str = "cli",
    encoding: str | None = None,
    progress: ProgressFn | None = None,
    replace_week: bool = False,
) -> ImportResult:
    """Check every row of `path` and upsert them all and an audit row in one transaction, or raise.

    The file is read as a stream and written as it is checked, inside the transaction; the first bad row stops
    the writing (checking goes on, to list every bad row) and any bad row rolls everything back, so memory does
    not grow with the file and all-or-nothing holds. `at` is passed in (not read here) so that `db/` stays free
    of the app's clock; `actor` is whoever ran it. `replace_week` (quotas and supply only): each week the file
    names ends up holding exactly the file's rows (`_WeekReplacer`), and the audit row says per week how many
    rows were added, updated and removed.
    """
    check_replace_week(kind, replace_week)
    file = str(path)
    codec = _codec(encoding)
    table: Table = _TABLES[kind]
    try:
        with ExitStack() as files:
            src = _open_csv(Path(path), file, kind, codec, encoding is not None, files)
            with write_transaction(engine) as conn, ExitStack() as writing:
                _lock(conn, table)
                before = _count(conn, table)
                errors = _Errors()
                replacer = _WeekReplacer(conn, kind) if replace_week else None
                if kind == "history":
                    total, finish = _import_history(conn, src, before == 0, errors, progress, writing)
                else:
                    total, finish = _import_generic(conn, src, kind, errors, progress, replacer)
                if _identity(os.fstat(src.raw.fileno())) != src.identity:
                    raise ImportFileError(
                        f"{file} changed while it was being imported; nothing was imported: run it again"
                    )
                errors.raise_if_any(file, total)
                if total == 0:
                    raise ImportFileError(f"{file} has a header but no data rows")
                if progress is not None:
                    progress("checking", total, total)
                    progress("writing", 0, total)
                finish()
                weeks = replacer.finish() if replacer is not None else {}
                new = sum(w.added for w in weeks.values()) if replacer else _count(conn, table) - before
                result = ImportResult(kind, file, total, new, total - new, weeks)
                detail: dict[str, Any] = {
                    "file": Path(path).name,
                    "path": str(Path(path).resolve()),
                    "encoding": encoding or "utf-8",
                    "rows": total,
                    "new": new,
                    "updated": total - new,
                }
                if replacer is not None:
                    detail["replace_week"] = {week.isoformat(): c.as_json() for week, c in weeks.items()}
                conn.execute(
                    insert(AUDIT).values(
                        at=at,
                        actor=actor[:32],
                        action="import",
                        entity=kind,
                        entity_id="",
                        detail=json.dumps(detail, ensure_ascii=False),
                    )
                )
    except IntegrityError as exc:
        # Only a concurrent change (a product deleted between checking and writing) can get here.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ImportFileError(f"the database refused {file}, nothing was imported: {reason}") from exc
    except DataError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ImportFileError(f"the database refused {file}, nothing was imported: {reason}") from exc
    if progress is not None:
        progress("writing", total, total)
    return result
