"""Read side of a hall's audit log: the entries a manager filters by who, what, when and target. Never writes.

Entries never carry a password or a hash (the ops write none); what changed is in `data` (before and after).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Hall

PAGE = 200


def entries(session: Session, hall: Hall, *, actor: str = "", action: str = "", target: str = "",
            since: datetime | None = None, until: datetime | None = None, before_id: int | None = None,
            limit: int = PAGE) -> list[dict[str, Any]]:
    """Newest first. `action` matches a prefix (login. gives every sign-in event), `target` a substring."""
    stmt = select(AuditEntry).where(AuditEntry.hall_id == hall.id)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if target:
        stmt = stmt.where(AuditEntry.target.contains(target, autoescape=True))
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit))
    return [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "target": r.target,
             "data": r.data or {}} for r in rows]


def actions(session: Session, hall: Hall) -> list[str]:
    """The actions the hall's log holds, for the filter."""
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.hall_id == hall.id).distinct()
                                .order_by(AuditEntry.action)))
