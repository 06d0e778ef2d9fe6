"""Citizens racing for the last seats of a slot never overbook it: 24 phones book the same 3-seat slot at once
through two server processes on one database. SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.storage.models import Appointment
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Role
from queue_server.storage.store import make_store
from tests import factories
from tests.live import LiveServer
from tests.live import start_server

pytestmark = pytest.mark.slow

SEATS = 3
RACERS = 24
PLAN = {"days": {str(d): [{"start": "08:00", "end": "20:00", "minutes": 60, "capacity": SEATS}] for d in range(1, 8)},
        "horizon_days": 7, "cutoff_min": 0}


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[tuple[list[LiveServer], str]]:
    store = make_store(database_url)
    with store.transaction() as s:
        h = factories.hall(s, "race")
        factories.service(s, h, "a", "A")
        manager = mint_token(s, SystemClock().now(), role=Role.MANAGER, hall=h,
                             staff=factories.staff(s, h, "m1", Role.MANAGER))
    store.dispose()
    servers: list[LiveServer] = []
    try:
        for i in range(2):  # one at a time, so a second that fails to start does not leave the first running
            servers.append(start_server(database_url, tmp_path / f"instance-{i}"))
        yield servers, manager
    finally:
        for server in servers:
            server.stop()


def test_the_last_seats_go_to_as_many_citizens_as_there_are_seats(
        two_servers: tuple[list[LiveServer], str], database_url: str) -> None:
    servers, manager = two_servers
    base = servers[0].url + "/api/v1/halls/race"
    assert requests.put(f"{base}/services/a/booking", json=PLAN, timeout=30,
                        headers={"Authorization": f"Bearer {manager}"}).status_code == 200
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    day = {"date": tomorrow.isoformat()}
    slot = requests.get(f"{base}/services/a/slots", params=day, timeout=30).json()["slots"][0]
    assert slot["left"] == SEATS

    start = threading.Barrier(RACERS)
    answers: list[tuple[int, str]] = []

    def race(i: int) -> None:
        url = servers[i % 2].url + "/api/v1/halls/race/appointments"
        start.wait()
        response = requests.post(url, json={"service": "a", "slot_start": slot["start"], "phone": f"138{i:08d}"},
                                 timeout=120)
        answers.append((response.status_code, response.json().get("code", "")))

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(status for status, _ in answers) == {201: SEATS, 409: RACERS - SEATS}
    assert Counter(code for status, code in answers if status == 409) == {"slot_full": RACERS - SEATS}
    after = requests.get(f"{base}/services/a/slots", params=day, timeout=30).json()
    assert after["slots"][0]["left"] == 0
    store = make_store(database_url)
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Appointment).where(Appointment.status == "booked")) == SEATS
        booked_events = s.scalar(select(func.count()).select_from(HallEvent)
                                 .where(HallEvent.type == "appointment.booked"))
        assert booked_events == SEATS
    store.dispose()
