"""The issue, call-next and finish paths write tickets, print jobs, the ticket log and the outbox with hand-written SQL
(queue_server/storage/rawsql.py). What it writes must read back through the ORM exactly as the ORM would have
written it, on SQLite (timestamps as text) and PostgreSQL alike, or other ops and reports would misread it."""

from __future__ import annotations

import shutil
from datetime import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server.clock import FrozenClock
from queue_server.engine.queue import ledger
from queue_server.events import Event
from queue_server.events import Outcome
from queue_server.storage import rawsql
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import PrintJob
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketEvent
from queue_server.storage.models import TicketStatus
from queue_server.storage.models import Window
from queue_server.storage.rawsql import RawSQL
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from tests import factories
from tests.engine.desk import TEST_PERSON_KEYS
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


def one_window_hall(store: Store) -> None:
    """Hall t1 with service a (prefix A) at window 1."""
    with store.transaction() as s:
        h = factories.hall(s)
        factories.window(s, h, 1, [factories.service(s, h, "a", "A")])


def test_a_kiosk_ticket_reads_back_through_the_orm_as_it_was_issued(store: Store, runtime: Runtime) -> None:
    kiosk = kiosk_with_printer(store)
    done = runtime.execute(engine.issue_at_kiosk, hall="t1", device_id=kiosk, service_code="a",
                           priority_code="laonian", phone="13800001111",
                           person_keys=TEST_PERSON_KEYS)
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
        assert job.expires_at - job.created_at == timedelta(seconds=20) and job.reprint is False

        assert list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == row.id))) == ["issued"]
        stored = s.scalars(select(HallEvent).order_by(HallEvent.seq)).all()
        assert [(e.seq, e.type, e.payload) for e in stored] == [(e.seq, e.type, e.data) for e in done.envelopes]
        assert all(e.at == runtime.clock.now() for e in stored)


def test_hand_written_timestamps_order_with_orm_written_ones(store: Store, runtime: Runtime, desk: Desk) -> None:
    """An ORM write (a transfer keeps the old queue time) and a raw one at the same instant must compare equal,
    so a newcomer counts the earlier ticket ahead of it, not behind."""
    one_window_hall(store)
    first = desk.issue()
    with store.transaction() as s:  # rewritten through SQLAlchemy's own column type
        s.execute(update(Ticket).where(Ticket.id == first.id).values(queued_at=runtime.clock.now()))

    second = runtime.execute(engine.issue_ticket, hall="t1", service_code="a").value

    assert second.ahead == 1
    assert [t.ticket_no for t in desk.tickets()] == ["A001", "A002"]
    assert desk.call_no() == "A001"


def test_a_hand_written_read_sees_what_the_op_changed_through_the_orm(store: Store, desk: Desk) -> None:
    """Like the ORM's autoflush: a waiting count taken after an op called a ticket must not count it."""
    one_window_hall(store)
    first = desk.issue()
    with store.transaction() as s:
        ticket = s.get(Ticket, first.id)
        assert ticket is not None
        ticket.status = TicketStatus.CANCELLED  # pending in the session, not yet flushed
        raw = RawSQL.of(s)
        (status,) = raw.one("SELECT status FROM tickets WHERE id = :id", {"id": first.id})

    assert status == "cancelled"


def test_a_call_and_its_finish_read_back_through_the_orm_with_the_closed_leg(
    store: Store, runtime: Runtime, clock: FrozenClock, desk: Desk
) -> None:
    """Call-next and finish write the ticket, the window's streak and the closed leg by hand: a fresh session
    reads exactly what the ops returned, and the leg's times are the ones the clerk's screen showed."""
    one_window_hall(store)
    issued = desk.issue()
    clock.advance(minutes=4)
    called = desk.call()
    assert called is not None and called.id == issued.id
    clock.advance(minutes=7)
    finished = desk.finish(called, outcome="done", case_no="ZW-1")

    row = desk.ticket(issued.id)
    for column in Ticket.__table__.columns:
        assert getattr(row, column.key) == getattr(finished, column.key), column.key
    assert row.status is TicketStatus.FINISHED and row.outcome == "done" and row.case_no == "ZW-1"
    assert row.called_at == issued.issued_at + timedelta(minutes=4) and row.called_at.tzinfo is not None
    assert row.ended_at == row.called_at + timedelta(minutes=7)
    [leg] = desk.legs(issued)
    assert (leg.end, leg.outcome, leg.wait_s, leg.service_s, leg.occupied_s) == ("finished", "done", 240, 420, 420)
    assert (leg.queued_at, leg.called_at, leg.ended_at) == (issued.leg_queued_at, row.called_at, row.ended_at)
    assert leg.window_id == row.window_id is not None and leg.service_on == row.service_on
    with store.read_session() as s:
        window = s.scalar(select(Window).where(Window.id == row.window_id))
        assert window is not None and window.normal_streak == 1  # one normal call since the last priority one


def test_call_next_expires_yesterdays_queue_and_calls_today(
    store: Store, runtime: Runtime, clock: FrozenClock, desk: Desk
) -> None:
    """The hand-written expiry compares stored days and instants: yesterday's waiting ticket must go, today's
    must be called, on SQLite's text columns as on PostgreSQL's dates."""
    one_window_hall(store)
    old = desk.issue()
    clock.advance(days=1)
    today = desk.issue()

    assert desk.call_no() == today.ticket_no
    assert desk.ticket(old.id).status is TicketStatus.EXPIRED
    assert desk.ticket(old.id).ended_at == clock.now()


def test_a_day_swept_clean_is_remembered_but_the_next_day_sweeps_again(
    store: Store, runtime: Runtime, clock: FrozenClock, desk: Desk
) -> None:
    """Call-next skips the expiry once a round found nothing to expire that day (days.py). A ticket still waiting
    when the hall closed must not be called the next morning, in the same process."""
    one_window_hall(store)
    first = desk.issue()
    assert desk.call_no() == first.ticket_no  # nothing to expire: today is remembered as clean
    desk.finish(desk.ticket(first.id))
    second = desk.issue()
    assert desk.call_no() == second.ticket_no  # the memo in use: today's tickets are called as before
    desk.finish(desk.ticket(second.id))
    left = desk.issue()  # still waiting at closing time

    clock.advance(days=1)
    assert desk.call_no() is None
    assert desk.ticket(left.id).status is TicketStatus.EXPIRED


def test_every_op_gets_the_hall_as_the_orm_would_load_it(store: Store, runtime: Runtime) -> None:
    """The runtime reads the hall row by hand for every write: each column, the JSON hours and the local
    rollover time included, must be what the ORM loads, or days, hours and voice would be misread."""
    with store.transaction() as s:
        h = factories.hall(s, hours={"1": [["08:30", "12:00"], ["14:00", "17:30"]], "7": []},
                           day_rollover=time(3, 30), voice_template="请{ticket}号到{window}号窗口", voice_repeats=3)
        factories.service(s, h, "a", "A")

    def look(session: Session, clock: FrozenClock, *, hall: Hall) -> Outcome[tuple[dict[str, object], list[str]]]:
        # Its relationships must load as from an ORM-loaded row.
        return Outcome(({c.key: getattr(hall, c.key) for c in Hall.__table__.columns}, [s.code for s in hall.services]))

    seen, services = runtime.execute(look, hall="t1").value
    assert services == ["a"]

    with store.read_session() as s:
        loaded = s.scalar(select(Hall).where(Hall.code == "t1"))
        assert loaded is not None
        assert seen == {c.key: getattr(loaded, c.key) for c in Hall.__table__.columns}
    assert seen["day_rollover"] == time(3, 30) and seen["opening_hours"]["1"][1] == ["14:00", "17:30"]


def test_hand_loaded_rows_are_the_orms_own_objects(store: Store, runtime: Runtime, clock: FrozenClock,
                                                   desk: Desk) -> None:
    """Call-next and finish read their ticket, window, service and clerk by hand and build the objects as
    SQLAlchemy's own loader does, through its internals (rawsql._held_or_built; pyproject.toml bounds the
    version). Each must be what the ORM would have given: persistent and unchanged, the object session.get
    returns, its other relations loading lazily, a change flushed as an UPDATE of its row."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        w = factories.window(s, h, 1, [a])
        w.staff_id = factories.staff(s, h, "clerk1").id
        factories.priority(s, h)
    desk.issue(priority_code="laonian")
    called = desk.call()
    assert called is not None
    ticket_id = called.id

    with store.write_session() as s, s.begin():
        ticket, service, priority, window, clerk = rawsql.load_joined(s, ledger.TICKET_JOINS, "WHERE t.id = :id",
                                                                      {"id": ticket_id})
        for obj in (ticket, service, priority, window, clerk):
            state = inspect(obj)
            assert state.persistent and not state.modified and not s.dirty, obj
            assert s.get(type(obj), obj.id) is obj
        assert rawsql.load(s, Ticket, "WHERE m.id = :id", {"id": ticket_id}) is ticket  # the held one, as the ORM
        with Session(store.reader) as other:
            fresh = other.get(Ticket, ticket_id)
            assert fresh is not None
            assert {c.key: getattr(ticket, c.key) for c in Ticket.__table__.columns} == \
                   {c.key: getattr(fresh, c.key) for c in Ticket.__table__.columns}
            assert (fresh.service.code, fresh.priority.code, fresh.window.number, fresh.window.staff.user_no) == \
                   (service.code, priority.code, window.number, clerk.user_no)
        assert service.hall.code == "t1" and [ws.service_id for ws in window.profile] == [service.id]  # lazy loads
        ticket.call_count = 3
        assert list(s.dirty) == [ticket]
        RawSQL.of(s).sync()  # the flush a hand-written statement makes first
        assert not s.dirty
    assert desk.ticket(ticket_id).call_count == 3


def test_a_broken_writer_connection_is_replaced_by_the_next_op(sqlite_template: Path, tmp_path: Path,
                                                                clock: FrozenClock) -> None:
    """SQLite hall ops write through one held connection (store.HeldWriter). A refused op keeps it; one whose
    connection broke must not leave the hall unable to write: the next op gets a fresh connection."""
    path = tmp_path / "hallq.db"
    shutil.copy(sqlite_template, path)
    store = make_store(f"sqlite:///{path}")
    try:
        one_window_hall(store)
        runtime = Runtime(store, clock)
        desk = Desk(runtime)
        first = desk.issue()
        assert desk.call_no() == first.ticket_no
        with pytest.raises(errors.WindowBusy):  # refused: rolled back, the connection stays
            desk.call_no()

        def breaks(session: Session, clock: FrozenClock, *, hall: Hall) -> Outcome[None]:
            session.connection().invalidate()  # as when the database file or the driver failed under it
            raise RuntimeError("connection lost")

        with pytest.raises(RuntimeError):
            runtime.execute(breaks, hall="t1")
        desk.finish(desk.ticket(first.id))
        second = desk.issue()
        assert desk.call_no() == second.ticket_no
    finally:
        store.dispose()


def test_an_op_with_more_events_than_one_insert_holds_writes_every_one_in_order(store: Store,
                                                                                runtime: Runtime) -> None:
    """An op's outbox rows go in multi-row INSERTs of at most 500: a day's close with more tickets than that loses
    none, and the displays replay them by their numbers."""
    with store.transaction() as s:
        factories.hall(s)

    def many(session: Session, clock: FrozenClock, *, hall: Hall) -> Outcome[None]:
        return Outcome(None, tuple(Event("ticket.expired", {"n": i}) for i in range(1201)))

    before = runtime.execute(lambda session, clock, *, hall: Outcome(None), hall="t1")
    assert before.envelopes == ()
    stamped = runtime.execute(many, hall="t1").envelopes
    with store.read_session() as s:
        rows = s.execute(select(HallEvent.seq, HallEvent.payload).where(HallEvent.hall_id == select(Hall.id)
                         .where(Hall.code == "t1").scalar_subquery()).order_by(HallEvent.seq)).all()
        seq = s.scalar(select(Hall.event_seq).where(Hall.code == "t1"))
    assert [e.seq for e in stamped] == [r.seq for r in rows] == list(range(1, 1202))
    assert [r.payload["n"] for r in rows] == list(range(1201)) and seq == 1201
