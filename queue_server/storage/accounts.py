"""Sign-in state of the web consoles: server-side sessions and failed sign-ins.

A browser session is a row, not a signed cookie alone: the cookie carries a random id and the row says whose it is
and whether it still holds, so signing out, a password change or reset, or a deactivation ends every session of the
account at once, in every server process (a copied cookie is worth nothing afterwards). Only the id's SHA-256 is
stored, like bearer tokens.

Failed sign-ins are counted per client address and account (and per address over all accounts): a guesser is
slowed down and then locked out by address, and an account is locked only against the addresses that failed, so
nobody can lock a clerk out of their own window from elsewhere. Unknown 工号 share one row per address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import update
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import Session
from sqlalchemy.orm import mapped_column

from queue_server.storage.models import ID
from queue_server.storage.models import Base
from queue_server.storage.models import UTCDateTime

UNKNOWN_ACCOUNT = "?"  # the per-address row every unknown 工号 shares
ANY_ACCOUNT = "*"  # the per-address row over all accounts


class WebSession(Base):
    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_staff_open", "staff_id", "ended_at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # clerk (at a window) | console (manager, admin, viewer)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute lifetime
    idle_s: Mapped[int] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(32), default="")


class LoginFailure(Base):
    __tablename__ = "login_failures"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_no: Mapped[str] = mapped_column(String(32), primary_key=True)  # 工号, UNKNOWN_ACCOUNT or ANY_ACCOUNT
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


def end_sessions(db: Session, staff_id: int, now: datetime, reason: str) -> int:
    """End every open session of an account (sign-out, password change or reset, deactivation); the count."""
    result = db.execute(update(WebSession).where(WebSession.staff_id == staff_id, WebSession.ended_at.is_(None))
                        .values(ended_at=now, end_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class PairingCode(Base):
    """A one-time code a manager makes for a device: the device types it at /pair and gets its own bearer token,
    so no long-lived token ever travels in a URL. Short (8 digits), short-lived, single use; only its SHA-256 is
    stored, and guessing is limited per address (a LoginFailure row under PAIRING_KEY)."""

    __tablename__ = "pairing_codes"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_from: Mapped[str] = mapped_column(String(64), default="")  # the address that paired


PAIRING_KEY = "#pair"  # the LoginFailure row counting one address's wrong pairing codes
