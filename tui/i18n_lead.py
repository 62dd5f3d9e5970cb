"""Strings of the shift lead's lead screens, merged into `tui.i18n.MESSAGES` (key -> (zh, en))."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {}
