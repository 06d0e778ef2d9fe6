"""Two server processes on one PostgreSQL database share events through Redis: a call made on one reaches a
display connected to the other, with the hall-wide seq intact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_server.clock import SystemClock
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import _truncate_postgres
from tests.conftest import required_redis_url
from tests.realtime.feed import connected
from tests.realtime.feed import events_until
from tests.realtime.feed import next_position
from tests.realtime.feed import subscribe
from tests.realtime.server import Server
from tests.realtime.server import make_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def two_servers(postgres_database: str, tmp_path: Path) -> Iterator[tuple[Server, Server, factories.BasicHall]]:
    redis = required_redis_url()
    _truncate_postgres(postgres_database)
    store = make_store(postgres_database)
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    # A channel of our own: Redis pub/sub ignores db numbers, and other test runs may share the server.
    env = {"HALLQ_REDIS_URL": redis, "HALLQ_REDIS_CHANNEL": f"hallq-test-{uuid.uuid4().hex[:8]}"}
    a = make_server(postgres_database, tmp_path / "a", env=env).start()
    try:
        b = make_server(postgres_database, tmp_path / "b", env=env).start()
    except Exception:
        a.stop()
        raise
    yield a, b, tokens
    b.stop()
    a.stop()


def test_a_call_on_one_server_reaches_a_display_connected_to_the_other(
    two_servers: tuple[Server, Server, factories.BasicHall],
) -> None:
    a, b, tokens = two_servers
    a.issue("t1", tokens.kiosk)
    b.issue("t1", tokens.kiosk)
    with connected(b.url, {"token": tokens.display}) as display:
        ack = subscribe(display, "t1", since=2)  # missed the second issue (made on the other process)

        called = a.call_next("t1", tokens.staff1, window=1)
        received = events_until(display, 5)

    assert ack["seq"] == 4
    assert [(e["seq"], e["type"]) for e in received] == [
        (3, "ticket.issued"), (4, "queue.stats"), (5, "ticket.called")]
    assert received[2]["ticket"]["number"] == called["number"] == "A001"
    assert received[2]["voice"]["text"] == "请 A001 号到 1 号窗口办理"


def test_a_phone_on_one_server_sees_its_place_move_when_a_window_calls_through_the_other(
    two_servers: tuple[Server, Server, factories.BasicHall],
) -> None:
    a, b, tokens = two_servers
    a.issue("t1", tokens.kiosk)
    mine = b.issue("t1", tokens.kiosk)
    with connected(b.url, {"track": mine["track_token"]}) as phone:
        subscribe(phone, "t1", since=4)

        a.call_next("t1", tokens.staff1, window=1)
        position = next_position(phone)

    assert mine["ahead"] == 1
    assert position["ahead"] == 0
    assert position["seq"] == 6  # read after the call (5) and its queue.stats (6)
