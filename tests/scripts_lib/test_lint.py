"""Lint as a trainer meets it: each mistake a careless edit makes is named with its line, and garbage input
never produces a traceback. The shipped scripts are held to the same checks."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from scripts_lib.lint import MAX_WIDTH, Problem, check, lint, lint_paths, negative_questions
from scripts_lib.loader import SHIPPED_DIR

SHIPPED = sorted(SHIPPED_DIR.glob("*.yaml"))


def script(*steps: str, title: str = "title: {zh: 测试, en: Test}") -> str:
    """A script around the given step blocks; the greeting, read-back and close make it valid by default."""
    return title + "\nsteps:\n" + "".join(steps)


GREETING = """\
  - id: greeting
    kind: greeting
    prompt:
      zh: "{time_greeting}!我是{company}电访员。"
      en: "{time_greeting}! This is {company}."
"""
READBACK = """\
  - id: readback
    kind: readback
    prompt:
      zh: 我跟您核对一下。对吗?
      en: Let me read it back. Is that right?
"""
CLOSE = """\
  - id: close
    kind: close
    prompt:
      zh: 谢谢您,再见!
      en: Thank you, goodbye!
"""
VALID = script(GREETING, READBACK, CLOSE)


def step(prompt_zh: str, prompt_en: str = "Hello.", *, id: str = "extra", kind: str = "information") -> str:
    return f"""\
  - id: {id}
    kind: {kind}
    prompt:
      zh: "{prompt_zh}"
      en: "{prompt_en}"
"""


def reasons(text: str | bytes) -> list[str]:
    return [p.reason for p in lint(text)]


def only(text: str | bytes) -> Problem:
    problems = lint(text)
    assert len(problems) == 1, problems
    return problems[0]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# ------------------------------------------------------------------------------------------- shipped


def test_the_shipped_scripts() -> None:
    assert {p.stem for p in SHIPPED} == {"regular", "callback", "complaint", "retention", "new_product", "inbound"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_script_lints_clean(path: Path) -> None:
    assert lint(path) == []


def test_a_valid_script_passes_and_comes_back_as_a_model() -> None:
    parsed, problems = check(VALID)
    assert problems == []
    assert parsed is not None and [s.id for s in parsed.steps] == ["greeting", "readback", "close"]


# ---------------------------------------------------------------------------------- unreadable input


def test_a_yaml_syntax_error_names_its_line() -> None:
    text = VALID.replace("      zh: 谢谢您,再见!", "      zh: 谢谢您,再见!\n    - broken: [")
    problem = only(text)
    assert problem.reason.startswith("YAML syntax error")
    assert problem.line == line_of(text, "broken") or problem.line == line_of(text, "broken") + 1


def test_a_colon_in_plain_english_text_is_a_syntax_error_on_that_line() -> None:
    text = VALID.replace("en: Thank you, goodbye!", "en: Note: thank you, goodbye!")
    problem = only(text)
    assert problem.line == line_of(text, "Note:") and "YAML syntax error" in problem.reason


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "\ufeff"])
def test_an_empty_file_is_one_problem_on_line_1(text: str) -> None:
    assert lint(text) == [Problem("<script>", 1, "empty file: a script needs a title and steps")]


def test_a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    text = VALID.replace("测试", "Test")  # the first Chinese text, where GBK and UTF-8 differ, is on line 6
    path.write_bytes(text.encode("gbk"))
    [problem] = lint(path)
    assert problem.file == str(path)
    assert problem.line == line_of(text, "我是") == 6
    assert problem.reason.startswith("not UTF-8 text") and "save the file as UTF-8" in problem.reason


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert lint(path) == []


def test_a_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    [problem] = lint(tmp_path / "nope.yaml")
    assert problem.line == 1 and problem.reason.startswith("cannot read the file")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("- a\n- b\n", "a script is a mapping with 'title:' and 'steps:'"),
        ("just words\n", "a script is a mapping with 'title:' and 'steps:'"),
        ("title: {zh: a, en: b}\n", "the script needs 'steps'"),
        ("title: {zh: a, en: b}\nsteps: 3\n", "steps must be a list ('- item' lines)"),
    ],
)
def test_a_wrong_shape_is_one_readable_sentence(text: str, reason: str) -> None:
    assert reasons(text) == [reason]


def test_a_mistyped_key_is_named_with_a_suggestion_on_its_line() -> None:
    text = VALID.replace("    kind: close\n", "    kind: close\n    hnit: {zh: 提示, en: tip}\n")
    problem = only(text)
    assert problem.line == line_of(text, "hnit")
    assert problem.reason == "unknown key 'hnit'; did you mean 'hint'?"


def test_a_number_where_text_belongs_asks_for_quotes() -> None:
    text = VALID.replace("id: close", "id: 7")
    problem = only(text)
    assert problem.line == line_of(text, "id: 7") and problem.reason == "steps[3].id must be text; put it in quotes"


def test_a_key_written_twice_is_reported() -> None:
    text = VALID.replace("    kind: close\n", "    kind: close\n    kind: thanks\n")
    problem = only(text)
    assert problem.line == line_of(text, "kind: thanks") and problem.reason.startswith("duplicate key 'kind'")


def test_yaml_aliases_are_refused() -> None:
    text = VALID.replace("title: {zh: 测试, en: Test}", "title: &t {zh: 测试, en: Test}\npurpose: *t")
    problem = only(text)
    assert problem.line == 2 and "aliases" in problem.reason


def test_an_unknown_yaml_tag_is_a_problem() -> None:
    text = VALID.replace("zh: 谢谢您,再见!", "zh: !!python/object:os.system 谢谢")
    assert "cannot read this value" in only(text).reason


# --------------------------------------------------------------------------------------- the meaning


def test_an_unknown_step_kind_is_named_on_its_line() -> None:
    text = script(GREETING, step("新品上市。", kind="informaton"), READBACK, CLOSE)
    problem = only(text)
    assert problem.line == line_of(text, "informaton")
    assert problem.reason == "unknown step kind 'informaton'; did you mean 'information'?"


def test_a_placeholder_typo_is_named_on_the_exact_line_of_a_multiline_text() -> None:
    text = script(
        GREETING,
        """\
  - id: confirm
    kind: confirm
    prompt:
      zh: |-
        您好!
        请问是{custmer}吗?
      en: Is that {customer}?
""",
        READBACK,
        CLOSE,
    )
    problem = only(text)
    assert problem.line == line_of(text, "{custmer}")
    assert problem.reason == "unknown placeholder {custmer}; did you mean {customer}?"


def test_a_placeholder_with_no_likely_correction_lists_the_known_ones() -> None:
    problem = only(script(GREETING, step("{zzz}"), READBACK, CLOSE))
    assert problem.reason.startswith("unknown placeholder {zzz} (known: {customer}, {shop_code},")


def test_an_unmatched_brace_is_reported_and_doubled_braces_are_literal() -> None:
    assert "unmatched '{'" in only(script(GREETING, step("价格{以公告为准"), READBACK, CLOSE)).reason
    assert lint(script(GREETING, step("价格{{以公告为准}}"), READBACK, CLOSE)) == []


def test_a_placeholder_in_a_title_is_not_filled_and_is_reported() -> None:
    assert (
        "is not filled in the title"
        in only(script(GREETING, READBACK, CLOSE, title="title: {zh: '{owner}', en: x}")).reason
    )


def test_duplicate_step_ids_name_both_lines() -> None:
    text = script(GREETING, step("新品上市。", id="news"), step("货源充足。", id="news"), READBACK, CLOSE)
    problem = only(text)
    lines = [n for n, line in enumerate(text.splitlines(), 1) if "id: news" in line]
    assert problem.line == lines[1]
    assert problem.reason == f"duplicate step id 'news' (first at line {lines[0]})"


@pytest.mark.parametrize(
    ("left_out", "reason"),
    [
        ("greeting", "no greeting step: every call opens with the company's greeting"),
        (
            "readback",
            "no readback step: every call reads back what was taken, line by line, to catch what was misheard",
        ),
        ("close", "no close step: every call closes politely with the next order day"),
    ],
)
def test_a_missing_required_step_is_reported(left_out: str, reason: str) -> None:
    blocks = {"greeting": GREETING, "readback": READBACK, "close": CLOSE}
    del blocks[left_out]
    text = script(*blocks.values())
    assert lint(text) == [Problem("<script>", line_of(text, "steps:"), reason)]


def test_a_required_step_that_vanishes_without_optional_data_is_reported() -> None:
    greeting = GREETING.replace("{time_greeting}!我是", "{owner},{time_greeting}!我是").replace(
        "{time_greeting}! This", "{time_greeting}, {owner}! This"
    )
    text = script(greeting, READBACK, CLOSE)
    problem = lint(text)[0]
    assert problem.line == line_of(text, "id: greeting")
    assert "the greeting step is left out" in problem.reason and "give it a fallback" in problem.reason
    with_fallback = greeting + '    fallback: {zh: "{time_greeting}!", en: "{time_greeting}!"}\n'
    assert lint(script(with_fallback, READBACK, CLOSE)) == []


def test_an_unknown_condition_is_named_on_its_line() -> None:
    block = step("{holiday}快到了。", "{holiday} is coming.", id="holiday") + "    when: [holliday_near]\n"
    text = script(GREETING, block, READBACK, CLOSE)
    problem = only(text)
    assert problem.line == line_of(text, "holliday_near")
    assert problem.reason == "unknown condition 'holliday_near'; did you mean 'holiday_near'?"


def test_a_negated_condition_is_checked_too_and_a_single_one_needs_no_brackets() -> None:
    block = step("您好。", id="hello") + "    when: not owner_knwon\n"
    text = script(GREETING, block, READBACK, CLOSE)
    problem = only(text)
    assert problem.line == line_of(text, "owner_knwon") and "did you mean 'owner_known'" in problem.reason
    assert lint(script(GREETING, step("您好。", id="hello") + "    when: not owner_known\n", READBACK, CLOSE)) == []


@pytest.mark.parametrize(("missing", "have"), [("en", "zh"), ("zh", "en")])
def test_a_prompt_missing_its_other_language_is_reported(missing: str, have: str) -> None:
    block = READBACK.replace(
        "      en: Let me read it back. Is that right?\n" if missing == "en" else "      zh: 我跟您核对一下。对吗?\n",
        "",
    )
    text = script(GREETING, block, CLOSE)
    problem = only(text)
    assert problem.line == line_of(text, "id: readback") + 2  # the `prompt:` line
    assert problem.reason == f"step 'readback' prompt has {have} but no {missing}: write both languages side by side"


def test_a_hint_and_a_fallback_need_both_languages_too() -> None:
    text = VALID.replace("      en: Thank you, goodbye!\n", "      en: Thank you, goodbye!\n    hint: {zh: 微笑}\n")
    assert only(text).reason == "step 'close' hint has zh but no en: write both languages side by side"


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("硬春城,订不订?", "订不订"),
        ("这周中华要不要?", "要不要"),
        ("芙蓉王拿不拿?", "拿不拿"),
        ("新品进不进?", "进不进"),
        ("您需不需要补货?", "需不需要"),
        ("白沙还要吗?", "要吗"),
        ("软中华要吗?", "要吗"),
        ("这周就不要了吧?", "不要了吧"),
        ("黄鹤楼订不?", "订不?"),
    ],
)
def test_negative_and_take_it_or_leave_it_questions_are_reported(text: str, bad: str) -> None:
    source = script(GREETING, step(text), READBACK, CLOSE)
    problem = only(source)
    assert problem.line == line_of(source, text)
    assert problem.reason.startswith(f"negative or take-it-or-leave-it question «{bad}»: make a positive suggestion")


@pytest.mark.parametrize(
    "text",
    [
        "建议您这周拿两条,您看行吗?",
        "我跟您核对一下,对吗?",
        "还有别的我能帮您的吗?",
        "这个很重要吗?",
        "您看这样好不好?",
        "您这周想订哪些?",
        "不要客气!",
    ],
)
def test_positive_questions_pass(text: str) -> None:
    assert negative_questions(text, "zh") == []


def test_english_take_it_or_leave_it_questions_are_reported_too() -> None:
    assert negative_questions("Do you want it or not?", "en") == ["or not"]
    assert negative_questions("You don't want any more, do you?", "en") == ["You don't want any"]
    assert negative_questions("Anything else I can help with?", "en") == []


def test_a_line_too_wide_with_typical_data_is_reported_on_its_line() -> None:
    raw = "这周紧俏的品规:{short_brands},我按限量尽量给您配足,请您放心。"
    assert cell_len(raw) <= MAX_WIDTH  # the raw text fits; the brands read out do not
    text = script(
        GREETING,
        "  - id: short\n    kind: information\n    prompt:\n      zh: |-\n        紧俏品规\n        "
        + raw
        + "\n      en: 'Tight: {short_brands}.'\n",
        READBACK,
        CLOSE,
    )
    problem = only(text)
    assert problem.line == line_of(text, "这周紧俏")
    assert re.fullmatch(r"line is 8\d cells wide with typical data, more than 80: split it", problem.reason)


def test_width_is_counted_in_terminal_cells_not_characters() -> None:
    assert lint(script(GREETING, step("好" * 40), READBACK, CLOSE)) == []  # 80 cells
    problem = only(script(GREETING, step("好" * 41), READBACK, CLOSE))
    assert problem.reason.startswith("line is 82 cells wide")


def test_a_long_text_yaml_joined_from_short_lines_suggests_a_block() -> None:
    text = script(GREETING, step("x"), READBACK, CLOSE).replace(
        '      zh: "x"',
        "      zh: 这是第一行很长很长很长很长很长很长的文字\n        这是第二行很长很长很长很长很长很长的文字",
    )
    assert "write the text as a '|' block" in only(text).reason


def test_problems_print_as_file_line_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(script(GREETING, READBACK), encoding="utf-8")
    [problem] = lint(path)
    assert str(problem) == f"{path}:2: no close step: every call closes politely with the next order day"


def test_lint_paths_reads_the_yaml_files_of_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yml").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a script", encoding="utf-8")
    results = dict(lint_paths([tmp_path]))
    assert set(results) == {tmp_path / "a.yaml", tmp_path / "b.yml"}
    assert results[tmp_path / "a.yaml"] == [] and len(results[tmp_path / "b.yml"]) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert [p.reason for _, ps in lint_paths([empty]) for p in ps] == ["no *.yaml scripts in this folder"]


# ---------------------------------------------------------------------------------------------- fuzz

REGULAR = (SHIPPED_DIR / "regular.yaml").read_text(encoding="utf-8")


def _sane(problems: list[Problem], text_lines: int) -> None:
    assert all(isinstance(p, Problem) and 1 <= p.line <= text_lines + 2 and p.reason for p in problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_lint_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    _sane(lint(data), data.count(b"\n") + 1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from([*"ab: -[]{}!&*|>'\"#\n\t?,%@`订不中华", "  ", "\n  - ", "{customer}"]), max_size=80).map(
        "".join
    )
)
def test_lint_never_raises_on_yaml_like_text(text: str) -> None:
    _sane(lint(text), text.count("\n") + 1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(REGULAR)), st.integers(0, 40), st.text(max_size=12))
def test_lint_never_raises_on_a_damaged_shipped_script(at: int, cut: int, insert: str) -> None:
    damaged = REGULAR[:at] + insert + REGULAR[at + cut :]
    _sane(lint(damaged), damaged.count("\n") + 1)


def test_deep_nesting_is_a_problem_not_a_recursion_error() -> None:
    assert lint("[" * 5000 + "]" * 5000)


# ------------------------------------------------------------------------------------ hostile files

HOSTILE = {
    # name: (content, line, reason starts with); each ~200 kB, the shape that took PyYAML minutes or seconds
    "brackets": ("[" * 200_000, 1, "nested more than 32 levels deep"),
    "braces": ("{" * 200_000, 1, "nested more than 32 levels deep"),
    "balanced": ("[" * 100_000 + "]" * 100_000, 1, "nested more than 32 levels deep"),
    "indentation": ("".join(" " * i + "k:\n" for i in range(600)), 33, "nested more than 32 levels deep"),
    "dashes": ("- " * 100_000, 1, "nested more than 32 levels deep"),
    "many values": ("[" + ",".join(["[[[[[[[[[[a]]]]]]]]]]"] * 10_000) + "]", 1, "more than 5,000 values"),
    "many lines": ("- a\n" * 60_000, 5000, "more than 5,000 values"),
    "too big": ("title: x\n" + "#" * 300_000, 1, "file is 300,009 bytes: too big to be a call script"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_refused_by_its_limit(tmp_path: Path, name: str) -> None:
    """Refused before the parser's cost grows with the file (each takes milliseconds; see the limits in lint)."""
    content, line, reason = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_text(content, encoding="utf-8")
    [problem] = lint(path)
    assert (problem.file, problem.line) == (str(path), line)
    assert problem.reason.startswith(reason)


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    """A FIFO would block the terminal loading its scripts, /dev/zero fill its memory."""
    fifo = tmp_path / "greeting.yaml"
    os.mkfifo(fifo)
    assert [str(p) for p in lint(fifo)] == [
        f"{fifo}:1: not a regular file (a device or a pipe): a script is a .yaml file"
    ]
    assert [p.reason for p in lint(Path("/dev/zero"))] == [
        "not a regular file (a device or a pipe): a script is a .yaml file"
    ]
    assert [p.reason for p in lint(tmp_path)] == ["cannot read the file: it is a folder"]
    assert lint("[" * 300_000)[0].reason.startswith("file is 300,000 bytes: too big")


def test_script_lint_refuses_a_hostile_file_as_file_line_reason(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    path = tmp_path / "deep.yaml"
    path.write_text("steps:\n  - " + "{" * 200_000, encoding="utf-8")
    result = run_cli("script", "lint", str(path))
    assert result.exit_code == 1
    assert result.stdout == f"{path}:2: nested more than 32 levels deep (brackets or indentation): not a script\n"
    assert "Traceback" not in result.stderr
