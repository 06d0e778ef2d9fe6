"""线上取号: a live ticket taken from a phone, held until its citizen confirms arrival (docs/remote-queue.md).

The ticket is issued by the kiosk's own path (engine/queue/issuing.py: opening hours, daily cap, slot quotas,
per-person limits), marked `remote`, and joins its queue at once with its queue time. Call-next passes over it
while `arrived_at` is NULL (engine/queue/routing.py), so it keeps its place without holding up anyone behind it.

Arrival is confirmed with the hall's entrance code of the day (a number derived from a server secret, the hall and
the service day, so nothing is stored and yesterday's photo of the door does not work today) or by a kiosk of the
hall. The housekeeping round (`hold_and_expire`) notes when an unconfirmed ticket first stands at the head of its
queue (`ticket.held`: the phone alerts its citizen) and expires it when the hall's grace time has passed since
(`ticket.expired`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.engine.queue import numbering
from queue_server.engine.queue.issuing import Issued
from queue_server.engine.queue.issuing import issue_ticket
from queue_server.engine.queue.ledger import load_service
from queue_server.engine.queue.ledger import log
from queue_server.engine.queue.ledger import stats_event
from queue_server.engine.queue.ledger import ticket_event
from queue_server.person_keys import KeyRing
from queue_server.storage.models import OPEN_STATUSES
from queue_server.storage.models import Channel
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus

CODE_DIGITS = 6  # typed on a phone from the wall: short, and the QR carries it for those who scan
VIA_CODE = "hall_code"
VIA_KIOSK = "kiosk"


def entrance_code(key: bytes, hall: Hall, on: date) -> str:
    """The hall's entrance code on service day `on`: HMAC of the hall and the day under the server's key."""
    mac = hmac.new(key, f"hallq entrance:{hall.id}:{on.isoformat()}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10 ** CODE_DIGITS:0{CODE_DIGITS}d}"


def todays_code(key: bytes, hall: Hall, now: datetime) -> tuple[str, date]:
    on = service_day(now, hall.timezone, hall.day_rollover)
    return entrance_code(key, hall, on), on


def check_entrance_code(key: bytes | None, hall: Hall, now: datetime, typed: str | None) -> None:
    """Presence in the hall, proven by today's entrance code (a remote ticket's arrival, a booking's check-in from
    its page). Raises entrance_code_wrong."""
    if key is None:  # a programming error: the adapter hands the server's key in
        raise RuntimeError("entrance code check without the entrance key")
    typed = (typed or "").strip()
    if not hmac.compare_digest(typed.encode(), todays_code(key, hall, now)[0].encode()):
        raise errors.EntranceCodeWrong(hall_code=typed[:12])


def _awaiting(hall: Hall) -> list[object]:
    return [Ticket.hall_id == hall.id, Ticket.status == TicketStatus.WAITING, Ticket.remote.is_(True),
            Ticket.arrived_at.is_(None)]


def take_remote(session: Session, clock: Clock, *, hall: Hall, service_code: str, id_number: str | None = None,
                phone: str | None = None, person_keys: KeyRing | None = None) -> events.Outcome[Issued]:
    """Issue a remote ticket. An ID or mobile number is required (who holds a place from afar must be someone),
    and one person holds one open remote ticket per service at a time, on top of the service's own per-person
    limit. Raises what issue_ticket raises, and person_required, person_limit_reached."""
    service = load_service(session, hall, service_code)
    person = numbering.normalise_person(id_number, phone)
    if person is None:
        raise errors.PersonRequired(service=service.code, service_name=service.name)
    if person_keys is None:  # a programming error: the adapter hands the key ring in with the number
        raise RuntimeError("take_remote got an ID or phone number without person_keys to hash it")
    digests = list(numbering.person_digests(hall, person[0], person_keys).values())
    held = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.hall_id == hall.id, Ticket.original_service_id == service.id, Ticket.remote.is_(True),
        Ticket.status.in_(OPEN_STATUSES), Ticket.person_hash.in_(digests)))
    if held:
        raise errors.PersonLimitReached(service=service.code, service_name=service.name, limit=1)
    return issue_ticket(session, clock, hall=hall, service_code=service_code, channel=Channel.MOBILE.value,
                        id_number=id_number, phone=phone, person_keys=person_keys, remote=True)


def arrive(session: Session, clock: Clock, *, hall: Hall, ticket_id: int, via: str, hall_code: str | None = None,
           entrance_key: bytes | None = None) -> events.Outcome[Ticket]:
    """Confirm that a remote ticket's citizen is in the hall: with today's entrance code (`via` "hall_code"), or
    by a kiosk of the hall ("kiosk"). Confirming twice changes nothing. Raises ticket_not_found,
    not_remote_ticket, invalid_transition, entrance_code_wrong."""
    now = clock.now()
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.hall_id != hall.id:
        raise errors.TicketNotFound(ticket="?")
    if not ticket.remote:
        raise errors.NotRemoteTicket(ticket_no=ticket.ticket_no)
    if ticket.arrived_at is not None:
        return events.Outcome(ticket, ())
    ticket.require("arrived", TicketStatus.WAITING)
    if via == VIA_CODE:
        check_entrance_code(entrance_key, hall, now, hall_code)
    elif via != VIA_KIOSK:
        raise ValueError(via)
    ticket.arrived_at, ticket.arrived_via = now, via
    log(session, ticket, "arrived", now, note=via)
    return events.Outcome(ticket, (ticket_event(events.TICKET_ARRIVED, ticket, via=via),
                                   stats_event(session, hall, [ticket.service], now)))


def _at_head(session: Session, ticket: Ticket) -> bool:
    """No callable ticket of its queue stands before it: a window's next call of this service would pass it."""
    before = or_(Ticket.priority_weight > ticket.priority_weight, and_(
        Ticket.priority_weight == ticket.priority_weight,
        or_(Ticket.queued_at < ticket.queued_at, and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id))))
    callable_ahead = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.hall_id == ticket.hall_id, Ticket.status == TicketStatus.WAITING,
        Ticket.service_id == ticket.service_id, before,
        or_(Ticket.remote.is_(False), Ticket.arrived_at.is_not(None))))
    return not callable_ahead


def hold_and_expire(session: Session, hall: Hall, now: datetime) -> list[events.Event]:
    """The housekeeping round's part: unconfirmed remote tickets that now head their queue are held (the grace
    time starts), and held ones past the hall's grace time expire. Cheap when none waits: one indexed query."""
    out: list[events.Event] = []
    grace = timedelta(minutes=hall.remote_grace_min)
    touched = []
    for ticket in session.scalars(select(Ticket).where(*_awaiting(hall)).order_by(Ticket.queued_at, Ticket.id)):
        if ticket.held_at is None:
            if _at_head(session, ticket):
                ticket.held_at = now
                log(session, ticket, "held", now)
                out.append(ticket_event(events.TICKET_HELD, ticket,
                                        hold_until=(now + grace).isoformat(), grace_min=hall.remote_grace_min))
        elif ticket.held_at + grace <= now:
            ticket.status, ticket.ended_at, ticket.outcome = TicketStatus.EXPIRED, now, "not_arrived"
            log(session, ticket, "expired", now, note="not_arrived")
            out.append(ticket_event(events.TICKET_EXPIRED, ticket, reason="not_arrived"))
            touched.append(ticket.service)
    if touched:  # the waiting counts on the displays shrink by the expired tickets
        session.flush()
        out.append(stats_event(session, hall, touched, now))
    return out
