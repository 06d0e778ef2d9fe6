"""Windows added or renamed by a manager: number, name (e.g. 不动产综合窗口), zone (announcements may be routed per
zone) and the first services. A new window is closed until a clerk signs in at it. Audited; window.updated.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.engine.queue.ledger import load_window
from queue_server.engine.queue.payloads import window_payload
from queue_server.engine.setup.configuration import profile_rows
from queue_server.engine.setup.configuration import window_services
from queue_server.engine.setup.departments import check_name
from queue_server.storage.models import Hall
from queue_server.storage.models import Window
from queue_server.storage.models import WindowState

WINDOW_NUMBER = (1, 9999)  # read aloud as a number (display/voice.read_number handles up to 9999)
ZONE_MAX = 32  # the column's width


def window_settings(window: Window) -> dict[str, Any]:
    return {"number": window.number, "name": window.name, "zone": window.zone,
            "services": [p["service"] for p in window_services(window)]}


def _check_zone(zone: Any) -> str:
    return str(zone or "").strip()[:ZONE_MAX]  # the route already refuses longer ones; the column must hold it


def create_window(session: Session, clock: Clock, *, hall: Hall, number: int, name: str, zone: str,
                  profile: list[dict[str, Any]], actor: str) -> events.Outcome[dict[str, Any]]:
    """Raises setting_out_of_range, window_number_taken, name_required, window_profile_empty, service_not_found."""
    low, high = WINDOW_NUMBER
    if not low <= number <= high:
        raise errors.SettingOutOfRange(field="number", label="窗口号", low=low, high=high)
    if session.scalar(select(Window.id).where(Window.hall_id == hall.id, Window.number == number)):
        raise errors.WindowNumberTaken(window=number)
    window = Window(hall_id=hall.id, number=number, name=check_name(name), zone=_check_zone(zone),
                    state=WindowState.CLOSED, state_reason="", state_since=clock.now(), normal_streak=0,
                    profile=profile_rows(session, hall, profile))
    session.add(window)
    session.flush()
    session.refresh(window, ["profile"])
    after = window_settings(window)
    audit(session, clock.now(), hall, actor, "window.create", f"window:{number}",
          before=None, after=after)
    payload = {**window_payload(window), "services": after["services"]}
    return events.Outcome(after, (events.Event(events.WINDOW_UPDATED, {"window": payload}),))


def update_window(session: Session, clock: Clock, *, hall: Hall, window_number: int, changes: dict[str, Any],
                  actor: str) -> events.Outcome[dict[str, Any]]:
    """Rename a window or move it to another zone. Raises window_not_found, name_required,
    setting_out_of_range."""
    window = load_window(session, hall, window_number)
    before = window_settings(window)
    if "name" in changes:
        window.name = check_name(changes["name"])
    if "zone" in changes:
        window.zone = _check_zone(changes["zone"])
    after = window_settings(window)
    audit(session, clock.now(), hall, actor, "window.update", f"window:{window.number}",
          before=before, after=after)
    payload = {**window_payload(window), "services": after["services"]}
    return events.Outcome(after, (events.Event(events.WINDOW_UPDATED, {"window": payload}),))
