"""Under real concurrency against a running server: numbers stay unique and gap-free, nothing errors, and
windows calling at the same moment never share a ticket. SQLite and PostgreSQL, threads and processes.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Role
from queue_server.storage.models import Ticket
from queue_server.storage.store import make_store
from tests import factories
from tests.live import LiveServer
from tests.live import start_server

pytestmark = pytest.mark.slow

ISSUERS = 64
PER_ISSUER = 8
WINDOWS = 8
# Generous: two processes contending for one SQLite file wait in its busy handler, which sleeps in coarse steps.
REQUEST_TIMEOUT_S = 120


@dataclass(frozen=True)
class Hall:
    url: str
    database_url: str
    kiosk: str
    staff: dict[int, str]


def _build(database_url: str) -> tuple[str, dict[int, str]]:
    store = make_store(database_url)
    now = SystemClock().now()
    with store.transaction() as s:
        h = factories.hall(s, "cc")
        a = factories.service(s, h, "a", "A")
        b = factories.service(s, h, "b", "B")
        windows = [factories.window(s, h, n, [a, b]) for n in range(1, WINDOWS + 1)]
        kiosk = mint_token(s, now, role=Role.KIOSK, hall=h)
        staff = {w.number: mint_token(s, now, role=Role.STAFF, hall=h, window=w,
                                      staff=factories.staff(s, h, f"cc{w.number}")) for w in windows}
    store.dispose()
    return kiosk, staff


@pytest.fixture
def live_hall(database_url: str, tmp_path: Path) -> Iterator[Hall]:
    kiosk, staff = _build(database_url)
    server = start_server(database_url, tmp_path / "instance", gunicorn=True)
    yield Hall(server.url, database_url, kiosk, staff)
    server.stop()


def issue_many(url: str, token: str, count: int, worker: int) -> list[tuple[int, str, str]]:
    """One issuer: `count` tickets over one keep-alive connection; returns (status, service, number)."""
    out = []
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for i in range(count):
            service = "a" if (worker + i) % 2 == 0 else "b"
            resp = http.post(f"{url}/api/v1/halls/cc/tickets", json={"service": service}, timeout=REQUEST_TIMEOUT_S)
            out.append((resp.status_code, service, resp.json().get("number", "")))
    return out


def _issue_in_threads(url: str, token: str, threads: int, count: int, offset: int) -> list[tuple[int, str, str]]:
    with ThreadPoolExecutor(threads) as pool:
        parts = pool.map(lambda w: issue_many(url, token, count, offset + w), range(threads))
        return [r for part in parts for r in part]


def assert_gap_free(database_url: str, results: list[tuple[int, str, str]]) -> None:
    assert Counter(status for status, _, _ in results) == {201: len(results)}
    for service, prefix in (("a", "A"), ("b", "B")):
        numbers = [int(n[len(prefix):]) for _, s, n in results if s == service]
        assert sorted(numbers) == list(range(1, len(numbers) + 1))  # unique and gap-free
    store = make_store(database_url)
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == len(results)
        seqs = list(s.scalars(select(HallEvent.seq).order_by(HallEvent.seq)))
        assert seqs == list(range(1, len(seqs) + 1))
        days = set(s.scalars(select(Ticket.service_on).distinct()))
        assert len(days) == 1 and isinstance(next(iter(days)), date)
    store.dispose()


def test_64_threads_issuing_at_once_get_unique_gap_free_numbers(live_hall: Hall) -> None:
    results = _issue_in_threads(live_hall.url, live_hall.kiosk, ISSUERS, PER_ISSUER, 0)

    assert len(results) == ISSUERS * PER_ISSUER
    assert_gap_free(live_hall.database_url, results)


def test_64_issuers_in_separate_processes_get_unique_gap_free_numbers(live_hall: Hall) -> None:
    processes, threads = 8, ISSUERS // 8
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
        futures = [pool.submit(_issue_in_threads, live_hall.url, live_hall.kiosk, threads, PER_ISSUER, p * threads)
                   for p in range(processes)]
        results = [r for f in futures for r in f.result()]

    assert len(results) == ISSUERS * PER_ISSUER
    assert_gap_free(live_hall.database_url, results)


def test_eight_windows_calling_at_once_never_share_a_ticket(live_hall: Hall) -> None:
    issued = _issue_in_threads(live_hall.url, live_hall.kiosk, 8, 20, 0)
    assert len(issued) == 160

    def serve_until_empty(window: int) -> list[int]:
        served = []
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {live_hall.staff[window]}"
            while True:
                resp = http.post(f"{live_hall.url}/api/v1/halls/cc/windows/{window}/call-next",
                                 timeout=REQUEST_TIMEOUT_S)
                if resp.status_code == 204:
                    return served
                assert resp.status_code == 200, resp.text
                ticket = resp.json()["ticket"]
                served.append(ticket["id"])
                done = http.post(f"{live_hall.url}/api/v1/tickets/{ticket['id']}/finish", json={},
                                 timeout=REQUEST_TIMEOUT_S)
                assert done.status_code == 200, done.text

    with ThreadPoolExecutor(WINDOWS) as pool:
        per_window = list(pool.map(serve_until_empty, range(1, WINDOWS + 1)))

    everyone = [t for served in per_window for t in served]
    assert len(everyone) == 160
    assert len(set(everyone)) == 160  # nobody called twice
    assert sum(1 for served in per_window if served) > 1  # the windows really did work side by side


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_server_processes_on_one_sqlite_file_keep_numbers_gap_free(database_url: str, tmp_path: Path) -> None:
    kiosk, _ = _build(database_url)
    servers: list[LiveServer] = [start_server(database_url, tmp_path / f"i{n}", gunicorn=True) for n in (1, 2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            parts = pool.map(lambda n: _issue_in_threads(servers[n].url, kiosk, 32, PER_ISSUER, n * 32), (0, 1))
            results = [r for part in parts for r in part]
    finally:
        for server in servers:
            server.stop()

    assert len(results) == 64 * PER_ISSUER
    assert_gap_free(database_url, results)
