"""The workbook's rows read into stored values, cell by cell: a blank optional cell takes its meaning (是 for 在用,
1 for a weight, ...), a required one is reported, a duplicate key within a sheet is reported, and every problem
names its sheet, row and column with a Chinese reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from queue_server.provisioning import cells
from queue_server.provisioning import workbook


@dataclass(frozen=True)
class CellError:
    sheet: str  # the sheet's title, as the operator sees it
    row: int
    column: str  # the column's header
    reason: str

    def line(self) -> str:
        return f"{self.sheet} 第{self.row}行 {self.column}：{self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class Item:
    sheet: str  # key
    row: int
    values: dict[str, Any]


# What a blank cell means where it may be blank (any column not listed: None).
NO_FEE = {"charged": False, "standard": "不收费", "basis": ""}
BLANK: dict[str, dict[str, Any]] = {
    "departments": {"active": True},
    "services": {"number_wrap": False, "stop_issue_before_close_min": 0, "green_channel": False, "active": True},
    "hours": {"intervals": []},
    "calendar": {"name": ""},
    "windows": {"zone": ""},
    "profiles": {"weight": 1},
    "staff": {"active": True},
    "guides": {"basic_code": "", "department_code": "", "theme": "", "keywords": "", "target": [], "location": "",
               "hours": "", "conditions": "", "materials": [], "process": [], "fee": NO_FEE, "legal_basis": "",
               "consult_phone": "", "complaint_phone": "", "visits": 1, "appointment": False, "online": False,
               "self_service": False, "faq": []},
}
# Columns whose value must not repeat within their sheet (the sheet's keys).
UNIQUE: dict[str, tuple[tuple[str, ...], ...]] = {
    "departments": (("code",),), "priorities": (("code",),), "services": (("code",), ("prefix",)),
    "hours": (("service", "weekday"),), "calendar": (("day",),), "windows": (("number",),),
    "profiles": (("window", "service"),), "staff": (("user_no",),), "guides": (("code",),),
}


def error(sheet_key: str, row: int, column_key: str, reason: str) -> CellError:
    sheet = workbook.BY_KEY[sheet_key]
    return CellError(sheet.title, row, sheet.column(column_key).header, reason)


def items(sheets: workbook.Sheets) -> tuple[dict[str, list[Item]], list[CellError], set[tuple[str, str]]]:
    """Every readable row's stored values, the cells that could not be read, and (sheet, key cell as text) of the
    rows left out for them, so a reference to such a row is not reported a second time."""
    out: dict[str, list[Item]] = {}
    problems: list[CellError] = []
    broken: set[tuple[str, str]] = set()
    for sheet in workbook.SHEETS:
        if sheet.key not in sheets:
            continue
        rows: list[Item] = []
        seen: dict[tuple[str, ...], dict[tuple[Any, ...], int]] = {}
        for row in sheets[sheet.key]:
            values: dict[str, Any] = {}
            ok = True
            for column in sheet.columns:
                raw = row.cells.get(column.key)
                if raw is None:
                    if column.required:
                        problems.append(error(sheet.key, row.number, column.key, "必填，不能为空"))
                        ok = False
                    values[column.key] = BLANK.get(sheet.key, {}).get(column.key)
                    continue
                try:
                    values[column.key] = cells.parse(column.kind, raw)
                except cells.CellProblem as exc:
                    problems.append(error(sheet.key, row.number, column.key, exc.reason))
                    ok = False
            for key in UNIQUE.get(sheet.key, ()):
                if not ok or any(values.get(k) is None for k in key):
                    continue
                first = seen.setdefault(key, {}).setdefault(tuple(values[k] for k in key), row.number)
                if first != row.number:
                    problems.append(error(sheet.key, row.number, key[-1], f"与第{first}行重复"))
                    ok = False
            if ok:
                rows.append(Item(sheet.key, row.number, values))
            else:
                broken.add((sheet.key, str(row.cells.get(sheet.columns[0].key))))
        out[sheet.key] = rows
    return out, problems, broken
