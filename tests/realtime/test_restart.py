"""A display survives a server restart: it reconnects by itself, re-subscribes with `since`, and ends up with
every event exactly once, in order, including those written while the server was down."""

from __future__ import annotations

import queue
from datetime import UTC
from datetime import datetime
from typing import Any

import requests
import socketio

from queue_server import engine
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import make_store
from tests.factories import BasicHall
from tests.realtime.server import Server


class Display:
    """A long-lived client like feed.js: on every (re)connect it subscribes with the last seq it applied."""

    def __init__(self, url: str, token: str) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.last: int | None = None
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
        self.client.on("connect", self._subscribe, namespace="/live")
        self.client.on("event", self._event, namespace="/live")
        self.client.on("snapshot", self._snapshot, namespace="/live")
        self.client.on("disconnect", self._close_transport, namespace="/live")
        self.client.connect(url, auth={"token": token}, namespaces=["/live"], transports=["websocket"],
                            wait_timeout=10)

    def _subscribe(self) -> None:
        self.client.start_background_task(self._do_subscribe)

    def _do_subscribe(self) -> None:
        ack = self.client.call("subscribe", {"hall": "t1", "since": self.last}, namespace="/live", timeout=10)
        self.acks.put(ack)

    def _close_transport(self, reason: str = "") -> None:
        # python-engineio's client drops (without closing) the websocket of a connection the server cut; close
        # it here so the test does not leak a socket (pytest turns the ResourceWarning into an error).
        ws = getattr(self.client.eio, "ws", None)
        if ws is not None and reason != self.client.reason.CLIENT_DISCONNECT:
            ws.shutdown()  # no close handshake: the server already cut the connection

    def _event(self, data: dict[str, Any]) -> None:
        self.last = data["seq"]
        self.events.put(data)

    def _snapshot(self, data: dict[str, Any]) -> None:
        self.last = data["seq"]

    def take(self, n: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        return [self.events.get(timeout=timeout) for _ in range(n)]


class UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def test_a_display_resyncs_after_a_server_restart_with_nothing_lost_or_doubled(
    server: Server, tokens: BasicHall
) -> None:
    for _ in range(4):
        server.issue("t1", tokens.kiosk)
    display = Display(server.url, tokens.display)
    try:
        display.acks.get(timeout=10)
        first = server.call_next("t1", tokens.staff1)
        before = display.take(2)  # ticket.called, queue.stats

        server.stop()
        # While the server is down another process (the CLI, a second server) keeps writing to the database.
        store = make_store(server.database_url)
        runtime = Runtime(store, UtcClock())
        runtime.execute(engine.finish, hall="t1", ticket_id=first["id"], outcome="done")
        runtime.execute(engine.call_next, hall="t1", window_number=1)
        store.dispose()
        server.start()

        display.acks.get(timeout=20)
        written_while_down = runtime_events(server, tokens, after=before[-1]["seq"])
        during = display.take(len(written_while_down))
        server.finish(tokens.staff1, during_called(during)["ticket"]["id"])
        live = display.take(1)[0]
    finally:
        display.client.disconnect()

    seqs = [e["seq"] for e in before + during + [live]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # gap-free, each once, in order
    assert [e["type"] for e in during] == [e["type"] for e in written_while_down]
    assert during_called(during)["ticket"]["number"] == "A002"
    assert (live["type"], live["ticket"]["number"]) == ("ticket.finished", "A002")


def during_called(events: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in events if e["type"] == "ticket.called")


def runtime_events(server: Server, tokens: BasicHall, after: int) -> list[dict[str, Any]]:
    resp = requests.get(f"{server.url}/api/v1/halls/t1/events?after={after}",
                        headers={"Authorization": f"Bearer {tokens.display}"}, timeout=5)
    return resp.json()  # type: ignore[no-any-return]
