"""Strings of the order taker's additions for issue 21 (amend and cancel, my orders, finding a calling shop, the
call's note, live limits), merged into `tui.i18n.MESSAGES` (key -> (zh, en)); a module of their own so that
helpers working on the same screens at once do not edit the same lines."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # keys
    "key.call_note": ("备注", "Note"),
    "key.call_note.tip": (
        "给这次通话记一句备注(拒订原因、答应了什么)",
        "A one-line note on this call (why refused, what was promised)",
    ),
    "key.amend_order": ("改单", "Amend"),
    "key.amend_order.tip": ("修改本周已下的订单(截单前)", "Amend this week's order (before the cut-off)"),
    "key.find_shop": ("找客户", "Find shop"),
    "key.find_shop.tip": (
        "客户来电:按店名、编码、老板、电话或拼音首字母找任一客户",
        "Inbound call: find any shop by name, code, owner, phone or initials",
    ),
    "key.my_orders": ("我的订单", "My orders"),
    "key.my_orders.tip": ("我今天下的订单:改单或撤单", "My orders today: amend or cancel"),
    "key.cancel_order": ("撤单", "Cancel order"),
    "key.cancel_order.tip": (
        "撤销选中的订单(截单前,需确认)",
        "Cancel the highlighted order (before the cut-off, asks first)",
    ),
    "key.refresh_orders.tip": ("重新读取我的订单", "Read my orders again"),
    "key.yes": ("是", "Yes"),
    "key.yes.tip": ("确认", "Confirm"),
    "key.no": ("否", "No"),
    "key.no.tip": ("不做,返回", "Do not, go back"),
    "key.next_hit": ("下一个", "Next"),
    "key.next_hit.tip": ("下一个结果", "Next result"),
    "key.prev_hit": ("上一个", "Previous"),
    "key.prev_hit.tip": ("上一个结果", "Previous result"),
    # the call screen
    "call.week_order": (
        "本周已下单 #{id} · {cartons}条 · {time} {operator}",
        "Ordered this week #{id} · {cartons} · {time} {operator}",
    ),
    "call.amend_hint": ("F12 改单", "F12 amends"),
    "call.amending": (" 正在修改 #{id} ", " amending #{id} "),
    "call.no_week_order": ("这家店本周还没有下单", "This shop has no order this week"),
    "call.amend_started": (
        "订单 #{id} 已载入草稿:改好后 F5 复述并修改",
        "Order #{id} is in the draft: change it, then F5 reads back and amends",
    ),
    "call.amend_resumed": (
        "继续修改订单 #{id}:F5 复述并修改",
        "Still amending order #{id}: F5 reads back and amends",
    ),
    "call.amend_gone": (
        "订单 #{id} 已不能修改(已取消或不在本周):F5 会作为新订单下单",
        "Order #{id} can no longer be amended (cancelled or not this week): F5 places these lines as a new order",
    ),
    "call.readback_wait": ("正在读取本周订单,读完即复述", "Reading this week's orders; the read-back follows"),
    "call.note_label": ("备注", "note"),
    "call.note_now": ("本次备注:", "This call's note:"),
    "draft.does_not_fit": ("超", "over"),
    # the note
    "note.title": (
        "通话备注(Enter 保存,清空即删除,Esc 不改)",
        "Note on the call (Enter keeps it, empty clears it, Esc leaves it)",
    ),
    "note.placeholder": ("如:老板说下周装修,停订一周", "e.g. shop renovating next week, no order"),
    "note.kept": ("备注已记下,结束通话时一起保存", "Note kept; it is saved with the call's outcome"),
    "note.cleared": ("备注已清除", "Note cleared"),
    # read-back variants
    "key.amend_place": ("修改订单", "Amend order"),
    "key.amend_place.tip": ("客户确认后用这份草稿替换原订单", "Replace the order with this draft once the customer agrees"),
    "readback.amend_hint": ("客户确认无误后按 Enter 修改订单;Esc 返回修改", "Enter amends the order once the customer agrees; Esc goes back"),
    "readback.amend_title": (
        "修改订单 #{id}:逐行复述给客户听(Enter 修改)",
        "Amend order #{id}: read each line back (Enter amends)",
    ),
    "readback.nth_title": (
        "本周第{n}单!这家店本周已经下过单,逐行复述给客户听",
        "The week's order no. {n}! This shop already ordered this week; read each line back",
    ),
    "readback.nth_confirm": (
        "确定要下本周第{n}单(不是改单)?再按 Enter 确认,Esc 返回后按 F12 改单",
        "Place the week's order no. {n} (not an amend)? Enter again to confirm; Esc, then F12 to amend instead",
    ),
    # my orders
    "orders.title": ("我今天的订单(Enter 改单,x 撤单,Esc 返回)", "My orders today (Enter amends, x cancels, Esc back)"),
    "orders.col.id": ("单号", "#"),
    "orders.col.shop": ("客户", "Shop"),
    "orders.col.cartons": ("条", "Qty"),
    "orders.col.total": ("金额", "Total"),
    "orders.col.time": ("时间", "Time"),
    "orders.col.status": ("状态", "Status"),
    "orders.status.placed": ("已下单", "placed"),
    "orders.status.cancelled": ("已撤单", "cancelled"),
    "orders.none": ("今天还没有下单", "No orders today yet"),
    "orders.already_cancelled": ("这张订单已经撤销", "This order is already cancelled"),
    "orders.confirm_cancel": (
        "撤销订单 #{id}({shop},{cartons}条)?限量和货源会退回。",
        "Cancel order #{id} ({shop}, {cartons} cartons)? Quota and supply are given back.",
    ),
    "orders.cancelled": ("订单 #{id} 已撤销", "Order #{id} cancelled"),
    # find a shop
    "find.title": ("客户来电:找客户", "Inbound call: find the shop"),
    "find.placeholder": ("店名、编码、老板、电话后几位或拼音首字母", "name, code, owner, phone digits or initials"),
    "find.loading": ("正在读取客户……", "Reading the shops…"),
    "find.count": ("找到 {n} 家;↑↓ 选择,Enter 打开来电", "{n} found; Up/Down to choose, Enter opens the call"),
    "find.hint": ("输入后 ↑↓ 选择,Enter 打开来电,Esc 返回", "Type, Up/Down to choose, Enter opens the call, Esc back"),
}
