"""The issue path writes tickets, print jobs, the ticket log and the outbox with hand-written SQL
(queue_server/engine/rawsql.py). What it writes must read back through the ORM exactly as the ORM would have
written it, on SQLite (timestamps as text) and PostgreSQL alike, or other ops and reports would misread it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

from queue_server import engine
from queue_server.engine.rawsql import RawSQL
from queue_server.models import Device
from queue_server.models import HallEvent
from queue_server.models import PrintJob
from queue_server.models import Ticket
from queue_server.models import TicketEvent
from queue_server.models import TicketStatus
from queue_server.runtime import Runtime
from queue_server.store import Store
from tests import factories
from tests.engine.desk import Desk


def kiosk_with_printer(store: Store) -> int:
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])
        factories.priority(s, h)
        kiosk = Device(hall_id=h.id, kind="kiosk", name="一楼取号机1", printer={"paper_mm": 80})
        s.add(kiosk)
        s.flush()
        return kiosk.id


def test_a_kiosk_ticket_reads_back_through_the_orm_as_it_was_issued(store: Store, runtime: Runtime) -> None:
    kiosk = kiosk_with_printer(store)
    done = runtime.execute(engine.issue_at_kiosk, hall="t1", device_id=kiosk, service_code="a",
                           priority_code="laonian", phone="13800001111")
    issued = done.value

    with store.read_session() as s:
        row = s.get(Ticket, issued.ticket.id)
        assert row is not None
        for column in Ticket.__table__.columns:
            assert getattr(row, column.key) == getattr(issued.ticket, column.key), column.key
        assert row.status is TicketStatus.WAITING
        assert row.issued_at.tzinfo is not None and row.issued_at == runtime.clock.now()
        assert row.person_masked == "138****1111"
        assert row.priority is not None and row.priority.code == "laonian"

        job = s.scalar(select(PrintJob).where(PrintJob.ticket_id == row.id))
        assert job is not None and job.id == issued.print_job_id
        assert job.payload["number"] == "A001" and job.payload["priority_name"]
        assert job.expires_at - job.created_at == timedelta(minutes=10)

        assert list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == row.id))) == ["issued"]
        stored = s.scalars(select(HallEvent).order_by(HallEvent.seq)).all()
        assert [(e.seq, e.type, e.payload) for e in stored] == [(e.seq, e.type, e.data) for e in done.envelopes]
        assert all(e.at == runtime.clock.now() for e in stored)


def test_hand_written_timestamps_order_with_orm_written_ones(store: Store, runtime: Runtime, desk: Desk) -> None:
    """An ORM write (a transfer keeps the old queue time) and a raw one at the same instant must compare equal,
    so a newcomer counts the earlier ticket ahead of it, not behind."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])
    first = desk.issue()
    with store.transaction() as s:  # rewritten through SQLAlchemy's own column type
        s.execute(update(Ticket).where(Ticket.id == first.id).values(queued_at=runtime.clock.now()))

    second = runtime.execute(engine.issue_ticket, hall="t1", service_code="a").value

    assert second.ahead == 1
    assert [t.ticket_no for t in desk.tickets()] == ["A001", "A002"]
    assert desk.call_no() == "A001"


def test_a_hand_written_read_sees_what_the_op_changed_through_the_orm(store: Store, desk: Desk) -> None:
    """Like the ORM's autoflush: a waiting count taken after an op called a ticket must not count it."""
    with store.transaction() as s:
        h = factories.hall(s)
        factories.window(s, h, 1, [factories.service(s, h, "a", "A")])
    first = desk.issue()
    with store.transaction() as s:
        ticket = s.get(Ticket, first.id)
        assert ticket is not None
        ticket.status = TicketStatus.CANCELLED  # pending in the session, not yet flushed
        raw = RawSQL.of(s)
        (status,) = raw.one("SELECT status FROM tickets WHERE id = :id", {"id": first.id})

    assert status == "cancelled"
