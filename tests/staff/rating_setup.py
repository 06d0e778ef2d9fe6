"""Builders for the rating tests: a hall with a rating tablet at window 1 and a clerk who finishes a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from queue_server.access.credentials import mint_token
from queue_server.clock import Clock
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Window
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.staff.console_client import Console


@dataclass(frozen=True)
class RatingHall:
    hall: BasicHall
    rater: str  # the tablet at window 1
    rater2: str  # the tablet at window 2
    console: Console


def rating_hall(store: Store, clock: Clock, client: Any, **hall_fields: Any) -> RatingHall:
    hall = basic_hall(store, clock, **hall_fields)
    with store.transaction() as s:
        h = s.scalar(select(Hall).where(Hall.code == "t1"))
        w1 = s.scalar(select(Window).where(Window.hall_id == h.id, Window.number == 1))  # type: ignore[union-attr]
        w2 = s.scalar(select(Window).where(Window.hall_id == h.id, Window.number == 2))  # type: ignore[union-attr]
        rater = mint_token(s, clock.now(), role=Role.RATER, hall=h, window=w1, device_name="评价器1")
        rater2 = mint_token(s, clock.now(), role=Role.RATER, hall=h, window=w2, device_name="评价器2")
    console = Console(client)
    console.login("u1", 1)
    return RatingHall(hall, rater, rater2, console)


def serve_one(rh: RatingHall, client: Any, *, case_no: str | None = None) -> dict[str, Any]:
    """Issue a ticket for service a, call it at window 1 and finish it; returns the issue response."""
    issued = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(rh.hall.kiosk))
    ticket = rh.console.window_op("call-next").get_json()["ticket"]
    resp = rh.console.ticket_op(ticket["id"], "finish", {"outcome": "done", "case_no": case_no})
    assert resp.status_code == 200, resp.get_json()
    return issued.get_json()  # type: ignore[no-any-return]


def rate(client: Any, token: str, level: int, **extra: Any) -> Any:
    pending = client.get("/api/v1/rating/pending", headers=bearer(token)).get_json()["pending"]
    leg = pending["leg_id"] if pending else None
    return client.post("/api/v1/rating", json={"level": level, "leg_id": leg, **extra}, headers=bearer(token))
