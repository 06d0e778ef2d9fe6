"""Hall read routes: services (public), windows, events replay, and a citizen's ticket by track token."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any

from flask import jsonify
from flask import request

from queue_server import engine
from queue_server.clock import local_time
from queue_server.queries import snapshots
from queue_server.storage.models import Role
from queue_server.storage.models import TicketStatus
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.queue import EventOut
from queue_server.web.api.schemas.queue import EventsQuery
from queue_server.web.api.schemas.queue import NoticesBody
from queue_server.web.api.schemas.queue import ServiceOut
from queue_server.web.api.schemas.queue import TrackOut
from queue_server.web.api.schemas.queue import WindowOut

ANY_ROLE = tuple(Role)


@route("GET", "/halls/{hall}/services", "Services of a hall with waiting counts and estimated waits",
       responses={200: [ServiceOut]}, public=True)
def list_services(hall: str) -> Any:
    hq = services()
    with hq.store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        return jsonify(snapshots.services(session, row, hq.runtime.clock.now()))


@route("GET", "/halls/{hall}/windows", "Windows of a hall with their services, state and current ticket",
       responses={200: [WindowOut]})
def list_windows(hall: str) -> Any:
    principal().require(hall, *ANY_ROLE)
    with services().store.read_session() as session:
        return jsonify(snapshots.windows(session, snapshots.hall_by_code(session, hall)))


@route("GET", "/halls/{hall}/events", "Events after a seq, in order (the replay the realtime feed uses)",
       responses={200: [EventOut]}, query={"after": EventsQuery.model_json_schema()["properties"]["after"]})
def list_events(hall: str) -> Any:
    principal().require(hall, Role.DISPLAY, Role.STAFF, Role.MANAGER, Role.ADMIN, Role.KIOSK, Role.RATER)
    # A bad `after` is 422 naming the field: silently replaying from 0 would hide a client bug.
    query = EventsQuery.model_validate(request.args.to_dict())
    with services().store.read_session() as session:
        return jsonify(snapshots.events_after(session, snapshots.hall_by_code(session, hall), query.after))


@route("GET", "/halls/{hall}/notices", "Active scrolling notices of the wall display",
       responses={200: NoticesBody}, public=True)
def get_notices(hall: str) -> Any:
    with services().store.read_session() as session:
        return jsonify({"notices": snapshots.notices(session, snapshots.hall_by_code(session, hall))})


@route("POST", "/halls/{hall}/notices", "Replace the wall display's scrolling notices (manager)",
       request_model=NoticesBody, responses={200: NoticesBody})
def set_notices(hall: str) -> Any:
    who = principal()
    who.require(hall, Role.MANAGER, Role.ADMIN)
    req = body(NoticesBody)
    done = services().runtime.execute(engine.set_notices, hall=hall, texts=req.notices, actor=who.label)
    return jsonify({"notices": done.value})


def track_out(tracked: snapshots.Tracked) -> dict[str, Any]:
    t, hall = tracked.ticket, tracked.hall

    def hhmm(at: datetime | None) -> str | None:
        return local_time(at, hall.timezone).strftime("%H:%M") if at is not None else None

    no_show_until = (t.ended_at + timedelta(minutes=hall.no_show_tolerance_min)
                     if t.status == TicketStatus.NO_SHOW and t.ended_at is not None else None)
    if no_show_until is not None and tracked.at is not None and no_show_until <= tracked.at:
        no_show_until = None  # too late: the citizen takes a new ticket
    held = (t.remote and t.arrived_at is None and t.held_at is not None and t.status == TicketStatus.WAITING)
    return {
        "number": t.ticket_no, "hall": hall.code, "hall_name": hall.name,
        "service": t.service.code, "service_name": t.service.name, "status": t.status.value,
        "ahead": tracked.ahead, "estimated_wait_s": tracked.estimated_wait_s,
        "window": t.window.number if t.window else None, "window_name": t.window.name if t.window else None,
        "window_label": t.window.label if t.window else None, "call_count": t.call_count,
        # What the citizen does next, in the hall's time: when a parked ticket is back in the queue by itself,
        # until when a 过号 ticket can be put back by the staff.
        "parked_until_local": hhmm(t.parked_until) if t.status == TicketStatus.PARKED else None,
        "no_show_until_local": hhmm(no_show_until),
        "issued_at": t.issued_at.isoformat(), "print_job": tracked.print_job, "visit": tracked.visit,
        # 线上取号: the phone page's arrival panel, its hold alert and when to start walking over.
        "remote": t.remote, "arrived": not (t.remote and t.arrived_at is None),
        "held": held, "hold_until_local": hhmm(t.held_at + timedelta(minutes=hall.remote_grace_min)) if held else None,
        "walk_ahead": hall.remote_walk_ahead if t.remote else None,
    }


@route("GET", "/track/{token}", "A citizen's own ticket: status, people ahead, estimated wait",
       responses={200: TrackOut}, public=True)
def track(token: str) -> Any:
    hq = services()
    with hq.store.read_session() as session:
        return jsonify(track_out(snapshots.track(session, token, hq.runtime.clock.now())))


@route("POST", "/track/{token}/reprint", "The citizen has their ticket printed again (补打) at the kiosk that printed "
       "it", request_model=EmptyBody, body_required=False, responses={200: TrackOut}, public=True)
def track_reprint(token: str) -> Any:
    body(EmptyBody, optional=True)
    hq = services()
    with hq.store.read_session() as session:
        tracked = snapshots.track(session, token, hq.runtime.clock.now())
        hall_code, ticket_id = tracked.hall.code, tracked.ticket.id
    hq.runtime.execute(engine.reprint_ticket, hall=hall_code, ticket_id=ticket_id)
    with hq.store.read_session() as session:
        return jsonify(track_out(snapshots.track(session, token, hq.runtime.clock.now())))


@route("POST", "/track/{token}/cancel", "The citizen withdraws their own ticket",
       request_model=EmptyBody, body_required=False, responses={200: TrackOut}, public=True)
def track_cancel(token: str) -> Any:
    body(EmptyBody, optional=True)
    hq = services()
    with hq.store.read_session() as session:
        tracked = snapshots.track(session, token, hq.runtime.clock.now())
        hall_code, ticket_id = tracked.hall.code, tracked.ticket.id
    hq.runtime.execute(engine.cancel, hall=hall_code, ticket_id=ticket_id, by="citizen")
    with hq.store.read_session() as session:
        return jsonify(track_out(snapshots.track(session, token, hq.runtime.clock.now())))
