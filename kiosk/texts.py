"""The kiosk's words: Simplified Chinese first, English second, and what to do after each refusal.

Kept as a table rather than in the Babel catalogue: the touch pages have their own short vocabulary, and the
refusal hints are advice for the citizen, not the API's problem text (which the pages show as title and detail).
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "take": ("取号", "Take a ticket"),
    "take_sub": ("按部门选择办理事项", "Choose a service by department"),
    "guides": ("办事指南", "Service guides"),
    "guides_sub": ("需要带什么材料？", "What do I need to bring?"),
    "disclosures": ("政务公开", "Public information"),
    "disclosures_sub": ("政务信息查询", "Government information"),
    "checkin": ("预约签到", "Appointment check-in"),
    "checkin_sub": ("输入预约码取号", "Enter your booking code"),
    "search": ("搜索", "Search"),
    "search_hint": ("输入事项名称或拼音首字母，如 社保、户口、bdcdj", "Service name or pinyin initials, e.g. bdcdj"),
    "home": ("首页", "Home"),
    "back": ("返回", "Back"),
    "large": ("大字模式", "Large text"),
    "lang": ("English", "中文"),
    "waiting": ("等候", "waiting"),
    "people": ("人", "people"),
    "minutes": ("分钟", "min"),
    "est_wait": ("预计等候", "Estimated wait"),
    "ahead": ("您前面还有", "People ahead of you"),
    "green": ("绿色通道（窗口将核验证件）", "Priority lane (checked at the window)"),
    "normal": ("普通", "Regular"),
    "junren": ("军人", "Military"),
    "laonian": ("老年人", "Senior"),
    "canji": ("残疾人", "Disabled"),
    "yunfu": ("孕妇", "Pregnant"),
    "person": ("本事项每人每天限取号，请输入身份证号或手机号", "One ticket per person per day: enter ID or mobile number"),
    "person_privacy": ("仅用于限号核验，不会显示或打印完整号码", "Only used for the per-person limit; never shown in full"),
    "confirm": ("确认取号", "Get ticket"),
    "materials": ("请准备以下材料", "Please bring"),
    "no_materials": ("无需准备材料", "Nothing to bring"),
    "your_ticket": ("您的号码", "Your number"),
    "scan": ("微信扫码，在手机上查看排队进度", "Scan to follow your place in the queue"),
    "printing": ("正在打印，请稍候…", "Printing…"),
    "printed": ("请取票", "Please take your ticket"),
    "print_failed": ("打印失败：请拍下二维码或联系工作人员", "Printing failed: photograph the QR code or ask staff"),
    "print_failed_paper_out": ("打印失败：打印机缺纸。请拍下二维码或联系工作人员",
                               "Printing failed: the printer is out of paper. Photograph the QR code or ask staff"),
    "print_failed_cover_open": ("打印失败：打印机纸仓盖未关好。请拍下二维码或联系工作人员",
                                "Printing failed: the printer cover is open. Photograph the QR code or ask staff"),
    "print_cancelled": ("号票已取消，不再打印", "Ticket cancelled: nothing will print"),
    "reprint": ("重新打印（补打）", "Print again"),
    "reprinting": ("正在补打，请稍候…", "Printing again…"),
    "reprinted": ("请取票（补打）", "Please take your ticket (reprint)"),
    "issuing": ("正在取号，请稍候…", "Getting your ticket…"),
    "issue_retrying": ("网络或系统繁忙，正在为您重新取号，请稍候…（不会重复取号）",
                       "The network or the server is busy: trying again… (you will not get two tickets)"),
    "issue_unsure": ("暂时无法取号", "Cannot get a ticket right now"),
    "issue_unsure_detail": ("暂时连接不上服务器，未能确认是否已取到号。",
                            "The server cannot be reached, so we cannot tell whether your ticket was issued."),
    "issue_unsure_hint": ("请稍后再按「确认取号」（不会重复取号），或联系工作人员",
                          "Press the button again in a moment (you will not get two tickets), or ask staff"),
    "no_printer": ("本机不出纸：请拍下二维码或记下号码", "No printer here: photograph the QR code or note the number"),
    "done": ("完成", "Done"),
    "read_on_phone": ("扫码在手机上阅读", "Scan to read on your phone"),
    "take_for_this": ("为此事项取号", "Take a ticket for this service"),
    "no_results": ("没有找到，请换个词试试，或咨询服务台", "Nothing found: try another word or ask the help desk"),
    "checkin_code": ("请输入预约码", "Enter your booking code"),
    "clear": ("清除", "Clear"),
    "ok": ("确定", "OK"),
    "not_paired": ("本终端尚未配对，请联系管理员", "This kiosk is not paired: please contact the administrator"),
    "refused_what_now": ("您可以：", "What you can do:"),
    "all": ("全部", "All"),
    "attachments": ("附件", "Attachments"),
    "idle": ("无操作将自动返回首页", "Returns home when idle"),
    # guide sections in the national order (GB/T 39046-2020 §6.1)
    "g_name": ("事项名称", "Service"), "g_type": ("事项类型", "Type"), "g_agency": ("实施主体", "Authority"),
    "g_target": ("服务对象", "For"), "g_location": ("办理地点", "Where"), "g_hours": ("办理时间", "When"),
    "g_conditions": ("受理条件", "Conditions"), "g_materials": ("申请材料", "Materials"),
    "g_process": ("办理流程", "Steps"), "g_limits": ("办结时限", "Time limit"), "g_fee": ("收费", "Fee"),
    "g_basis": ("设定依据", "Legal basis"), "g_phones": ("咨询/监督电话", "Phones"),
    "g_visits": ("到办事现场次数", "Visits needed"), "g_channels": ("办理渠道", "Channels"), "g_faq": ("常见问题", "FAQ"),
    "legal": ("法定", "statutory"), "promised": ("承诺", "promised"), "working_days": ("个工作日", "working days"),
    "instant": ("即办件", "same day"), "original": ("原件", "original"), "copies": ("复印件", "copies"),
    "blank": ("空白表格", "blank form"), "sample": ("示例样表", "sample"), "optional": ("（非必需）", "(if applicable)"),
    "consult": ("咨询", "Enquiries"), "complaint": ("监督", "Complaints"),
    "appointment": ("可预约", "Booking"), "online": ("可网办", "Online"), "self_service": ("可自助办理", "Self-service"),
    "max_once": ("最多跑一次", "At most one visit"),
    "doc_index": ("索引号", "Index no."), "doc_no": ("文号", "Document no."), "publisher": ("发布机构", "Publisher"),
    "written_on": ("成文日期", "Date"), "category": ("分类", "Category"),
}

# What to do instead, by the API's problem code (the problem's title and detail say what happened).
HINTS: dict[str, tuple[str, str]] = {
    "hall_closed": ("请在办公时间再来，或登录政务服务网在线办理", "Come back during opening hours or apply online"),
    "service_closed": ("请在该事项的办理时间再来，或咨询服务台", "Come back during its hours or ask the help desk"),
    "daily_quota_reached": ("请改日再来，或通过政务服务网预约", "Come back another working day or book online"),
    "slot_quota_reached": ("请在下一时段取号，或通过政务服务网预约", "Take a ticket in the next time slot or book"),
    "person_limit_reached": ("您今天已取过号，请按已取号码等候叫号", "You already hold a ticket today: wait for that call"),
    "person_required": ("请输入身份证号或手机号后再取号", "Enter an ID or mobile number first"),
    "bad_person_id": ("请核对号码：身份证18位，手机号11位", "Check the number: 18-character ID or 11-digit mobile"),
    "number_range_exhausted": ("请咨询服务台人工取号", "Ask the help desk for a ticket"),
    "appointment_not_found": ("请核对预约码，或到服务台查询", "Check the code or ask the help desk"),
    "appointment_not_checkable": ("请在预约时段内签到", "Check in during your booked time"),
    "login_required": ("本终端需要重新配对，请联系工作人员", "This kiosk must be paired again: ask staff"),
}
DEFAULT_HINT = ("请咨询服务台工作人员", "Please ask the help desk")


def text(key: str, lang: str) -> str:
    zh, en = TEXTS.get(key, (key, key))
    return en if lang == "en" else zh


def hints(lang: str) -> dict[str, str]:
    pick = 1 if lang == "en" else 0
    return {**{code: pair[pick] for code, pair in HINTS.items()}, "_default": DEFAULT_HINT[pick]}
