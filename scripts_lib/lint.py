"""Check a call script before it reaches a live call: every problem as `FILE:LINE: reason`, never a traceback.

Trainers and shift leads edit scripts by hand, so the checks are the ones a careless edit breaks: the file
is not UTF-8 or not YAML, a key, step kind, placeholder or condition is mistyped, a step id is used twice,
a required step (greeting, read-back, close) is missing or vanishes when the shop's data is thin, a text is
in one language only, a question is negative or take-it-or-leave-it («硬春城,订不订?» is the trade's
textbook bad example), or a line does not fit an 80-column terminal.

Line widths are measured in terminal cells (`rich.cells.cell_len`: a hanzi is two) after filling every
placeholder with typical data (`TYPICAL_CONTEXT`): the raw `{short_brands}` is 14 cells, a real list of
brands is 40, and it is the real line the order taker has to read.

Line numbers come from PyYAML's node marks; a problem inside a multi-line text points at the line itself.
YAML aliases (`*name`) are refused: a trainer does not need them, and refusing them rules out the
exponential "billion laughs" expansion in a file that the app loads.

Every terminal runs these checks when it loads the scripts folder, so a hostile file must cost little: only a
regular file is read (never a device or a pipe), at most MAX_BYTES of it, and the YAML scanner itself stops at
the first bracket or indentation level past MAX_DEPTH. Without that limit PyYAML's scanner is quadratic in the
depth of flow brackets, and 200 kB of `[[[[…` took minutes of CPU.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rich.cells import cell_len

from scripts_lib.context import FLAGS, MINIMAL_CONTEXT, NEGATION, PLACEHOLDERS, TYPICAL_CONTEXT
from scripts_lib.model import LANGS, REQUIRED_KINDS, STEP_KINDS, Bilingual, Lang, Script, Step
from scripts_lib.render import Field, StrayBrace, render, scan, values

MAX_WIDTH = 80  # terminal cells of one prompt line
STEP_ID = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_BYTES = 256 * 1024  # a script is a page or two of text; the shipped ones are a few kilobytes
MAX_DEPTH = 32  # nesting levels (brackets or indentation); a script needs about five
MAX_NODES = 5_000  # YAML values (texts, lists, mappings); the shipped scripts have a few hundred

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


# ------------------------------------------------------------------------------------ wording checks

_ORDER_VERBS = "订要拿进来买购加补试需"
_ZH_BAD_QUESTIONS = (
    re.compile(rf"([{_ORDER_VERBS}])不\1(?:要|货)?"),  # A不A on an order verb: 订不订, 要不要, 需不需要, 进不进货
    re.compile(r"(?<![主重只不])[要订拿进][吗么]"),  # 要吗, 还要吗, 需要吗, 订吗
    re.compile(r"不(?:要|订|拿|进|来|用|需要)了?[吧吗么啊]"),  # 不要了吧, 不订了吗: inviting a no
    re.compile(r"[订要拿进]不[?？]"),  # 订不? 要不?
)
_EN_BAD_QUESTIONS = (
    re.compile(r"\bor not\b", re.IGNORECASE),
    re.compile(r"\btake it or leave it\b", re.IGNORECASE),
    re.compile(r"\b(?:don'?t|do not|won'?t|will not) you (?:want|need|take|order)\b", re.IGNORECASE),
    re.compile(r"\byou (?:don'?t|do not) (?:want|need) (?:it|any|anything|more)\b", re.IGNORECASE),
    re.compile(r"\b(?:nothing|no) (?:more|else)\b[^.!?\n]*\?", re.IGNORECASE),
)
_ADVICE = "make a positive suggestion instead, e.g. 「建议您这周拿两条,您看行吗?」"


def negative_questions(text: str, lang: Lang) -> list[str]:
    """The negative or take-it-or-leave-it questions in a text, as written: they invite a "no"."""
    found: list[str] = []
    for pattern in _ZH_BAD_QUESTIONS if lang == "zh" else _EN_BAD_QUESTIONS:
        found += [m.group(0) for m in pattern.finditer(text)]
    return found


def _did_you_mean(word: str, known: list[str], template: str = "'{}'") -> str:
    """A likely correction, else the whole list: a trainer fixes a typo faster than they read a list."""
    close = difflib.get_close_matches(word.strip(), known, n=1, cutoff=0.6)
    if close:
        return "; did you mean " + template.format(close[0]) + "?"
    return " (known: " + ", ".join(template.format(k) for k in known) + ")"


# ---------------------------------------------------------------------------------------- YAML tree


@dataclass
class _Tree:
    """The YAML document as plain data, plus where each value was written."""

    source_lines: list[str]
    lines: dict[Path_, int] = field(default_factory=dict)  # path -> 1-based line of the value
    key_lines: dict[Path_, int] = field(default_factory=dict)  # path -> 1-based line of its key
    scalars: dict[Path_, yaml.ScalarNode] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor written in the file (a missing key's mapping)."""
        for n in range(len(path), -1, -1):
            sub = path[:n]
            if sub in self.key_lines:
                return self.key_lines[sub]
            if sub in self.lines:
                return self.lines[sub]
        return 1

    def text_line(self, path: Path_, needle: str | None = None, index: int | None = None) -> int:
        """The source line of a text's `index`-th line, or of the first line holding `needle`."""
        node = self.scalars.get(path)
        if node is None:
            return self.line(path)
        first, last = node.start_mark.line, node.end_mark.line
        if node.style == "|" and index is not None:
            return first + 2 + index  # a literal block: value lines are source lines, after the `|` line
        if needle:
            for n in range(first, min(last, len(self.source_lines) - 1) + 1):
                if needle in self.source_lines[n]:
                    return n + 1
        return first + (2 if node.style in ("|", ">") else 1)


_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


class _Builder:
    def __init__(self, tree: _Tree, problems: list[Problem], file: str) -> None:
        self.tree = tree
        self.problems = problems
        self.file = file
        self.constructor = yaml.SafeLoader("")

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.file, line, reason))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.tree.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            self.tree.scalars[path] = node
            try:
                return self.constructor.construct_object(node, deep=True)
            except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
                reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                self.problem(node.start_mark.line + 1, f"cannot read this value: {reason}; put text in quotes")
                return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            first_seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problem(line, "a key must be a plain word, not a list or a mapping")
                    continue
                key = str(key_node.value)
                if key in first_seen:
                    self.problem(line, f"duplicate key '{key}' (first at line {first_seen[key]}): write it once")
                    continue
                first_seen[key] = line
                self.tree.key_lines[(*path, key)] = line
                out[key] = self.build(value_node, (*path, key))
            return out
        return None


def _yaml_problem(exc: yaml.YAMLError, text: str, file: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1
        return Problem(file, line, f"character {exc.character!r} is not allowed in a YAML file")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = "; ".join(p for p in (exc.context, exc.problem) if p)
        return Problem(file, mark.line + 1 if mark else 1, f"YAML syntax error: {what or exc}")
    return Problem(file, 1, f"YAML syntax error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")


class _Unbounded(yaml.YAMLError):
    """A file past one of the parser's limits, raised where it crosses it; `reason` says which."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(line, reason)
        self.line = line
        self.reason = reason


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader with a script's limits, checked while it reads, and aliases noted instead of followed.

    The limits are checked token by token and node by node, so a hostile file costs the time to reach its 33rd
    level or its 5,001st value: the scanner's per-level bookkeeping is quadratic in the depth (200 kB of `[` took
    minutes), and the pure-Python parser needs about 50 µs a value (100,000 small values took 6 s). Aliases become
    empty placeholders in the tree (and problems), so the tree stays a tree: no "billion laughs" expansion."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases: list[int] = []
        self.nodes = 0

    def _too_deep(self) -> _Unbounded:
        return _Unbounded(
            self.get_mark().line + 1,
            f"nested more than {MAX_DEPTH} levels deep (brackets or indentation): not a script",
        )

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise self._too_deep()
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if self.indent < column and len(self.indents) >= MAX_DEPTH:
            raise self._too_deep()
        return bool(super().add_indent(column))

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            event = self.peek_event()
            line = event.start_mark.line + 1 if event.start_mark else 1
            raise _Unbounded(line, f"more than {MAX_NODES:,} values (texts, lists, keys): far more than a script holds")
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            self.aliases.append(event.start_mark.line + 1 if event.start_mark else 1)
            return yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        return super().compose_node(parent, index)


def _read_tree(text: str, file: str, problems: list[Problem]) -> tuple[Any, _Tree] | None:
    tree = _Tree(source_lines=_BREAKS.split(text))
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)  # the reader refuses unprintable characters already here
        root = loader.get_single_node()
    except _Unbounded as exc:
        problems.append(Problem(file, exc.line, exc.reason))
        return None
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(exc, text, file))
        return None
    except RecursionError:
        problems.append(Problem(file, 1, "the YAML is nested too deeply to be a script"))
        return None
    finally:
        if loader is not None:
            loader.dispose()
    if loader.aliases:
        problems += [
            Problem(file, n, "YAML aliases (*name) are not allowed in a script: write the text out")
            for n in loader.aliases
        ]
        return None
    if root is None:
        problems.append(Problem(file, 1, "empty file: a script needs a title and steps"))
        return None
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(file, root.start_mark.line + 1, "a script is a mapping with 'title:' and 'steps:'"))
        return None
    try:
        data = _Builder(tree, problems, file).build(root, ())
    except RecursionError:
        problems.append(Problem(file, 1, "the YAML is nested too deeply to be a script"))
        return None
    return data, tree


# ------------------------------------------------------------------------------------ structure errors

_FIELDS: dict[str, list[str]] = {
    "script": list(Script.model_fields),
    "step": list(Step.model_fields),
    "text": list(Bilingual.model_fields),
}


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _owner_of(loc: tuple[Any, ...]) -> str:
    """Which model a key at `loc` belongs to: the script, a step, or a text in two languages."""
    if len(loc) == 1:
        return "script"
    if len(loc) == 3 and loc[0] == "steps":
        return "step"
    return "text"


def _structure_problem(err: Any, tree: _Tree, file: str) -> Problem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind = err["type"]
    where = _dotted(loc)
    if kind == "missing":
        parent = _dotted(loc[:-1]) or "the script"
        reason = f"{parent} needs '{loc[-1]}'"
    elif kind == "extra_forbidden":
        allowed = _FIELDS[_owner_of(loc)]
        reason = f"unknown key '{loc[-1]}'{_did_you_mean(str(loc[-1]), allowed)}"
    elif kind in ("string_type", "string_unicode"):
        reason = f"{where} must be text; put it in quotes"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        hint = " with zh: and en:" if _owner_of((*loc, "x")) == "text" else ""
        reason = f"{where} must be a mapping of 'key: value' lines{hint}"
    elif kind in ("tuple_type", "list_type"):
        reason = f"{where} must be a list ('- item' lines)"
    else:
        reason = f"{where}: {err['msg']}"
    line = tree.key_lines.get(loc) if kind == "extra_forbidden" else None
    return Problem(file, line or tree.line(loc), reason)


# ------------------------------------------------------------------------------------ meaning checks


@dataclass
class _Checker:
    script: Script
    tree: _Tree
    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.file, line, reason))

    def run(self) -> list[Problem]:
        self.check_text(self.script.title, ("title",), "title", spoken=False, filled=False)
        if self.script.purpose is not None:
            self.check_text(self.script.purpose, ("purpose",), "purpose", spoken=False, filled=False)
        first_id: dict[str, int] = {}
        for i, step in enumerate(self.script.steps):
            base: Path_ = ("steps", i)
            label = f"step '{step.id}'"
            if step.kind not in STEP_KINDS:
                self.add(
                    self.tree.line((*base, "kind")),
                    f"unknown step kind '{step.kind}'{_did_you_mean(step.kind, list(STEP_KINDS))}",
                )
            id_line = self.tree.line((*base, "id"))
            if not STEP_ID.match(step.id):
                self.add(id_line, f"step id '{step.id}' must be letters, digits, '_' or '-'")
            elif step.id in first_id:
                self.add(id_line, f"duplicate step id '{step.id}' (first at line {first_id[step.id]})")
            else:
                first_id[step.id] = id_line
            for n, condition in enumerate(step.when):
                self.check_condition(condition, self._item((*base, "when"), n, len(step.when)))
            self.check_text(step.prompt, (*base, "prompt"), f"{label} prompt")
            for n, text in enumerate(step.fallback):
                self.check_text(text, self._item((*base, "fallback"), n, len(step.fallback)), f"{label} fallback")
            if step.hint is not None:  # not read out: a hint may quote the bad example it warns against
                self.check_text(step.hint, (*base, "hint"), f"{label} hint", spoken=False)
        self.check_required()
        return self.problems

    def _item(self, path: Path_, n: int, count: int) -> Path_:
        """A list item's path; a single `when:` or `fallback:` may be written without list brackets."""
        item = (*path, n)
        return item if item in self.tree.lines or count > 1 else path

    def check_condition(self, condition: str, path: Path_) -> None:
        name = condition[len(NEGATION) :].strip() if condition.startswith(NEGATION) else condition.strip()
        if name not in FLAGS:
            self.add(
                self.tree.line(path),
                f"unknown condition '{name}'{_did_you_mean(name, list(FLAGS))}",
            )

    def check_text(self, text: Bilingual, path: Path_, label: str, *, spoken: bool = True, filled: bool = True) -> None:
        present = {lang: text.text(lang) for lang in LANGS}
        missing = [lang for lang, value in present.items() if value is None]
        if len(missing) == 2:
            self.add(self.tree.line(path), f"{label} has no text: write it in zh and en")
            return
        if missing:
            have = next(lang for lang in LANGS if lang not in missing)
            self.add(
                self.tree.line(path),
                f"{label} has {have} but no {missing[0]}: write both languages side by side",
            )
        for lang, raw in present.items():
            if raw is None:
                continue
            where = (*path, lang)
            if not raw.strip():
                self.add(self.tree.line(where), f"{label} ({lang}) is empty")
                continue
            self.check_placeholders(raw, where, label, filled)
            if spoken:
                for bad in negative_questions(raw, lang):
                    self.add(
                        self.tree.text_line(where, bad), f"negative or take-it-or-leave-it question «{bad}»: " + _ADVICE
                    )
                self.check_width(raw, where, lang)

    def check_placeholders(self, raw: str, where: Path_, label: str, filled: bool) -> None:
        for part in scan(raw):
            if isinstance(part, StrayBrace):
                self.add(
                    self.tree.text_line(where, part.raw),
                    f"unmatched '{part.raw}' in {label}: write {{{{ or }}}} for a literal brace",
                )
            elif isinstance(part, Field):
                line = self.tree.text_line(where, part.raw)
                if not filled:
                    self.add(line, f"placeholder {part.raw} is not filled in the {label}: write plain text")
                elif part.name not in PLACEHOLDERS:
                    guess = _did_you_mean(part.name, list(PLACEHOLDERS), "{{{}}}")
                    self.add(line, f"unknown placeholder {part.raw}{guess}")

    def check_width(self, raw: str, where: Path_, lang: Lang) -> None:
        typical = values(TYPICAL_CONTEXT, lang)
        node = self.tree.scalars.get(where)
        folded = node is not None and node.style != "|" and node.end_mark.line > node.start_mark.line
        for index, line in enumerate(raw.split("\n")):
            shown = "".join(
                (typical.get(p.name) or p.raw) if isinstance(p, Field) else (p.raw if isinstance(p, StrayBrace) else p)
                for p in scan(line)
            )
            width = cell_len(shown)
            if width > MAX_WIDTH:
                tip = "; YAML joined your lines: write the text as a '|' block" if folded else ""
                self.add(
                    self.tree.text_line(where, line.strip()[:12] or None, index),
                    f"line is {width} cells wide with typical data, more than {MAX_WIDTH}: split it{tip}",
                )

    def check_required(self) -> None:
        kinds = [s.kind for s in self.script.steps]
        why = {
            "greeting": "opens with the company's greeting",
            "readback": "reads back what was taken, line by line, to catch what was misheard",
            "close": "closes politely with the next order day",
        }
        steps_line = self.tree.key_lines.get(("steps",), 1)
        for kind in REQUIRED_KINDS:
            if kind not in kinds:
                self.add(steps_line, f"no {kind} step: every call {why[kind]}")
        if self.problems:
            return  # a step with a broken text would vanish below too; one report per mistake
        for lang in LANGS:
            said = {r.kind for r in render(self.script, MINIMAL_CONTEXT, lang)}
            for kind in REQUIRED_KINDS:
                if kind in kinds and kind not in said:
                    i = kinds.index(kind)
                    self.add(
                        self.tree.line(("steps", i)),
                        f"the {kind} step is left out ({lang}) when the call knows nothing optional (no owner, "
                        "operator, holiday …): give it a fallback using only {customer}, {company}, {time_greeting}",
                    )


# ------------------------------------------------------------------------------------------ entry points


def _too_big(size: int, file: str) -> Problem:
    return Problem(file, 1, f"file is {size:,} bytes: too big to be a call script (the limit is {MAX_BYTES:,})")


def _decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    if len(data) > MAX_BYTES:
        return None, [_too_big(len(data), file)]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(file, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as UTF-8")]


def _source_text(source: str | bytes | Path, file: str | None) -> tuple[str, str | None, list[Problem]]:
    if isinstance(source, Path):
        name = file or str(source)
        data, problems = _read_limited(source, name)
        if data is None:
            return name, None, problems
        text, problems = _decode(data, name)
        return name, text, problems
    name = file or "<script>"
    if isinstance(source, bytes):
        text, problems = _decode(source, name)
        return name, text, problems
    if len(source) > MAX_BYTES:
        return name, None, [_too_big(len(source.encode("utf-8", "surrogatepass")), name)]
    return name, source.removeprefix("\ufeff"), []


def _read_limited(path: Path, name: str) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, read only if it is a regular file of at most MAX_BYTES.

    Checked on the opened descriptor, opened without blocking: a FIFO named like a script would otherwise hang
    the terminal loading its scripts, and /dev/zero fill its memory. No more than MAX_BYTES + 1 bytes are read,
    whatever the size said (a file may grow while it is read)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return None, [Problem(name, 1, f"cannot read the file: {exc.strerror or exc}")]
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return None, [Problem(name, 1, "cannot read the file: it is a folder")]
        if not stat.S_ISREG(info.st_mode):
            return None, [Problem(name, 1, "not a regular file (a device or a pipe): a script is a .yaml file")]
        if info.st_size > MAX_BYTES:
            return None, [_too_big(info.st_size, name)]
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            fd = -1  # the file object owns it now
            return fh.read(MAX_BYTES + 1), []
    except OSError as exc:
        return None, [Problem(name, 1, f"cannot read the file: {exc.strerror or exc}")]
    finally:
        if fd >= 0:
            os.close(fd)


def check(source: str | bytes | Path, file: str | None = None) -> tuple[Script | None, list[Problem]]:
    """Read and check a script; the Script comes back only when it has no problem at all."""
    name, text, problems = _source_text(source, file)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(name, 1, "empty file: a script needs a title and steps")]
    read = _read_tree(text, name, problems)
    if read is None:
        return None, problems
    data, tree = read
    try:
        script = Script.model_validate(data)
    except ValidationError as exc:
        problems += [_structure_problem(err, tree, name) for err in exc.errors()]
        return None, sorted(set(problems))
    problems += _Checker(script, tree, name).run()
    if problems:
        return None, sorted(set(problems))
    return script, []


def lint(source: str | bytes | Path, file: str | None = None) -> list[Problem]:
    """Every problem of a script (a path, its bytes or its text), in line order; empty when it is clean."""
    return check(source, file)[1]


def lint_paths(paths: list[Path]) -> Iterator[tuple[Path, list[Problem]]]:
    """Lint files, and every `*.yaml` / `*.yml` file in the folders among `paths`."""
    for path in paths:
        if not path.is_dir():
            yield path, lint(path)
            continue
        try:
            children = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        except OSError as exc:
            yield path, [Problem(str(path), 1, f"cannot read the folder: {exc.strerror or exc}")]
            continue
        if not children:
            yield path, [Problem(str(path), 1, "no *.yaml scripts in this folder")]
        for child in children:
            yield child, lint(child)
