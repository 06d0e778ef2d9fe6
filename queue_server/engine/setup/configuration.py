"""Hall configuration by a manager: a service closed for today or reopened, and a window's services (a service's
own fields are set in engine/setup/services.py). Every change is validated with its own error code, written to the audit
log with before/after, and announced (service.updated, window.updated) so displays and consoles update live.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.engine.audit import audit
from queue_server.engine.queue.ledger import load_service
from queue_server.engine.queue.ledger import load_window
from queue_server.engine.queue.payloads import service_payload
from queue_server.engine.queue.payloads import window_payload
from queue_server.engine.setup.services import service_settings
from queue_server.storage.models import Hall
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService

MAX_WEIGHT = 5  # weights above a few stop meaning anything to a manager (docs/domain: QSystem coefficients)


def close_service_for_today(session: Session, clock: Clock, *, hall: Hall, service_code: str, closed: bool,
                            actor: str) -> events.Outcome[dict[str, Any]]:
    """暂停今日取号 (closed=True): no new tickets for the rest of this service day, the waiting ones are still served;
    it reopens by itself the next day. closed=False reopens it now. Raises service_not_found."""
    service = load_service(session, hall, service_code)
    before = service_settings(session, service)
    service.closed_on = service_day(clock.now(), hall.timezone, hall.day_rollover) if closed else None
    after = service_settings(session, service)
    action = "service.close_today" if closed else "service.reopen"
    audit(session, clock.now(), hall, actor, action, f"service:{service.code}",
          before=before, after=after)
    event = events.Event(events.SERVICE_UPDATED, {"service": {**service_payload(service), **after}})
    return events.Outcome(after, (event,))


def window_services(window: Window) -> list[dict[str, Any]]:
    return [{"service": ws.service.code, "weight": ws.weight} for ws in window.profile]


def profile_rows(session: Session, hall: Hall, profile: list[dict[str, Any]]) -> list[WindowService]:
    """A window profile checked and in order (a repeated service counts once). Raises window_profile_empty,
    service_not_found, setting_out_of_range."""
    if not profile:
        raise errors.WindowProfileEmpty()
    rows: list[WindowService] = []
    seen: set[str] = set()
    for position, item in enumerate(profile):
        code, weight = str(item["service"]), int(item.get("weight", 1))
        if code in seen:
            continue
        seen.add(code)
        if not 0 <= weight <= MAX_WEIGHT:
            raise errors.SettingOutOfRange(field="weight", label="窗口事项权重", low=0, high=MAX_WEIGHT)
        service = load_service(session, hall, code)
        rows.append(WindowService(service_id=service.id, position=position, weight=weight))
    return rows


def set_window_services(session: Session, clock: Clock, *, hall: Hall, window_number: int,
                        profile: list[dict[str, Any]], actor: str) -> events.Outcome[Window]:
    """Replace a window's services, in order, with their weights (0: only when nothing else waits).
    Raises window_not_found, service_not_found, window_profile_empty, setting_out_of_range."""
    window = load_window(session, hall, window_number)
    rows = profile_rows(session, hall, profile)
    before = window_services(window)
    window.profile = rows
    session.flush()
    session.refresh(window, ["profile"])
    after = window_services(window)
    audit(session, clock.now(), hall, actor, "window.set_services", f"window:{window.number}",
          before=before, after=after)
    payload = {**window_payload(window), "services": [p["service"] for p in after]}
    return events.Outcome(window, (events.Event(events.WINDOW_UPDATED, {"window": payload}),))
