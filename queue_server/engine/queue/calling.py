"""Calling tickets to a window: call next, call a specific number, recall, no-show and reactivation."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.engine.audit import audit
from queue_server.engine.queue import routing
from queue_server.engine.queue.days import expire_past_days
from queue_server.engine.queue.ledger import TICKET_JOINS
from queue_server.engine.queue.ledger import close_leg
from queue_server.engine.queue.ledger import load_ticket
from queue_server.engine.queue.ledger import log
from queue_server.engine.queue.ledger import require_queue_of
from queue_server.engine.queue.ledger import require_window
from queue_server.engine.queue.ledger import stats_event
from queue_server.engine.queue.ledger import ticket_event
from queue_server.engine.queue.ledger import window_with
from queue_server.engine.queue.ledger import with_relations
from queue_server.engine.queue.numbering import TICKET_NO_RE
from queue_server.storage import rawsql
from queue_server.storage.models import ACTIVE_STATUSES
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus
from queue_server.storage.models import Window
from queue_server.storage.models import WindowState
from queue_server.storage.rawsql import RawSQL

# Hand-written, as every statement call-next runs on each call under the hall's lock (rawsql.py says why).
# hall_id lets ix_tickets_queue find the few active tickets; window_id alone has no index and scanned every
# ticket ever issued (1.7 s at 5 million on SQLite; bench/history_ops.py).
# Read with the window, in its statement (ledger.window_with).
_BUSY = (f"(SELECT b.ticket_no FROM tickets b WHERE b.hall_id = w.hall_id AND b.status IN "
         f"({', '.join(repr(s.value) for s in ACTIVE_STATUSES)}) AND b.window_id = w.id LIMIT 1)")
_DUE_PARKED = "SELECT id FROM tickets WHERE " + routing.DUE_PARKED + " ORDER BY id"
_PARKED_BY_ID = select(Ticket).where(Ticket.id.in_(bindparam("ids", expanding=True))).order_by(Ticket.id)
# The ticket with its service and priority class (the call's event names them). Only the ticket row locked;
# PostgreSQL skips a row another transaction holds.
_CLAIM_JOINS = TICKET_JOINS[:3]
_CLAIM = "WHERE t.id = :id AND t.status = 'waiting'"
_CLAIM_SKIP_LOCKED = _CLAIM + " FOR UPDATE OF t SKIP LOCKED"


def _ready_window(session: Session, hall: Hall, number: int, acting_window_id: int | None) -> Window:
    """The window, if the caller may call there, it is open and not still busy with a ticket it called."""
    window, busy = window_with(session, hall, number, _BUSY)
    if acting_window_id is not None and window.id != acting_window_id:
        raise errors.WindowNotAssigned()
    if window.state != WindowState.OPEN:
        raise errors.WindowNotOpen(window=window.number, state=window.state.value)
    if busy is not None:
        raise errors.WindowBusy(window=window.number, ticket_no=busy)
    return window


def return_due_parked(session: Session, hall: Hall, now: datetime) -> list[events.Event]:
    """Parked tickets whose return time has come go back to the queue with their original queue time."""
    raw = RawSQL.of(session)
    return _return_parked(session, [r[0] for r in raw.execute(_DUE_PARKED, {"hall_id": hall.id,
                                                                              "now": raw.stamp(now)}).fetchall()], now)


def _return_parked(session: Session, ids: list[int], now: datetime) -> list[events.Event]:
    due = session.scalars(_PARKED_BY_ID, {"ids": ids}).all() if ids else []
    out = []
    for ticket in due:
        ticket.status, ticket.parked_until, ticket.leg_queued_at = TicketStatus.WAITING, None, now
        log(session, ticket, "returned", now, "auto")
        ticket.window_id, ticket.window = None, None  # waiting again; target_window_id routes it back
        out.append(ticket_event(events.TICKET_RETURNED, ticket))
    return out


def _call(session: Session, window: Window, ticket: Ticket, staff_id: int | None, now: datetime,
          acted_by: str | None = None) -> None:
    """Credit the leg to `staff_id` (a clerk's own credential), else to the clerk signed in at the window; a
    manager's or admin's call passes no staff_id and is recorded apart in `acted_by`."""
    # Written by hand, not by a unit-of-work flush: on the path from the clerk's key to the hall's screens.
    RawSQL.of(session).update(ticket, "tickets", {
        "status": TicketStatus.CALLED, "window_id": window.id,
        "staff_id": staff_id if staff_id is not None else window.staff_id, "called_at": now, "call_count": 1,
        "target_window_id": None, "acted_by": acted_by,
    })
    set_committed_value(ticket, "window", window)
    log(session, ticket, "called", now)


def call_next(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, staff_id: int | None = None,
    acting_window_id: int | None = None, acted_by: str | None = None,
) -> events.Outcome[Ticket | None]:
    """Raises window_not_found, window_not_assigned, window_not_open, window_busy. None when nobody waits."""
    now = clock.now()
    window = _ready_window(session, hall, window_number, acting_window_id)
    expire_past_days(session, hall, now)
    view = routing.window_view(session, hall, window, now)
    returned = _return_parked(session, view.due_parked, now)
    if returned:  # waiting again, with their queue time: heads now
        view = routing.window_view(session, hall, window, now)
    for candidate in routing.rank(hall, window, view.heads, view.green, view.profile, now):
        ticket = _claim(session, candidate.id)
        if ticket is None:
            continue
        priority = routing.is_priority(ticket, {ticket.service_id} if ticket.service.green_channel else ())
        RawSQL.of(session).update(window, "windows", {"normal_streak": 0 if priority else window.normal_streak + 1})
        _call(session, window, ticket, staff_id, now, acted_by)
        called = ticket_event(events.TICKET_CALLED, ticket, call_count=1)
        return events.Outcome(ticket, (*returned, called, stats_event(session, hall, [ticket.service], now)))
    return events.Outcome(None, tuple(returned))


def _claim(session: Session, ticket_id: int) -> Ticket | None:
    """Lock the row (PostgreSQL: SKIP LOCKED) and re-check it still waits; None if another window took it. With
    its service, which the call's event names."""
    found = rawsql.load_joined(session, _CLAIM_JOINS, _CLAIM if RawSQL.of(session).sqlite else _CLAIM_SKIP_LOCKED,
                               {"id": ticket_id})
    return None if found is None else with_relations(*found)


def call_specific(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, ticket_no: str, reason: str, actor: str,
    staff_id: int | None = None, acting_window_id: int | None = None, acted_by: str | None = None,
) -> events.Outcome[Ticket]:
    """Call a given number out of order (指定呼叫); always audited. Raises bad_ticket_no, ticket_not_found,
    window_not_found, window_not_assigned, window_not_open, window_busy, invalid_transition,
    service_not_at_window, ticket_not_arrived."""
    now = clock.now()
    if not TICKET_NO_RE.match(ticket_no.strip().upper()):
        raise errors.BadTicketNo(ticket_no=ticket_no)
    window = _ready_window(session, hall, window_number, acting_window_id)
    on = service_day(now, hall.timezone, hall.day_rollover)
    ticket = session.scalar(
        select(Ticket)
        .where(Ticket.hall_id == hall.id, Ticket.service_on == on, Ticket.ticket_no == ticket_no.strip().upper())
        .order_by(Ticket.cycle.desc())
        .limit(1)
    )
    if ticket is None:
        raise errors.TicketNotFound(ticket=ticket_no)
    ticket.require("called", TicketStatus.WAITING, TicketStatus.PARKED)
    if ticket.remote and ticket.arrived_at is None:  # 线上取号: the citizen may still be at home
        raise errors.TicketNotArrived(ticket_no=ticket.ticket_no)
    handles = {ws.service_id for ws in window.profile}
    if ticket.service_id not in handles and ticket.target_window_id != window.id:
        raise errors.ServiceNotAtWindow(window=window.number, service_name=ticket.service.name)
    ticket.parked_until = None
    _call(session, window, ticket, staff_id, now, acted_by)
    audit(session, now, hall, actor, "ticket.call_specific", ticket.ticket_no,
          data={"window": window.number, "reason": reason})
    return events.Outcome(ticket, (ticket_event(events.TICKET_CALLED, ticket, call_count=1, specific=True),
                                   stats_event(session, hall, [ticket.service], now)))


def recall(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, acting_window_id: int | None = None
) -> events.Outcome[Ticket]:
    """Announce the called ticket again. Raises ticket_not_found, window_not_assigned, invalid_transition,
    recall_limit_reached."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    require_window(ticket, acting_window_id)
    ticket.require("recalled", TicketStatus.CALLED)
    if ticket.call_count > hall.recall_limit:
        raise errors.RecallLimitReached(ticket_no=ticket.ticket_no, calls=ticket.call_count)
    ticket.call_count += 1
    log(session, ticket, "recalled", now)
    remaining = hall.recall_limit + 1 - ticket.call_count
    return events.Outcome(ticket, (ticket_event(events.TICKET_RECALLED, ticket, call_count=ticket.call_count,
                                                recalls_left=remaining),))


def no_show(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, acting_window_id: int | None = None
) -> events.Outcome[Ticket]:
    """Mark the called ticket as 过号. Raises ticket_not_found, window_not_assigned, invalid_transition."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    require_window(ticket, acting_window_id)
    ticket.require("marked no-show", TicketStatus.CALLED)
    ticket.status = TicketStatus.NO_SHOW
    ticket.ended_at = now
    close_leg(session, ticket, "no_show", now)
    log(session, ticket, "no_show", now)
    return events.Outcome(ticket, (ticket_event(events.TICKET_NO_SHOW, ticket),))


def reactivate(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, acting_window_id: int | None = None
) -> events.Outcome[Ticket]:
    """A no-show citizen turns up within the tolerance: back to the queue with the original queue time. A clerk
    may do it at the window that called the ticket or at any window serving its queue (the citizen comes to the
    first free counter of the service). Raises ticket_not_found, window_not_assigned, invalid_transition,
    reactivation_expired."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    if acting_window_id is not None and ticket.window_id != acting_window_id:
        require_queue_of(session, ticket, acting_window_id)
    ticket.require("reactivated", TicketStatus.NO_SHOW)
    assert ticket.ended_at is not None
    if now - ticket.ended_at > timedelta(minutes=hall.no_show_tolerance_min):
        raise errors.ReactivationExpired(ticket_no=ticket.ticket_no)
    ticket.status, ticket.ended_at = TicketStatus.WAITING, None
    ticket.window_id, ticket.window, ticket.called_at, ticket.started_at, ticket.call_count = None, None, None, None, 0
    ticket.leg_queued_at = now
    log(session, ticket, "reactivated", now)
    return events.Outcome(ticket, (ticket_event(events.TICKET_REACTIVATED, ticket),
                                   stats_event(session, hall, [ticket.service], now)))
