from __future__ import annotations

import io
import sys

import pytest

from tui.cli.progress import progress_bar


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_person_watching_sees_each_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    with progress_bar() as progress:
        progress("checking", 10, 10)
        progress("writing", 4, 10)
    assert "checking" in fake.getvalue()
    assert "writing" in fake.getvalue() and "4/10" in fake.getvalue()


def test_piped_output_stays_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    with progress_bar() as progress:
        progress("checking", 10, 10)
    assert piped.getvalue() == ""
