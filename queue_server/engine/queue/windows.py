"""Window state: pause with a reason (暂停服务) and resume."""

from __future__ import annotations

from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.queue.ledger import load_window
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage.models import Hall
from queue_server.storage.models import Window
from queue_server.storage.models import WindowState


def pause_window(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, reason: str,
    acting_window_id: int | None = None,
) -> events.Outcome[Window]:
    """Raises window_not_found, window_not_assigned."""
    window = load_window(session, hall, window_number)
    if acting_window_id is not None and window.id != acting_window_id:
        raise errors.WindowNotAssigned()
    window.state, window.state_reason, window.state_since = WindowState.PAUSED, reason, clock.now()
    return events.Outcome(window, (events.Event(events.WINDOW_PAUSED, {"window": window_payload(window)}),))


def resume_window(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, acting_window_id: int | None = None
) -> events.Outcome[Window]:
    """Raises window_not_found, window_not_assigned."""
    window = load_window(session, hall, window_number)
    if acting_window_id is not None and window.id != acting_window_id:
        raise errors.WindowNotAssigned()
    window.state, window.state_reason, window.state_since = WindowState.OPEN, "", clock.now()
    return events.Outcome(window, (events.Event(events.WINDOW_RESUMED, {"window": window_payload(window)}),))
