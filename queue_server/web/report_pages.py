"""Manager report page (/manager/<hall>/reports): period picker, group-by tabs, table, chart and export buttons.

Adapter: a thin shell; static/reports/reports.js fetches /api/v1/halls/<hall>/reports. A manager, viewer or admin
signed in to the manager console (sessions.manager_of_hall) reads with the session cookie; no credential ever
travels in the page's address (a `token` query parameter is refused, web/pairing_pages.py). Scripts read the
same figures from the API with a bearer token in the Authorization header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import abort
from flask import render_template

from queue_server import errors
from queue_server.queries import snapshots
from queue_server.web import sessions
from queue_server.web.api import services

bp = Blueprint("reports", __name__)


@bp.get("/manager/<hall>/reports")
def report_page(hall: str) -> Any:
    with services().store.read_session() as session:
        try:
            row = snapshots.hall_by_code(session, hall)
        except errors.HallNotFound:
            abort(404)
        name = row.name
        try:
            who = sessions.manager_of_hall(session, hall)
        except errors.HallNotAllowed:  # another hall's manager: the page says to sign in as this hall's
            who = None
    response = render_template("reports/report.html", hall=hall, hall_name=name, who=who,
                               csrf_token=sessions.csrf_token() if who else "")
    # The figures are the hall's: keep them out of shared caches.
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
