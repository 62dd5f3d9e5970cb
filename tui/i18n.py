"""The one translation function. Every visible string goes through `t()`, so Chinese and English ship together.

The language is chosen once, before screens are imported: Textual fixes `BINDINGS` descriptions when a class
is created, so `set_language()` must run before `tui.app` is imported (`run_tui` does this).
"""

from __future__ import annotations

from collections.abc import Iterable
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
    "key.palette": ("命令面板", "Commands"),
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
    # sign in
    "login.title": ("电访助手 · 登录", "Telesales · sign in"),
    "login.operator": ("工号", "Operator ID"),
    "login.pin": ("PIN", "PIN"),
    "login.need_id": ("请输入工号", "Type your operator ID"),
    "login.need_pin": ("请输入 PIN", "Type your PIN"),
    "login.checking": ("正在核对……", "Checking…"),
    "login.db_failed": ("无法连接数据库:{error}", "Cannot reach the database: {error}"),
    "login.locked": ("PIN 错误次数过多,账号锁定到 {until};请稍后再试或找班长", "Too many wrong PINs: locked until {until}; try again then or ask a shift lead"),
    "login.inactive": ("此账号已停用,请找班长", "This login is disabled; ask a shift lead"),
    "login.bad": ("工号或 PIN 不对", "Unknown operator ID or wrong PIN"),
    "key.sign_in": ("登录", "Sign in"),
    "key.sign_in.tip": ("用工号和 PIN 登录", "Sign in with operator ID and PIN"),
    "key.summary": ("数据库概况", "Database"),
    "key.summary.tip": ("查看数据库里有什么", "What the database holds"),
    "key.back": ("返回", "Back"),
    "key.back.tip": ("回到上一屏", "Back to the previous screen"),
    # queue
    "queue.loading": ("正在读取今天的电访名单……", "Reading today's call list…"),
    "queue.empty": ("今天没有要打的电话", "No calls due today"),
    "queue.progress": ("今日进度 {done}/{due} · {scope}", "Today {done}/{due} done · {scope}"),
    "queue.scope_mine": ("我的客户", "my customers"),
    "queue.scope_team": ("全组", "whole team"),
    "queue.to_call": ("待访", "to call"),
    "queue.callback_at": ("回访 {time}", "callback {time}"),
    "queue.flag_key": ("重点", "key"),
    "queue.flag_ticket": ("投诉", "complaint"),
    "queue.flag_retention": ("流失风险", "falling"),
    "queue.col.status": ("状态", "Status"),
    "queue.col.shop": ("店名", "Shop"),
    "queue.col.owner": ("老板", "Owner"),
    "queue.col.tier": ("档", "Tier"),
    "queue.col.last": ("上次", "Last"),
    "queue.col.flags": ("标记", "Flags"),
    "queue.reopened": ("已恢复未完成的通话:{shop}", "Reopened the unfinished call: {shop}"),
    "stale.title": ("未完成的草稿无法继续:{shop}", "An unfinished draft cannot go on: {shop}"),
    "stale.reason.customer_gone": ("该客户已从数据库中删除。", "This shop was deleted from the database."),
    "stale.reason.customer_inactive": ("该客户已停用,不再订货。", "This shop is no longer served (deactivated)."),
    "stale.reason.call_finished": (
        "这通电话已经结束(可能在另一台电脑上)。",
        "This call was already ended (perhaps on another terminal).",
    ),
    "stale.reason.call_gone": ("这通电话在数据库中已不存在。", "This call is no longer in the database."),
    "stale.held": (
        "草稿内容:{lines} 个品规 · {cartons} 条 · {amount}",
        "The draft held: {lines} lines · {cartons} cartons · {amount}",
    ),
    "stale.discarded": ("已删除草稿:{shop}", "Draft discarded: {shop}"),
    "stale.kept": ("草稿已保留,下次登录时再问:{shop}", "Draft kept; you will be asked again at next sign-in: {shop}"),
    "key.discard_draft": ("删除草稿", "Discard"),
    "key.discard_draft.tip": ("删除这份无法继续的草稿", "Discard this draft that cannot go on"),
    "key.keep_draft": ("保留", "Keep"),
    "key.keep_draft.tip": ("暂时保留,下次登录再处理", "Keep it for later; asked again at next sign-in"),
    "queue.none_due": ("现在没有到期的电话", "No call is due now"),
    "key.open_call": ("打开", "Open"),
    "key.open_call.tip": ("打开选中的客户", "Open the selected call"),
    "key.next_call": ("下一个", "Next"),
    "key.next_call.tip": ("打开下一个到期的电话", "Open the next call due"),
    "key.refresh_queue.tip": ("重新读取名单", "Read the list again"),
    "key.team": ("全组/我的", "Team/mine"),
    "key.team.tip": ("在全组和我的客户之间切换", "Switch between the whole team and my customers"),
    "outcome.to_call": ("待访", "to call"),
    "outcome.ordered": ("已订货", "ordered"),
    "outcome.no_answer": ("无人接听", "no answer"),
    "outcome.busy": ("占线", "busy"),
    "outcome.closed": ("已停业", "shop closed"),
    "outcome.refused": ("拒绝订货", "refused"),
    "outcome.wrong_number": ("号码错误", "wrong number"),
    "outcome.callback_requested": ("约定回电", "callback requested"),
    "db.file_gone": (
        "数据库文件已被删除或替换({path}):不再写入,未保存任何改动。请放回原文件或重启程序",
        "The database file was deleted or replaced ({path}): nothing more is saved to it. Put the file back or"
        " restart Telesales",
    ),
    "db.file_gone_draft": (
        "数据库文件已被删除或替换({path}):不再写入,订单和工单都未保存;草稿已保存在本机。请放回原文件或重启程序",
        "The database file was deleted or replaced ({path}): nothing more is saved to it, no order or ticket was"
        " saved; the draft is kept on this terminal. Put the file back or restart Telesales",
    ),
    "db.down": ("数据库连接中断,正在重试:恢复后自动继续", "The database cannot be reached; retrying: work resumes when it is back"),
    "db.down_draft": ("数据库连接中断,正在重试:草稿已保存在本机,恢复后自动继续", "The database cannot be reached; retrying: the draft is kept on this terminal, work resumes when it is back"),
    "app.fault": ("程序出错({kind}),请告诉班长;其他工作不受影响", "Something went wrong ({kind}); tell your shift lead; other work goes on"),
    # call
    "call.loading": ("正在打开通话……", "Opening the call…"),
    "call.script_failed": ("话术载入失败:{error}", "Script could not load: {error}"),
    "call.suggestion": ("建议订单 (F2 全部带入)", "Suggested order (F2 takes it)"),
    "call.brand_prompt": ("品牌>", "Brand>"),
    "call.brand_placeholder": ("输入听到的品牌和数量,如 rzh 2", "type what you hear, e.g. rzh 2"),
    "call.tier": ("{tier}档", "tier {tier}"),
    "call.order_day": ("访销日{day}", "orders {day}"),
    "call.short": ("本周紧俏:", "Short this week:"),
    "call.new": ("新品:", "New:"),
    "call.ticket": ("投诉#{id}", "Complaint #{id}"),
    "call.due": ("{due}前答复", "reply by {due}"),
    "call.no_news": ("本周无特别资讯", "No news for this shop this week"),
    "call.no_suggestion": ("没有订货记录,无建议", "No order history, no suggestion"),
    "call.card": ("客户资料", "Customer"),
    "call.notes": ("客户经理:", "Account manager:"),
    "call.past": ("{cartons}条", "{cartons} cartons"),
    "call.matcher_loading": ("正在载入品牌库……", "Loading the brand index…"),
    "call.heard": ("听到 {qty} 条", "heard {qty}"),
    "call.no_qty": ("未听到数量", "no quantity heard"),
    "call.items": ("{n} 项", "{n} items"),
    "entry.unclear": ("没听清:{why}", "Not clear: {why}"),
    "entry.why.no_product": ("对不上品规", "no product fits"),
    "entry.why.no_quantity": ("新加的品规要说数量", "a new line needs a quantity"),
    "entry.why.not_in_draft": ("草稿里没有这个品规", "not in the draft"),
    "entry.why.no_last_order": ("这家店还没有上次的订单", "this shop has no last order"),
    "entry.why.quantity_zero": ("数量不能为零", "a quantity cannot be zero"),
    "entry.why.quantity_too_large": ("数量太大", "the quantity is too large"),
    "entry.why.quantity_not_whole_cartons": ("数量要整条", "whole cartons only"),
    "call.no_match": ("没有匹配的品规", "No product matches"),
    "call.discontinued": ("已停供", "discontinued"),
    "call.usual": ("常订{n}", "usually {n}"),
    "call.left_over": ("未加入(缺品牌或数量):{items}", "Not added (no product or quantity): {items}"),
    "call.cannot_order": ("{name} 已停供,不能订", "{name} is discontinued and cannot be ordered"),
    "call.not_loaded": ("客户资料还在载入", "The customer is still loading"),
    "call.from_suggestion": ("建议", "suggestion"),
    "call.taken": ("已带入建议 {n} 行", "Took {n} suggested lines"),
    "call.already_in_draft": ("{name} 已在草稿中", "{name} is already in the draft"),
    "call.empty_draft": ("草稿是空的", "The draft is empty"),
    "call.placed": ("已下单 #{id},{cartons} 条", "Order #{id} placed, {cartons} cartons"),
    "call.ended": ("通话已结束:{outcome}", "Call ended: {outcome}"),
    "draft.col.name": ("品规", "Product"),
    "draft.col.qty": ("条", "Qty"),
    "draft.col.amount": ("金额", "Amount"),
    "draft.col.left": ("余量", "Left"),
    "draft.quota_left": ("限{n}", "max {n}"),
    "draft.supply_left": ("货{n}", "stock {n}"),
    "draft.total": ("合计 {cartons} 条 {amount}", "Total {cartons} cartons {amount}"),
    "draft.placed": ("已下单#{id} {cartons}条", "placed #{id} {cartons}"),
    "draft.at_least_one": ("至少 1 条;删除请按 Del", "At least 1 carton; Del removes the line"),
    "draft.removed": ("已删除 {name}", "Removed {name}"),
    "draft.save_failed": ("草稿未能写入本机:{error}", "Could not save the draft: {error}"),
    "key.take": ("带入建议", "Take all"),
    "key.take.tip": ("把建议订单全部带入草稿", "Take the suggested order into the draft"),
    "key.take_line": ("带入此行", "Take line"),
    "key.take_line.tip": ("把这一行建议带入草稿", "Take this suggested line into the draft"),
    "key.readback": ("复述", "Read back"),
    "key.readback.tip": ("逐行复述并下单", "Read every line back, then place"),
    "key.complaint": ("投诉", "Complaint"),
    "key.complaint.tip": ("为这个客户登记投诉", "Log a complaint for this customer"),
    "key.end_call": ("结束", "End call"),
    "key.end_call.tip": ("结束通话并记录结果", "End the call and record its outcome"),
    "key.script_next": ("话术下一步", "Script: next"),
    "key.script_next.tip": ("话术翻到下一步", "Show the next script step"),
    "key.script_back": ("话术上一步", "Script: back"),
    "key.script_back.tip": ("话术回到上一步", "Show the previous script step"),
    "key.focus_draft": ("编辑草稿", "Edit draft"),
    "key.focus_draft.tip": ("到草稿里改数量或删行", "Go to the draft to change or remove lines"),
    "key.focus_suggest": ("逐行带入", "Pick suggestion"),
    "key.focus_suggest.tip": ("到建议订单里逐行选择", "Go to the suggestion to take single lines"),
    "key.cand_down": ("下一个候选", "Next candidate"),
    "key.cand_up": ("上一个候选", "Previous candidate"),
    "key.cand.tip": ("在品牌候选中移动", "Move through the candidates"),
    "key.more": ("加一条", "One more"),
    "key.more.tip": ("这一行加 1 条", "Add a carton to this line"),
    "key.less": ("减一条", "One less"),
    "key.less.tip": ("这一行减 1 条", "Take a carton off this line"),
    "key.remove": ("删除行", "Remove line"),
    "key.remove.tip": ("从草稿删除这一行", "Remove this line from the draft"),
    "key.edit_qty": ("改数量", "Quantity"),
    "key.edit_qty.tip": ("输入这一行的条数", "Type this line's cartons"),
    "key.back_brand": ("回品牌框", "Brand box"),
    "key.back_brand.tip": ("回到品牌输入框", "Back to the brand box"),
    "step.greeting": ("问候", "Greeting"),
    "step.confirm": ("确认", "Confirm"),
    "step.information": ("资讯", "News"),
    "step.suggestion": ("建议", "Suggest"),
    "step.order": ("订货", "Order"),
    "step.readback": ("复述", "Read back"),
    "step.complaint": ("投诉", "Complaint"),
    "step.listen": ("倾听", "Listen"),
    "step.empathy": ("共情", "Empathy"),
    "step.apology": ("致歉", "Apology"),
    "step.solution": ("方案", "Solution"),
    "step.retention": ("关怀", "Check-in"),
    "step.thanks": ("致谢", "Thanks"),
    "step.close": ("结束语", "Close"),
    "category.counterfeit": ("疑似假烟", "suspected counterfeit"),
    "category.delivery_error": ("配送出错", "delivery error"),
    "category.sorting_error": ("分拣出错", "sorting error"),
    "category.out_of_supply": ("缺货/限量", "out of supply"),
    "category.wrong_order": ("订单录错", "order taken wrongly"),
    "category.attitude": ("服务态度", "staff attitude"),
    "category.price": ("价格", "price"),
    "category.damaged": ("货物破损", "damaged goods"),
    "category.over_promise": ("承诺未兑现", "over-promise"),
    "category.other": ("其他", "other"),
    "status.open": ("待处理", "open"),
    "status.in_progress": ("处理中", "in progress"),
    "status.waiting_customer": ("等客户回复", "waiting for customer"),
    "status.resolved": ("已解决", "resolved"),
    "status.closed": ("已关闭", "closed"),
    # dialogs
    "key.cancel": ("取消", "Cancel"),
    "key.cancel.tip": ("不做更改,返回", "Go back without a change"),
    "qty.title": ("{name}:几条?", "{name}: how many cartons?"),
    "qty.placeholder": ("条数", "cartons"),
    "qty.bad": ("请输入 1 到 {most} 之间的整数条数", "Type a whole number of cartons from 1 to {most}"),
    "refused.quota": ("{name} 超出本周限量{limit}条,还可订{left}条", "{name}: over this week's quota of {limit}, {left} left"),
    "refused.supply": ("{name} 货源不足,仅剩{left}条", "{name}: not enough supply, {left} left"),
    "refused.inactive": ("{name} 已停供", "{name} is discontinued"),
    "refused.quota.why": ("超出本周限量{limit}条,还可订{left}条", "over this week's quota of {limit}, {left} left"),
    "refused.supply.why": ("货源不足,仅剩{left}条", "not enough supply, {left} left"),
    "refused.inactive.why": ("已停供", "discontinued"),
    "readback.not_placed": ("未下单:{why}", "not placed: {why}"),
    "refused.cutoff": ("本周已过截单时间", "This week's cut-off has passed"),
    "key.place": ("下单", "Place order"),
    "key.place.tip": ("确认复述无误后下单", "Place the order once the customer confirmed it"),
    "key.back_draft": ("返回草稿", "Back to draft"),
    "key.back_draft.tip": ("回到草稿修改", "Back to the draft to change it"),
    "readback.title": ("逐行复述给客户听", "Read each line back to the customer"),
    "readback.hint": ("客户确认无误后按 Enter 下单;Esc 返回修改", "Enter places once the customer agrees; Esc goes back"),
    "readback.col.line": ("复述", "Read out"),
    "readback.col.price": ("单价", "Price"),
    "readback.col.amount": ("金额", "Amount"),
    "readback.col.check": ("请核对", "Check"),
    "flag.never_ordered": ("本店从未订过", "never ordered here"),
    "flag.unusual_qty": ("平常{usual}条,这次{qty}条", "usually {usual}, now {qty}"),
    "flag.sounds_like": ("与{other}相近,请确认", "sounds like {other}"),
    "flag.over_quota": ("超出本周限量,还可订{left}条", "over this week's quota: {left} left"),
    "flag.at_quota": ("已到本周限量", "at this week's quota"),
    "flag.supply_short": ("货源不足,仅剩{left}条", "short of supply: {left} left"),
    "readback.placing": ("正在下单……", "Placing…"),
    "readback.refused": ("未下单:", "Not placed:"),
    "readback.kept": ("草稿保持不变;Esc 返回修改", "The draft is unchanged; Esc to change it"),
    "readback.file_gone": ("数据库文件不见了:订单未下,草稿已保存;文件放回后自动下单", "The database file is gone: the order is not placed and the draft is kept; it is placed when the file is back"),
    "readback.waiting": ("数据库连接中断:恢复后自动下单,草稿已保存", "Database unreachable: the order is placed when it is back; the draft is saved"),
    "key.back_call": ("返回通话", "Back to call"),
    "key.back_call.tip": ("回到通话界面", "Back to the call screen"),
    "key.next_field": ("下一栏", "Next field"),
    "key.next_field.tip": ("移到下一栏", "Move to the next field"),
    "outcome.title": ("通话结果", "Call outcome"),
    "outcome.time_placeholder": ("回电时间:15:30 / 下午3点 / 明天10:00 / +30", "callback: 15:30 / 3pm / tomorrow 10:00 / +30"),
    "outcome.preview": ("回电:{when}", "callback: {when}"),
    "outcome.replied": ("已回复客户", "replied to the customer"),
    "callback_time.unreadable": (
        "看不懂回电时间“{text}”:可以写 15:30、下午3点、明天10:00、周四上午、+30",
        "Cannot read the callback time '{text}': type e.g. 15:30, 3pm, tomorrow 10:00, thu 10:00, +30",
    ),
    "callback_time.past": ("回电时间 {when} 已经过了(现在 {now})", "The callback time {when} has passed (it is {now})"),
    "callback_time.not_working_day": ("{when} 不是工作日,请换一天", "{when} is not a working day; choose another day"),
    "callback_time.outside_hours": ("{when} 不在工作时间 {hours} 内", "{when} is outside working hours ({hours})"),
    "outcome.not_placed": ("本次通话还没有下单;请先 F5 复述下单", "No order was placed on this call; F5 reads back and places"),
    "outcome.bad_time": ("看不懂时间“{value}”:请用 HH:MM 或 YYYY-MM-DD HH:MM", "Cannot read the time '{value}': use HH:MM or YYYY-MM-DD HH:MM"),
    "outcome.need_time": ("约定回电请填回电时间", "A callback needs a time"),
    "outcome.unplaced": ("草稿里还有 {n} 行没有下单;再按 Enter 结束并清除草稿", "{n} draft lines were not placed; Enter again ends the call and clears them"),
    "complaint.title": ("登记投诉:{shop}", "Log a complaint: {shop}"),
    "complaint.words": ("客户的原话", "the customer's words"),
    "complaint.hint": ("选类别(Enter),输入原话,Enter 登记", "Choose a category (Enter), type the words, Enter logs it"),
    "complaint.need_words": ("请记下客户的原话", "Write down what the customer said"),
    "complaint.db_down": ("数据库连接中断,投诉尚未登记;恢复后再按 Enter", "Database unreachable: not logged yet; press Enter again when it is back"),
    "complaint.logged": ("已登记工单 #{id}", "Ticket #{id} logged"),
    "complaint.say": ("请告诉客户:{promise}", "Tell the customer: {promise}"),
}

# The lead's screens keep their strings in modules of their own; merged here so `t()` stays the one function.
from tui import (  # noqa: E402
    i18n_calls,
    i18n_keys,
    i18n_layout,
    i18n_lead,
    i18n_phone,
    i18n_queue,
    i18n_tickets,
    i18n_users,
)

for _part in (
    i18n_tickets.MESSAGES,
    i18n_lead.MESSAGES,
    i18n_calls.MESSAGES,
    i18n_queue.MESSAGES,
    i18n_keys.MESSAGES,
    i18n_layout.MESSAGES,
    i18n_users.MESSAGES,
    i18n_phone.MESSAGES,
):
    _clash = MESSAGES.keys() & _part.keys()
    if _clash:  # a silent overwrite would show one screen's words on another
        raise RuntimeError(f"translation keys defined twice: {sorted(_clash)}")
    MESSAGES.update(_part)


def set_language(lang: str) -> None:
    """Choose the language for everything created from now on; unknown values fall back to Chinese."""
    global _lang
    _lang = "en" if lang == "en" else "zh"


def language() -> Lang:
    return _lang


def weekday(isoweekday: int) -> str:
    """A weekday's short name in the current language (周一, Mon): the names themselves are calendar facts."""
    from orders.calendar import weekday_name

    return weekday_name(isoweekday, _lang, short=True)


# English singulars: `t(key, n=1)` says "1 draft line", not "1 draft lines". Chinese has no plural, so a key
# needs an entry here only when its English text counts one thing, as `{n}` (or `{cartons}` when there is no n).
ONE: dict[str, str] = {
    "outcome.unplaced": "{n} draft line was not placed; Enter again ends the call and clears it",
    "call.taken": "Took {n} suggested line",
    "call.items": "{n} item",
    "summary.quotas_value": "{n} rule",
    "summary.supply_value": "{n} row",
    "roles.order_taker": "{n} order taker",
    "roles.shift_lead": "{n} shift lead",
    "roles.admin": "{n} admin",
    "draft.total": "Total {cartons} carton {amount}",
    "call.past": "{cartons} carton",
    "call.placed": "Order #{id} placed, {cartons} carton",
    "ret.assigned": "{n} shop given to {login}",
    "assign.title": "Give {n} shop to another order taker",
    "users.title": "{n} login · {locked} locked · {disabled} disabled",
}


def t(key: str, **values: object) -> str:
    """The text for `key` in the current language; a missing key shows itself so it is noticed, not hidden.
    In English a count `n` of 1 takes the singular from `ONE` when the key has one."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if _lang == "en" else pair[0]
    if _lang == "en" and key in ONE and values.get("n", values.get("cartons")) == 1:
        text = ONE[key]
    return text.format(**values) if values else text


def join(items: Iterable[str]) -> str:
    """A list in running text, separated as the language writes it: 、 in Chinese, ", " in English."""
    return (", " if _lang == "en" else "、").join(items)
