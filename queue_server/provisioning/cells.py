"""How each kind of cell is written and read: 是/否, 星期, HH:MM-HH:MM intervals, roles, day kinds, item types,
JSON and line lists. `parse` returns the value or raises CellProblem with the Chinese reason the operator reads.
"""

from __future__ import annotations

import json
import re
from datetime import date
from datetime import datetime
from typing import Any

from queue_server.engine.setup.hours import HHMM
from queue_server.storage.catalogue import ITEM_TYPES
from queue_server.storage.models import Role

YES, NO = "是", "否"
WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
ROLE_NAMES = {Role.STAFF.value: "窗口人员", Role.MANAGER.value: "大厅管理员", Role.VIEWER.value: "查看人员"}
DAY_KINDS = {"holiday": "节假日", "workday": "调休上班"}
TARGET_SEPARATOR = "、"
INTERVAL_SEPARATOR = "，"
_SPLIT = re.compile(r"[,，;；、\s]+")
_INTERVAL = re.compile(r"^(\d{1,2}:\d{2})\s*[-–—~～至]\s*(\d{1,2}:\d{2})$")


class CellProblem(Exception):
    """A cell that cannot be read: `reason` is the Chinese sentence shown for it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hhmm(text: str) -> str:
    hours, _, minutes = text.partition(":")
    value = f"{int(hours):02d}:{minutes}"
    if not HHMM.match(value):
        raise CellProblem(f"时间“{text}”不正确，应为 00:00 至 24:00")
    return value


def write(kind: str, value: Any) -> str | int | None:
    """A stored value as its cell (None: blank)."""
    if value is None:
        return None
    if kind == "flag":
        return YES if value else NO
    if kind == "weekday":
        return WEEKDAY_NAMES[int(value) - 1]
    if kind == "intervals":
        return INTERVAL_SEPARATOR.join(f"{a}-{b}" for a, b in value)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "role":
        return ROLE_NAMES.get(str(value), str(value))
    if kind == "day_kind":
        return DAY_KINDS.get(str(value), str(value))
    if kind == "item_type":
        return ITEM_TYPES.get(str(value), str(value))
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if kind == "lines":
        return "\n".join(value)
    if kind == "targets":
        return TARGET_SEPARATOR.join(value)
    return value  # type: ignore[no-any-return]


def parse(kind: str, value: Any) -> Any:
    """The stored value of a non-blank cell. Raises CellProblem."""
    text = str(value).strip() if not isinstance(value, (date, datetime)) else ""
    if kind == "text":
        return text
    if kind == "int":
        if isinstance(value, bool) or not (isinstance(value, int) or re.fullmatch(r"-?\d+", text)):
            raise CellProblem(f"“{text}”不是整数")
        return int(value)
    if kind == "flag":
        if text in (YES, "Y", "y", "1", "TRUE", "True", "true"):
            return True
        if text in (NO, "N", "n", "0", "FALSE", "False", "false"):
            return False
        raise CellProblem(f"应填写“{YES}”或“{NO}”，不是“{text}”")
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CellProblem(f"日期“{text}”不正确，应为 2026-10-01 这样的格式") from None
    if kind == "time":
        if isinstance(value, datetime):
            return value.strftime("%H:%M")
        if not re.fullmatch(r"\d{1,2}:\d{2}(:00)?", text):
            raise CellProblem(f"时间“{text}”不正确，应为 08:30 这样的格式")
        return _hhmm(text[:5] if text.count(":") == 2 else text)
    if kind == "weekday":
        if text in WEEKDAY_NAMES:
            return str(WEEKDAY_NAMES.index(text) + 1)
        if text in ("星期天", "周日"):
            return "7"
        if re.fullmatch(r"[1-7]", text):
            return text
        raise CellProblem(f"星期“{text}”不正确，应为星期一至星期日或 1 至 7")
    if kind == "intervals":
        return _intervals(text)
    if kind in ("role", "day_kind", "item_type"):
        names = {"role": ROLE_NAMES, "day_kind": DAY_KINDS, "item_type": ITEM_TYPES}[kind]
        for stored, name in names.items():
            if text in (stored, name):
                return stored
        raise CellProblem(f"“{text}”不是可选的值（{'、'.join(names.values())}）")
    if kind == "json":
        try:
            return json.loads(text)
        except ValueError:
            raise CellProblem("内容不是正确的 JSON（请按导出的格式填写）") from None
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind == "targets":
        return [t for t in _SPLIT.split(text) if t]
    raise AssertionError(kind)


def _intervals(text: str) -> list[list[str]]:
    if text in ("休息", "闭厅", "不开放"):
        return []
    out: list[list[str]] = []
    for part in re.split(r"[,，;；、]+|\s{2,}", text):
        part = part.strip()
        if not part:
            continue
        match = _INTERVAL.match(part.replace(" ", ""))
        if match is None:
            raise CellProblem(f"时段“{part}”不正确，应为 08:30-12:00 这样的格式")
        start, end = _hhmm(match[1]), _hhmm(match[2])
        if not start < end or (out and start < out[-1][1]):
            raise CellProblem("时段须按先后排列、互不重叠，且结束晚于开始")
        out.append([start, end])
    return out
