"""Strings of the shared call day on the queue and the call screen (claims, overdue callbacks, the cut-off in
sight), merged into `tui.i18n.MESSAGES` (key -> (zh, en))."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "queue.in_call": ("{name} 通话中 {since}", "{name} on call {since}"),
    "queue.in_call_refused": (
        "{shop}:{name} 通话中({since} 起),请打下一家",
        "{shop}: {name} is on a call with this shop since {since}; take the next one",
    ),
    "queue.callback_overdue": ("逾期回访 {time}", "overdue callback {time}"),
    "queue.cutoff_soon": ("{time}截单 · 还有{minutes}分钟", "cut-off {time}, {minutes} min left"),
    "queue.cutoff_passed": ("已截单", "cut-off passed"),
    "queue.col.phone": ("电话", "Phone"),
    "queue.col.whose": ("电访员", "Taker"),
    "queue.claiming": ("正在取下一家……", "Taking the next shop…"),
    "queue.released": ("已释放 {shop}(原由 {name} 占用)", "Released {shop} (held by {name})"),
    "queue.not_held": ("{shop} 没有人在通话", "Nobody is on a call with {shop}"),
    "key.release": ("释放", "Release"),
    "key.release.tip": (
        "组长:释放别人占着的客户(终端死机时)",
        "Lead: free a shop held by another terminal (a dead one)",
    ),
    "call.in_call_elsewhere": (
        "{name} 已在和这家通话({since} 起),本次未开始;已回到名单",
        "{name} is already on a call with this shop (since {since}); back to the list",
    ),
    "call.claim_lost": (
        "这家客户已被 {name} 接手(本机太久没有响应);请结束通话",
        "{name} has taken this shop over (this terminal was silent too long); please end the call",
    ),
    "call.cutoff_soon": ("本周截单 {time},还有 {minutes} 分钟", "This week's cut-off at {time}, {minutes} min left"),
    "call.cutoff_passed": (
        "本周订单已截单({time}),不能再下单;可记录通话结果",
        "Orders for this week closed at {time}; record the call's outcome",
    ),
}
