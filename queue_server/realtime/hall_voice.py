"""Per-hall announcement settings for the hub: which template and repeats a call event of a hall is announced
with. The hall's own values (halls.voice_template / voice_repeats) win; None falls back to the process settings.

The composition root builds it around display.voice.annotate (this module imports no display, no Flask). A
hall.updated event that passes through this process drops the hall's cached values at once; other processes
(behind Redis) see a change within CACHE_TTL.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from queue_server import events
from queue_server.clock import Clock
from queue_server.storage.models import Hall
from queue_server.storage.store import Store
from queue_server.ttlcache import TTLCache

# A call event must not wait on a database read each time; a change made through another process is heard
# within this time (through this process: at once).
CACHE_TTL = timedelta(seconds=10)
ANNOUNCED = (events.TICKET_CALLED, events.TICKET_RECALLED)
Annotate = Callable[..., dict[str, Any] | None]


class HallVoice:
    def __init__(self, annotate: Annotate, store: Store, clock: Clock, *, template: str, repeats: int) -> None:
        self.annotate = annotate
        self.store = store
        self.clock = clock
        self.default = (template, repeats)
        self._cache = TTLCache(CACHE_TTL)

    def __call__(self, wire: Mapping[str, Any]) -> dict[str, Any] | None:
        hall = str(wire.get("hall", ""))
        kind = wire.get("type")
        if kind == events.HALL_UPDATED:
            # Dropped, not overwritten from the event: a replayed old hall.updated must not bring back old wording.
            self._cache.discard(hall)
            return None
        if kind not in ANNOUNCED:
            return None
        template, repeats = self.settings(hall)
        return self.annotate(wire, template=template, repeats=repeats)

    def settings(self, hall: str) -> tuple[str, int]:
        """(template, repeats) in force for the hall."""
        now = self.clock.now()
        found = self._cache.get(hall, now)
        if found is None:
            with self.store.read_session() as session:
                row = session.execute(select(Hall.voice_template, Hall.voice_repeats).where(Hall.code == hall)).first()
            own_template, own_repeats = row if row is not None else (None, None)
            found = (own_template or self.default[0], own_repeats or self.default[1])
            self._cache.put(hall, found, now)
        return found  # type: ignore[no-any-return]
