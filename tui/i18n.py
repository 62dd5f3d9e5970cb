"""The one translation function. Every visible string goes through `t()`, so Chinese and English ship together.

The language is chosen once, before screens are imported: Textual fixes `BINDINGS` descriptions when a class
is created, so `set_language()` must run before `tui.app` is imported (`run_tui` does this).
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

_lang: Lang = "zh"

# key -> (zh, en)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("电访助手", "Telesales"),
    "summary.title": ("数据库概况", "Database summary"),
    "summary.loading": ("正在读取数据库……", "Reading the database…"),
    "summary.failed": ("读取数据库失败:{error}", "Could not read the database: {error}"),
    "summary.database": ("数据库", "Database"),
    "summary.today": ("今天", "Today"),
    "summary.products": ("品规", "Products"),
    "summary.products_value": ("{n} 个(停产 {d})", "{n} ({d} discontinued)"),
    "summary.customers": ("零售户", "Customers"),
    "summary.customers_value": ("{n} 户(停用 {i})", "{n} ({i} inactive)"),
    "summary.history": ("历史订单", "Order history"),
    "summary.history_value": ("{n} 行,{w} 周", "{n} lines, {w} weeks"),
    "summary.history_empty": ("无", "none"),
    "summary.users": ("账号", "Logins"),
    "summary.quotas": ("限量", "Quotas"),
    "summary.quotas_value": ("{n} 条规则", "{n} rules"),
    "summary.supply": ("货源", "Supply"),
    "summary.supply_value": ("{n} 条", "{n} rows"),
    "summary.tickets": ("未结工单", "Open tickets"),
    "summary.tickets_value": ("{n} 张(超时 {o},一小时内到期 {h})", "{n} ({o} overdue, {h} due within the hour)"),
    "summary.demo": ("演示数据", "Demo"),
    "summary.demo_value": ("{size},种子 {seed}", "{size}, seed {seed}"),
    "summary.no_demo": ("不是演示数据库", "not a demo database"),
    "demo.logins": ("演示账号: demo / lead, PIN 0000", "Demo logins: demo / lead, PIN 0000"),
    "key.help": ("帮助", "Help"),
    "key.help.tip": ("列出本屏所有按键", "Show every key of this screen"),
    "key.quit": ("退出", "Quit"),
    "key.quit.tip": ("退出电访助手", "Quit Telesales"),
    "key.refresh": ("刷新", "Refresh"),
    "key.refresh.tip": ("重新读取数据库概况", "Read the counts again"),
    "key.close": ("关闭", "Close"),
    "key.close.tip": ("关闭帮助", "Close the help"),
    "key.palette": ("命令面板", "Command palette"),
    "help.title": ("按键帮助", "Keys"),
    "help.key": ("按键", "Key"),
    "help.action": ("功能", "Action"),
    "help.close": ("按 Esc 或 F1 关闭", "Esc or F1 closes this"),
    "role.order_taker": ("电访员", "order taker"),
    "role.shift_lead": ("班长", "shift lead"),
    "role.admin": ("管理员", "admin"),
    "roles.order_taker": ("{n} 名电访员", "{n} order takers"),
    "roles.shift_lead": ("{n} 名班长", "{n} shift leads"),
    "roles.admin": ("{n} 名管理员", "{n} admins"),
    "size.small": ("小", "small"),
    "size.large": ("大", "large"),
}


def set_language(lang: str) -> None:
    """Choose the language for everything created from now on; unknown values fall back to Chinese."""
    global _lang
    _lang = "en" if lang == "en" else "zh"


def language() -> Lang:
    return _lang


def t(key: str, **values: object) -> str:
    """The text for `key` in the current language; a missing key shows itself so it is noticed, not hidden."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if _lang == "en" else pair[0]
    return text.format(**values) if values else text
