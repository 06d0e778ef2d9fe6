"""Call-next seeks each queue group's head instead of reading the window's whole queue (issue 22): each database's
own statement (routing.WINDOW_VIEW) is planned as index seeks, so a long queue costs a call no more than a short one
(bench/call_cost.py times it). The plans are read, not timed: the correctness of the order is test_routing.py's."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import text

from queue_server.engine.queue import days
from queue_server.engine.queue import routing
from queue_server.storage import rawsql
from queue_server.storage.store import Store
from tests.engine.desk import Desk
from tests.engine.desk import window_id
from tests.engine.test_routing import setup_hall


def queue_of(store: Store, desk: Desk, n: int = 60) -> dict[str, object]:
    """Hall t1 with n tickets waiting in two services, some of them priority, one sent to window 1."""
    setup_hall(store)
    for i in range(n):
        desk.issue("a" if i % 3 else "g", priority_code="laonian" if i % 7 == 0 else None)
    with store.read_session() as s:
        hall_id = s.execute(text("SELECT id FROM halls WHERE code = 't1'")).scalar_one()
        s.execute(text("UPDATE tickets SET target_window_id = :w WHERE id = (SELECT max(id) FROM tickets)"),
                  {"w": window_id(store, 2)})
        s.commit()
    return {"hall_id": hall_id, "window_id": window_id(store, 1), "today": desk.today(), "now": None, "no": False,
            "yes": True}


def sqlite_plan(store: Store, sql: str, params: dict[str, object]) -> list[str]:
    with store.read_session() as s:
        return [row[3] for row in s.execute(text("EXPLAIN QUERY PLAN " + sql), params)]


def postgres_plan(store: Store, sql: str, params: dict[str, object]) -> str:
    with store.read_session() as s:
        s.execute(text("ANALYZE tickets"))
        # A test-sized table is a few pages, which PostgreSQL would rather read whole; a hall's is not. Turning the
        # whole-table paths off shows the plan a long queue gets: what is left must be seeks in the index's order.
        s.execute(text("SET LOCAL enable_seqscan = off"))
        s.execute(text("SET LOCAL enable_bitmapscan = off"))
        return "\n".join(row[0] for row in s.execute(text("EXPLAIN " + sql), params))


def test_each_queue_head_is_an_index_seek(store: Store, desk: Desk) -> None:
    params = queue_of(store, desk)
    dialect = store.writer.dialect.name
    sql = routing.WINDOW_VIEW[dialect]
    if dialect == "sqlite":
        # As call-next runs it: packed into one row (RawSQL.rows), which must not turn the seeks into scans.
        for statement in (sql, rawsql.packed(sql, routing.VIEW_COLUMNS)):
            plan = sqlite_plan(store, statement, params)
            assert not [step for step in plan if re.match(r"SCAN (t|h|tickets)\b", step)], plan
            assert any("ix_tickets_queue" in step and "priority_weight=?" in step for step in plan), plan
            assert any("ix_tickets_targeted" in step for step in plan), plan
    else:
        plan = postgres_plan(store, sql, params)
        assert "Seq Scan on tickets" not in plan, plan
        # Each group's head is the first entry the index gives: LIMIT 1 straight over the scan, no sort per group.
        assert re.search(r"Limit [^\n]*\n\s*->  Index (Only )?Scan using ix_tickets_queue on tickets t ", plan), plan
        assert "ix_tickets_queue" in plan and "ix_tickets_targeted" in plan, plan


def test_expiring_past_days_reads_only_past_days(store: Store, desk: Desk) -> None:
    params = queue_of(store, desk, 90)
    with store.read_session() as s:  # two thirds become history: finished tickets of the past month
        ids = s.execute(text("SELECT id FROM tickets ORDER BY id LIMIT 60")).scalars().all()
        for i, ticket_id in enumerate(ids):
            s.execute(text("UPDATE tickets SET status = 'finished', service_on = :day WHERE id = :id"),
                      {"day": desk.today() - timedelta(days=1 + i % 30), "id": ticket_id})
        s.commit()
    select = days._EXPIRE.replace("UPDATE tickets SET status = 'expired', ended_at = :now", "SELECT id FROM tickets")
    if store.writer.dialect.name == "sqlite":
        plan = sqlite_plan(store, select, params)
        assert any("ix_tickets_open_day" in step and "service_on<?" in step for step in plan), plan
    else:
        plan = postgres_plan(store, select, params)
        assert "ix_tickets_open_day" in plan and "service_on <" in plan.split("Index Cond:", 1)[1], plan
