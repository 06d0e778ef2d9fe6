"""The month report of a busy hall: 100,000 tickets in March 2026 (about 4,500 per working day), with their legs,
ratings and 差评 cases bulk-inserted, then `stats.report` timed for each grouping, on SQLite and PostgreSQL.

    python -m bench.report [--backends sqlite,postgres] [--tickets 100000] [--repeat 3]

The goal (issue 6): under 2 s for the month on the 2-core hall server. Each report runs as the route runs it: a
fresh read session (no ORM identity map carried over), then the closed days it computed are kept (report_days).
"first s" is the month's first report, which reads every leg; "median s" the reports after it, which merge the
kept days. Times are medians of `repeat` runs in one process.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import time
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import table
from queue_server.reports import keeper
from queue_server.reports import stats
from queue_server.storage.models import Hall
from queue_server.storage.models import ReportDay
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import Window
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.ratings import Rating
from queue_server.storage.store import Store
from queue_server.storage.store import make_store

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)
BATCH = 20_000
CHANNELS = ["kiosk"] * 70 + ["mobile"] * 20 + ["appointment"] * 8 + ["staff"] * 2
# How a ticket's first leg ends, in percent: most are served; some 空号, cancellations, transfers.
ENDS = ["finished"] * 85 + ["no_show"] * 7 + ["cancelled"] * 3 + ["transferred"] * 5
LEVELS = [1] * 70 + [2] * 20 + [3] * 7 + [4] * 2 + [5] * 1
SHANGHAI = timedelta(hours=8)
NOW = datetime(2026, 4, 1, tzinfo=UTC)  # the month is closed: every day of it can be kept


def _working_days() -> list[date]:
    days, day = [], FIRST
    while day <= LAST:
        if day.isoweekday() <= 5:
            days.append(day)
        day += timedelta(days=1)
    return days


class _Seeder:
    def __init__(self, store: Store, rng: random.Random) -> None:
        self.store, self.rng = store, rng
        with store.read_session() as s:
            hall = s.scalar(select(Hall).where(Hall.code == "bench"))
            assert hall is not None
            self.hall_id = hall.id
            self.services = list(s.scalars(select(Service.id).where(Service.hall_id == hall.id)))
            windows = list(s.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number)))
            staff = {m.user_no: m.id for m in s.scalars(select(Staff))}
            self.desks = [(w.id, staff[f"b{w.number}"]) for w in windows]
        self.tickets: list[dict[str, Any]] = []
        self.legs: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.cases: list[dict[str, Any]] = []
        self.leg_id = self.rating_id = 0

    def leg(self, ticket_id: int, day: date, service_id: int, queued: datetime, end: str,
            outcome: str | None) -> datetime:
        window_id, staff_id = self.rng.choice(self.desks)
        wait = int(self.rng.expovariate(1 / 900)) if end != "cancelled" else None
        called = queued + timedelta(seconds=wait) if wait is not None else None
        handled = int(self.rng.expovariate(1 / 480)) + 30 if end in ("finished", "transferred") else None
        ended = (called or queued + timedelta(minutes=5)) + timedelta(seconds=handled or 60)
        self.leg_id += 1
        self.legs.append({
            "id": self.leg_id, "ticket_id": ticket_id, "hall_id": self.hall_id, "service_on": day,
            "service_id": service_id, "window_id": window_id if called else None,
            "staff_id": staff_id if called else None, "queued_at": queued, "called_at": called,
            "started_at": called, "ended_at": ended, "end": end, "outcome": outcome, "wait_s": wait,
            "service_s": handled, "local_hour": (ended + SHANGHAI).hour,
            "occupied_s": int((ended - called).total_seconds()) if called else None,
        })
        if end == "finished" and self.rng.random() < 0.4:
            self.rate(ticket_id, service_id, window_id, staff_id, ended, day)
        return ended

    def rate(self, ticket_id: int, service_id: int, window_id: int, staff_id: int, at: datetime, day: date) -> None:
        self.rating_id += 1
        level = self.rng.choice(LEVELS)
        self.ratings.append({
            "id": self.rating_id, "hall_id": self.hall_id, "ticket_id": ticket_id, "leg_id": self.leg_id,
            "window_id": window_id, "staff_id": staff_id, "service_id": service_id, "channel": "window_device",
            "rater": "匿名", "rated_at": at, "attempt": 1, "level": level, "tags": [], "text": "",
            "region_code": "532300", "excluded": False,
        })
        if level >= 4:
            closed = at + timedelta(days=self.rng.randint(1, 10)) if self.rng.random() < 0.8 else None
            self.cases.append({
                "hall_id": self.hall_id, "rating_id": self.rating_id, "status": "closed" if closed else "open",
                "opened_at": at, "due_on": day + timedelta(days=7), "closed_at": closed,
            })

    def ticket(self, ticket_id: int, day: date, number: int) -> None:
        service_id = self.rng.choice(self.services)
        # 08:30-17:30 local, as UTC
        issued = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC) + timedelta(
            seconds=self.rng.randint(0, 9 * 3600))
        end = self.rng.choice(ENDS)
        outcome = self.rng.choice(["done"] * 90 + ["returned"] * 5 + ["consult"] * 5) if end == "finished" else None
        ended = self.leg(ticket_id, day, service_id, issued, end, outcome)
        final_service = service_id
        if end == "transferred":
            final_service = self.rng.choice(self.services)
            ended = self.leg(ticket_id, day, final_service, ended, "finished", "done")
        status = {"transferred": "finished", "finished": "finished"}.get(end, end)
        self.tickets.append({
            "id": ticket_id, "hall_id": self.hall_id, "service_on": day, "original_service_id": service_id,
            "service_id": final_service, "seq": number, "cycle": 0, "ticket_no": f"H{number:06d}",
            "channel": self.rng.choice(CHANNELS), "priority_weight": 0, "status": status, "issued_at": issued,
            "queued_at": issued, "leg_queued_at": issued, "call_count": 1, "ended_at": ended,
            "track_token": secrets.token_urlsafe(24),
        })

    def flush(self) -> None:
        with self.store.transaction() as s:
            for model, rows in ((Ticket, self.tickets), (TicketLeg, self.legs), (Rating, self.ratings),
                                (EvaluationCase, self.cases)):
                if rows:
                    s.execute(insert(model), rows)
        self.tickets, self.legs, self.ratings, self.cases = [], [], [], []


def seed(url: str, count: int, *, seed_value: int = 6) -> None:
    """`count` tickets spread evenly over March 2026's working days."""
    store = make_store(url)
    seeder = _Seeder(store, random.Random(seed_value))
    days = _working_days()
    for ticket_id in range(1, count + 1):
        day = days[(ticket_id - 1) * len(days) // count]
        seeder.ticket(ticket_id, day, ticket_id)  # numbers unique per hall: the bench never prints them
        if ticket_id % BATCH == 0:
            seeder.flush()
    seeder.flush()
    with store.transaction() as s:
        if store.dialect == "postgresql":
            for name in ("tickets", "ticket_legs", "ratings", "evaluation_cases"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {name}))"))
            s.execute(text("ANALYZE"))
    if store.dialect == "sqlite":
        with store.writer.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.dispose()


def _timed(store: Store, by: stats.GroupBy) -> tuple[float, float, int]:
    """One report as the route makes it: read, then keep the closed days it computed (reports/keeper.py). Returns wall
    s, CPU s of this process, and how many days it had to compute from their legs."""
    started, started_cpu = time.perf_counter(), time.process_time()
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "bench"))
        assert hall is not None
        rep = stats.report(s, hall, FIRST, LAST, by, NOW)
    keeper.store_days(store, hall.id, rep.kept_now, NOW)
    assert rep.total.tickets["total"] > 0
    return time.perf_counter() - started, time.process_time() - started_cpu, len(rep.kept_now)


def time_reports(url: str, repeat: int) -> list[tuple[Any, ...]]:
    """Per grouping: (by, legs, ratings, first wall s, median wall s, max wall s, median CPU s).

    "First" is the month's first report, with no day kept yet: it reads every leg and keeps the closed days
    (median of `repeat`, the kept rows dropped before each). The others are the reports after it, which merge the
    kept days (median and max of `repeat`). The CPU time shows the cost apart from other load on the machine; on
    PostgreSQL the server's own work is not in it."""
    store = make_store(url)
    out = []
    with store.read_session() as s:
        legs = s.scalar(select(func.count()).select_from(TicketLeg)) or 0
        ratings = s.scalar(select(func.count()).select_from(Rating)) or 0
    for by in stats.GROUPINGS:
        first = []
        for _ in range(repeat):
            with store.transaction() as s:
                s.execute(delete(ReportDay))
            wall, _cpu, computed = _timed(store, by)
            assert computed > 0
            first.append(wall)
        took, cpu = [], []
        for _ in range(repeat):
            wall, used, computed = _timed(store, by)
            assert computed == 0, "a kept day was computed again"
            took.append(wall)
            cpu.append(used)
        out.append((by, legs, ratings, statistics.median(first), statistics.median(took), max(took),
                    statistics.median(cpu)))
    store.dispose()
    return out


def run(backends: list[str], tickets: int, repeat: int) -> str:
    rows = []
    for kind in backends:
        url = fresh_database(kind, "hallq_bench_report")
        build_hall(url)
        started = time.perf_counter()
        seed(url, tickets)
        seeded = time.perf_counter() - started
        load = os.getloadavg()[0]  # other work on the machine inflates wall times; the table says how much
        for by, legs, ratings, first, median, worst, cpu in time_reports(url, repeat):
            rows.append((kind, f"{tickets:,}", f"{legs:,}", f"{ratings:,}", by, f"{first:.2f}", f"{median:.2f}",
                         f"{worst:.2f}", f"{cpu:.2f}", f"{load:.1f}", f"{seeded:.0f}"))
    return (f"Machine: {machine()}\n\n" + table(
        ["database", "tickets", "legs", "ratings", "by", "first s", "median s", "max s", "CPU s", "load avg",
         "seed s"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(run(args.backends.split(","), args.tickets, args.repeat))


if __name__ == "__main__":
    main()
