"""The `telesales` command line. Each command module registers itself on `app`."""

from tui.cli.main import app, main

# Command modules register their commands on `app` when imported.
from tui.cli import (  # noqa: F401  isort: skip
    audit_cmd,
    calls_cmds,
    customer_cmds,
    config_cmds,
    data_cmds,
    db_cmds,
    demo_cmd,
    doctor_cmd,
    entry_cmd,
    match_cmd,
    order_cmds,
    phone_cmd,
    report_cmd,
    script_cmds,
    suggest_cmd,
    ticket_cmds,
    user_cmds,
)

__all__ = ["app", "main"]
