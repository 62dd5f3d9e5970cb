"""The `telesales` command line. Each command module registers itself on `app`.

Start-up counts: `telesales suggest --all` is run from scripts, and the command modules between them import
the pinyin tables, the entry parser and the ORM models, and Typer builds every command's options before it runs
one. So the console script imports only the modules of the commands named on its command line (`COMMANDS`), and
all of them when none is (`--help`, the TUI); `from tui.cli import app` still gets every command.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import tui.cli.main as _cli  # before `main` below: importing the submodule would rebind the package's `main`

# a top-level command or group -> the module that registers it (tests/tui/test_cli_suggest.py checks it is whole)
COMMANDS: dict[str, str] = {
    "audit": "audit_cmd",
    "calls": "calls_cmds",
    "config": "config_cmds",
    "customer": "customer_cmds",
    "db": "db_cmds",
    "demo": "demo_cmd",
    "doctor": "doctor_cmd",
    "entry": "entry_cmd",
    "export": "data_cmds",
    "import": "data_cmds",
    "match": "match_cmd",
    "order": "order_cmds",
    "phone": "phone_cmd",
    "report": "report_cmd",
    "script": "script_cmds",
    "suggest": "suggest_cmd",
    "ticket": "ticket_cmds",
    "user": "user_cmds",
}


def load_commands(argv: list[str] | None = None) -> None:
    """Register the commands named in `argv` (every argument that is a command's name, so an option's value
    that happens to be one only costs an import), or every command when none is named or `argv` is None."""
    named = [COMMANDS[arg] for arg in argv or () if arg in COMMANDS]
    for module in dict.fromkeys(named or COMMANDS.values()):
        importlib.import_module(f"tui.cli.{module}")


def main() -> None:
    """Console-script entry point."""
    load_commands(sys.argv[1:])
    _cli.main()


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole command line, for tests and for callers that invoke it in-process
        load_commands()
        return _cli.app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
