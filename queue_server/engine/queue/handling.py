"""Handling a called ticket: start, finish, park and return, transfer, cancel."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.queue.days import reopen_past_days
from queue_server.engine.queue.ledger import close_leg
from queue_server.engine.queue.ledger import load_service
from queue_server.engine.queue.ledger import load_ticket
from queue_server.engine.queue.ledger import load_window
from queue_server.engine.queue.ledger import log
from queue_server.engine.queue.ledger import require_queue_of
from queue_server.engine.queue.ledger import require_window
from queue_server.engine.queue.ledger import stats_event
from queue_server.engine.queue.ledger import ticket_event
from queue_server.engine.queue.payloads import window_payload
from queue_server.engine.queue.printing import cancel_ticket_jobs
from queue_server.storage.models import Hall
from queue_server.storage.models import Outcome
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus
from queue_server.storage.rawsql import RawSQL

MAX_PARK = timedelta(hours=8)  # a park longer than a working day is a mistake


def start(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, acting_window_id: int | None = None
) -> events.Outcome[Ticket]:
    """The citizen arrived at the window. Raises ticket_not_found, window_not_assigned, invalid_transition."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    require_window(ticket, acting_window_id)
    ticket.require("started", TicketStatus.CALLED)
    ticket.status, ticket.started_at = TicketStatus.SERVING, now
    log(session, ticket, "started", now)
    return events.Outcome(ticket, (ticket_event(events.TICKET_STARTED, ticket),))


def finish(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, outcome: str = Outcome.DONE.value,
    case_no: str | None = None, acting_window_id: int | None = None,
) -> events.Outcome[Ticket]:
    """Finish from called or serving, with an outcome (办结/退办/咨询). Raises ticket_not_found,
    window_not_assigned, invalid_transition, bad_outcome."""
    now = clock.now()
    allowed = [o.value for o in Outcome]
    if outcome not in allowed:
        raise errors.BadOutcome(allowed=", ".join(allowed))
    ticket = load_ticket(session, hall, ticket_id)
    require_window(ticket, acting_window_id)
    ticket.require("finished", TicketStatus.CALLED, TicketStatus.SERVING)
    RawSQL.of(session).update(ticket, "tickets", {
        "status": TicketStatus.FINISHED, "outcome": outcome, "case_no": case_no, "ended_at": now})
    close_leg(session, ticket, "finished", now)
    log(session, ticket, "finished", now, outcome)
    return events.Outcome(ticket, (ticket_event(events.TICKET_FINISHED, ticket, outcome=outcome),))


def park(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, minutes: int | None = None,
    acting_window_id: int | None = None,
) -> events.Outcome[Ticket]:
    """Set aside while the citizen fetches a missing material; returns by itself after `minutes` or by hand.
    Raises ticket_not_found, window_not_assigned, invalid_transition."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    require_window(ticket, acting_window_id)
    ticket.require("parked", TicketStatus.CALLED, TicketStatus.SERVING)
    # Close the handled stretch as its own leg: the return is a fresh wait and a fresh handling, so neither the
    # park nor the first handling leaks into the next leg's wait_s/service_s.
    close_leg(session, ticket, "parked", now)
    ticket.called_at, ticket.started_at, ticket.leg_queued_at = None, None, now
    ticket.status = TicketStatus.PARKED
    ticket.parked_until = now + min(timedelta(minutes=minutes), MAX_PARK) if minutes else None
    # The ticket comes back to the window that parked it: the clerk already knows the case.
    ticket.target_window_id = ticket.window_id
    reopen_past_days(session, hall, ticket.service_on, now)
    log(session, ticket, "parked", now, f"{minutes or 0} min")
    return events.Outcome(ticket, (ticket_event(events.TICKET_PARKED, ticket, minutes=minutes),))


def resume(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, acting_window_id: int | None = None
) -> events.Outcome[Ticket]:
    """Return a parked ticket to the queue by hand, keeping its original queue time."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    require_window(ticket, acting_window_id)
    ticket.require("returned", TicketStatus.PARKED)
    ticket.status, ticket.parked_until, ticket.leg_queued_at = TicketStatus.WAITING, None, now
    log(session, ticket, "returned", now, "manual")
    ticket.window_id, ticket.window = None, None  # waiting again; target_window_id routes it back
    return events.Outcome(ticket, (ticket_event(events.TICKET_RETURNED, ticket),
                                   stats_event(session, hall, [ticket.service], now)))


def transfer(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, service_code: str | None = None,
    window_number: int | None = None, acting_window_id: int | None = None,
) -> events.Outcome[Ticket]:
    """Send the ticket to another service or window (一票到底): same number, same original queue time.
    Raises ticket_not_found, window_not_assigned, invalid_transition, transfer_target_missing,
    transfer_to_same_service, service_not_found, window_not_found."""
    now = clock.now()
    if service_code is None and window_number is None:
        raise errors.TransferTargetMissing()
    ticket = load_ticket(session, hall, ticket_id)
    require_window(ticket, acting_window_id)
    ticket.require("transferred", TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.WAITING)
    before = ticket.service
    target_service = load_service(session, hall, service_code) if service_code else ticket.service
    target_window = load_window(session, hall, window_number) if window_number is not None else None
    if target_window is None and target_service.id == ticket.service_id:
        raise errors.TransferToSameService(ticket_no=ticket.ticket_no)
    if ticket.status != TicketStatus.WAITING:
        close_leg(session, ticket, "transferred", now)
    ticket.status = TicketStatus.WAITING
    ticket.service_id, ticket.service = target_service.id, target_service
    ticket.target_window_id = target_window.id if target_window else None
    left = ticket.window  # the window it leaves: its screens must drop the number
    ticket.window_id, ticket.window, ticket.staff_id = None, None, None
    ticket.called_at, ticket.started_at, ticket.call_count, ticket.leg_queued_at = None, None, 0, now
    reopen_past_days(session, hall, ticket.service_on, now)
    log(session, ticket, "transferred", now,
        f"to service {target_service.code}" + (f" window {target_window.number}" if target_window else ""))
    left_window = {"window": window_payload(left)} if left is not None else {}
    moved = ticket_event(events.TICKET_TRANSFERRED, ticket, from_service=before.code,
                         to_window=target_window.number if target_window else None, **left_window)
    return events.Outcome(ticket, (moved, stats_event(session, hall, [before, target_service], now)))


def cancel(
    session: Session, clock: Clock, *, hall: Hall, ticket_id: int, acting_window_id: int | None = None,
    by: str = "staff",
) -> events.Outcome[Ticket]:
    """Withdraw a ticket that is not finished. Raises ticket_not_found, window_not_assigned, invalid_transition."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    if by == "citizen":
        # From the phone page: only before the window has the ticket in hand.
        ticket.require("cancelled", TicketStatus.WAITING, TicketStatus.PARKED)
    elif ticket.status == TicketStatus.WAITING:
        require_queue_of(session, ticket, acting_window_id)
    else:
        require_window(ticket, acting_window_id)
    ticket.require("cancelled", TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED)
    ticket.status, ticket.ended_at = TicketStatus.CANCELLED, now
    close_leg(session, ticket, "cancelled", now)
    log(session, ticket, "cancelled", now, by)
    unprinted = cancel_ticket_jobs(session, ticket, now)  # a cancelled ticket never prints
    return events.Outcome(ticket, (ticket_event(events.TICKET_CANCELLED, ticket, by=by),
                                   stats_event(session, hall, [ticket.service], now), *unprinted))
