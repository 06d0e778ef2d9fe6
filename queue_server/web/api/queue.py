"""Queue actions: issue a ticket, window actions (call next, call a number, pause, resume), ticket actions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response
from flask import current_app
from flask import jsonify
from flask import request
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import Principal
from queue_server.engine.queue.payloads import window_payload
from queue_server.engine.queue.printing import seconds_left
from queue_server.storage.models import Hall
from queue_server.storage.models import PrintJob
from queue_server.storage.models import Role
from queue_server.storage.models import Ticket
from queue_server.storage.models import Window
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.queue import CallOut
from queue_server.web.api.schemas.queue import CallSpecificRequest
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.queue import FinishRequest
from queue_server.web.api.schemas.queue import IdempotencyKey
from queue_server.web.api.schemas.queue import IssueRequest
from queue_server.web.api.schemas.queue import ParkRequest
from queue_server.web.api.schemas.queue import PauseRequest
from queue_server.web.api.schemas.queue import TicketOut
from queue_server.web.api.schemas.queue import TransferRequest
from queue_server.web.api.schemas.queue import WindowOut
from queue_server.web.public_url import public_url

ISSUERS = (Role.KIOSK, Role.STAFF, Role.MANAGER, Role.ADMIN)
CALLERS = (Role.STAFF, Role.MANAGER, Role.ADMIN)


def staff_ticket(ticket: Ticket, hall: Hall, now: Any) -> dict[str, Any]:
    return {
        "id": ticket.id, "number": ticket.ticket_no, "hall": hall.code, "service": ticket.service.code,
        "service_name": ticket.service.name, "status": ticket.status.value,
        "priority": ticket.priority.code if ticket.priority else None, "channel": ticket.channel,
        "window": ticket.window.number if ticket.window else None,
        "window_name": ticket.window.name if ticket.window else None, "call_count": ticket.call_count,
        "issued_at": ticket.issued_at.isoformat(), "queued_at": ticket.queued_at.isoformat(),
        "waited_s": max(0, round((now - ticket.queued_at).total_seconds())), "person": ticket.person_masked,
    }


def _acting_window(who: Principal) -> int | None:
    """Staff act for the window their credential is bound to; managers and admins for any window."""
    if who.role == Role.STAFF:
        if who.window_id is None:
            raise errors.WindowNotAssigned()
        return who.window_id
    return None


def _caller(who: Principal) -> dict[str, Any]:
    """Who a call is credited to: a clerk's own credential to that clerk; a manager's or admin's (who may call at
    any window) to the clerk signed in at the window, with the manager recorded apart for the reports."""
    if who.role == Role.STAFF:
        return {"staff_id": who.staff_id}
    return {"staff_id": None, "acted_by": f"{who.role.value}:{who.label}"[:64]}


def _issuer_scope(who: Principal) -> str:
    """Whose keys: one kiosk's, one clerk's, one token's; another client's key never finds this one's ticket."""
    if who.device_id is not None:
        return f"device:{who.device_id}"
    if who.staff_id is not None:
        return f"staff:{who.staff_id}"
    return f"{who.role.value}:{who.label}"[:64]


def _fingerprint(req: IssueRequest, channel: str) -> str:
    return hashlib.sha256(json.dumps([req.model_dump(), channel], sort_keys=True).encode()).hexdigest()


def issued_out(session: Session, issued: engine.Issued, hall: str, now: Any) -> dict[str, Any]:
    """A ticket just issued, as the kiosk and the phone (线上取号) receive it."""
    t = issued.ticket
    job = session.get(PrintJob, issued.print_job_id) if issued.print_job_id else None
    return {
        "id": t.id, "number": t.ticket_no, "hall": hall, "service": t.service.code,
        "service_name": t.service.name, "status": t.status.value,
        "priority": t.priority.code if t.priority else None, "channel": t.channel, "window": None,
        "window_name": None, "call_count": 0, "ahead": issued.ahead, "estimated_wait_s": issued.estimated_wait_s,
        "track_token": t.track_token, "track_url": f"{public_url()}/t/{t.track_token}",
        "issued_at": t.issued_at.isoformat(), "queued_at": t.queued_at.isoformat(),
        "arrived": not (t.remote and t.arrived_at is None), "print_job_id": issued.print_job_id,
        "print_deadline_s": round(seconds_left(job, now), 3) if job else None,
    }


@route("POST", "/halls/{hall}/tickets", "Issue a ticket (kiosk, staff, manager); with an Idempotency-Key header a "
       "retried request returns the first attempt's ticket", request_model=IssueRequest, responses={201: TicketOut})
def issue_ticket(hall: str) -> Any:
    who = principal()
    who.require(hall, *ISSUERS)
    req = body(IssueRequest)
    header = request.headers.get("Idempotency-Key")
    key = IdempotencyKey.model_validate({"Idempotency-Key": header}).key if header is not None else None
    hq = services()

    def respond(session: Session, issued: engine.Issued) -> dict[str, Any]:
        return issued_out(session, issued, hall, hq.runtime.clock.now())

    channel = req.channel or ("kiosk" if who.role == Role.KIOSK else "staff")
    # A kiosk with a printer also queues the ticket's print job, in the same transaction.
    op, device = ((engine.issue_at_kiosk, {"device_id": who.device_id})
                  if who.role == Role.KIOSK and who.device_id is not None else (engine.issue_ticket, {}))
    request_args = dict(service_code=req.service, priority_code=req.priority, channel=channel,
                        appointment_code=req.appointment_code, id_number=req.id_number, phone=req.phone, **device)
    if req.id_number or req.phone:  # hashed with the key outside the database (queue_server/person_keys.py)
        request_args["person_keys"] = current_app.extensions["hallq.person_keys"].ring()
    if key is None:
        done = hq.runtime.execute(op, hall=hall, after=respond, batch=True, **request_args)
        return jsonify(done.value), 201
    done = hq.runtime.execute(engine.issue_once, hall=hall, after=respond, batch=True, key=key,
                              scope=_issuer_scope(who),
                              fingerprint=_fingerprint(req, channel), issue=op, **request_args)
    resp = jsonify(done.value)
    if not done.envelopes:  # nothing happened: the key's ticket was issued by an earlier attempt
        resp.headers["Idempotent-Replayed"] = "true"
    return resp, 201


def _call_response(hall: str) -> Callable[[Session, Ticket | None], dict[str, Any] | None]:
    hq = services()

    def respond(session: Session, ticket: Ticket | None) -> dict[str, Any] | None:
        if ticket is None:
            return None
        hall_row = session.get(Hall, ticket.hall_id)
        assert hall_row is not None
        hq.ticket_halls.remember(ticket.id, hall_row.code)  # the clerk's next action on it needs no lookup
        return {"ticket": staff_ticket(ticket, hall_row, hq.runtime.clock.now())}

    return respond


@route("POST", "/halls/{hall}/windows/{number:int}/call-next", "Call the next ticket for a window",
       request_model=EmptyBody, body_required=False, responses={200: CallOut, 204: None})
def call_next(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CALLERS)
    body(EmptyBody, optional=True)
    done = services().runtime.execute(
        engine.call_next, hall=hall, after=_call_response(hall), batch=True, window_number=number,
        acting_window_id=_acting_window(who), **_caller(who),
    )
    if done.value is None:
        empty = Response(status=204)
        del empty.headers["Content-Type"]  # no content, so no content type (werkzeug adds text/html by default)
        return empty
    return jsonify(done.value)


@route("POST", "/halls/{hall}/windows/{number:int}/call", "Call a specific number out of order (audited)",
       request_model=CallSpecificRequest, responses={200: CallOut})
def call_specific(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CALLERS)
    req = body(CallSpecificRequest)
    done = services().runtime.execute(
        engine.call_specific, hall=hall, after=_call_response(hall), window_number=number,
        ticket_no=req.ticket_no, reason=req.reason, actor=who.label,
        acting_window_id=_acting_window(who), **_caller(who),
    )
    return jsonify(done.value)


def _window_response(session: Session, window: Window) -> dict[str, Any]:
    item = window_payload(window)
    item["label"] = window.label
    item["services"] = [ws.service.code for ws in window.profile]
    # hall_id + status: ix_tickets_queue; window_id alone has no index and would scan all history.
    current = session.scalar(select(Ticket).where(Ticket.hall_id == window.hall_id, Ticket.window_id == window.id,
                                                  Ticket.status.in_(("called", "serving"))).limit(1))
    item["current"] = ({"id": current.id, "number": current.ticket_no, "status": current.status.value}
                       if current else None)
    return item


@route("POST", "/halls/{hall}/windows/{number:int}/pause", "Pause a window with a reason (暂停服务)",
       request_model=PauseRequest, body_required=False, responses={200: WindowOut})
def pause_window(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CALLERS)
    req = body(PauseRequest, optional=True)
    done = services().runtime.execute(engine.pause_window, hall=hall, after=_window_response, window_number=number,
                                      reason=req.reason, acting_window_id=_acting_window(who))
    return jsonify(done.value)


@route("POST", "/halls/{hall}/windows/{number:int}/resume", "Resume a paused window",
       request_model=EmptyBody, body_required=False, responses={200: WindowOut})
def resume_window(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CALLERS)
    body(EmptyBody, optional=True)
    done = services().runtime.execute(engine.resume_window, hall=hall, after=_window_response,
                                      window_number=number, acting_window_id=_acting_window(who))
    return jsonify(done.value)


# Which hall a ticket belongs to, before the hall's lock: the code alone, not two ORM objects.
_HALL_OF_TICKET = select(Hall.code).join_from(Ticket, Hall, Ticket.hall_id == Hall.id) \
    .where(Ticket.id == bindparam("id"))


def _ticket_action(ticket_id: int, op: Callable[..., Any], args: Callable[[], dict[str, Any]] | None = None) -> Any:
    """Authorise, then read the body (`args` parses it into op arguments), then run `op` on the ticket.

    Credentials come first, as on every route: without one the answer is 401 whatever the body holds."""
    who = principal()
    hq = services()
    hall = hq.ticket_halls.get(ticket_id)
    if hall is None:
        with hq.store.read_session() as session:
            hall = session.execute(_HALL_OF_TICKET, {"id": ticket_id}).scalar()
        if hall is None:
            raise errors.TicketNotFound(ticket=ticket_id)
        hq.ticket_halls.remember(ticket_id, hall)
    who.require(hall, *CALLERS)
    kwargs = args() if args is not None else {}

    def respond(session: Session, ticket: Ticket) -> dict[str, Any]:
        hall_row = session.get(Hall, ticket.hall_id)
        assert hall_row is not None
        return {"ticket": staff_ticket(ticket, hall_row, hq.runtime.clock.now())}

    done = hq.runtime.execute(op, hall=hall, after=respond, batch=True, ticket_id=ticket_id,
                              acting_window_id=_acting_window(who), **kwargs)
    return jsonify(done.value)


def _no_body() -> dict[str, Any]:
    body(EmptyBody, optional=True)
    return {}


def _simple(verb: str, op: Callable[..., Any], summary: str) -> None:
    def action(ticket_id: int) -> Any:
        return _ticket_action(ticket_id, op, _no_body)

    action.__name__ = f"ticket_{verb.replace('-', '_')}"
    route("POST", f"/tickets/{{ticket_id:id}}/{verb}", summary, request_model=EmptyBody, body_required=False,
          responses={200: CallOut})(action)


_simple("recall", engine.recall, "Announce the called ticket again (limited repeats)")
_simple("no-show", engine.no_show, "Mark the called ticket as no-show (过号)")
_simple("reactivate", engine.reactivate, "Put a no-show ticket back in the queue within the tolerance")
_simple("start", engine.start, "The citizen is at the window: start handling")
_simple("resume", engine.resume, "Return a parked ticket to the queue")
_simple("cancel", engine.cancel, "Cancel a ticket")


def _finish_args() -> dict[str, Any]:
    req = body(FinishRequest, optional=True)
    return {"outcome": req.outcome, "case_no": req.case_no}


@route("POST", "/tickets/{ticket_id:id}/finish", "Finish with an outcome (办结/退办/咨询), from called or serving",
       request_model=FinishRequest, body_required=False, responses={200: CallOut})
def ticket_finish(ticket_id: int) -> Any:
    return _ticket_action(ticket_id, engine.finish, _finish_args)


def _park_args() -> dict[str, Any]:
    return {"minutes": body(ParkRequest, optional=True).minutes}


@route("POST", "/tickets/{ticket_id:id}/park", "Park the ticket; it returns after `minutes` or by hand",
       request_model=ParkRequest, body_required=False, responses={200: CallOut})
def ticket_park(ticket_id: int) -> Any:
    return _ticket_action(ticket_id, engine.park, _park_args)


def _transfer_args() -> dict[str, Any]:
    req = body(TransferRequest)
    return {"service_code": req.service, "window_number": req.window}


@route("POST", "/tickets/{ticket_id:id}/transfer", "Transfer to another service or window, keeping number and "
       "queue time", request_model=TransferRequest, responses={200: CallOut})
def ticket_transfer(ticket_id: int) -> Any:
    return _ticket_action(ticket_id, engine.transfer, _transfer_args)
