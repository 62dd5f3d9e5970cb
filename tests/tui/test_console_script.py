"""The installed `telesales` script, run as a user runs it: usage errors exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "telesales"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=dict(os.environ), timeout=60)


def test_help_lists_the_contract_commands() -> None:
    proc = _run("--help")
    assert proc.returncode == 0
    for command in ("demo", "db", "import", "export", "user"):
        assert command in proc.stdout


@pytest.mark.parametrize("args", [("no-such-command",), ("db",), ("user", "add"), ("db", "status", "--bogus")])
def test_usage_errors_exit_2_without_traceback(args: tuple[str, ...]) -> None:
    proc = _run(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_db_status_on_a_fresh_machine_names_the_embedded_database(tmp_path: Path) -> None:
    proc = _run("db", "status")
    assert proc.returncode == 0, proc.stderr
    assert f"sqlite:///{tmp_path}/data/telesales.db" in proc.stdout
