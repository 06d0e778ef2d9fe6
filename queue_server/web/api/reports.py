"""Hall report routes (issue 6): the report as JSON, and the same figures exported as CSV or XLSX.

Figures come from queue_server.reports.stats over a read session; the closed days a report had to compute are then kept
in a short write of their own (report_days), so the next month report is fast. Admin (every hall), and the hall's
manager and viewer may read them.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import jsonify
from flask import request

from queue_server.queries import snapshots
from queue_server.reports import export
from queue_server.reports import keeper
from queue_server.reports import stats
from queue_server.storage.models import Role
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.openapi import Download
from queue_server.web.api.schemas.reports import ExportQuery
from queue_server.web.api.schemas.reports import ReportOut
from queue_server.web.api.schemas.reports import ReportQuery
from queue_server.web.api.schemas.reports import query_params
from queue_server.web.api.schemas.reports import report_out

READERS = (Role.ADMIN, Role.MANAGER, Role.VIEWER)
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _report(hall: str, query: ReportQuery) -> stats.Report:
    hq = services()
    with hq.store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        rep = stats.report(session, row, query.from_on, query.to_on, query.by, hq.runtime.clock.now())
    # Keep the closed days it computed: the next report of the period merges them instead of reading every leg.
    keeper.store_days(hq.store, row.id, rep.kept_now, hq.runtime.clock.now())
    return rep


@route("GET", "/halls/{hall}/reports", "Hall report over business days: tickets, outcomes, waits, 好差评, ranking",
       responses={200: ReportOut}, query=query_params(ReportQuery))
def get_report(hall: str) -> Any:
    principal().require(hall, *READERS)
    query = ReportQuery.model_validate(request.args.to_dict())
    return jsonify(report_out(_report(hall, query)))


@route("GET", "/halls/{hall}/reports/export", "The same report as a CSV or XLSX file",
       responses={200: Download(("text/csv", MEDIA["xlsx"]))}, query=query_params(ExportQuery))
def export_report(hall: str) -> Any:
    principal().require(hall, *READERS)
    query = ExportQuery.model_validate(request.args.to_dict())
    rep = _report(hall, query)
    data = export.to_csv(rep, query.part) if query.format == "csv" else export.to_xlsx(rep)
    what = rep.by if query.format == "xlsx" or query.part == "report" else "citizens"
    name = f"hallq-report-{rep.hall}-{rep.from_on.isoformat()}-{rep.to_on.isoformat()}-{what}.{query.format}"
    response = Response(data, mimetype=MEDIA[query.format])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"  # staff figures: not for shared caches
    return response
