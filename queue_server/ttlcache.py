"""A small thread-safe cache whose entries expire after a fixed time on a caller-supplied clock. Stdlib only.

Used for values that may be a little stale without harm: the mean service time behind wait estimates (60 s)
and bearer-token lookups (10 s; a revoked token stops working within that time).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from datetime import datetime
from datetime import timedelta
from typing import Any


class TTLCache:
    def __init__(self, ttl: timedelta, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[datetime, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, now: datetime) -> Any | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or now - hit[0] >= self.ttl or now < hit[0]:
                return None
            return hit[1]

    def put(self, key: Hashable, value: Any, now: datetime) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                self._data.clear()  # crude but bounded; entries are cheap to recompute
            self._data[key] = (now, value)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
