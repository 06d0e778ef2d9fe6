"""Shared bookkeeping of the ticket ops: loading, the per-ticket event log, closing legs, stats events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload

from queue_server import errors
from queue_server import events
from queue_server.clock import local_time
from queue_server.engine.queue import estimates
from queue_server.engine.queue.payloads import service_payload
from queue_server.engine.queue.payloads import ticket_payload
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.rawsql import RawSQL

# With the service and window every ticket event names: one query, where lazy loads would make three.
_TICKET_BY_ID = select(Ticket).options(joinedload(Ticket.service, innerjoin=True), joinedload(Ticket.window)) \
    .where(Ticket.id == bindparam("id"))


def load_ticket(session: Session, hall: Hall, ticket_id: int) -> Ticket:
    ticket = session.scalars(_TICKET_BY_ID, {"id": ticket_id}).first()
    if ticket is None or ticket.hall_id != hall.id:
        raise errors.TicketNotFound(ticket=ticket_id)
    return ticket


_WINDOW_BY_NUMBER = select(Window).where(Window.hall_id == bindparam("hall_id"), Window.number == bindparam("number"))


def load_window(session: Session, hall: Hall, number: int) -> Window:
    window = session.scalars(_WINDOW_BY_NUMBER, {"hall_id": hall.id, "number": number}).first()
    if window is None:
        raise errors.WindowNotFound(hall=hall.code, window=number)
    return window


_SERVICE_BY_CODE = select(Service).where(Service.hall_id == bindparam("hall_id"), Service.code == bindparam("code"))
_INSERT_LOG = ("INSERT INTO ticket_events (ticket_id, kind, at, status, service_id, window_id, staff_id, note) "
               "VALUES (:ticket_id, :kind, :at, :status, :service_id, :window_id, :staff_id, :note)")


_LEG_COLUMNS = ("ticket_id", "hall_id", "service_on", "service_id", "window_id", "staff_id", "queued_at", "called_at",
                "started_at", "ended_at", "end", "outcome", "wait_s", "service_s", "occupied_s", "local_hour",
                "acted_by")
# "end" is a reserved word in PostgreSQL: quoted as a column, plain as a parameter name.
_INSERT_LEG = ("INSERT INTO ticket_legs (" + ", ".join('"' + c + '"' for c in _LEG_COLUMNS) + ") VALUES ("
               + ", ".join(":" + c for c in _LEG_COLUMNS) + ")")


def load_service(session: Session, hall: Hall, code: str) -> Service:
    service = session.scalars(_SERVICE_BY_CODE, {"hall_id": hall.id, "code": code}).first()
    if service is None:
        raise errors.ServiceNotFound(hall=hall.code, service=code)
    return service


def require_window(ticket: Ticket, acting_window_id: int | None) -> None:
    """Staff bound to a window act only on tickets at that window; managers pass None."""
    if acting_window_id is not None and ticket.window_id != acting_window_id:
        raise errors.WindowNotAssigned()


def require_queue_of(session: Session, ticket: Ticket, acting_window_id: int | None) -> None:
    """Staff may touch a waiting ticket only in a queue their window serves (its profile or a transfer to it);
    managers pass None."""
    if acting_window_id is None or ticket.target_window_id == acting_window_id:
        return
    served = session.scalar(select(WindowService.service_id).where(
        WindowService.window_id == acting_window_id, WindowService.service_id == ticket.service_id))
    if served is None or ticket.target_window_id is not None:
        raise errors.WindowNotAssigned()


def log(session: Session, ticket: Ticket, kind: str, at: datetime, note: str = "") -> None:
    # The log is write-only in an op, so it skips the ORM altogether (rawsql.py says why).
    raw = RawSQL.of(session)
    raw.execute(_INSERT_LOG, {
        "ticket_id": ticket.id, "kind": kind, "at": raw.stamp(at), "status": ticket.status.value,
        "service_id": ticket.service_id, "window_id": ticket.window_id, "staff_id": ticket.staff_id, "note": note,
    })


def close_leg(session: Session, ticket: Ticket, end: str, at: datetime) -> None:
    """Write the finished stretch of the ticket as a ticket_legs row with exact wait and service seconds. Legs are
    only ever inserted and then read by SQL (reports, estimates), so the row skips the ORM (rawsql.py)."""
    hall = session.get(Hall, ticket.hall_id)
    tz = hall.timezone if hall is not None else "Asia/Shanghai"
    first_call = ticket.called_at
    handling_from = ticket.started_at or ticket.called_at
    served = end in {"finished", "transferred", "parked"} and handling_from is not None
    raw = RawSQL.of(session)
    raw.execute(_INSERT_LEG, {
        "ticket_id": ticket.id, "hall_id": ticket.hall_id, "service_on": raw.day(ticket.service_on),
        "service_id": ticket.service_id, "window_id": ticket.window_id, "staff_id": ticket.staff_id,
        "queued_at": raw.stamp(ticket.leg_queued_at), "called_at": raw.stamp(ticket.called_at),
        "started_at": raw.stamp(ticket.started_at), "ended_at": raw.stamp(at), "end": end,
        "outcome": ticket.outcome,
        "wait_s": round((first_call - ticket.leg_queued_at).total_seconds()) if first_call else None,
        "service_s": round((at - handling_from).total_seconds()) if served and handling_from else None,
        "occupied_s": round((at - first_call).total_seconds()) if first_call else None,
        "local_hour": local_time(at, tz).hour,
        # only a leg called at a window has someone who called it (a requeued ticket keeps its last caller)
        "acted_by": ticket.acted_by if ticket.window_id is not None else None,
    })


def ticket_event(kind: str, ticket: Ticket, **extra: object) -> events.Event:
    data: dict[str, object] = {"ticket": ticket_payload(ticket), "service": service_payload(ticket.service)}
    if ticket.window is not None:
        data["window"] = window_payload(ticket.window)
    data.update(extra)
    return events.Event(kind, data)


def stats_event(
    session: Session, hall: Hall, services: list[Service], now: datetime, waiting: dict[int, int] | None = None
) -> events.Event:
    """queue.stats for the services an op touched: waiting count and the wait a newcomer would face.
    `waiting` passes counts the op already knows, saving a query."""
    items = []
    for service in dict.fromkeys(services):
        count = (waiting or {}).get(service.id)
        waiting_now = estimates.waiting_count(session, service) if count is None else count
        items.append({
            "code": service.code,
            "waiting": waiting_now,
            "estimated_wait_s": estimates.estimated_wait_s(session, hall, service, waiting_now, now),
        })
    return events.Event(events.QUEUE_STATS, {"services": items})
