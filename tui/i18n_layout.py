"""Strings of the call screen's 80×24 layout (issue 16: the card's essentials in view, the full card on a key,
short suggestion reasons), merged into `tui.i18n.MESSAGES` (key -> (zh, en)); a module of their own so that
helpers working on other parts of the issue do not edit the same lines."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "key.show_card": ("客户资料", "Customer card"),
    "key.show_card.tip": (
        "打开完整的客户资料:电话、客户经理备注、往期订单、工单",
        "Open the whole customer card: phone, account manager's note, past orders, tickets",
    ),
    "call.phone": ("☎ {phone}", "☎ {phone}"),
    "call.no_phone": ("☎ 无电话", "☎ no phone"),
    "call.overdue": ("已超时", "overdue"),
    "card.title": ("客户资料 · {name}", "Customer · {name}"),
}
