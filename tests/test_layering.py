"""The UI is kept out of the core by machine, not by good intentions (Harlequin's habit)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("package", ["orders", "db", "scripts_lib"])
def test_core_packages_load_without_textual(package: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"import {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    if '.migrations' not in m.name: importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith(('textual.', 'tui')))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"{package} pulls in the UI: {proc.stdout}{proc.stderr}"


def test_the_demo_generator_loads_without_textual() -> None:
    """It sits in tui/ only for its place above orders/: `telesales demo --no-tui`, the tests and the benchmarks
    build a demo without a screen, so it loads nothing of the UI but itself."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import tui.demo\n"
        "for m in pkgutil.walk_packages(tui.demo.__path__, 'tui.demo.'):\n"
        "    importlib.import_module(m.name)\n"
        "ui = (n for n in sys.modules if n == 'textual' or n.startswith(('textual.', 'tui.')))\n"
        "bad = sorted(n for n in ui if n != 'tui.demo' and not n.startswith('tui.demo.'))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"tui.demo pulls in the UI: {proc.stdout}{proc.stderr}"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is part of the test extras"
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
