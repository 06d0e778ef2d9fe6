"""Manager alerts: the Alert rows (so alerts survive restarts and are never raised twice while open), each hall's
alert limits, and the alert kinds with their default limits.

Imports SQLAlchemy, models and the stdlib only; no Flask. The evaluator that raises and resolves alerts is the
engine op engine.oversight.alerts.evaluate_alerts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from queue_server.storage.models import ID
from queue_server.storage.models import Base
from queue_server.storage.models import UTCDateTime

# Alert kinds (stable: the manager page and any outside tool branch on them).
QUEUE_LONG = "queue_long"  # more waiting than the service's warning threshold (等候人数预警值)
TICKET_WAIT_LONG = "ticket_wait_long"  # a ticket waited longer than the limit
SERVICE_LONG = "service_long"  # a ticket is being served longer than the limit
WINDOW_IDLE = "window_idle"  # an open, staffed window calls nobody while its services have people waiting
WINDOW_PAUSED_LONG = "window_paused_long"  # paused (or 离岗) longer than the limit
DAILY_CAP_NEAR = "daily_cap_near"  # the day's cap (单日排队上限) nearly used
PRINTER_TROUBLE = "printer_trouble"  # a kiosk printer reported offline, paper low/out, cover open or an error
BAD_RATING = "bad_rating"  # a new 差评 case nobody has followed up yet
CASE_OVERDUE = "case_overdue"  # a 差评 case past its deadline and not closed

KINDS = (QUEUE_LONG, TICKET_WAIT_LONG, SERVICE_LONG, WINDOW_IDLE, WINDOW_PAUSED_LONG, DAILY_CAP_NEAR,
         PRINTER_TROUBLE, BAD_RATING, CASE_OVERDUE)

# Alert states: new (nobody looked), seen (a manager acknowledged it), resolved (the condition ended).
NEW, SEEN, RESOLVED = "new", "seen", "resolved"
OPEN_STATES = (NEW, SEEN)

# Default limits of a hall. Minutes chosen from the customer's service promise: a citizen should be called
# within 30 min; a standard case takes ~10 min, so 30 min at the desk is worth a look.
DEFAULT_LIMITS: dict[str, int] = {
    "queue_length": 30,  # waiting tickets per service, when the service has no warning_threshold of its own
    "ticket_wait_min": 30,
    "service_min": 30,
    "window_idle_min": 5,  # one missed call is noise; five minutes of people waiting in front of it is not
    "pause_min": 20,
    "cap_percent": 90,  # alert when this share of the daily cap is issued
}
LIMIT_RANGES: dict[str, tuple[int, int]] = {
    "queue_length": (1, 999), "ticket_wait_min": (1, 480), "service_min": (1, 480), "window_idle_min": (1, 240),
    "pause_min": (1, 480), "cap_percent": (1, 100),
}
# Limits a service may override (the others are hall-wide). A service's queue length limit is its own
# Service.warning_threshold, configured with the service.
SERVICE_LIMITS = ("ticket_wait_min", "service_min")


class Alert(Base):
    """One alert: raised when its condition starts, resolved when it ends. (hall, kind, subject) is open at most
    once at a time; `subject` names what it is about (service:a, window:3, ticket:17, device:2, case:5)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_hall_state", "hall_id", "state"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=NEW)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seen_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the condition looked like when raised (and as last evaluated): counts, minutes, names for the message.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlertLimits(Base):
    """A hall's alert limits: {"ticket_wait_min": 30, ..., "services": {"a": {"queue_length": 10}}}; keys left
    out take DEFAULT_LIMITS (and a service's own warning_threshold for queue_length)."""

    __tablename__ = "alert_limits"

    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), primary_key=True)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@dataclass(frozen=True)
class Limits:
    """The effective limits of one hall, with per-service overrides."""

    hall: dict[str, int]
    services: dict[str, dict[str, int]]

    def of(self, key: str, service_code: str | None = None) -> int:
        if service_code is not None and key in self.services.get(service_code, {}):
            return self.services[service_code][key]
        return self.hall[key]


def effective_limits(stored: dict[str, Any] | None) -> Limits:
    stored = stored or {}
    hall = {k: int(stored.get(k, v)) for k, v in DEFAULT_LIMITS.items()}
    services = {str(code): {k: int(v) for k, v in values.items()} for code, values in
                (stored.get("services") or {}).items()}
    return Limits(hall, services)
