"""Wire shapes of tickets, services and windows inside events (no personal data, no track token)."""

from __future__ import annotations

from typing import Any

from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import Window


def service_payload(service: Service) -> dict[str, Any]:
    return {"code": service.code, "name": service.name, "prefix": service.prefix}


def window_payload(window: Window) -> dict[str, Any]:
    return {
        "number": window.number,
        "name": window.name,
        "zone": window.zone,
        "state": window.state.value,
        "reason": window.state_reason,
        "staff": window.staff.user_no if window.staff is not None else None,
    }


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.ticket_no,
        "service": ticket.service.code,
        "status": ticket.status.value,
        "priority": ticket.priority.code if ticket.priority is not None else None,
        "channel": ticket.channel,
        "call_count": ticket.call_count,
        "window": ticket.window.number if ticket.window is not None else None,
        "issued_at": ticket.issued_at.isoformat(),
        "queued_at": ticket.queued_at.isoformat(),
    }
