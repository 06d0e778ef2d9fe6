"""网上预约 routes: a service's slots on a day, booking one, the booking's own page, moving, cancelling and checking in
(预约签到 with the hall's entrance code), and the manager's booking plan of a service.

Public routes write under the hall's lock like any other write (the engine counts seats inside it), so the last
seat goes to one citizen only, across processes too.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import jsonify
from flask import request
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server.clock import local_time
from queue_server.engine.booking import appointments
from queue_server.engine.booking import checkin
from queue_server.engine.booking import plans
from queue_server.engine.queue import numbering
from queue_server.engine.queue.ledger import load_service
from queue_server.queries import snapshots
from queue_server.storage.models import Appointment
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.citizens.remote import entrance_key
from queue_server.web.api.queue import issued_out
from queue_server.web.api.schemas.booking import BookingOut
from queue_server.web.api.schemas.booking import BookingPlan
from queue_server.web.api.schemas.booking import BookingPlanOut
from queue_server.web.api.schemas.booking import BookingRequest
from queue_server.web.api.schemas.booking import MoveRequest
from queue_server.web.api.schemas.booking import PersonRequest
from queue_server.web.api.schemas.booking import SlotsOut
from queue_server.web.api.schemas.booking import SlotsQuery
from queue_server.web.api.schemas.booking import TodaysBookingOut
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.queue import Problem
from queue_server.web.api.schemas.queue import TicketOut
from queue_server.web.api.schemas.remote import ArriveRequest
from queue_server.web.api.schemas.reports import query_params
from queue_server.web.public_url import public_url
from queue_server.web.rate_limit import limited

CONFIGURERS = (Role.MANAGER, Role.ADMIN)
# Who looks up a person's booking of today: the kiosk the citizen stands at, and the hall's staff.
CHECKERS = (Role.KIOSK, Role.STAFF, Role.MANAGER, Role.ADMIN)


def _out(appt: Appointment, service: Service, hall: Hall) -> dict[str, Any]:
    zone = hall.timezone
    return {
        "code": appt.code, "service": service.code, "service_name": service.name, "hall": hall.code,
        "hall_name": hall.name, "slot_start": local_time(appt.slot_start, zone).isoformat(),
        "slot_end": local_time(appt.slot_end, zone).isoformat(), "status": appt.status,
        "person_masked": appt.person_masked,
        "cutoff": local_time(plans.cutoff(service, appt.slot_start), zone).isoformat(),
        "manage_token": appt.manage_token, "manage_url": f"{public_url()}/book/manage/{appt.manage_token}",
    }


def _booked(session: Session, appt: Appointment) -> dict[str, Any]:
    service, hall = session.get(Service, appt.service_id), session.get(Hall, appt.hall_id)
    assert service is not None and hall is not None
    return _out(appt, service, hall)


@route("GET", "/halls/{hall}/services/{code}/slots", "A bookable service's slots on a day with the seats left",
       responses={200: SlotsOut}, public=True, query=query_params(SlotsQuery))
def list_slots(hall: str, code: str) -> Any:
    query = SlotsQuery.model_validate(request.args.to_dict())
    hq = services()
    with hq.store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        views = appointments.slots(session, hq.runtime.clock, hall=row, service_code=code, on=query.date)
        return jsonify({"slots": [{"start": v.start.isoformat(), "end": v.end.isoformat(), "capacity": v.capacity,
                                   "left": v.left, "open": v.open} for v in views]})


@route("POST", "/halls/{hall}/appointments", "Book a slot (网上预约) with an ID or mobile number",
       request_model=BookingRequest, responses={201: BookingOut, 429: Problem}, public=True)
@limited("booking")
def book_appointment(hall: str) -> Any:
    req = body(BookingRequest)
    # Hashed with the key outside the database (queue_server/person_keys.py), as the kiosk's numbers are.
    keys = current_app.extensions["hallq.person_keys"].ring() if req.id_number or req.phone else None
    done = services().runtime.execute(
        appointments.book, hall=hall, service_code=req.service, slot_start=req.slot_start, id_number=req.id_number,
        phone=req.phone, person_keys=keys, after=_booked)
    return jsonify(done.outcome.value), 201


@route("GET", "/appointments/{manage_token}", "A citizen's own booking (its page reads this)",
       responses={200: BookingOut}, public=True)
def get_appointment(manage_token: str) -> Any:
    with services().store.read_session() as session:
        appt, service, hall = appointments.by_token(session, manage_token)
        return jsonify(_out(appt, service, hall))


def _hall_of(manage_token: str) -> str:
    with services().store.read_session() as session:
        return appointments.by_token(session, manage_token)[2].code


@route("POST", "/appointments/{manage_token}/cancel", "The citizen cancels the booking until its cut-off",
       request_model=EmptyBody, body_required=False, responses={200: BookingOut, 429: Problem}, public=True)
@limited("booking_change")
def cancel_appointment(manage_token: str) -> Any:
    body(EmptyBody, optional=True)
    done = services().runtime.execute(appointments.cancel, hall=_hall_of(manage_token), manage_token=manage_token,
                                      after=_booked)
    return jsonify(done.outcome.value)


@route("POST", "/appointments/{manage_token}/move", "The citizen moves the booking to another slot until its "
       "cut-off; the code stays", request_model=MoveRequest, responses={200: BookingOut, 429: Problem},
       public=True)
@limited("booking_change")
def move_appointment(manage_token: str) -> Any:
    req = body(MoveRequest)
    done = services().runtime.execute(appointments.move, hall=_hall_of(manage_token), manage_token=manage_token,
                                      slot_start=req.slot_start, after=_booked)
    return jsonify(done.outcome.value)


@route("POST", "/appointments/{manage_token}/check-in", "预约签到 from the booking's page once in the hall, proven "
       "by today's entrance code: the kiosk's check-in (same hours, same ticket)", request_model=ArriveRequest,
       responses={201: TicketOut, 429: Problem}, public=True)
@limited("booking_change")
def check_in_appointment(manage_token: str) -> Any:
    req = body(ArriveRequest)
    hall = _hall_of(manage_token)
    hq = services()

    def respond(session: Session, issued: engine.Issued) -> dict[str, Any]:
        return issued_out(session, issued, hall, hq.runtime.clock.now())

    done = hq.runtime.execute(engine.check_in_booking, hall=hall, manage_token=manage_token,
                              hall_code=req.hall_code, entrance_key=entrance_key(), after=respond)
    return jsonify(done.value), 201


@route("POST", "/halls/{hall}/appointments/today", "A person's booking to check in now, by ID or mobile number "
       "(the kiosk's 预约签到 without the code); the kiosk then checks it in with its code",
       request_model=PersonRequest, responses={200: TodaysBookingOut})
def find_todays_booking(hall: str) -> Any:
    principal().require(hall, *CHECKERS)
    req = body(PersonRequest)
    person = numbering.normalise_person(req.id_number, req.phone)
    if person is None:
        raise errors.BadPersonId()
    hq = services()
    keys = current_app.extensions["hallq.person_keys"].ring()
    with hq.store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        # Every key of a rotation: a booking made under the retired key is still this person's.
        digests = numbering.person_digests(row, person[0], keys).values()
        appt = checkin.todays_booking(session, row, digests, person[1], hq.runtime.clock.now())
        service = session.get(Service, appt.service_id)
        assert service is not None
        zone = row.timezone
        return jsonify({"code": appt.code, "service": service.code, "service_name": service.name,
                        "slot_start": local_time(appt.slot_start, zone).isoformat(),
                        "slot_end": local_time(appt.slot_end, zone).isoformat(), "person_masked": appt.person_masked})


@route("GET", "/halls/{hall}/services/{code}/booking", "A service's booking plan (managers)",
       responses={200: BookingPlanOut})
def get_booking_plan(hall: str, code: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        service = load_service(session, snapshots.hall_by_code(session, hall), code)
        return jsonify({"service": service.code, "plan": service.booking})


@route("PUT", "/halls/{hall}/services/{code}/booking", "Set a service's booking plan: weekly slots, horizon and "
       "cut-off (audited, service.updated)", request_model=BookingPlan, responses={200: BookingPlanOut})
def put_booking_plan(hall: str, code: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(BookingPlan)
    done = services().runtime.execute(plans.set_plan, hall=hall, service_code=code, plan=req.model_dump(),
                                      actor=who.label)
    return jsonify({"service": code, "plan": done.outcome.value})


@route("DELETE", "/halls/{hall}/services/{code}/booking", "Stop online booking of a service (bookings made stay)",
       responses={200: BookingPlanOut}, body_required=False)
def delete_booking_plan(hall: str, code: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    services().runtime.execute(plans.set_plan, hall=hall, service_code=code, plan=None, actor=who.label)
    return jsonify({"service": code, "plan": None})

