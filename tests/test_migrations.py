"""Migrations: an empty database upgraded to head matches the models exactly (autogenerate finds nothing), on
SQLite and PostgreSQL; `hallq init` is safe to run again on a database that already holds data."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from queue_server.cli.main import main
from queue_server.storage import migrate
from queue_server.storage.models import Hall
from queue_server.storage.store import make_store
from tests.conftest import ON_CI
from tests.conftest import postgres_url
from tests.factories import hall


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (the shared test databases are migrated already)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = postgres_url()
    if url is None:
        pytest.skip(reason="PostgreSQL suite off: set HALLQ_TEST_POSTGRES_URL (the .ci/run script does)")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"hallq_migrate_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means the same thing here
        admin.dispose()
        message = f"PostgreSQL not reachable: {exc}"
        pytest.fail(message) if ON_CI else pytest.skip(reason=message)
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrading_an_empty_database_to_head_matches_the_models(empty_database: str) -> None:
    store = make_store(empty_database)
    try:
        migrate.upgrade(store.writer)

        assert migrate.pending_differences(store.writer) == []
    finally:
        store.dispose()


def test_hallq_init_twice_is_safe_and_keeps_the_data(
    empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLQ_DATABASE_URL", empty_database)
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(tmp_path / "instance"))

    assert main(["init"]) == 0
    store = make_store(empty_database)
    try:
        with store.transaction() as s:
            hall(s, "kept")
        assert main(["init"]) == 0

        with store.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Hall).where(Hall.code == "kept")) == 1
        assert migrate.pending_differences(store.writer) == []
    finally:
        store.dispose()


# A day of the first released schema (0001): a hall, a service, a finished and a waiting ticket, the counter.
FIRST_RELEASE_DATA = [
    """INSERT INTO halls (code, name, timezone, day_rollover, opening_hours, priority_ratio, recall_limit,
       no_show_tolerance_min, escalation_min, person_salt, event_seq)
       VALUES ('old', '旧大厅', 'Asia/Shanghai', '00:00:00', :hours, 2, 3, 30, 60, 'salt-old', 7)""",
    """INSERT INTO services (hall_id, code, name, prefix, number_start, number_end, number_wrap, slot_quotas,
       stop_issue_before_close_min, standard_duration_s, green_channel, active)
       SELECT id, 'a', '事项a', 'A', 1, 999, false, '[]', 0, 600, false, true FROM halls WHERE code = 'old'""",
    """INSERT INTO daily_counters (service_id, service_on, issued) SELECT id, '2026-03-02', 2 FROM services""",
    """INSERT INTO tickets (hall_id, service_on, original_service_id, service_id, seq, cycle, ticket_no, channel,
       priority_weight, status, issued_at, queued_at, leg_queued_at, call_count, track_token)
       SELECT hall_id, '2026-03-02', id, id, 1, 0, 'A001', 'kiosk', 0, 'finished', :at, :at, :at, 1, 'tok-1'
       FROM services""",
    """INSERT INTO tickets (hall_id, service_on, original_service_id, service_id, seq, cycle, ticket_no, channel,
       priority_weight, status, issued_at, queued_at, leg_queued_at, call_count, track_token)
       SELECT hall_id, '2026-03-02', id, id, 2, 0, 'A002', 'kiosk', 0, 'waiting', :at, :at, :at, 0, 'tok-2'
       FROM services""",
    """INSERT INTO ticket_legs (ticket_id, hall_id, service_on, service_id, queued_at, called_at, ended_at, "end",
       wait_s, service_s, local_hour)
       SELECT id, hall_id, service_on, service_id, :at, :called, :ended, 'finished', 60, 300, 9 FROM tickets
       WHERE track_token = 'tok-1'""",
]


def test_a_database_of_the_first_release_upgrades_to_head_keeping_its_data(empty_database: str) -> None:
    from queue_server import engine
    from queue_server.clock import FrozenClock
    from queue_server.storage.models import Ticket
    from queue_server.storage.models import TicketLeg
    from queue_server.storage.runtime import Runtime
    from tests.conftest import START
    from tests.factories import ALL_DAY

    store = make_store(empty_database)
    try:
        migrate.upgrade(store.writer, "0001")
        def stamp(minutes: float) -> object:
            moment = START + timedelta(minutes=minutes)
            return moment.replace(tzinfo=None).isoformat(sep=" ") if store.dialect == "sqlite" else moment

        with store.writer.begin() as conn:
            for statement in FIRST_RELEASE_DATA:  # called at 1 min, ended 5 min 30.4 s later (walk + service)
                conn.execute(text(statement), {"hours": json.dumps(ALL_DAY), "at": stamp(0), "called": stamp(1),
                                               "ended": stamp(6.507)})

        migrate.upgrade(store.writer)
        migrate.upgrade(store.writer)  # `hallq init` on every start: the second run is a no-op

        assert migrate.pending_differences(store.writer) == []
        with store.read_session() as s:
            tickets = s.execute(select(Ticket.ticket_no, Ticket.status).order_by(Ticket.id)).all()
            legs = s.execute(select(TicketLeg.wait_s, TicketLeg.service_s, TicketLeg.occupied_s)).all()
            event_seq = s.scalar(select(Hall.event_seq).where(Hall.code == "old"))
        assert [tuple(t) for t in tickets] == [("A001", "finished"), ("A002", "waiting")]
        assert [tuple(leg) for leg in legs] == [(60, 300, 330)]  # window time filled in from call and end
        assert event_seq == 7
        # The upgraded hall works: the next number follows the day's counter, the seq goes on from 7.
        done = Runtime(store, FrozenClock(START)).execute(engine.issue_ticket, hall="old", service_code="a")
        assert done.value.ticket.ticket_no == "A003"
        assert [e.seq for e in done.envelopes][0] == 8
    finally:
        store.dispose()


@pytest.mark.postgres
def test_postgres_vacuums_the_tickets_table_after_a_thousand_changes_however_long_its_history() -> None:
    """The waiting counts of every call are index-only scans, which read the table wherever VACUUM has not been:
    with PostgreSQL's default (a fifth of the table), a year of history would leave today's queue unvacuumed."""
    url = postgres_url()
    if url is None:
        pytest.skip(reason="PostgreSQL suite off: set HALLQ_TEST_POSTGRES_URL (the .ci/run script does)")
    store = make_store(url)
    try:
        migrate.upgrade(store.writer)
        with store.writer.connect() as conn:
            options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'tickets'")).scalar_one()
    finally:
        store.dispose()
    assert set(options) == {"autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=1000",
                            "autovacuum_vacuum_insert_scale_factor=0", "autovacuum_vacuum_insert_threshold=1000"}
