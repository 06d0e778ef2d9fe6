"""Manager console routes of /api/v1: the live monitor (hall and prefecture), alerts, and hall configuration.

Viewers read the monitor and alerts; managers (own hall) and admins (every hall) also act and configure.
Writes go through Runtime.execute like every other write.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.engine.oversight.alerts import alert_payload
from queue_server.engine.oversight.alerts import hall_limits
from queue_server.engine.setup.configuration import window_services
from queue_server.queries import monitor
from queue_server.queries import snapshots
from queue_server.storage.alerts import Alert
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Window
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.manager import AlertLimitsBody
from queue_server.web.api.schemas.manager import AlertOut
from queue_server.web.api.schemas.manager import AlertsOut
from queue_server.web.api.schemas.manager import MonitorOut
from queue_server.web.api.schemas.manager import PrefectureOut
from queue_server.web.api.schemas.manager import WindowReleasedOut
from queue_server.web.api.schemas.manager import WindowServicesBody
from queue_server.web.api.schemas.manager import WindowServicesOut
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.setup import ServiceSettingsFull

WATCHERS = (Role.MANAGER, Role.ADMIN, Role.VIEWER)
CONFIGURERS = (Role.MANAGER, Role.ADMIN)


@route("GET", "/halls/{hall}/monitor", "Live monitor: services, windows, today's chart by quarter-hour, alerts",
       responses={200: MonitorOut})
def hall_monitor(hall: str) -> Any:
    principal().require(hall, *WATCHERS)
    hq = services()
    with hq.store.read_session() as session:
        return jsonify(monitor.monitor(session, snapshots.hall_by_code(session, hall), hq.runtime.clock.now()))


@route("GET", "/monitor", "Prefecture view: one line per hall the caller may watch", responses={200: PrefectureOut})
def prefecture_monitor() -> Any:
    who = principal()
    if who.role not in WATCHERS:
        raise errors.RoleRequired(roles=", ".join(r.value for r in WATCHERS))
    hq = services()
    with hq.store.read_session() as session:
        halls = [h for h in session.scalars(select(Hall).order_by(Hall.id)) if who.may_access_hall(h.code)]
        return jsonify({"halls": monitor.prefecture(session, halls, hq.runtime.clock.now())})


@route("GET", "/halls/{hall}/alerts", "Open alerts, then the latest resolved ones", responses={200: AlertsOut})
def list_alerts(hall: str) -> Any:
    principal().require(hall, *WATCHERS)
    with services().store.read_session() as session:
        return jsonify({"alerts": monitor.alerts(session, snapshots.hall_by_code(session, hall))})


@route("POST", "/halls/{hall}/alerts/evaluate", "Evaluate the hall's alert conditions now (the server also does "
       "this periodically)", request_model=EmptyBody, body_required=False, responses={200: AlertsOut})
def evaluate_alerts(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    body(EmptyBody, optional=True)
    done = services().runtime.execute(engine.evaluate_alerts, hall=hall,
                                      after=lambda _, changed: [alert_payload(a) for a in changed])
    return jsonify({"alerts": done.value})


@route("POST", "/alerts/{alert:id}/seen", "A manager acknowledges an alert (new -> seen)",
       request_model=EmptyBody, body_required=False, responses={200: AlertOut})
def alert_seen(alert: int) -> Any:
    who = principal()
    hq = services()
    with hq.store.read_session() as session:
        row = session.get(Alert, alert)
        hall = session.get(Hall, row.hall_id) if row is not None else None
        hall_code = hall.code if hall is not None else None
    if hall_code is None:
        # Unknown id: answer like another hall's alert would be answered to this caller's role.
        if who.role not in CONFIGURERS:
            raise errors.RoleRequired(roles=", ".join(r.value for r in CONFIGURERS))
        raise errors.AlertNotFound(alert=alert)
    who.require(hall_code, *CONFIGURERS)
    body(EmptyBody, optional=True)
    done = hq.runtime.execute(engine.mark_alert_seen, hall=hall_code, alert_id=alert, actor=who.label,
                              after=lambda _, row: alert_payload(row))
    return jsonify(done.value)


@route("GET", "/halls/{hall}/alert-limits", "The hall's alert limits (defaults filled in) and service overrides",
       responses={200: AlertLimitsBody})
def get_alert_limits(hall: str) -> Any:
    principal().require(hall, *WATCHERS)
    with services().store.read_session() as session:
        limits = hall_limits(session, snapshots.hall_by_code(session, hall))
        return jsonify({"limits": {**limits.hall, "services": limits.services}})


@route("PUT", "/halls/{hall}/alert-limits", "Replace the hall's alert limits (audited; alerts re-evaluated)",
       request_model=AlertLimitsBody, responses={200: AlertLimitsBody})
def put_alert_limits(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(AlertLimitsBody)
    done = services().runtime.execute(engine.set_alert_limits, hall=hall, limits=req.limits, actor=who.label)
    return jsonify({"limits": done.value})


@route("POST", "/halls/{hall}/services/{service}/close-for-today", "暂停今日取号: no new tickets until tomorrow "
       "(audited, service.updated)", request_model=EmptyBody, body_required=False,
       responses={200: ServiceSettingsFull})
def close_service_for_today(hall: str, service: str) -> Any:
    return _day_state(hall, service, closed=True)


@route("POST", "/halls/{hall}/services/{service}/reopen", "Reopen a service closed for today "
       "(audited, service.updated)", request_model=EmptyBody, body_required=False,
       responses={200: ServiceSettingsFull})
def reopen_service(hall: str, service: str) -> Any:
    return _day_state(hall, service, closed=False)


def _day_state(hall: str, service: str, *, closed: bool) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    body(EmptyBody, optional=True)
    done = services().runtime.execute(engine.close_service_for_today, hall=hall, service_code=service,
                                      closed=closed, actor=who.label)
    return jsonify(done.value)


def _profile_out(_: Any, window: Window) -> dict[str, Any]:
    return {"number": window.number, "services": [
        {**item, "name": ws.service.name} for item, ws in zip(window_services(window), window.profile, strict=True)]}


@route("PUT", "/halls/{hall}/windows/{number:int}/services", "Replace a window's services and weights "
       "(audited, window.updated)", request_model=WindowServicesBody, responses={200: WindowServicesOut})
def put_window_services(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(WindowServicesBody)
    done = services().runtime.execute(engine.set_window_services, hall=hall, window_number=number,
                                      profile=[p.model_dump() for p in req.services], actor=who.label,
                                      after=_profile_out)
    return jsonify(done.value)


@route("POST", "/halls/{hall}/windows/{number:int}/release", "Free a window held by a clerk who is not there: "
       "the window closes, the clerk's sessions end, another clerk can sign in (audited, window.signed_out)",
       request_model=EmptyBody, body_required=False, responses={200: WindowReleasedOut})
def release_window(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    body(EmptyBody, optional=True)
    done = services().runtime.execute(
        engine.release_window, hall=hall, window_number=number, actor=who.label,
        after=lambda _, w: {"number": w.number, "name": w.name, "label": w.label, "state": w.state.value,
                            "staff": w.staff.user_no if w.staff is not None else None})
    return jsonify(done.value)
