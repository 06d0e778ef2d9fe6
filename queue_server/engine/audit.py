"""The audit log of sensitive actions (configuration, calling a specific number, devices, staff): one row per
change, written in the op's own transaction so a refused or rolled-back op leaves no entry. Kept >= 6 months
(retention.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Hall


def audit(session: Session, at: datetime, hall: Hall, actor: str, action: str, target: str, *,
          before: Any = None, after: Any = None, data: dict[str, Any] | None = None) -> None:
    """Who (`actor`) did what (`action` on `target`), with the state before and after; `data` replaces the
    before/after pair for actions that change no setting (a specific number called, with its reason)."""
    session.add(AuditEntry(at=at, hall_id=hall.id, actor=actor, action=action, target=target,
                           data=data if data is not None else {"before": before, "after": after}))
