"""The `telesales` command line. Each command module registers itself on `app`."""

from tui.cli.main import app, main

# Command modules register their commands on `app` when imported.
from tui.cli import calls_cmds, db_cmds, data_cmds, demo_cmd, match_cmd, suggest_cmd, ticket_cmds, user_cmds  # noqa: F401  isort: skip

__all__ = ["app", "main"]
