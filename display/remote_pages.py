"""The citizen's 线上取号 pages on the phone, no app: /take/<hall> (a service open now, an ID or mobile number: a
live ticket whose phone page then follows it) and /arrive/<hall> (what the entrance QR opens: it confirms the
arrival of the remote tickets this phone took, with the code the QR carries).

Both render their first state on the server; take.js talks to the public API (docs/api.md, 线上取号). The phone
keeps the track tokens of the tickets it took in its own storage, so the door's QR, opened by the camera in a new
tab, knows which ticket to confirm without a token in any address.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import render_template
from flask import request
from sqlalchemy import select

from display.booking_pages import hall_or_404
from display.booking_pages import private
from queue_server.engine.queue import estimates
from queue_server.queries import opening
from queue_server.storage.models import Service

bp = Blueprint("remote_pages", __name__, template_folder="templates")

CODE_CHARS = 12  # the entrance code is 6 digits; anything longer is not one


@bp.get("/take/<hall>")
def take(hall: str) -> Any:
    hq = current_app.extensions["hallq"]
    now = hq.runtime.clock.now()
    with hq.store.read_session() as session:
        row = hall_or_404(session, hall)
        today = opening.services_today(session, row, now)
        offered = []
        for service in session.scalars(select(Service).where(Service.hall_id == row.id, Service.active.is_(True))
                                       .order_by(Service.id)):
            state = today.get(service.code)
            if state is None or state.paused:
                continue
            waiting = estimates.waiting_count(session, service)
            offered.append({"code": service.code, "name": service.name, "open": state.open_now,
                            "hours": state.hours, "waiting": waiting,
                            "wait_min": max(1, round(estimates.estimated_wait_s(session, row, service, waiting,
                                                                                 now) / 60))})
        bookable = any(s.booking for s in session.scalars(select(Service).where(Service.hall_id == row.id)))
        return private(Response(render_template("display/take.html", hall=row, services=offered,
                                                 any_open=any(s["open"] for s in offered), bookable=bookable,
                                                 walk_ahead=row.remote_walk_ahead)))


@bp.get("/arrive/<hall>")
def arrive(hall: str) -> Any:
    hq = current_app.extensions["hallq"]
    with hq.store.read_session() as session:
        row = hall_or_404(session, hall)
        code = "".join(ch for ch in request.args.get("code", "")[:CODE_CHARS] if ch.isdigit())
        return private(Response(render_template("display/arrive.html", hall=row, code=code)))
