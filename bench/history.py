"""Bulk history for the bench hall: N finished tickets spread over the past year, with their legs and events.

Written with Core executemany in large batches (SQLite) or COPY (PostgreSQL, where executemany of five million
tickets took an hour): the point is a realistically large table, not realistic inserts.
"""

from __future__ import annotations

import json
import random
import secrets
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.store import Store
from queue_server.storage.store import make_store

BATCH = 20_000
DAYS = 365


def generate(url: str, count: int, *, seed: int = 7, days: int = DAYS) -> None:
    """`count` finished tickets spread evenly over the `days` before today."""
    rng = random.Random(seed)
    store = make_store(url)
    with store.transaction() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "bench"))
        assert hall is not None
        service_ids = list(s.scalars(select(Service.id).where(Service.hall_id == hall.id)))
        hall_id = hall.id
    today = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    # Rounded up, so every ticket lands on a past day (count // days would spill the remainder onto today, where
    # its numbers collide with the bench's own issues).
    per_day = max(1, -(-count // days))
    ticket_id, seq = 0, 0
    while ticket_id < count:
        tickets, legs, events = [], [], []
        for _ in range(min(BATCH, count - ticket_id)):
            ticket_id += 1
            # The ticket's place in its day decides service and number, so numbers are unique per service and day.
            day, place = days - (ticket_id - 1) // per_day, (ticket_id - 1) % per_day
            issued = today - timedelta(days=day) + timedelta(seconds=(place * 28800) // per_day)
            called = issued + timedelta(seconds=rng.randint(60, 3600))
            ended = called + timedelta(seconds=rng.randint(120, 1500))
            service_id = service_ids[place % len(service_ids)]
            number = place // len(service_ids) + 1
            tickets.append({
                "id": ticket_id, "hall_id": hall_id, "service_on": issued.date(), "original_service_id": service_id,
                "service_id": service_id, "seq": number, "cycle": 0, "ticket_no": f"H{number:06d}",
                "channel": "kiosk", "priority_weight": 0, "status": "finished", "issued_at": issued,
                "queued_at": issued, "leg_queued_at": issued, "call_count": 1, "called_at": called,
                "started_at": called, "ended_at": ended, "outcome": "done", "track_token": secrets.token_urlsafe(24),
            })
            legs.append({
                "ticket_id": ticket_id, "hall_id": hall_id, "service_on": issued.date(), "service_id": service_id,
                "queued_at": issued, "called_at": called, "started_at": called, "ended_at": ended, "end": "finished",
                "outcome": "done", "wait_s": int((called - issued).total_seconds()),
                "service_s": int((ended - called).total_seconds()), "occupied_s": int((ended - called).total_seconds()),
                "local_hour": (ended.hour + 8) % 24,
            })
            seq += 1
            events.append({"hall_id": hall_id, "seq": seq, "type": "ticket.finished", "at": ended,
                           "payload": {"ticket": {"id": ticket_id}}})
        if store.dialect == "postgresql":
            _copy(store, [(Ticket, tickets), (TicketLeg, legs), (HallEvent, events)])
            continue
        with store.transaction() as s:
            s.execute(insert(Ticket), tickets)
            s.execute(insert(TicketLeg), legs)
            s.execute(insert(HallEvent), events)
    with store.transaction() as s:
        s.execute(update(Hall).where(Hall.id == hall_id).values(event_seq=seq))
        if store.dialect == "postgresql":
            for table in ("tickets", "ticket_legs", "hall_events"):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                s.execute(text(sql))
            s.execute(text("ANALYZE"))
    if store.dialect == "sqlite":
        with store.writer.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.dispose()


def _copy(store: Store, batches: list[tuple[type[Any], list[dict[str, Any]]]]) -> None:
    """One transaction of COPY FROM STDIN per batch of tables. The rows carry every NOT NULL column (COPY applies
    no Python-side defaults); JSON goes as its text."""
    with store.writer.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        for model, rows in batches:
            columns = list(rows[0])
            names = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row.values()])
