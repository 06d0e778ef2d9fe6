"""What a request left in the database: rows and counters a refused request must not touch.

Read straight from the tables (not through the API), so "nothing was written" is checked where it matters.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select

from queue_server.storage.catalogue import DisclosureDocument
from queue_server.storage.catalogue import GuideItem
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import DailyCounter
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketEvent
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import Window
from queue_server.storage.store import Store


@dataclass(frozen=True)
class Footprint:
    tickets: tuple[tuple[object, ...], ...]  # (id, number, status, service, window, call count) per ticket
    counters: tuple[tuple[object, ...], ...]  # (service, day, issued) per daily counter
    hall_events: int
    event_seq: tuple[tuple[str, int], ...]  # (hall, seq) per hall
    ticket_events: int
    ticket_legs: int
    audit_entries: int
    windows: tuple[tuple[object, ...], ...]  # (id, state, reason) per window
    guides: tuple[tuple[object, ...], ...] = ()  # every column of every 办事指南 item
    disclosures: tuple[tuple[object, ...], ...] = ()  # every column of every 政务公开 document


def footprint(store: Store) -> Footprint:
    with store.read_session() as s:
        return Footprint(
            tickets=tuple(tuple(r) for r in s.execute(
                select(Ticket.id, Ticket.ticket_no, Ticket.status, Ticket.service_id, Ticket.window_id,
                       Ticket.call_count).order_by(Ticket.id))),
            counters=tuple(tuple(r) for r in s.execute(
                select(DailyCounter.service_id, DailyCounter.service_on, DailyCounter.issued)
                .order_by(DailyCounter.service_id, DailyCounter.service_on))),
            hall_events=int(s.scalar(select(func.count()).select_from(HallEvent)) or 0),
            event_seq=tuple((str(c), int(q)) for c, q in s.execute(select(Hall.code, Hall.event_seq)
                                                                   .order_by(Hall.id))),
            ticket_events=int(s.scalar(select(func.count()).select_from(TicketEvent)) or 0),
            ticket_legs=int(s.scalar(select(func.count()).select_from(TicketLeg)) or 0),
            audit_entries=int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0),
            windows=tuple(tuple(r) for r in s.execute(
                select(Window.id, Window.state, Window.state_reason).order_by(Window.id))),
            guides=tuple(tuple(r) for r in s.execute(select(GuideItem.__table__).order_by(GuideItem.id))),
            disclosures=tuple(tuple(r) for r in s.execute(
                select(DisclosureDocument.__table__).order_by(DisclosureDocument.id))),
        )
