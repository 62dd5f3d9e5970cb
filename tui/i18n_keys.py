"""Strings of the keys and dialogs part of issue 16 (leaving a call, quitting mid-call, signing out, the command
palette in the screen's language), merged into `tui.i18n.MESSAGES` (key -> (zh, en)); a module of their own so
that helpers working on the same screens at once do not edit the same lines."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # leaving a call without an outcome (Esc on the call screen, Ctrl+Q with a call open)
    "key.leave_call": ("离开通话", "Leave call"),
    "key.leave_call.tip": (
        "不记结果离开这通电话,草稿保留,下次打开还在",
        "Leave this call without an outcome; the draft is kept and reopens next time",
    ),
    "key.leave": ("离开", "Leave"),
    "key.leave.tip": ("不记结果离开,草稿保留", "Leave without an outcome; the draft is kept"),
    "key.stay": ("留下", "Stay"),
    "key.stay.tip": ("回到通话", "Back to the call"),
    "key.quit_anyway": ("退出", "Quit"),
    "key.quit_anyway.tip": ("不记结果退出,草稿保留", "Quit without an outcome; the draft is kept"),
    "leave.question": (
        "不记结果离开与「{shop}」的通话?\n草稿保留,下次打开这家还在。",
        "Leave the call with {shop} without an outcome?\nThe draft is kept and reopens next time.",
    ),
    "quit.question": (
        "与「{shop}」的通话还没结束。不记结果退出电访助手?\n草稿保留,下次登录打开这家还在。",
        "The call with {shop} has no outcome yet. Quit Telesales anyway?\nThe draft is kept and reopens next time.",
    ),
    # signing out
    "key.sign_out": ("退出登录", "Sign out"),
    "key.sign_out.tip": ("回到登录界面,换人登录", "Back to the sign-in screen, for the next user"),
    "sign_out.in_call": (
        "通话中不能退出登录:先按 F10 记结果,或按 Esc 离开通话",
        "Cannot sign out during a call: end it with F10 or leave it with Esc first",
    ),
    "sign_out.done": ("已退出登录", "Signed out"),
    # the command palette
    "key.palette.tip": ("搜索本屏的所有命令", "Search every command of this screen"),
    "palette.placeholder": ("搜索命令…", "Search for commands…"),
    "palette.theme": ("配色", "Theme"),
    "palette.theme.tip": ("换一套界面配色", "Change the colour theme"),
    "palette.theme_placeholder": ("搜索配色…", "Search for themes…"),
}
