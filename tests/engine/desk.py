"""A thin test driver over Runtime.execute for one hall, and read helpers for asserting on stored rows.

Every write goes through the runtime (lock, op, outbox, commit), exactly as the API does; reads open their own
session so they see only what was committed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from queue_server import engine
from queue_server.clock import service_day
from queue_server.errors import HallqError
from queue_server.person_keys import KeyRing
from queue_server.storage.models import DailyCounter
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketEvent
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import Window
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store

# The key ring engine tests hash ID and phone numbers with (the server's comes from outside the database).
TEST_PERSON_KEYS = KeyRing(bytes(range(32)))


class Desk:
    """Staff, kiosk and manager actions for hall `code`."""

    def __init__(self, runtime: Runtime, code: str = "t1") -> None:
        self.runtime = runtime
        self.code = code

    def do(self, op: Any, **kwargs: Any) -> Any:
        return self.runtime.execute(op, hall=self.code, **kwargs).value

    def issue(self, service: str = "a", **kwargs: Any) -> Ticket:
        if kwargs.get("id_number") or kwargs.get("phone"):
            kwargs.setdefault("person_keys", TEST_PERSON_KEYS)
        return self.do(engine.issue_ticket, service_code=service, **kwargs).ticket

    def call(self, window: int = 1, **kwargs: Any) -> Ticket | None:
        return self.do(engine.call_next, window_number=window, **kwargs)

    def call_no(self, window: int = 1, **kwargs: Any) -> str | None:
        called = self.call(window, **kwargs)
        return called.ticket_no if called is not None else None

    def finish(self, ticket: Ticket, **kwargs: Any) -> Ticket:
        return self.do(engine.finish, ticket_id=ticket.id, **kwargs)

    def today(self) -> date:
        """The hall's current service day by the runtime's clock."""
        with self.runtime.store.read_session() as s:
            hall = s.scalar(select(Hall).where(Hall.code == self.code))
            assert hall is not None
            return service_day(self.runtime.clock.now(), hall.timezone, hall.day_rollover)

    def ticket(self, ticket_id: int) -> Ticket:
        with self.runtime.store.read_session() as s:
            row = s.get(Ticket, ticket_id)
            assert row is not None
            return row

    def tickets(self) -> list[Ticket]:
        with self.runtime.store.read_session() as s:
            hall_id = s.scalar(select(Hall.id).where(Hall.code == self.code))
            return list(s.scalars(select(Ticket).where(Ticket.hall_id == hall_id).order_by(Ticket.id)))

    def legs(self, ticket: Ticket) -> list[TicketLeg]:
        with self.runtime.store.read_session() as s:
            return list(s.scalars(select(TicketLeg).where(TicketLeg.ticket_id == ticket.id).order_by(TicketLeg.id)))

    def log(self, ticket: Ticket) -> list[str]:
        with self.runtime.store.read_session() as s:
            return list(s.scalars(
                select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)))

    def event_seq(self) -> int:
        with self.runtime.store.read_session() as s:
            return int(s.scalar(select(Hall.event_seq).where(Hall.code == self.code)) or 0)

    def counters(self) -> list[tuple[Any, int]]:
        with self.runtime.store.read_session() as s:
            return [(r.service_on, r.issued) for r in s.scalars(select(DailyCounter).order_by(DailyCounter.service_on))]

    def ticket_count(self) -> int:
        with self.runtime.store.read_session() as s:
            return int(s.scalar(select(func.count()).select_from(Ticket)) or 0)


def refused(desk: Desk, code: str, op: Any, **kwargs: Any) -> HallqError:
    """Run `op` expecting the HallqError `code`, and check that the refusal wrote nothing at all."""
    before = (desk.event_seq(), desk.ticket_count(), desk.counters())
    with pytest.raises(HallqError) as info:
        desk.do(op, **kwargs)
    assert info.value.code == code, info.value
    assert (desk.event_seq(), desk.ticket_count(), desk.counters()) == before
    return info.value


def window_id(store: Store, number: int) -> int:
    with store.read_session() as s:
        return int(s.scalar(select(Window.id).where(Window.number == number)) or 0)
