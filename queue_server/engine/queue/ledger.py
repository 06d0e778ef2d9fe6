"""Shared bookkeeping of the ticket ops: loading, the per-ticket event log, closing legs, stats events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from queue_server import errors
from queue_server import events
from queue_server.clock import local_time
from queue_server.engine.queue import estimates
from queue_server.engine.queue.payloads import service_payload
from queue_server.engine.queue.payloads import ticket_payload
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage import rawsql
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.rawsql import RawSQL

# A ticket with what every ticket event names (its service, window and the clerk signed in there, its priority
# class), in one hand-written statement (rawsql.load_joined says why).
TICKET_JOINS: rawsql.Joins = (
    (Ticket, "t", ""),
    (Service, "s", "JOIN services s ON s.id = t.service_id"),
    (PriorityCategory, "p", "LEFT JOIN priority_categories p ON p.id = t.priority_id"),
    (Window, "w", "LEFT JOIN windows w ON w.id = t.window_id"),
    (Staff, "c", "LEFT JOIN staff c ON c.id = w.staff_id"),
)
WINDOW_JOINS: rawsql.Joins = ((Window, "w", ""), (Staff, "c", "LEFT JOIN staff c ON c.id = w.staff_id"))
_WINDOW_WHERE = "WHERE w.hall_id = :hall_id AND w.number = :number"


def load_ticket(session: Session, hall: Hall, ticket_id: int) -> Ticket:
    found = rawsql.load_joined(session, TICKET_JOINS, "WHERE t.id = :id", {"id": ticket_id})
    if found is None or found[0].hall_id != hall.id:
        raise errors.TicketNotFound(ticket=ticket_id)
    return with_relations(*found[:5])


def with_relations(ticket: Ticket, service: Service, priority: PriorityCategory | None,
                   *window_and_clerk: Window | Staff | None) -> Ticket:
    """Give `ticket` the rows read with it as its relations, as the ORM's eager load would (a relation the
    session has already loaded or changed stays as it is). Without the window, `ticket.window` stays unread."""
    loaded = ticket.__dict__
    if "service" not in loaded:
        set_committed_value(ticket, "service", service)
    if "priority" not in loaded:
        set_committed_value(ticket, "priority", priority)
    if window_and_clerk:
        window, clerk = window_and_clerk
        if "window" not in loaded:
            set_committed_value(ticket, "window", window)
        if window is not None:
            _with_clerk(window, clerk)
    return ticket


def _with_clerk(window: Window, clerk: Staff | None) -> None:
    if "staff" not in window.__dict__:
        set_committed_value(window, "staff", clerk)


def load_window(session: Session, hall: Hall, number: int) -> Window:
    """The window with the clerk signed in there, whom window events name."""
    return window_with(session, hall, number)[0]


def window_with(session: Session, hall: Hall, number: int, extra: str = "") -> tuple[Window, Any]:
    """load_window, and in the same statement the value of `extra`, a select-list expression over `w`."""
    found = rawsql.load_joined(session, WINDOW_JOINS, _WINDOW_WHERE, {"hall_id": hall.id, "number": number}, extra)
    if found is None:
        raise errors.WindowNotFound(hall=hall.code, window=number)
    window = found[0]
    _with_clerk(window, found[1])
    return window, (found[2] if extra else None)


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
