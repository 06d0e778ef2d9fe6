"""Events the engine returns and the outbox stores; the wire envelope clients receive.

Stdlib only: the print agent and other out-of-process clients import this module.
Event types are `noun.past_participle`; docs/events.md lists each with its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import Generic
from typing import TypeVar

TICKET_ISSUED = "ticket.issued"
TICKET_CALLED = "ticket.called"
TICKET_RECALLED = "ticket.recalled"
TICKET_STARTED = "ticket.started"
TICKET_FINISHED = "ticket.finished"
TICKET_NO_SHOW = "ticket.no_show"
TICKET_REACTIVATED = "ticket.reactivated"
TICKET_PARKED = "ticket.parked"
TICKET_RETURNED = "ticket.returned"
TICKET_TRANSFERRED = "ticket.transferred"
TICKET_CANCELLED = "ticket.cancelled"
TICKET_ARRIVED = "ticket.arrived"  # 线上取号: the citizen of a remote ticket confirmed arrival; now callable
TICKET_HELD = "ticket.held"  # 线上取号: an unconfirmed remote ticket reached the head of its queue; grace runs
TICKET_EXPIRED = "ticket.expired"  # 线上取号: a held remote ticket's grace ran out before its citizen arrived
WINDOW_PAUSED = "window.paused"
WINDOW_RESUMED = "window.resumed"
QUEUE_STATS = "queue.stats"
PRINT_JOB_QUEUED = "print_job.queued"
PRINT_JOB_PRINTED = "print_job.printed"
PRINT_JOB_FAILED = "print_job.failed"
PRINT_JOB_EXPIRED = "print_job.expired"
PRINT_JOB_CANCELLED = "print_job.cancelled"
KIOSK_PRINTER_CHANGED = "kiosk.printer_changed"
NOTICES_UPDATED = "notices.updated"
WINDOW_SIGNED_IN = "window.signed_in"
WINDOW_SIGNED_OUT = "window.signed_out"
WINDOW_STEPPED_AWAY = "window.stepped_away"  # 离岗
WINDOW_RETURNED = "window.returned"
EVALUATION_RATED = "evaluation.rated"
EVALUATION_CASE_OPENED = "evaluation.case_opened"
EVALUATION_CASE_UPDATED = "evaluation.case_updated"
EVALUATION_CASE_OVERDUE = "evaluation.case_overdue"
ALERT_RAISED = "alert.raised"
ALERT_UPDATED = "alert.updated"  # seen by a manager, or resolved
SERVICE_UPDATED = "service.updated"  # configuration: name, limits, open/closed
WINDOW_UPDATED = "window.updated"  # configuration: the window's services
STAFF_UPDATED = "staff.updated"  # configuration: a staff account created or changed
DEVICE_UPDATED = "device.updated"  # configuration: a device registered or revoked
HALL_UPDATED = "hall.updated"  # configuration: opening hours or a calendar day
GUIDE_UPDATED = "guide.updated"  # configuration: a 办事指南 item created, edited or deleted (every hall)
DISCLOSURE_UPDATED = "disclosure.updated"  # configuration: a 政务公开 document created, edited or deleted (every hall)
APPOINTMENT_BOOKED = "appointment.booked"  # 网上预约: a citizen booked a slot
APPOINTMENT_MOVED = "appointment.moved"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_CHECKED_IN = "appointment.checked_in"
APPOINTMENT_MISSED = "appointment.missed"  # 爽约: not checked in by the end of its slot

EVENT_TYPES: tuple[str, ...] = (
    TICKET_ISSUED, TICKET_CALLED, TICKET_RECALLED, TICKET_STARTED, TICKET_FINISHED, TICKET_NO_SHOW,
    TICKET_REACTIVATED, TICKET_PARKED, TICKET_RETURNED, TICKET_TRANSFERRED, TICKET_CANCELLED,
    TICKET_ARRIVED, TICKET_HELD, TICKET_EXPIRED,
    WINDOW_PAUSED, WINDOW_RESUMED, QUEUE_STATS, NOTICES_UPDATED,
    PRINT_JOB_QUEUED, PRINT_JOB_PRINTED, PRINT_JOB_FAILED, PRINT_JOB_EXPIRED, PRINT_JOB_CANCELLED,
    KIOSK_PRINTER_CHANGED,
    WINDOW_SIGNED_IN, WINDOW_SIGNED_OUT, WINDOW_STEPPED_AWAY,
    WINDOW_RETURNED, EVALUATION_RATED, EVALUATION_CASE_OPENED, EVALUATION_CASE_UPDATED, EVALUATION_CASE_OVERDUE,
    ALERT_RAISED, ALERT_UPDATED, SERVICE_UPDATED, WINDOW_UPDATED, STAFF_UPDATED, DEVICE_UPDATED,
    HALL_UPDATED, GUIDE_UPDATED, DISCLOSURE_UPDATED,
    APPOINTMENT_BOOKED, APPOINTMENT_MOVED, APPOINTMENT_CANCELLED, APPOINTMENT_CHECKED_IN, APPOINTMENT_MISSED,
)


@dataclass(frozen=True)
class Event:
    """Something that happened in a hall; `data` holds top-level wire fields (ticket, window, service...)."""

    type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Envelope:
    """An event after commit: stamped with the hall-wide gap-free seq."""

    seq: int
    type: str
    hall: str
    at: datetime
    data: Mapping[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {**self.data, "seq": self.seq, "type": self.type, "hall": self.hall, "at": self.at.isoformat()}


T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What an engine op returns: its value and the events it caused (not yet sequenced)."""

    value: T
    events: tuple[Event, ...] = field(default_factory=tuple)
