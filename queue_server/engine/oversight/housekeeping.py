"""housekeep: a hall's periodic round, for what changes with time passing rather than with a request.

Parked tickets whose return time has come go back to the queue (the phone page and the console see it when it
happens, not at the next call), print jobs that can no longer print in time expire (the kiosk and the manager
learn of it even with no print agent running), remote tickets (线上取号) not yet confirmed are held at the head of
their queue and expire after the grace time, issue idempotency keys past their life are dropped, then the alert
conditions are evaluated on the result.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.booking.appointments import mark_missed
from queue_server.engine.booking.remote import hold_and_expire
from queue_server.engine.oversight.alerts import evaluate_alerts
from queue_server.engine.queue.calling import return_due_parked
from queue_server.engine.queue.idempotency import forget_old_keys
from queue_server.engine.queue.ledger import load_service
from queue_server.engine.queue.ledger import stats_event
from queue_server.engine.queue.printing import expire_print_jobs
from queue_server.storage.models import Hall


def housekeep(session: Session, clock: Clock, *, hall: Hall) -> events.Outcome[int]:
    """Returns how many events the round caused. Raises none."""
    now = clock.now()
    returned = return_due_parked(session, hall, now)
    expired = expire_print_jobs(session, clock, hall=hall)
    forget_old_keys(session, hall, now)
    missed = mark_missed(session, hall, now)
    remote = hold_and_expire(session, hall, now)
    session.flush()
    caused: list[events.Event] = [*returned, *expired.events, *missed, *remote]
    if returned:  # the waiting counts on the displays grow by the returned tickets
        codes = dict.fromkeys(e.data["service"]["code"] for e in returned)
        caused.append(stats_event(session, hall, [load_service(session, hall, c) for c in codes], now))
    caused.extend(evaluate_alerts(session, clock, hall=hall).events)
    return events.Outcome(len(caused), tuple(caused))
