"""Which hall a ticket belongs to, remembered by this process.

Every ticket action (finish, recall, no-show, ...) must know the ticket's hall before it takes that hall's lock
and checks the caller's rights there. Reading it took its own read transaction per action, a tenth of a
call-next + finish cycle (docs/benchmarks.md, issue 22). A ticket never changes hall and a hall never changes
code, so a remembered answer never goes stale; a ticket deleted since (retention) is still refused by the action
itself, inside the hall's transaction, as not found.
"""

from __future__ import annotations

import threading

MAX_TICKETS = 20_000  # a busy hall's ticket days, several times over; ~2 MB at most


class TicketHalls:
    def __init__(self, max_entries: int = MAX_TICKETS) -> None:
        self._max = max_entries
        self._codes: dict[int, str] = {}
        self._lock = threading.Lock()

    def get(self, ticket_id: int) -> str | None:
        return self._codes.get(ticket_id)

    def remember(self, ticket_id: int, hall: str) -> None:
        with self._lock:
            if len(self._codes) >= self._max:
                self._codes.clear()  # bounded; a forgotten ticket costs one read
            self._codes[ticket_id] = hall
