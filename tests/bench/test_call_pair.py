"""bench/call_pair.py's call-next row (bench/issue.py's call_next_run): 8 windows call-next + finish, each with its
own clerk's credential, until the queue is empty; every ticket is called once and finished, none twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select

from bench.common import build_hall
from bench.common import fresh_database
from bench.issue import call_next_run
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketEvent
from queue_server.storage.models import TicketStatus
from queue_server.storage.store import make_store
from tests.live import start_server


def test_eight_windows_drain_the_queue_each_ticket_once(tmp_path: Path) -> None:
    hall = build_hall(fresh_database("sqlite", "call_pair_test", work=tmp_path))
    server = start_server(hall.database_url, tmp_path / "instance")
    try:
        served, p50, p99 = call_next_run(server.url, hall, queue=40)
    finally:
        server.stop()
    assert served > 0 and 0 < p50 <= p99
    store = make_store(hall.database_url)
    with store.read_session() as s:
        by_status = dict(s.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
        calls = s.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "called"))
    store.dispose()
    assert by_status == {TicketStatus.FINISHED: 40}
    assert calls == 40
