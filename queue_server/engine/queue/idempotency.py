"""issue_once: an issue with an Idempotency-Key. The first request with a key issues (through the op it is given:
issue_ticket, or issue_at_kiosk with its print job) and stores the key beside the ticket in the same transaction;
a repeat of the request with the same key (a retry after a lost answer, a 502 or a 503) gets that ticket back and
changes nothing. A key is kept KEY_LIFE; clients retry within seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.queue import estimates
from queue_server.engine.queue.issuing import Issued
from queue_server.engine.queue.ledger import load_ticket
from queue_server.storage.issue_keys import IssueKey
from queue_server.storage.models import Hall
from queue_server.storage.models import PrintJob
from queue_server.storage.models import TicketStatus

KEY_LIFE = timedelta(days=1)

IssueOp = Callable[..., events.Outcome[Issued]]


def issue_once(session: Session, clock: Clock, *, hall: Hall, key: str, scope: str, fingerprint: str,
               issue: IssueOp, **request: Any) -> events.Outcome[Issued]:
    """`issue(session, clock, hall=hall, **request)` once per (scope, key). Raises what `issue` raises (a refused
    issue stores no key: the retry is judged afresh), and idempotency_key_reused when the key came with another
    request."""
    found = session.scalar(select(IssueKey).where(IssueKey.hall_id == hall.id, IssueKey.scope == scope,
                                                  IssueKey.key == key))
    if found is not None:
        if found.fingerprint != fingerprint:
            raise errors.IdempotencyKeyReused()
        return events.Outcome(_replayed(session, clock.now(), hall, found.ticket_id))
    outcome = issue(session, clock, hall=hall, **request)
    session.add(IssueKey(hall_id=hall.id, scope=scope, key=key, fingerprint=fingerprint,
                         ticket_id=outcome.value.ticket.id, created_at=clock.now()))
    return outcome


def _replayed(session: Session, now: datetime, hall: Hall, ticket_id: int) -> Issued:
    """The ticket as the first answer described it, with today's place in the queue, and its first print job."""
    ticket = load_ticket(session, hall, ticket_id)
    ahead = estimates.people_ahead(session, ticket)
    wait = (estimates.estimated_wait_s(session, hall, ticket.service, ahead, now,
                                       priority_weight=ticket.priority_weight, queued_at=ticket.queued_at)
            if ticket.status == TicketStatus.WAITING else 0)
    job_id = session.scalar(select(PrintJob.id).where(PrintJob.ticket_id == ticket.id).order_by(PrintJob.id))
    return Issued(ticket, ahead, wait, job_id)


def forget_old_keys(session: Session, hall: Hall, now: datetime) -> int:
    """Drop keys past KEY_LIFE (housekeeping). Returns how many."""
    result = session.execute(delete(IssueKey).where(IssueKey.hall_id == hall.id,
                                                    IssueKey.created_at < now - KEY_LIFE))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
