"""Idempotency keys of ticket issues: a client that retries an issue (its answer was lost, or a proxy said 502/503)
sends the same key and gets the ticket the first attempt made, never a second ticket.

Imports SQLAlchemy, models and the stdlib only; no Flask. The key is written in the issuing transaction, so a key
exists exactly when its ticket does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from queue_server.storage.models import ID
from queue_server.storage.models import Base
from queue_server.storage.models import UTCDateTime


class IssueKey(Base):
    """One issue request's key. `scope` is who sent it (a kiosk, a clerk, a token), so one client's key can never
    return another client's ticket; `fingerprint` is a digest of the request, so a reused key with a different
    request is refused rather than answered with the wrong ticket."""

    __tablename__ = "issue_keys"
    __table_args__ = (UniqueConstraint("hall_id", "scope", "key", name="uq_issue_keys_key"),
                      Index("ix_issue_keys_created", "hall_id", "created_at"))

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
