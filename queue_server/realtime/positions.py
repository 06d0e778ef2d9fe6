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

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import Clock
from queue_server.engine.queue import estimates
from queue_server.queries import snapshots
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus
from queue_server.storage.store import Store
from queue_server.storage.store import log_failed_round

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 0.5
Send = Callable[[str, dict[str, Any]], None]
Followers = Callable[[str], dict[str, int]]  # hall code -> {sid: ticket id} of the phones connected here
AnyFollowers = Callable[[], bool]  # whether any phone is connected here at all (cheap: asked on every event)


class Positions:
    def __init__(self, store: Store, clock: Clock, *, followers: Followers, send: Send,
                 any_followers: AnyFollowers = lambda: True, min_interval_s: float = MIN_INTERVAL_S) -> None:
        self.store = store
        self.clock = clock
        self.followers = followers
        self.any_followers = any_followers
        self.send = send
        self.min_interval_s = min_interval_s
        self._dirty: dict[str, set[str]] = {}  # hall -> service codes whose queue moved
        self._sent: dict[str, tuple[int, int]] = {}  # sid -> (ahead, wait) last sent
        self._wake = threading.Condition()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def queue_moved(self, hall: str, services: Iterable[str]) -> None:
        """A queue.stats event was delivered in this process. Cheap: the worker does the reads, and with no phone
        connected here (a process serving only displays) nothing happens at all."""
        if not self.any_followers():
            return
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
                except Exception as exc:  # a failed read must not end live positions for the rest of the day
                    log_failed_round(log, exc, "refreshing phone positions of hall %s failed", hall)
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
            followed = {t.id: t for t in session.scalars(
                select(Ticket).join(Service, Service.id == Ticket.service_id)
                .where(Ticket.id.in_(by_ticket), Ticket.status == TicketStatus.WAITING, Service.code.in_(codes))
            )}
            if not followed:
                return 0
            ahead_of = self._places(session, hall_row.id, followed)
            for ticket in followed.values():
                ahead = ahead_of[ticket.id]
                wait = estimates.estimated_wait_s(session, hall_row, ticket.service, ahead, now,
                                                  priority_weight=ticket.priority_weight, queued_at=ticket.queued_at)
                message = {"seq": hall_row.event_seq, "ahead": ahead, "estimated_wait_s": wait}
                for sid in by_ticket[ticket.id]:
                    with self._wake:
                        if self._sent.get(sid) == (ahead, wait):
                            continue
                        self._sent[sid] = (ahead, wait)
                    self.send(sid, message)
                    sent += 1
        return sent

    @staticmethod
    def _places(session: Session, hall_id: int, followed: dict[int, Ticket]) -> dict[int, int]:
        """People ahead of each followed ticket: one ordered read of its services' queues in call order
        (estimates.people_ahead's order and count: callable tickets only), instead of a count per phone. A remote
        ticket not yet arrived is read for its own place but counts for nobody behind it."""
        places: dict[int, int] = {}
        seen: dict[int, int] = {}
        rows = session.execute(
            select(Ticket.id, Ticket.service_id)
            .where(Ticket.hall_id == hall_id, Ticket.status == TicketStatus.WAITING,
                   Ticket.service_id.in_({t.service_id for t in followed.values()}),
                   or_(estimates.callable_now(), Ticket.id.in_(followed)))
            .order_by(Ticket.service_id, Ticket.priority_weight.desc(), Ticket.queued_at, Ticket.id)
        )
        for ticket_id, service_id in rows:
            n = seen.get(service_id, 0)
            if ticket_id in followed:
                places[ticket_id] = n
                ticket = followed[ticket_id]
                if ticket.remote and ticket.arrived_at is None:
                    continue
            seen[service_id] = n + 1
        return places
