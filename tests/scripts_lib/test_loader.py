"""The library a running app uses: shipped scripts, a deployment's folder overriding them by name, and a
script that fails lint refused while the last good version stays in use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts_lib.context import MINIMAL_CONTEXT
from scripts_lib.loader import SHIPPED_DIR, ScriptLibrary, UnknownScript
from scripts_lib.render import render

SHIPPED_REGULAR = (SHIPPED_DIR / "regular.yaml").read_text(encoding="utf-8")
OWN_GREETING = "您好!这里是{company}订货热线。"


def own_regular(greeting: str = OWN_GREETING) -> str:
    """The shipped regular script with the deployment's own greeting prompt."""
    old = '      zh: "{owner},{time_greeting}!我是{company}电访员{operator},很高兴为您提供服务!"'
    assert old in SHIPPED_REGULAR
    return SHIPPED_REGULAR.replace(old, f'      zh: "{greeting}"')


def greeting(library: ScriptLibrary) -> str:
    return render(library.get("regular"), MINIMAL_CONTEXT, "zh")[0].text


def test_the_shipped_scripts_load_clean() -> None:
    library = ScriptLibrary()
    assert library.names() == ["callback", "complaint", "inbound", "new_product", "regular", "retention"]
    assert library.problems == []
    assert library.source("regular") == SHIPPED_DIR / "regular.yaml"


def test_an_unknown_name_lists_the_available_scripts() -> None:
    with pytest.raises(UnknownScript) as err:
        ScriptLibrary().get("regualr")
    assert str(err.value) == (
        "unknown script 'regualr'; available: callback, complaint, inbound, new_product, regular, retention"
    )


def test_a_deployment_folder_overrides_by_name_and_adds_scripts(tmp_path: Path) -> None:
    (tmp_path / "regular.yaml").write_text(own_regular(), encoding="utf-8")
    (tmp_path / "holiday_greetings.yaml").write_text(own_regular(), encoding="utf-8")
    library = ScriptLibrary(tmp_path)
    assert greeting(library) == "您好!这里是烟草公司订货热线。"
    assert library.source("regular") == tmp_path / "regular.yaml"
    assert "holiday_greetings" in library and "complaint" in library


def test_a_broken_file_is_refused_and_the_shipped_script_stays(tmp_path: Path) -> None:
    (tmp_path / "regular.yaml").write_text(own_regular("您好{custmer}"), encoding="utf-8")
    library = ScriptLibrary(tmp_path)
    assert [str(p) for p in library.problems] == [
        f"{tmp_path / 'regular.yaml'}:23: unknown placeholder {{custmer}}; did you mean {{customer}}?"
    ]
    assert library.source("regular") == SHIPPED_DIR / "regular.yaml"
    assert greeting(library) == "您好!我是烟草公司电访员,很高兴为您提供服务!"


def test_a_script_broken_while_in_use_keeps_its_last_good_version(tmp_path: Path) -> None:
    path = tmp_path / "regular.yaml"
    path.write_text(own_regular(), encoding="utf-8")
    library = ScriptLibrary(tmp_path)
    assert greeting(library) == "您好!这里是烟草公司订货热线。"

    path.write_text(own_regular()[:200], encoding="utf-8")  # a trainer's half-saved edit
    problems = library.reload()
    assert problems and all(p.file == str(path) for p in problems)
    assert greeting(library) == "您好!这里是烟草公司订货热线。"  # the last good version, not the shipped one

    path.write_bytes("greeting: 您好".encode("gbk"))
    assert library.reload()[0].reason.startswith("not UTF-8")
    assert greeting(library) == "您好!这里是烟草公司订货热线。"

    path.write_text(own_regular("{time_greeting}!欢迎致电{company}。"), encoding="utf-8")
    assert library.reload() == [] and library.problems == []
    assert greeting(library) == "您好!欢迎致电烟草公司。"


def test_removing_the_override_returns_to_the_shipped_script(tmp_path: Path) -> None:
    path = tmp_path / "regular.yaml"
    path.write_text(own_regular(), encoding="utf-8")
    library = ScriptLibrary(tmp_path)
    path.unlink()
    library.reload()
    assert library.source("regular") == SHIPPED_DIR / "regular.yaml"


def test_a_missing_folder_is_reported_and_the_library_keeps_what_it_had(tmp_path: Path) -> None:
    library = ScriptLibrary(tmp_path / "nowhere")
    assert len(library.problems) == 1 and "cannot read the scripts folder" in library.problems[0].reason
    assert library.names() == ScriptLibrary().names()  # the shipped scripts are still there

    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "regular.yaml").write_text(own_regular(), encoding="utf-8")
    library = ScriptLibrary(folder)
    folder.joinpath("regular.yaml").unlink()
    folder.rmdir()
    assert library.reload()[0].reason.startswith("cannot read the scripts folder")
    assert greeting(library) == "您好!这里是烟草公司订货热线。"


def test_a_hostile_file_is_refused_and_the_last_good_version_stays(tmp_path: Path) -> None:
    """The check a terminal runs on its scripts folder is bounded: 200 kB of brackets is refused at once (it took
    minutes of CPU) and the script in use stays; a FIFO named like a script does not block the load."""
    path = tmp_path / "regular.yaml"
    path.write_text(own_regular(), encoding="utf-8")
    library = ScriptLibrary(tmp_path)
    assert greeting(library) == "您好!这里是烟草公司订货热线。"

    path.write_text("[" * 200_000, encoding="utf-8")
    os.mkfifo(tmp_path / "callback.yml")  # not a regular file: passed over, never opened
    assert [str(p) for p in library.reload()] == [
        f"{path}:1: nested more than 32 levels deep (brackets or indentation): not a script"
    ]
    assert greeting(library) == "您好!这里是烟草公司订货热线。"
    assert library.source("callback") == SHIPPED_DIR / "callback.yaml"
