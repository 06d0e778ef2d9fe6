"""The citizen's 网上预约 pages on the phone, no app: /book/<hall> (service with its materials → day → slot → ID or
mobile number) and /book/manage/<manage token> (the booking with its code as a QR for the kiosk, cancel, move,
and 到厅签到 with the hall's entrance code once the citizen is there).

Both render their first state on the server, so they read at once on a weak connection; book.js then talks to
the public booking API (docs/api.md, 网上预约). The manage page holds the booking's secret in its address: it is
kept out of caches and referrers, like the ticket's phone page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server.catalogue import index
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.booking import appointments
from queue_server.engine.booking import plans
from queue_server.engine.queue.issuing import APPOINTMENT_EARLY
from queue_server.queries import snapshots
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.web.qr import qr_svg

bp = Blueprint("booking_pages", __name__, template_folder="templates")

WEEKDAYS = "一二三四五六日"
STATUS_ZH = {"booked": "已预约", "checked_in": "已签到", "cancelled": "已取消", "no_show": "已爽约"}


def _day_label(on: date, today: date) -> str:
    near = {0: "今天", 1: "明天", 2: "后天"}.get((on - today).days)
    return f"{on.month}月{on.day}日 周{WEEKDAYS[on.weekday()]}" + (f"（{near}）" if near else "")


def private(resp: Response) -> Response:
    """A citizen's page: its address or contents can be a secret (a manage or track token), so neither caches nor
    referrers keep it. Shared by the 线上取号 pages."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def hall_or_404(session: Session, code: str) -> Hall:
    try:
        return snapshots.hall_by_code(session, code)
    except errors.HallNotFound:
        abort(404)


@bp.get("/book/<hall>")
def book(hall: str) -> Any:
    hq = current_app.extensions["hallq"]
    now = hq.runtime.clock.now()
    with hq.store.read_session() as session:
        row = hall_or_404(session, hall)
        today = service_day(now, row.timezone, row.day_rollover)
        offered = []
        for service in session.scalars(select(Service).where(Service.hall_id == row.id, Service.active.is_(True))
                                       .order_by(Service.id)):
            if not service.booking:
                continue
            guide = index.guide_by_code(session, service.guide_code) if service.guide_code else None
            offered.append({
                "code": service.code, "name": service.name,
                "materials": [str(m.get("name", "")) for m in (guide.materials if guide else [])][:12],
                "days": [{"date": d.isoformat(), "label": _day_label(d, today)}
                         for d in plans.bookable_days(session, row, service, today)],
            })
        return private(Response(render_template("display/book.html", hall=row, services=offered)))


@bp.get("/book/manage/<token>")
def manage(token: str) -> Any:
    hq = current_app.extensions["hallq"]
    now = hq.runtime.clock.now()
    with hq.store.read_session() as session:
        try:
            appt, service, hall = appointments.by_token(session, token)
        except errors.BookingNotFound:
            return private(Response(render_template("display/booking_missing.html"), status=404))
        zone = hall.timezone
        start, end = local_time(appt.slot_start, zone), local_time(appt.slot_end, zone)
        cutoff = local_time(plans.cutoff(service, appt.slot_start), zone)
        today = service_day(now, hall.timezone, hall.day_rollover)
        days = [{"date": d.isoformat(), "label": _day_label(d, today)}
                for d in plans.bookable_days(session, hall, service, today)] if service.booking else []
        booking = {
            "code": appt.code, "status": appt.status, "status_zh": STATUS_ZH.get(appt.status, appt.status),
            "service": service.code, "service_name": service.name, "hall": hall.code, "hall_name": hall.name,
            "day": _day_label(start.date(), today), "time": f"{start:%H:%M}–{end:%H:%M}",
            "cutoff": f"{cutoff:%m月%d日 %H:%M}", "changeable": appt.status == "booked" and now <= cutoff,
            "person_masked": appt.person_masked or "",
            # 到厅签到 is offered from when the kiosk would take the code; the engine still decides (late, closed).
            "checkin_open": appt.status == "booked" and now >= appt.slot_start - APPOINTMENT_EARLY,
        }
        return private(Response(render_template("display/booking.html", booking=booking, token=token, days=days,
                                                 qr=qr_svg(appt.code))))
