"""Issuing with an Idempotency-Key: a retry after a lost answer (or a proxy's 502/503) returns the ticket the first
attempt made, with its print job, and writes nothing; a key is the sender's own and names one request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import Device
from queue_server.storage.models import PrintJob
from queue_server.storage.models import Ticket
from queue_server.storage.store import Store
from tests.api.contract import assert_conforms
from tests.api.footprint import footprint
from tests.api.steps import assert_problem
from tests.factories import BasicHall
from tests.factories import bearer

URL = "/api/v1/halls/t1/tickets"
KEY = "kiosk-6f1c2a9e4b7d"


def post(client: Any, token: str, key: str | None, **body: Any) -> Any:
    headers = {**bearer(token), **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(URL, json={"service": "a", **body}, headers=headers)


def tickets(store: Store) -> int:
    with store.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(Ticket)) or 0)


def test_a_retried_issue_returns_the_first_ticket_and_its_print_job_and_writes_nothing(
    client: Any, store: Store, hall: BasicHall
) -> None:
    with store.transaction() as s:
        kiosk = s.scalar(select(Device).where(Device.name == "kiosk-1"))
        assert kiosk is not None
        kiosk.printer = {"paper_mm": 80, "encoding": "gbk", "native_qr": True}
    first = post(client, hall.kiosk, KEY)
    after_first = footprint(store)

    retried = post(client, hall.kiosk, KEY)

    assert first.status_code == retried.status_code == 201
    body = assert_conforms(client, retried)
    assert (body["id"], body["number"], body["track_token"]) == (first.json["id"], "A001", first.json["track_token"])
    assert body["print_job_id"] == first.json["print_job_id"] is not None
    assert retried.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert footprint(store) == after_first  # no ticket, no number, no event, no print job
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(PrintJob)) == 1


def test_a_new_key_is_a_new_ticket_and_no_key_issues_as_before(client: Any, store: Store, hall: BasicHall) -> None:
    numbers = [post(client, hall.kiosk, key).json["number"] for key in (KEY, KEY + "-2", None, None)]

    assert numbers == ["A001", "A002", "A003", "A004"]
    assert tickets(store) == 4


def test_a_key_is_the_senders_own(client: Any, store: Store, hall: BasicHall) -> None:
    by_kiosk = post(client, hall.kiosk, KEY)
    by_clerk = post(client, hall.staff1, KEY)

    assert by_kiosk.json["id"] != by_clerk.json["id"]
    assert tickets(store) == 2


def test_the_same_key_with_another_request_is_refused_and_writes_nothing(
    client: Any, store: Store, hall: BasicHall
) -> None:
    post(client, hall.kiosk, KEY)
    before = footprint(store)

    other = post(client, hall.kiosk, KEY, service="b")

    assert_problem(client, other, 422, "idempotency_key_reused")
    assert footprint(store) == before


def test_a_refused_issue_keeps_no_key_so_its_retry_is_judged_afresh(
    client: Any, store: Store, hall: BasicHall
) -> None:
    client.post("/api/v1/halls/t1/services/a/close-for-today", headers=bearer(hall.manager))
    closed = post(client, hall.kiosk, KEY)
    client.post("/api/v1/halls/t1/services/a/reopen", headers=bearer(hall.manager))

    opened = post(client, hall.kiosk, KEY)

    assert closed.json["code"] == "service_closed"
    assert opened.status_code == 201 and "Idempotent-Replayed" not in opened.headers


def test_a_malformed_key_is_422_naming_the_header(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    for key in ("short", "x" * 65, "has space in it", "引号引号引号引号"):
        response = post(client, hall.kiosk, key)
        problem = assert_problem(client, response, 422, "invalid_request")
        assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert footprint(store) == before


def test_a_key_is_forgotten_after_a_day(client: Any, app: Any, store: Store, hall: BasicHall,
                                        clock: FrozenClock) -> None:
    from queue_server import engine

    first = post(client, hall.kiosk, KEY).json
    clock.advance(days=1, minutes=1)
    app.extensions["hallq"].runtime.execute(engine.housekeep, hall="t1")

    again = post(client, hall.kiosk, KEY)

    assert again.status_code == 201 and again.json["id"] != first["id"]
