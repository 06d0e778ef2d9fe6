"""Two clerks press "call next" at the same moment on windows that share a service: a real server, real
threads, each clerk signed in through the login form with their own session cookie."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.store import make_store
from tests import factories
from tests.live import LiveServer
from tests.live import start_server

TICKETS = 12


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[LiveServer, str]]:
    import shutil

    db = tmp_path / "live.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    store = make_store(url)
    with store.transaction() as s:
        hall = factories.hall(s, "t1")
        shared = factories.service(s, hall, "b", "B")
        factories.window(s, hall, 1, [shared])
        factories.window(s, hall, 2, [shared])
        factories.staff(s, hall, "u1")
        factories.staff(s, hall, "u2")
        kiosk = mint_token(s, SystemClock().now(), role=Role.KIOSK, hall=s.get(Hall, hall.id))
    store.dispose()
    server = start_server(url, tmp_path / "instance")
    yield server, kiosk
    server.stop()


def signed_in(base: str, user: str, window: int) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{base}/staff/login?hall=t1", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resp = http.post(f"{base}/staff/login", data={"csrf_token": token, "hall": "t1", "user_no": user,
                                                  "password": "pw-12345678", "window": window}, timeout=5)
    assert resp.status_code == 200 and resp.url.endswith("/staff")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', resp.text).group(1)  # type: ignore[union-attr]
    return http, csrf


def test_two_clerks_calling_at_once_on_a_shared_service_never_get_the_same_ticket(
    live: tuple[LiveServer, str]
) -> None:
    server, kiosk = live
    for _ in range(TICKETS):
        requests.post(f"{server.url}/api/v1/halls/t1/tickets", json={"service": "b"},
                      headers={"Authorization": f"Bearer {kiosk}"}, timeout=5).raise_for_status()
    clerks = [signed_in(server.url, "u1", 1), signed_in(server.url, "u2", 2)]
    got: dict[int, list[str]] = {1: [], 2: []}
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(window: int, http: requests.Session, csrf: str) -> None:
        try:
            press(window, http, csrf)
        except BaseException as exc:  # surfaced by the main thread's assert below
            failures.append(exc)
            barrier.abort()

    def press(window: int, http: requests.Session, csrf: str) -> None:
        headers = {"X-CSRF-Token": csrf}
        for _ in range(TICKETS // 2):
            barrier.wait(timeout=10)  # both press F1 at the same moment, every round
            resp = http.post(f"{server.url}/api/v1/halls/t1/windows/{window}/call-next", headers=headers,
                             timeout=10)
            assert resp.status_code == 200, resp.text
            ticket = resp.json()["ticket"]
            got[window].append(ticket["number"])
            done = http.post(f"{server.url}/api/v1/tickets/{ticket['id']}/finish", json={"outcome": "done"},
                             headers=headers, timeout=10)
            assert done.status_code == 200, done.text

    threads = [threading.Thread(target=work, args=(n, *clerks[n - 1])) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert failures == []
    assert not set(got[1]) & set(got[2])
    assert sorted(got[1] + got[2]) == [f"B{n:03d}" for n in range(1, TICKETS + 1)]
