"""A frozen broker cannot stall the hall: with Redis stopped by SIGSTOP, two server processes on PostgreSQL keep
issuing and calling at their normal pace, a display on the other process still gets every event (from the
outbox, about a second late), and after the thaw every display has had every event exactly once, in seq order.

Real processes, a real Redis of the test's own (bench/private_redis.py) paused with SIGSTOP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.private_redis import PrivateRedis
from bench.private_redis import redis_binary
from bench.private_redis import start_redis
from queue_server.clock import SystemClock
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import ON_CI
from tests.conftest import _truncate_postgres
from tests.realtime.feed import connected
from tests.realtime.feed import events_until
from tests.realtime.feed import no_more_events
from tests.realtime.feed import subscribe
from tests.realtime.server import Server
from tests.realtime.server import make_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

WRITES_WHILE_FROZEN = 12
# A write normally answers in tens of milliseconds; before the relay, one waited for the frozen broker (10 s+).
WRITE_BOUND_S = 1.0


@pytest.fixture
def frozen_broker_topology(postgres_database: str, tmp_path: Path) -> Iterator[
        tuple[PrivateRedis, Server, Server, factories.BasicHall]]:
    binary = redis_binary()
    if binary is None:
        message = "redis-server is not installed (apt install redis-server)"
        pytest.fail(message) if ON_CI else pytest.skip(reason=message)
    redis = start_redis(binary, tmp_path / "redis")
    _truncate_postgres(postgres_database)
    store = make_store(postgres_database)
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    env = {"HALLQ_REDIS_URL": redis.url}
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            servers.append(make_server(postgres_database, tmp_path / name, env=env).start())
        yield redis, servers[0], servers[1], tokens
    finally:
        redis.thaw()
        for server in servers:
            server.stop()
        redis.stop()


def _timed_issue(server: Server, kiosk: str) -> float:
    started = time.monotonic()
    server.issue("t1", kiosk)
    return time.monotonic() - started


def test_writes_go_on_while_redis_is_frozen_and_every_display_gets_every_event_once_in_order(
        frozen_broker_topology: tuple[PrivateRedis, Server, Server, factories.BasicHall]) -> None:
    redis, a, b, tokens = frozen_broker_topology
    with connected(a.url, {"token": tokens.display}) as near, connected(b.url, {"token": tokens.display}) as far:
        subscribe(near, "t1", since=0)
        subscribe(far, "t1", since=0)
        a.issue("t1", tokens.kiosk)  # seq 1, 2 (ticket.issued, queue.stats)
        assert [e["seq"] for e in events_until(far, 2)] == [1, 2]

        redis.freeze()
        took = [_timed_issue(a, tokens.kiosk) for _ in range(WRITES_WHILE_FROZEN)]
        called = a.call_next("t1", tokens.staff1, window=1)
        last = 2 + 2 * WRITES_WHILE_FROZEN + 2  # each issue and the call: the event and its queue.stats

        # The other process's display has them before the thaw, from the outbox.
        during = events_until(far, last, timeout=10)
        redis.thaw()
        b.issue("t1", tokens.kiosk)  # written on the far side once Redis answers again: reaches the near display
        after_far = events_until(far, last + 2, timeout=10)
        near_all = events_until(near, last + 2, timeout=10)
        assert no_more_events(far) and no_more_events(near)

    assert max(took) < WRITE_BOUND_S, f"a write waited {max(took):.2f} s on the frozen broker"
    far_all = [e["seq"] for e in during + after_far]
    assert far_all == list(range(3, last + 3)), "the far display missed, doubled or reordered an event"
    assert [e["seq"] for e in near_all] == list(range(1, last + 3))
    assert any(e["type"] == "ticket.called" and e["ticket"]["number"] == called["number"] for e in during)
