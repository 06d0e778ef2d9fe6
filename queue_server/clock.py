"""Clocks and hall-local calendar arithmetic.

The engine never reads the wall clock: it is handed a Clock. Tests use FrozenClock and move time with advance().
Simulations (bench/simday.py) run the server on a ScaledClock, chosen by clock_from_env. Stdlib only.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
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


class ScaledClock:
    """Simulated time for benchmarks only: `start` at the real instant `anchor`, then `speed` times faster.

    Derived from the wall clock rather than from the process's start, so several server processes and the driver
    that replays a day agree on the simulated instant as long as they are given the same three values."""

    def __init__(self, start: datetime, speed: float, anchor: datetime | None = None) -> None:
        if start.tzinfo is None or (anchor is not None and anchor.tzinfo is None):
            raise ValueError("ScaledClock needs aware datetimes")
        if speed <= 0:
            raise ValueError("ScaledClock needs a positive speed")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self.anchor = (anchor or datetime.now(UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self.start + (datetime.now(UTC) - self.anchor) * self.speed

    def real_seconds(self, simulated_s: float) -> float:
        """How long `simulated_s` of simulated time lasts on the wall clock."""
        return simulated_s / self.speed

    def real_until(self, at: datetime) -> float:
        """Wall-clock seconds until the simulated instant `at` (negative once it has passed)."""
        return (at - self.now()).total_seconds() / self.speed


def clock_from_env(env: Mapping[str, str]) -> Clock:
    """The server's clock: the system clock, unless HALLQ_CLOCK_SPEED is set.

    FOR SIMULATIONS ONLY (bench/simday.py replays a whole day in minutes): HALLQ_CLOCK_SPEED (a factor),
    HALLQ_CLOCK_START (ISO 8601 instant the simulated day starts at; default now) and HALLQ_CLOCK_ANCHOR (the real
    ISO 8601 instant at which simulated time equals the start; default the process's start — give every process
    of a scaled-out run the same one). A production hall must never set them: every time in the database would
    be fictitious."""
    speed = env.get("HALLQ_CLOCK_SPEED")
    if not speed:
        return SystemClock()
    start = datetime.fromisoformat(env["HALLQ_CLOCK_START"]) if env.get("HALLQ_CLOCK_START") else datetime.now(UTC)
    anchor = datetime.fromisoformat(env["HALLQ_CLOCK_ANCHOR"]) if env.get("HALLQ_CLOCK_ANCHOR") else None
    return ScaledClock(start, float(speed), anchor)


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
