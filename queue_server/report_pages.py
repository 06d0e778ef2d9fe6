"""Manager report page (/manager/<hall>/reports): period picker, group-by tabs, table, chart and export buttons.

Adapter: a thin shell; static/reports/reports.js fetches /api/v1/halls/<hall>/reports with a manager, viewer or
admin bearer token. The staff session login binds a clerk to a window and has no place for managers, so the page
takes its token as the wall display does: once as ?token=..., then kept in the browser's localStorage.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import abort
from flask import render_template

from queue_server import errors
from queue_server import snapshots
from queue_server.api import services

bp = Blueprint("reports", __name__)


@bp.get("/manager/<hall>/reports")
def report_page(hall: str) -> Any:
    with services().store.read_session() as session:
        try:
            row = snapshots.hall_by_code(session, hall)
        except errors.HallNotFound:
            abort(404)
        name = row.name
    response = render_template("reports/report.html", hall=hall, hall_name=name)
    # The URL may carry the bearer token the first time: keep it out of caches and referrers.
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
