"""Hall configuration by a manager: a service's settings (name, warning threshold, daily cap, standard duration,
open/closed) and a window's services. Every change is validated with its own error code, written to the audit
log with before/after, and announced (service.updated, window.updated) so displays and consoles update live.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.engine.ledger import load_service
from queue_server.engine.ledger import load_window
from queue_server.engine.payloads import service_payload
from queue_server.engine.payloads import window_payload
from queue_server.models import AuditEntry
from queue_server.models import DailyCounter
from queue_server.models import Hall
from queue_server.models import Service
from queue_server.models import Window
from queue_server.models import WindowService

# field -> (label for the message, lowest, highest); None means "no limit" where the column allows it.
SERVICE_RANGES: dict[str, tuple[str, int, int]] = {
    "warning_threshold": ("等候人数预警值", 1, 999),
    "daily_cap": ("单日排队上限", 1, 99999),
    # A minute to two hours: shorter is a typo, longer belongs to an appointment, not a queue.
    "standard_duration_s": ("标准办理时长（秒）", 60, 7200),
}
SERVICE_FIELDS = ("name", "active", *SERVICE_RANGES)
MAX_WEIGHT = 5  # weights above a few stop meaning anything to a manager (docs/domain: QSystem coefficients)


def service_settings(service: Service) -> dict[str, Any]:
    return {"code": service.code, "name": service.name, "active": service.active,
            "closed_on": service.closed_on.isoformat() if service.closed_on else None,
            **{f: getattr(service, f) for f in SERVICE_RANGES}}


def _check_service_change(session: Session, clock: Clock, hall: Hall, service: Service,
                          changes: dict[str, Any]) -> None:
    if "name" in changes and not str(changes["name"] or "").strip():
        raise errors.NameRequired()
    for field, (label, low, high) in SERVICE_RANGES.items():
        value = changes.get(field)
        if value is not None and not low <= value <= high:
            raise errors.SettingOutOfRange(field=field, label=label, low=low, high=high)
    if changes.get("daily_cap") is not None:
        today = service_day(clock.now(), hall.timezone, hall.day_rollover)
        issued = session.scalar(select(DailyCounter.issued).where(
            DailyCounter.service_id == service.id, DailyCounter.service_on == today)) or 0
        if changes["daily_cap"] < issued:
            raise errors.DailyCapBelowIssued(issued=issued, cap=changes["daily_cap"])


def update_service(session: Session, clock: Clock, *, hall: Hall, service_code: str, changes: dict[str, Any],
                   actor: str) -> events.Outcome[dict[str, Any]]:
    """Change the given fields of a service (closing it for the day is active=False: no new tickets, the
    waiting ones stay). Raises service_not_found, name_required, setting_out_of_range, daily_cap_below_issued."""
    service = load_service(session, hall, service_code)
    changes = {k: v for k, v in changes.items() if k in SERVICE_FIELDS}
    _check_service_change(session, clock, hall, service, changes)
    before = service_settings(service)
    for field, value in changes.items():
        setattr(service, field, value.strip() if isinstance(value, str) else value)
    after = service_settings(service)
    session.add(AuditEntry(at=clock.now(), hall_id=hall.id, actor=actor, action="service.update",
                           target=f"service:{service.code}", data={"before": before, "after": after}))
    event = events.Event(events.SERVICE_UPDATED, {"service": {**service_payload(service), **after}})
    return events.Outcome(after, (event,))


def close_service_for_today(session: Session, clock: Clock, *, hall: Hall, service_code: str, closed: bool,
                            actor: str) -> events.Outcome[dict[str, Any]]:
    """暂停今日取号 (closed=True): no new tickets for the rest of this service day, the waiting ones are still served;
    it reopens by itself the next day. closed=False reopens it now. Raises service_not_found."""
    service = load_service(session, hall, service_code)
    before = service_settings(service)
    service.closed_on = service_day(clock.now(), hall.timezone, hall.day_rollover) if closed else None
    after = service_settings(service)
    action = "service.close_today" if closed else "service.reopen"
    session.add(AuditEntry(at=clock.now(), hall_id=hall.id, actor=actor, action=action,
                           target=f"service:{service.code}", data={"before": before, "after": after}))
    event = events.Event(events.SERVICE_UPDATED, {"service": {**service_payload(service), **after}})
    return events.Outcome(after, (event,))


def window_services(window: Window) -> list[dict[str, Any]]:
    return [{"service": ws.service.code, "weight": ws.weight} for ws in window.profile]


def set_window_services(session: Session, clock: Clock, *, hall: Hall, window_number: int,
                        profile: list[dict[str, Any]], actor: str) -> events.Outcome[Window]:
    """Replace a window's services, in order, with their weights (0: only when nothing else waits).
    Raises window_not_found, service_not_found, window_profile_empty, setting_out_of_range."""
    window = load_window(session, hall, window_number)
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
    before = window_services(window)
    window.profile = rows
    session.flush()
    session.refresh(window, ["profile"])
    after = window_services(window)
    session.add(AuditEntry(at=clock.now(), hall_id=hall.id, actor=actor, action="window.set_services",
                           target=f"window:{window.number}", data={"before": before, "after": after}))
    payload = {**window_payload(window), "services": [p["service"] for p in after]}
    return events.Outcome(window, (events.Event(events.WINDOW_UPDATED, {"window": payload}),))
