"""Bad input on /live stops at the door as it does on the REST API (queue_server/web/input_guard.py): a control
character or a number past 64 bits in a connect credential or a subscribe message is refused with the documented
problem naming the field, on SQLite and PostgreSQL (which answers a NUL byte in a query with an error, not an
empty result), and the server logs no traceback for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from queue_server.clock import SystemClock
from queue_server.storage.store import make_store
from tests import factories
from tests.realtime.feed import NAMESPACE
from tests.realtime.feed import connected
from tests.realtime.feed import subscribe
from tests.realtime.server import Server
from tests.realtime.server import make_server


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[tuple[Server, factories.BasicHall]]:
    store = make_store(database_url)
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    server = make_server(database_url, tmp_path / "instance").start()
    yield server, tokens
    server.stop()


def _refusal(url: str, auth: dict[str, Any]) -> dict[str, Any]:
    client = socketio.Client(reconnection=False)
    refusals: list[dict[str, Any]] = []
    client.on("connect_error", refusals.append, namespace=NAMESPACE)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, auth=auth, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=5)
    client.disconnect()
    assert len(refusals) == 1
    return refusals[0]


# One server per database for all cases: starting one costs seconds, the cases milliseconds.
BAD_CREDENTIALS = [({"token": "hq_\x00abc"}, "auth.token"), ({"track": "abc\x00def"}, "auth.track"),
                   ({"track": "abc\udc80"}, "auth.track")]
BAD_SUBSCRIBES = [({"hall": "t1\x00"}, "hall", "control character"),
                  ({"window": 2**70}, "window", "number out of range"),
                  ({"since": 2**64}, "since", "number out of range")]


def test_a_control_character_in_a_credential_is_refused_naming_it(live: tuple[Server, factories.BasicHall]) -> None:
    server, _ = live
    for auth, field in BAD_CREDENTIALS:
        refusal = _refusal(server.url, auth)

        assert refusal["message"] == "invalid_request", auth
        problem = refusal["data"]["problem"]
        assert problem["status"] == 422
        assert problem["title"] == "请求参数无效"
        assert problem["errors"] == [{"field": field, "message": "control character"}]
    assert "Traceback" not in server.log()


def test_a_bad_subscribe_message_is_answered_with_a_problem_and_the_connection_still_works(
    live: tuple[Server, factories.BasicHall],
) -> None:
    server, tokens = live
    with connected(server.url, {"token": tokens.display}) as display:
        for extra, field, why in BAD_SUBSCRIBES:
            refused = display.call("subscribe", {"hall": "t1", **extra}, timeout=10)

            assert refused["ok"] is False, extra
            assert refused["problem"]["code"] == "invalid_request"
            assert refused["problem"]["errors"] == [{"field": field, "message": why}]
        ok = subscribe(display, "t1")  # the display's next, well-formed subscribe is served as usual

    assert ok["ok"] is True
    assert "Traceback" not in server.log()
