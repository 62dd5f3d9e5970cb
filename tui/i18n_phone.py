"""Strings of the softphone on the call screen (issue 20), merged into `tui.i18n.MESSAGES` (key -> (zh, en));
a module of its own so that the helper writing the baresip adapter and its CLI never edits the same lines."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # keys
    "key.dial": ("拨号", "Dial"),
    "key.dial.tip": (
        "用本机软电话拨打这家店的电话(一次只打一个)",
        "Dial the shop's number on this terminal's softphone (one call at a time)",
    ),
    "key.hangup": ("挂断", "Hang up"),
    "key.hangup.tip": ("挂断当前电话(未接通时算无人接听)", "Hang up the call (before an answer: no answer)"),
    # the header's call state, right of the shop's name: at most 13 cells
    "phone.dialling": ("拨号中…", "dialling…"),
    "phone.ringing": ("振铃 {time}", "ringing {time}"),
    "phone.talking": ("通话 {time}", "talk {time}"),
    "phone.ended": ("已挂 {time}", "ended {time}"),
    "phone.busy": ("占线", "busy"),
    "phone.no_answer": ("无人接听", "no answer"),
    "phone.failed": ("未接通", "failed"),
    # notices
    "phone.no_number": ("这家店没有电话号码,请手工拨打或核对客户资料", "This shop has no phone number: dial by hand or fix the card"),
    "phone.bad_number": ("号码无法拨打:{error}", "Cannot dial this number: {error}"),
    "phone.not_loaded": ("客户资料还在加载,稍后再拨", "The shop's card is still loading: dial again in a moment"),
    "phone.one_call": ("正在通话中:先挂断({hangup}),再拨下一个", "A call is active: hang up ({hangup}) before dialling again"),
    "phone.no_call": ("没有正在进行的电话", "No call to hang up"),
    "phone.unavailable": ("本机没有配置软电话(phone = baresip),请手工拨打", "No softphone on this terminal (phone = baresip): dial by hand"),
    "phone.dialling_to": ("正在拨打 {number}", "Dialling {number}"),
    "phone.answered": ("已接通", "Connected"),
    "phone.timeout": ("振铃 {seconds} 秒无人接听,已挂断", "No answer after {seconds} s: hung up"),
    "phone.ended_busy": ("对方占线({reason}):按 Enter 记为占线,稍后重拨", "Busy ({reason}): Enter records busy, retried later"),
    "phone.ended_no_answer": ("无人接听:按 Enter 记录,稍后重拨", "No answer: Enter records it, retried later"),
    "phone.ended_wrong_number": ("号码不存在({reason}):按 Enter 记为号码错误", "Number does not exist ({reason}): Enter records wrong number"),
    "phone.ended_failed": ("电话没有打出去:{reason};可以再拨或手工拨打", "The call did not go out: {reason}; dial again or by hand"),
    "phone.ended_answered": ("通话结束,{time}:F10 记录结果", "Call over, {time}: F10 records the outcome"),
    "phone.error": ("软电话出错:{error}", "Softphone error: {error}"),
}
