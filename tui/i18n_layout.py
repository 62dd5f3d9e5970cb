"""Strings of the call screen's 80×24 layout (issue 16: the card's essentials in view, the full card on a key,
short suggestion reasons), merged into `tui.i18n.MESSAGES` (key -> (zh, en)); a module of their own so that
helpers working on other parts of the issue do not edit the same lines."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "key.show_card": ("客户资料", "Customer card"),
    "key.show_card.tip": (
        "完整客户资料:电话、客户经理备注、往期订单、工单",
        "Open the whole customer card: phone, account manager's note, past orders, tickets",
    ),
    "call.phone": ("☎ {phone}", "☎ {phone}"),
    "call.no_phone": ("☎ 无电话", "☎ no phone"),
    "call.overdue": ("已超时", "overdue"),
    "card.title": ("客户资料 · {name}", "Customer · {name}"),
    # the draft's 余量 column at 80 columns: six cells
    "draft.cell_quota": ("限{n}", "max{n}"),
    "draft.cell_supply": ("货{n}", "stk{n}"),
    "draft.cell_over": ("超{left}", "!{left}"),
    # the queue: the due time in a column of its own, the status short beside it
    "queue.col.due": ("时间", "Due"),
    "queue.callback": ("回访", "callback"),
    "queue.callback_late": ("逾期回访", "overdue"),
    "queue.planned_short_retention": ("挽留", "retention"),
    "queue.planned_short_ticket_callback": ("工单回访", "ticket call"),
    "queue.in_call_short": ("{name}通话中", "{name} on call"),
}
