"""The workbook's format: its sheets and their Chinese column headers, writing rows to XLSX and reading them back.

Each sheet is a header row and one row per item. A cell is text, a whole number, 是/否, a date, a weekday or a
list of HH:MM-HH:MM intervals; structured 办事指南 fields (申请材料, 收费, 常见问题) are JSON text as exported.
Every text cell is written as text, so a value starting with `=`, `+`, `-` or `@` is never a live formula.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from queue_server import errors

Cell = str | int | None


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | flag | date | weekday | intervals | time | json | lines | role | day_kind
    required: bool = False
    width: int = 14


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


SHEETS: tuple[Sheet, ...] = (
    Sheet("departments", "部门", (
        Column("code", "部门编码", required=True), Column("name", "部门名称", required=True, width=28),
        Column("active", "在用", "flag", width=8))),
    Sheet("priorities", "优先类别", (
        Column("code", "类别编码", required=True), Column("name", "类别名称", required=True, width=24),
        Column("weight", "权重", "int", required=True, width=8))),
    Sheet("services", "事项", (
        Column("code", "事项编码", required=True), Column("name", "事项名称", required=True, width=30),
        Column("prefix", "号码前缀", required=True, width=10), Column("number_start", "起始号", "int", True, 8),
        Column("number_end", "结束号", "int", True, 8), Column("number_wrap", "号满循环", "flag", width=10),
        Column("daily_cap", "单日取号上限", "int"),
        Column("standard_duration_s", "标准办理时长（秒）", "int", True, 18),
        Column("department", "部门编码"), Column("guide_code", "办事指南实施编码", width=28),
        Column("warning_threshold", "等候预警人数", "int"), Column("person_limit", "每人每日限取", "int"),
        Column("stop_issue_before_close_min", "闭厅前停止取号（分钟）", "int", width=22),
        Column("green_channel", "绿色通道", "flag", width=10), Column("active", "在用", "flag", width=8))),
    Sheet("slots", "时段限额", (
        Column("service", "事项编码", required=True), Column("start", "开始时间", "time", True, 10),
        Column("end", "结束时间", "time", True, 10), Column("limit", "限额", "int", True, 8))),
    Sheet("hours", "开放时间", (
        Column("service", "事项编码（空为大厅）", width=20), Column("weekday", "星期", "weekday", True, 8),
        Column("intervals", "时段", "intervals", width=30))),
    Sheet("booking", "网上预约", (
        Column("service", "事项编码", required=True), Column("weekday", "星期", "weekday", True, 8),
        Column("start", "开始时间", "time", True, 10), Column("end", "结束时间", "time", True, 10),
        Column("minutes", "每段分钟", "int", True, 10), Column("capacity", "每段人数", "int", True, 10),
        Column("horizon_days", "可预约工作日", "int", width=12),
        Column("cutoff_min", "截止（分钟）", "int", width=12))),
    Sheet("calendar", "节假日", (
        Column("day", "日期", "date", True, 12), Column("kind", "类型", "day_kind", True, 12),
        Column("name", "名称", width=20))),
    Sheet("windows", "窗口", (
        Column("number", "窗口号", "int", True, 8), Column("name", "窗口名称", required=True, width=28),
        Column("zone", "区域", width=12))),
    Sheet("profiles", "窗口事项", (
        Column("window", "窗口号", "int", True, 8), Column("service", "事项编码", required=True),
        Column("weight", "权重", "int", width=8))),
    Sheet("staff", "工作人员", (
        Column("user_no", "工号", required=True), Column("name", "姓名", required=True),
        Column("role", "角色", "role", True, 12), Column("active", "在用", "flag", width=8))),
    Sheet("guides", "办事指南", (
        Column("code", "实施编码", required=True, width=28), Column("name", "事项名称", required=True, width=30),
        Column("item_type", "事项类型", "item_type", True, 12), Column("basic_code", "基本编码", width=20),
        Column("agency", "实施主体", required=True, width=24), Column("department_code", "部门编码"),
        Column("theme", "主题"), Column("keywords", "关键词", width=20),
        Column("target", "服务对象", "targets", width=12),
        Column("location", "办理地点", width=24), Column("hours", "办理时间", width=24),
        Column("conditions", "受理条件", width=30), Column("materials", "申请材料（JSON）", "json", width=40),
        Column("process", "办理流程（每行一步）", "lines", width=30),
        Column("legal_limit_days", "法定办结时限（工作日）", "int", width=12),
        Column("promised_limit_days", "承诺办结时限（工作日）", "int", width=12),
        Column("fee", "收费（JSON）", "json", width=30), Column("legal_basis", "设定依据", width=30),
        Column("consult_phone", "咨询电话"), Column("complaint_phone", "监督投诉电话"),
        Column("visits", "到办事现场次数", "int", width=10), Column("appointment", "可预约", "flag", width=8),
        Column("online", "可网上办理", "flag", width=10), Column("self_service", "可自助办理", "flag", width=10),
        Column("faq", "常见问题（JSON）", "json", width=40))),
)
BY_KEY = {s.key: s for s in SHEETS}
BY_TITLE = {s.title: s for s in SHEETS}
README_TITLE = "说明"
README = (
    "大厅配置工作簿：每个工作表第一行为列名，请勿修改；从第二行起每行一项。",
    "是/否 列填写“是”或“否”；空白的“在用”视为“是”。日期格式 2026-10-01；时间格式 08:30。",
    "开放时间：每行一个星期（星期一……星期日或 1—7），时段如“08:30-12:00，14:00-17:30”，空白为休息；"
    "事项编码为空的行是大厅的开放时间，填写事项编码的行是该事项自己的时间（须在大厅时间之内）。",
    "窗口事项：每行为一个窗口可办理的一个事项，按叫号先后排列；权重 0 表示仅在无其他人等候时办理，空白为 1。",
    "工作人员：工作簿中没有也不接受密码。新导入的账号没有密码、无法登录，"
    "由管理员用 `hallq user password --user 工号 --password-stdin` 或管理后台设置密码后才能使用。",
    "网上预约：每行为一个事项某个星期的一段时间，按每段分钟切成若干时段，每个时段可约每段人数；可预约工作日（含今天）"
    "与截止（时段开始前分钟）按事项取第一行的值，空白为 7 与 60。未列出的事项保持原样。",
    "角色：窗口人员、大厅管理员、查看人员。节假日类型：节假日（闭厅）、调休上班（按星期一时间开厅）。",
    "工作簿中未列出的已有事项、窗口、账号保持不变；停用请将“在用”改为“否”。导入前会先检查全部单元格，"
    "有任何错误时不写入任何内容。",
)


@dataclass
class Row:
    """One data row as read: its 1-based sheet row number and its cells by column key (blank cells are None)."""

    number: int
    cells: dict[str, Any] = field(default_factory=dict)


Sheets = dict[str, list[Row]]


def write(rows: dict[str, list[list[Cell]]]) -> bytes:
    """An XLSX workbook: the 说明 sheet, then every sheet of SHEETS with its header and the given rows."""
    book = Workbook()
    info = book.active
    assert info is not None
    info.title = README_TITLE
    for line in README:
        info.append([line])
    info.column_dimensions["A"].width = 120
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for index, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = column.width
        for line in rows.get(sheet.key, []):
            ws.append([None] * len(sheet.columns))
            for index, value in enumerate(line, start=1):
                cell = ws.cell(row=ws.max_row, column=index)
                if isinstance(value, str):
                    # XLSX cannot hold C0 control characters; a name stored with one (from before input was
                    # checked for them) is exported without it rather than failing the whole workbook.
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # text as text: "=HYPERLINK(...)" is a name, not a formula
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


def read(data: bytes) -> tuple[Sheets, list[tuple[str, int, str, str]]]:
    """Every sheet's rows by sheet key, and the header problems as (sheet, row, column, reason). A sheet missing
    from the file reads as no rows (the hall keeps what it has); raises bad_workbook for a file that is not
    XLSX."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise errors.BadWorkbook() from exc
    out: Sheets = {}
    problems: list[tuple[str, int, str, str]] = []
    for ws in book.worksheets:
        sheet = BY_TITLE.get(ws.title)
        if sheet is None:
            continue
        lines = ws.iter_rows(values_only=True)
        header = [_plain(v) for v in next(lines, ())]
        headers = {c.header: c for c in sheet.columns}
        positions: dict[int, Column] = {}
        for index, title in enumerate(header):
            if title is None:
                continue
            column = headers.get(str(title))
            if column is None:
                problems.append((sheet.title, 1, get_column_letter(index + 1), f"未知的列名“{title}”"))
            else:
                positions[index] = column
        for column in sheet.columns:
            if column.required and column not in positions.values():
                problems.append((sheet.title, 1, column.header, "缺少此列"))
        rows: list[Row] = []
        for number, line in enumerate(lines, start=2):
            cells = {positions[i].key: _plain(v) for i, v in enumerate(line) if i in positions}
            if any(v is not None for v in cells.values()):
                rows.append(Row(number, cells))
        out[sheet.key] = rows
    book.close()
    if not out and not problems:
        raise errors.BadWorkbook()
    return out, problems
