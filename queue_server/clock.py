"""Clocks and hall-local calendar arithmetic.

The engine never reads the wall clock: it is handed a Clock. Tests use FrozenClock and move time with advance().
Stdlib only.
"""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; thread-safe so live-server tests can share it."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._at += timedelta(**delta)
            return self._at

    def set(self, at: datetime) -> None:
        with self._lock:
            self._at = at.astimezone(UTC)


def as_utc(at: datetime) -> datetime:
    """SQLite hands datetimes back naive; every stored datetime is UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def service_day(at: datetime, tz: str, rollover: time = time(0, 0)) -> date:
    """The business day an instant belongs to, in the hall's timezone; the day turns at `rollover` local time."""
    local = as_utc(at).astimezone(ZoneInfo(tz))
    shift = timedelta(hours=rollover.hour, minutes=rollover.minute)
    return (local - shift).date()


def local_time(at: datetime, tz: str) -> datetime:
    return as_utc(at).astimezone(ZoneInfo(tz))
