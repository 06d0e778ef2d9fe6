"""Live "people ahead" for the citizens' phone pages.

A phone follows only its own ticket's events, yet its place in the queue moves with every call, cancel, no-show
or transfer of other tickets of its service. Each of those ops publishes `queue.stats` for the services it
touched; on that signal every process recomputes the position of the waiting tickets whose phones are connected
to it (other processes' phones are theirs to serve: the signal reaches them through Redis like any event) and
sends each phone a private `position` message when its figures changed. Positions are derived state, not
events: they carry no seq of their own, only the hall seq they were read at, so a phone can drop one that is
older than an event it already applied, and a reconnecting phone gets fresh figures from its snapshot or sync.

One worker thread per process does the reads, coalescing a burst of calls into one pass per MIN_INTERVAL_S, so a
busy hall costs one pass per service per half second however many events it publishes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from queue_server import snapshots
from queue_server.clock import Clock
from queue_server.models import Service
from queue_server.models import Ticket
from queue_server.models import TicketStatus
from queue_server.store import Store

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 0.5
Send = Callable[[str, dict[str, Any]], None]
Followers = Callable[[str], dict[str, int]]  # hall code -> {sid: ticket id} of the phones connected here


class Positions:
    def __init__(self, store: Store, clock: Clock, *, followers: Followers, send: Send,
                 min_interval_s: float = MIN_INTERVAL_S) -> None:
        self.store = store
        self.clock = clock
        self.followers = followers
        self.send = send
        self.min_interval_s = min_interval_s
        self._dirty: dict[str, set[str]] = {}  # hall -> service codes whose queue moved
        self._sent: dict[str, tuple[int, int]] = {}  # sid -> (ahead, wait) last sent
        self._wake = threading.Condition()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def queue_moved(self, hall: str, services: Iterable[str]) -> None:
        """A queue.stats event was delivered in this process. Cheap: the worker does the reads."""
        with self._wake:
            self._dirty.setdefault(hall, set()).update(services)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hallq-positions", daemon=True)
                self._thread.start()
            self._wake.notify()

    def forget(self, sid: str) -> None:
        with self._wake:
            self._sent.pop(sid, None)

    def close(self) -> None:
        self._closed.set()
        with self._wake:
            self._wake.notify()

    def _run(self) -> None:
        while not self._closed.is_set():
            with self._wake:
                while not self._dirty and not self._closed.is_set():
                    self._wake.wait()
                dirty, self._dirty = self._dirty, {}
            for hall, codes in dirty.items():
                try:
                    self.refresh(hall, codes)
                except Exception:  # a failed read must not end live positions for the rest of the day
                    log.exception("refreshing phone positions of hall %s failed", hall)
            self._closed.wait(self.min_interval_s)

    def refresh(self, hall: str, codes: set[str]) -> int:
        """Recompute and send the positions of this process's phones waiting in the given services of the hall.
        Returns how many messages went out."""
        following = self.followers(hall)
        if not following:
            return 0
        by_ticket: dict[int, list[str]] = {}
        for sid, ticket_id in following.items():
            by_ticket.setdefault(ticket_id, []).append(sid)
        sent = 0
        with self.store.read_session() as session:
            hall_row = snapshots.hall_by_code(session, hall)
            now = self.clock.now()
            tickets = session.scalars(
                select(Ticket).join(Service, Service.id == Ticket.service_id)
                .where(Ticket.id.in_(by_ticket), Ticket.status == TicketStatus.WAITING, Service.code.in_(codes))
            )
            for ticket in tickets:
                ahead, wait = snapshots.position(session, hall_row, ticket, now)
                message = {"seq": hall_row.event_seq, "ahead": ahead, "estimated_wait_s": wait}
                for sid in by_ticket[ticket.id]:
                    with self._wake:
                        if self._sent.get(sid) == (ahead, wait):
                            continue
                        self._sent[sid] = (ahead, wait)
                    self.send(sid, message)
                    sent += 1
        return sent
