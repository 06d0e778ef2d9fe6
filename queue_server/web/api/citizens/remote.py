"""线上取号 routes: a citizen takes a live ticket from the phone, and confirms arrival with the hall's entrance code
of the day (or a kiosk confirms it); the wall display and the manager read that code to show it (docs/remote-queue.md).

The entrance code is derived from the server's secret key (HMAC), the hall and the service day: nothing is stored,
and it changes by itself every day.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask import jsonify
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server.engine.booking import remote
from queue_server.queries import snapshots
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.hall import track_out
from queue_server.web.api.queue import issued_out
from queue_server.web.api.schemas.queue import Problem
from queue_server.web.api.schemas.queue import TicketOut
from queue_server.web.api.schemas.queue import TrackOut
from queue_server.web.api.schemas.remote import ArriveRequest
from queue_server.web.api.schemas.remote import EntranceCodeOut
from queue_server.web.api.schemas.remote import KioskArriveRequest
from queue_server.web.api.schemas.remote import RemoteTicketRequest
from queue_server.web.public_url import public_url
from queue_server.web.qr import qr_svg
from queue_server.web.rate_limit import limited

# Who reads the entrance code: the wall display shows it, a kiosk may, the manager prints it for the door.
CODE_READERS = (Role.DISPLAY, Role.KIOSK, Role.MANAGER, Role.ADMIN)
# Who confirms an arrival for a citizen standing before them: a kiosk (its scanner read the phone's QR), staff.
CONFIRMERS = (Role.KIOSK, Role.STAFF, Role.MANAGER, Role.ADMIN)


def entrance_key() -> bytes:
    """A key of its own, derived from the server's secret key: the session signing key itself never leaves it."""
    return hmac.new(str(current_app.secret_key).encode(), b"hallq entrance codes", hashlib.sha256).digest()


def entrance_code_of(hall: Hall) -> dict[str, Any]:
    code, on = remote.todays_code(entrance_key(), hall, services().runtime.clock.now())
    url = f"{public_url()}/arrive/{hall.code}?code={code}"
    return {"hall": hall.code, "code": code, "date": on.isoformat(), "url": url, "qr_svg": str(qr_svg(url))}


@route("POST", "/halls/{hall}/remote-tickets", "Take a live ticket from a phone (线上取号) with an ID or mobile "
       "number; it queues at once and is called once arrival is confirmed", request_model=RemoteTicketRequest,
       responses={201: TicketOut, 429: Problem}, public=True)
@limited("remote_ticket")
def take_remote_ticket(hall: str) -> Any:
    req = body(RemoteTicketRequest)
    # Hashed with the key outside the database (queue_server/person_keys.py), as the kiosk's numbers are.
    keys = current_app.extensions["hallq.person_keys"].ring() if req.id_number or req.phone else None
    hq = services()

    def respond(session: Session, issued: engine.Issued) -> dict[str, Any]:
        return issued_out(session, issued, hall, hq.runtime.clock.now())

    done = hq.runtime.execute(engine.take_remote, hall=hall, service_code=req.service, id_number=req.id_number,
                              phone=req.phone, person_keys=keys, after=respond)
    return jsonify(done.value), 201


def _tracked(token: str) -> tuple[str, int]:
    with services().store.read_session() as session:
        tracked = snapshots.track(session, token, services().runtime.clock.now())
        return tracked.hall.code, tracked.ticket.id


def _track_response(token: str) -> Any:
    hq = services()
    with hq.store.read_session() as session:
        return jsonify(track_out(snapshots.track(session, token, hq.runtime.clock.now())))


@route("POST", "/track/{token}/arrive", "The citizen of a remote ticket confirms arrival with today's entrance "
       "code (ticket.arrived)", request_model=ArriveRequest, responses={200: TrackOut}, public=True)
def track_arrive(token: str) -> Any:
    req = body(ArriveRequest)
    hall_code, ticket_id = _tracked(token)
    services().runtime.execute(engine.arrive, hall=hall_code, ticket_id=ticket_id, via=remote.VIA_CODE,
                               hall_code=req.hall_code, entrance_key=entrance_key())
    return _track_response(token)


@route("POST", "/halls/{hall}/arrivals", "A kiosk (scanning the phone's QR) or staff confirm a remote ticket's "
       "arrival (ticket.arrived)", request_model=KioskArriveRequest, responses={200: TrackOut})
def confirm_arrival(hall: str) -> Any:
    principal().require(hall, *CONFIRMERS)
    req = body(KioskArriveRequest)
    with services().store.read_session() as session:
        found = snapshots.ticket_for_token(session, req.track_token)
    if found is None or found[1] != hall:  # another hall's ticket is no ticket here
        raise errors.TicketNotFound(ticket="?")
    ticket_id = found[0]
    services().runtime.execute(engine.arrive, hall=hall, ticket_id=ticket_id, via=remote.VIA_KIOSK)
    return _track_response(req.track_token)


@route("GET", "/halls/{hall}/entrance-code", "Today's entrance code of the hall and the address its QR holds "
       "(wall display, kiosk, manager)", responses={200: EntranceCodeOut})
def get_entrance_code(hall: str) -> Any:
    principal().require(hall, *CODE_READERS)
    with services().store.read_session() as session:
        resp = jsonify(entrance_code_of(snapshots.hall_by_code(session, hall)))
    resp.headers["Cache-Control"] = "no-store"
    return resp
