"""Guide-quality check: the customer's six rules for a usable 办事指南 (domain.md §6), as findings for managers.

Each finding has a stable `code` (clients branch on it), the rule number, the field and a Chinese message.
Part of the core: pure functions over a GuideItem; no Flask.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any

from queue_server.storage.catalogue import GuideItem

ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇\d]+条")
LAW = re.compile(r"《[^》]+》")
STREET = re.compile(r"(路|街|大道|巷|道)\d*号?")
HOUSE_NO = re.compile(r"\d+号")
ROOM = re.compile(r"(\d+室|\d+号窗口|\d+号?窗口|\d+房间)")
CLOCK = re.compile(r"\d{1,2}[:：]\d{2}")
HOLIDAY = re.compile(r"节假日|休息日|双休日|周末")
AREA_PHONE = re.compile(r"^0\d{2,3}-\d{7,8}$")
MATERIAL_WORDS = re.compile(r"原件|复印件|申请表|登记表|证明材料|提交材料|提供以下")


@dataclass(frozen=True)
class Finding:
    rule: int
    code: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _basis(g: GuideItem) -> list[Finding]:
    if LAW.search(g.legal_basis or "") and ARTICLE.search(g.legal_basis or ""):
        return []
    return [Finding(1, "legal_basis_without_article", "legal_basis",
                    "设定依据应写明法律法规名称（《…》）及具体条款（第…条）")]


def _location(g: GuideItem) -> list[Finding]:
    text = g.location or ""
    if STREET.search(text) and HOUSE_NO.search(text) and ROOM.search(text):
        return []
    return [Finding(2, "location_not_exact", "location", "办理地点应精确到街道、门牌号及房间号或窗口号")]


def _hours(g: GuideItem) -> list[Finding]:
    out = []
    if not CLOCK.search(g.hours or ""):
        out.append(Finding(3, "hours_not_exact", "hours", "办理时间应精确到几点几分"))
    if not HOLIDAY.search(g.hours or ""):
        out.append(Finding(3, "hours_without_holidays", "hours", "办理时间应说明法定节假日是否办理"))
    return out


def _phones(g: GuideItem) -> list[Finding]:
    out = []
    for field, label in (("consult_phone", "咨询电话"), ("complaint_phone", "监督电话")):
        if not AREA_PHONE.match(getattr(g, field) or ""):
            out.append(Finding(4, f"{field}_without_area_code", field, f"{label}应带区号，如 0878-1234567"))
    if g.consult_phone and g.consult_phone == g.complaint_phone:
        out.append(Finding(4, "phones_identical", "complaint_phone", "监督电话不应与咨询电话相同"))
    return out


def _forms(g: GuideItem) -> list[Finding]:
    out = []
    for i, m in enumerate(g.materials or []):
        if not m.get("form"):
            continue
        if not m.get("blank_form"):
            out.append(Finding(5, "form_without_blank", f"materials[{i}]",
                               f"表格类材料“{m.get('name')}”缺少空白表格下载"))
        if not m.get("sample"):
            out.append(Finding(5, "form_without_sample", f"materials[{i}]",
                               f"表格类材料“{m.get('name')}”缺少示例样表"))
    return out


def _conditions_and_limits(g: GuideItem) -> list[Finding]:
    out = []
    names = [m.get("name", "") for m in g.materials or []]
    if MATERIAL_WORDS.search(g.conditions or "") or any(n and n in (g.conditions or "") for n in names):
        out.append(Finding(6, "conditions_list_materials", "conditions",
                           "受理条件不应罗列申请材料，材料请写在申请材料中"))
    if (g.legal_limit_days is not None and g.promised_limit_days is not None
            and g.promised_limit_days > g.legal_limit_days):
        out.append(Finding(6, "promised_exceeds_legal", "promised_limit_days", "承诺办结时限不应超过法定办结时限"))
    return out


RULES = (_basis, _location, _hours, _phones, _forms, _conditions_and_limits)


def check(guide: GuideItem) -> list[Finding]:
    """Every finding of the six rules for one guide item, in rule order (empty: the guide is fine)."""
    return [finding for rule in RULES for finding in rule(guide)]
