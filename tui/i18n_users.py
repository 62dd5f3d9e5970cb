"""Strings of the logins screen (a lead's or admin's administration of logins), merged into `tui.i18n.MESSAGES`
(key -> (zh, en)); a module of its own so helpers working on other screens at once do not edit the same lines."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "key.lead.users": ("账号", "Logins"),
    "key.lead.users.tip": ("账号管理:解锁、重设 PIN、停用", "Logins: unlock, reset a PIN, disable"),
    "key.users.unlock": ("解锁", "Unlock"),
    "key.users.unlock.tip": ("立即解除此账号的锁定", "End this login's lock now"),
    "key.users.pin": ("重设PIN", "New PIN"),
    "key.users.pin.tip": ("给此账号设新 PIN(输入两次)", "Give this login a new PIN (typed twice)"),
    "key.users.toggle": ("停用/启用", "Disable"),
    "key.users.toggle.tip": (
        "停用此账号(不能再登录),或重新启用",
        "Disable this login (it cannot sign in), or enable it",
    ),
    "key.users.refresh.tip": ("重新读取账号列表", "Read the logins again"),
    "key.users.save": ("保存", "Save"),
    "key.users.save.tip": ("保存新 PIN", "Save the new PIN"),
    "key.users.cancel": ("取消", "Cancel"),
    "key.users.cancel.tip": ("不改 PIN,返回", "Back without changing the PIN"),
    "users.title": (
        "账号 {n} 个 · 锁定 {locked} · 停用 {disabled}",
        "{n} logins · {locked} locked · {disabled} disabled",
    ),
    "users.col.login": ("工号", "ID"),
    "users.col.name": ("姓名", "Name"),
    "users.col.role": ("角色", "Role"),
    "users.col.locked": ("锁定至", "Locked until"),
    "users.col.state": ("状态", "State"),
    "users.enabled": ("可用", "enabled"),
    "users.disabled": ("已停用", "disabled"),
    "users.hint": (
        "U 解锁 · P 重设PIN · D 停用/启用 · 班长管理电访员,管理员管理所有账号",
        "U unlock · P new PIN · D disable/enable · leads manage order takers, admins everyone",
    ),
    "users.unlocked": ("{login} 已解锁", "{login} unlocked"),
    "users.not_locked": ("{login} 没有被锁定", "{login} was not locked"),
    "users.now_disabled": ("{login} 已停用,不能再登录", "{login} disabled; it can no longer sign in"),
    "users.now_enabled": ("{login} 已启用", "{login} enabled"),
    "users.pin_set": ("{login} 的 PIN 已更新", "{login}: new PIN saved"),
    "users.denied": ("你的角色不能管理此账号", "Your role may not manage this login"),
    "users.self": ("不能停用自己的账号", "You cannot disable your own login"),
    "users.pin.title": ("给 {login}({name})设新 PIN", "New PIN for {login} ({name})"),
    "users.pin.first": ("新 PIN(4-12 位数字)", "New PIN (4-12 digits)"),
    "users.pin.second": ("再输一次", "Again"),
    "users.pin.differ": ("两次输入不一致", "The two PINs differ"),
    "users.pin.bad": ("PIN 须为 4-12 位数字", "A PIN is 4 to 12 digits"),
    "users.pin.hint": ("Enter 保存 · Esc 取消", "Enter saves · Esc cancels"),
}
