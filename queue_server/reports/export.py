"""A hall report as CSV or XLSX, with the same figures and columns as the JSON and the page.

Core module: imports openpyxl, stats and the stdlib; no Flask. Headers are Chinese first, English second, as the
hall's spreadsheets are read by Chinese staff and the occasional English-reading auditor.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from queue_server.reports.citizens import CitizenDay
from queue_server.reports.stats import Report
from queue_server.reports.stats import Row
from queue_server.storage.ratings import LEVELS

Cell = str | int | float | None
GROUP_HEADERS = {"service": "事项 service", "window": "窗口 window", "staff": "工作人员 staff", "hour": "时段 hour"}

COLUMNS: list[tuple[str, Callable[[Row], Cell]]] = [
    ("取号量 tickets", lambda r: r.tickets["total"]),
    ("自助机 kiosk", lambda r: r.tickets.get("kiosk", 0)),
    ("手机 mobile", lambda r: r.tickets.get("mobile", 0)),
    ("预约 appointment", lambda r: r.tickets.get("appointment", 0)),
    ("窗口代取 staff", lambda r: r.tickets.get("staff", 0)),
    ("接口 api", lambda r: r.tickets.get("api", 0)),
    ("办理 served", lambda r: r.served),
    ("办结 done", lambda r: r.done),
    ("退办 returned", lambda r: r.returned),
    ("咨询 consult", lambda r: r.consult),
    ("空号 no-show", lambda r: r.no_show),
    ("转移 transferred", lambda r: r.transferred),
    ("取消 cancelled", lambda r: r.cancelled),
    ("过期 expired", lambda r: r.expired),
    ("平均等候(秒) wait mean s", lambda r: r.wait.mean_s),
    ("等候中位数(秒) wait median s", lambda r: r.wait.median_s),
    ("等候P90(秒) wait p90 s", lambda r: r.wait.p90_s),
    ("最长等候(秒) wait max s", lambda r: r.wait.max_s),
    ("等候超时 wait over limit", lambda r: r.wait.over_limit),
    ("平均办理(秒) service mean s", lambda r: r.service.mean_s),
    ("办理中位数(秒) service median s", lambda r: r.service.median_s),
    ("办理P90(秒) service p90 s", lambda r: r.service.p90_s),
    ("最长办理(秒) service max s", lambda r: r.service.max_s),
    ("办理超时 service over limit", lambda r: r.service.over_limit),
    ("评价数 rated", lambda r: r.rated),
    *[(f"{name} level {code}", (lambda c: lambda r: r.levels[str(c)])(code)) for code, name in LEVELS.items()],
    ("参评率 rating rate", lambda r: r.rating_rate),
    ("差评数 bad", lambda r: r.bad),
    ("差评率 bad rate", lambda r: r.bad_rate),
    ("差评件 cases", lambda r: r.cases),
    ("按时办结 closed on time", lambda r: r.cases_closed_on_time),
    ("超期办结 closed late", lambda r: r.cases_closed_late),
    ("超期未结 open overdue", lambda r: r.cases_open_overdue),
]
RANK_COLUMNS: list[tuple[str, Callable[[Row], Cell]]] = [
    ("办理 served", lambda r: r.served), ("评价数 rated", lambda r: r.rated),
    ("参评率 rating rate", lambda r: r.rating_rate), ("差评数 bad", lambda r: r.bad),
    ("差评率 bad rate", lambda r: r.bad_rate), ("平均等候(秒) wait mean s", lambda r: r.wait.mean_s),
    ("平均办理(秒) service mean s", lambda r: r.service.mean_s),
]


def title(rep: Report) -> str:
    return f"{rep.hall_name} 统计报表 {rep.from_on.isoformat()} – {rep.to_on.isoformat()}"


def table(rep: Report) -> list[list[Cell]]:
    """Header, one line per group, and the hall's total last."""
    out: list[list[Cell]] = [[GROUP_HEADERS[rep.by], *(h for h, _ in COLUMNS)]]
    for row in [*rep.rows, rep.total]:
        out.append([row.label, *(get(row) for _, get in COLUMNS)])
    return out


def ranking_table(rep: Report, which: str) -> list[list[Cell]]:
    ranked = rep.window_ranking if which == "window" else rep.staff_ranking
    out: list[list[Cell]] = [["名次 rank", GROUP_HEADERS[which], *(h for h, _ in RANK_COLUMNS)]]
    out += [[r.rank, r.row.label, *(get(r.row) for _, get in RANK_COLUMNS)] for r in ranked]
    return out


# A text cell starting with one of these is a formula to Excel, WPS and LibreOffice (=, + and - start an
# expression, @ a function call; tab and CR let a leading formula character hide behind white space).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Cell) -> Cell:
    """A cell as inert text: a leading formula character gets an apostrophe in front, so a service named
    `=HYPERLINK(...)` is shown, never run (OWASP CSV injection). Numbers stay numbers (-3 is a figure)."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def acted_table(rep: Report) -> list[list[Cell]]:
    """Calls a manager's or admin's credential made at a window (credited to the window's clerk)."""
    out: list[list[Cell]] = [["窗口 window", "操作人 manager/admin", "叫号 calls", "办结 served"]]
    out += [[a.window, a.actor, a.calls, a.served] for a in rep.acted]
    return out


CITIZEN_COLUMNS: list[tuple[str, Callable[[CitizenDay], Cell]]] = [
    ("预约 booked", lambda c: c.booked), ("取消 cancelled", lambda c: c.cancelled),
    ("签到 checked in", lambda c: c.checked_in), ("爽约 no-show", lambda c: c.no_show),
    ("线上取号 remote tickets", lambda c: c.remote),
]


def citizens_table(rep: Report) -> list[list[Cell]]:
    """网上预约 and 线上取号 per business day and service, the period's total last."""
    out: list[list[Cell]] = [["日期 day", "事项 service", *(h for h, _ in CITIZEN_COLUMNS)]]
    for row in [*rep.citizens, rep.citizens_total]:
        out.append([row.on.isoformat() if row.on else row.service_name, None if row.on is None else row.service_name,
                    *(get(row) for _, get in CITIZEN_COLUMNS)])
    return out


def to_csv(rep: Report, part: str = "report") -> bytes:
    """UTF-8 with a BOM: without it Excel on a hall PC reads the Chinese headers as GBK mojibake. A CSV holds one
    table: the grouped report, or (part="citizens") the bookings and remote tickets per day and service."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if part == "citizens":
        writer.writerow([neutralise(f"{title(rep)} 网上预约与线上取号")])
        writer.writerows(_blank(citizens_table(rep)))
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    writer.writerow([neutralise(title(rep))])
    writer.writerows(_blank(table(rep)))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _blank(rows: list[list[Cell]]) -> list[list[Any]]:
    return [["" if cell is None else neutralise(cell) for cell in row] for row in rows]


def to_xlsx(rep: Report) -> bytes:
    """Sheets 报表 (the grouped table with the total last), 窗口排名 and 人员排名 (the 通报 rankings), 管理代操作, and
    预约与线上取号 (bookings, check-ins, 爽约 and remote tickets per day and service)."""
    book = Workbook()
    sheets = [("报表 report", table(rep)), ("窗口排名 windows", ranking_table(rep, "window")),
              ("人员排名 staff", ranking_table(rep, "staff")), ("管理代操作 managers", acted_table(rep)),
              ("预约与线上取号 bookings", citizens_table(rep))]
    for index, (name, rows) in enumerate(sheets):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = name
        sheet.append([neutralise(title(rep))])
        sheet["A1"].font = Font(bold=True)
        for row in rows:
            sheet.append([neutralise(cell) for cell in row])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "B3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def compact_json(data: Any) -> str:
    """A cell's text for a structured value (an audit entry's before and after): Chinese kept readable."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def workbook(sheet: str, headers: list[str], rows: list[list[Cell]]) -> bytes:
    """One sheet with a bold header row, frozen under it: the shape of every other list a hall exports."""
    book = Workbook()
    page = book.active
    assert page is not None
    page.title = sheet
    page.append([neutralise(h) for h in headers])
    for cell in page[1]:
        cell.font = Font(bold=True)
    for row in _blank(rows):
        page.append(row)
    page.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
