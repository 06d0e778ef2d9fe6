"""Manager console pages of the 差评 loop (/manager/<hall>/cases and /manager/<hall>/cases/<id>): the case list
with its filters and XLSX export, and one case with its 回访, 整改, 反馈, 申诉 and 复核.

Adapter: a thin shell like the monitor; static/manager/cases.js and case.js call /api/v1 with the session cookie
and the X-CSRF-Token header, and follow the hall's /live feed. Managers and admins only (a viewer goes back to
the monitor), the same roles as the case API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import render_template
from sqlalchemy import select
from werkzeug.wrappers import Response

from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Window
from queue_server.web import sessions
from queue_server.web.api import services
from queue_server.web.manager_console import signed_in_page

bp = Blueprint("cases", __name__)


@bp.get("/manager/<code:hall>/cases")
def case_list(hall: str) -> Any:
    page = signed_in_page(hall, configure=True)
    if isinstance(page, Response):
        return page
    who, hall_name, timezone = page
    with services().store.read_session() as session:
        hall_id = session.scalar(select(Hall.id).where(Hall.code == hall))
        service_rows = [(s.code, s.name) for s in session.scalars(
            select(Service).where(Service.hall_id == hall_id).order_by(Service.id))]
        # No shared window-label helper on this branch: the hall's one spelling "3号 综合窗口", written here.
        window_rows = [(w.number, f"{w.number}号 {w.name}") for w in session.scalars(
            select(Window).where(Window.hall_id == hall_id).order_by(Window.number))]
    return render_template("manager_console/cases.html", hall=hall, hall_name=hall_name, timezone=timezone,
                           who=who, can_configure=True, csrf_token=sessions.csrf_token(),
                           services=service_rows, windows=window_rows)


@bp.get("/manager/<code:hall>/cases/<int:case_id>")
def case_page(hall: str, case_id: int) -> Any:
    page = signed_in_page(hall, configure=True)
    if isinstance(page, Response):
        return page
    who, hall_name, timezone = page
    return render_template("manager_console/case.html", hall=hall, hall_name=hall_name, timezone=timezone,
                           who=who, can_configure=True, csrf_token=sessions.csrf_token(), case_id=case_id)
