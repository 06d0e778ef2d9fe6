"""Per-address rate limits of the public booking routes: the address that used up its window is refused with 429
rate_limited, Retry-After and a Chinese detail naming the time to come back; other addresses go on; the window
passes with the clock; nginx's X-Real-IP counts only from a loopback peer; with Redis, every process shares the
counts. SQLite and PostgreSQL (the `client` fixtures run both); the Redis case needs HALLQ_TEST_REDIS_URL.

The clock stands at Monday 2026-03-02 09:00 in Shanghai; the booking limit is 3 per 10 minutes here.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from queue_server.clock import FrozenClock
from queue_server.settings import RATE_LIMITS
from queue_server.settings import Settings
from queue_server.settings import parse_rate_limits
from queue_server.storage.store import Store
from queue_server.web.rate_limit import Limiter
from queue_server.web.rate_limit import make_limiter
from tests.api.steps import assert_problem
from tests.api.test_booking import ID_A
from tests.api.test_booking import ID_B
from tests.api.test_booking import PLAN
from tests.api.test_booking import TUESDAY_10
from tests.conftest import required_redis_url
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer

LIMITS = {"booking": (3, 600), "booking_change": (2, 600)}
IDS = [ID_A, ID_B, "110101199003071233", "110101199003074565", "110101199003077897"]


def _app(settings: Settings, clock: FrozenClock, limits: dict[str, tuple[int, int]] = LIMITS, **changes: Any) -> Any:
    from queue_server.app import create_app

    app = create_app(dataclasses.replace(settings, rate_limits=limits, **changes), clock=clock)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def limited_client(settings: Settings, clock: FrozenClock) -> Iterator[Any]:
    app = _app(settings, clock)
    yield app.test_client()
    app.extensions["hallq"].store.dispose()


@pytest.fixture
def hall(limited_client: Any, store: Store, clock: FrozenClock) -> BasicHall:
    h = basic_hall(store, clock)
    response = limited_client.put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(h.manager))
    assert response.status_code == 200
    return h


def _book(client: Any, n: int, address: str | None = None, peer: str = "127.0.0.1") -> Any:
    # A different person each time: the per-person limits are not what is tested here.
    return client.post("/api/v1/halls/t1/appointments",
                       json={"service": "a", "slot_start": TUESDAY_10, "id_number": IDS[n % len(IDS)]},
                       headers={"X-Real-IP": address} if address else {}, environ_base={"REMOTE_ADDR": peer})


def test_an_address_past_its_limit_is_told_in_chinese_when_to_come_back(limited_client: Any, hall: BasicHall,
                                                                        clock: FrozenClock) -> None:
    statuses = [_book(limited_client, n, "203.0.113.7").status_code for n in range(3)]
    assert statuses == [201, 201, 409]  # the third is slot_full (2 seats): a refused attempt counts all the same

    refused = _book(limited_client, 3, "203.0.113.7")

    body = assert_problem(limited_client, refused, 429, "rate_limited")
    # 09:00 now, the 10-minute window ends at 09:10 Shanghai time.
    assert refused.headers["Retry-After"] == "600" and body["retry_after_s"] == 600
    assert "请求过于频繁" in body["detail"] and "09:10" in body["detail"] and "10 分钟" in body["detail"]
    assert _book(limited_client, 3, "198.51.100.20").status_code != 429  # another address goes on

    clock.advance(minutes=10)
    assert _book(limited_client, 3, "203.0.113.7").status_code != 429  # a new window


def test_a_forwarded_address_counts_only_from_nginx_on_this_machine(limited_client: Any, hall: BasicHall) -> None:
    # A client talking to the server directly cannot pick a new address per request with a header.
    answers = [_book(limited_client, n, f"192.0.2.{n}", peer="203.0.113.9").status_code for n in range(4)]

    assert answers[-1] == 429 and 429 not in answers[:3]


def test_ipv6_addresses_count_per_64(limited_client: Any, hall: BasicHall) -> None:
    answers = [_book(limited_client, n, f"2001:db8:1:2::{n + 1:x}").status_code for n in range(4)]

    assert answers[-1] == 429


def test_cancel_and_move_share_their_own_limit(limited_client: Any, hall: BasicHall) -> None:
    token = _book(limited_client, 0, "203.0.113.8").get_json()["manage_token"]
    move = {"slot_start": "2026-03-03T11:00:00+08:00"}

    first = limited_client.post(f"/api/v1/appointments/{token}/move", json=move)
    second = limited_client.post(f"/api/v1/appointments/{token}/cancel")
    third = limited_client.post(f"/api/v1/appointments/{token}/cancel")

    assert (first.status_code, second.status_code) == (200, 200)
    assert_problem(limited_client, third, 429, "rate_limited")


def test_an_unlimited_bucket_lets_everything_through(settings: Settings, clock: FrozenClock, store: Store) -> None:
    app = _app(settings, clock, {"booking_change": (2, 600)})
    client = app.test_client()
    h = basic_hall(store, clock)
    client.put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(h.manager))

    assert 429 not in [_book(client, n).status_code for n in range(6)]
    app.extensions["hallq"].store.dispose()


def test_with_redis_every_process_shares_the_count(settings: Settings, clock: FrozenClock, store: Store) -> None:
    url = required_redis_url()
    apps = [_app(settings, clock, redis_url=url) for _ in range(2)]  # two gunicorn workers, one Redis
    h = basic_hall(store, clock)
    clients = [a.test_client() for a in apps]
    clients[0].put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(h.manager))
    # A fresh address: the frozen clock gives every run the same window, and Redis outlives a run.
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"

    answers = [_book(clients[n % 2], n, address).status_code for n in range(4)]

    assert answers[-1] == 429 and 429 not in answers[:3]
    for a in apps:
        a.extensions["hallq"].store.dispose()


def test_the_limits_are_set_per_bucket_from_the_environment() -> None:
    limits = parse_rate_limits({"HALLQ_RATE_LIMIT_BOOKING": "5/60", "HALLQ_RATE_LIMIT_REMOTE_TICKET": "off"})

    assert limits["booking"] == (5, 60) and "remote_ticket" not in limits
    assert limits["booking_change"] == RATE_LIMITS["booking_change"]
    with pytest.raises(ValueError, match="HALLQ_RATE_LIMIT_BOOKING"):
        parse_rate_limits({"HALLQ_RATE_LIMIT_BOOKING": "many"})


def test_a_counter_that_fails_lets_the_citizen_through(clock: FrozenClock) -> None:
    class Down:
        def hit(self, key: str, ttl_s: int) -> int:
            raise ConnectionError("redis restarting")

    limiter = Limiter({"booking": (1, 600)}, Down(), clock.now)

    assert limiter.check("booking", "203.0.113.7") is None  # no verdict: the route goes on


def test_an_unreachable_redis_gives_no_verdict(clock: FrozenClock) -> None:
    limiter = make_limiter({"booking": (1, 600)}, "redis://127.0.0.1:1/0", clock.now)  # nothing listens on 1

    assert limiter.check("booking", "203.0.113.7") is None


def test_remote_tickets_from_one_address_are_limited_too(settings: Settings, clock: FrozenClock,
                                                          store: Store) -> None:
    app = _app(settings, clock, {"remote_ticket": (2, 600)})
    client = app.test_client()
    try:
        basic_hall(store, clock)

        def take(n: int) -> Any:  # a different person each time, as a script filling the queue would send
            return client.post("/api/v1/halls/t1/remote-tickets", json={"service": "a", "id_number": IDS[n]},
                               headers={"X-Real-IP": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})

        assert [take(n).status_code for n in range(2)] == [201, 201]
        refused = take(2)
        body = assert_problem(client, refused, 429, "rate_limited")
        assert "请求过于频繁" in body["detail"] and refused.headers["Retry-After"] == "600"
    finally:
        app.extensions["hallq"].store.dispose()
