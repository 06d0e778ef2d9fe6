"""A serving process stops in seconds on SIGTERM (systemd, containers) and SIGINT (Ctrl+C), with displays connected
and requests in flight: it refuses new connections at once (so nginx sends them to another process), answers the
requests it already has, tells every display to reconnect, and exits.

Real `hallq serve` processes, real signals, real sockets.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from sqlalchemy import func
from sqlalchemy import select

from queue_server.clock import SystemClock
from queue_server.storage.models import Ticket
from queue_server.storage.store import make_store
from tests import factories
from tests.realtime.server import Server
from tests.realtime.server import make_server

pytestmark = pytest.mark.slow

DISPLAYS = 20
EXIT_WITHIN_S = 3.0  # issue 19: exit within 3 s with displays connected


@pytest.fixture
def served(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Server, factories.BasicHall]]:
    path = tmp_path / "hallq.db"
    shutil.copy(sqlite_template, path)
    store = make_store(f"sqlite:///{path}")
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    server = make_server(f"sqlite:///{path}", tmp_path / "instance").start()
    yield server, tokens
    server.stop()


class Display:
    """A display connected to /live; records when the server closes its connection."""

    def __init__(self, url: str, token: str) -> None:
        self.closed = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("disconnect", self._closed, namespace="/live")
        self.client.connect(url, auth={"token": token}, namespaces=["/live"], transports=["websocket"],
                            wait_timeout=10)
        ack = self.client.call("subscribe", {"hall": "t1", "since": None}, namespace="/live", timeout=10)
        assert ack["ok"]

    def _closed(self, reason: Any = None) -> None:
        self.closed.set()
        # python-engineio's client leaves the socket of a connection the server cut open; close it here.
        ws = getattr(self.client.eio, "ws", None)
        if ws is not None:
            ws.shutdown()


def _half_sent_issue(server: Server, kiosk: str) -> tuple[socket.socket, bytes]:
    """An issue request in flight: headers and the start of the body sent, the rest held back."""
    body = json.dumps({"service": "a"}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(f"POST /api/v1/halls/t1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {kiosk}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body[:5])
    return sock, body[5:]


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    sock.close()
    return b"".join(chunks)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except ConnectionRefusedError:
        return True
    except OSError:  # a connection caught by the close itself (reset, or its SYN dropped): not refused yet
        return False
    return False


def _tickets(server: Server) -> int:
    store = make_store(server.database_url)
    try:
        with store.read_session() as s:
            return int(s.scalar(select(func.count()).select_from(Ticket)) or 0)
    finally:
        store.dispose()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_refuses_new_connections_at_once_answers_what_is_in_flight_and_exits_within_3_s(
        served: tuple[Server, factories.BasicHall], sig: signal.Signals) -> None:
    server, tokens = served
    assert server.process is not None
    displays = [Display(server.url, tokens.display) for _ in range(DISPLAYS)]
    # A print agent waiting up to 20 s for jobs, reading its answer as soon as it comes (as the agent does), and
    # an issue whose body is still on its way: both connected before the signal.
    long_poll = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    long_poll.sendall(f"GET /api/v1/print-jobs?wait=20 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Bearer {tokens.kiosk}\r\nConnection: close\r\n\r\n".encode())
    answer: dict[str, Any] = {}
    reader = threading.Thread(target=lambda: answer.update(bytes=_read_all(long_poll), at=time.monotonic()))
    reader.start()
    in_flight, rest = _half_sent_issue(server, tokens.kiosk)
    try:
        signalled = time.monotonic()
        os.kill(server.process.pid, sig)

        # New connections are refused while the request in flight is still open (the process is alive).
        deadline = signalled + 1.0
        while not _refused(server.port):
            assert time.monotonic() < deadline, "still accepting connections 1 s after the stop signal"
            time.sleep(0.01)  # between probes of a real condition, bounded by the deadline
        assert server.process.poll() is None

        in_flight.sendall(rest)
        status_line = in_flight.recv(4096).split(b"\r\n", 1)[0]
        assert status_line == b"HTTP/1.1 201 CREATED", "the request in flight was cut instead of answered"
        in_flight.close()

        server.process.wait(timeout=10)
        exited = time.monotonic() - signalled
        assert server.process.returncode == 0
        assert exited < EXIT_WITHIN_S, f"the process took {exited:.1f} s to stop"

        reader.join(timeout=10)
        assert answer["bytes"].startswith(b"HTTP/1.1 200 OK") and answer["bytes"].rstrip().endswith(b"[]")
        assert answer["at"] - signalled < 1.0, "the long-poll held on after the stop signal"
        assert all(d.closed.wait(timeout=5) for d in displays), "a display was never told to reconnect"
        assert _tickets(server) == 1
    finally:
        in_flight.close()
        reader.join(timeout=10)
        long_poll.close()
        for display in displays:
            display.client.disconnect()


def test_with_json_logs_every_line_a_server_writes_from_start_to_stop_is_json(sqlite_template: Path,
                                                                             tmp_path: Path) -> None:
    """The service journal is read by machines: gunicorn's own lines (boot, stop) and hallq's must all parse."""
    path = tmp_path / "hallq.db"
    shutil.copy(sqlite_template, path)
    store = make_store(f"sqlite:///{path}")
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    server = make_server(f"sqlite:///{path}", tmp_path / "instance", env={"HALLQ_LOG_FORMAT": "json"}).start()
    assert server.process is not None
    try:
        server.issue("t1", tokens.kiosk)
        requests.get(f"{server.url}/api/v1/halls/nowhere/services", timeout=10)  # a 404 on the way
        os.kill(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=10)
    finally:
        server.stop()

    lines = [line for line in server.log().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # raises on the first line that is not JSON
    messages = " | ".join(r.get("message", "") for r in records)
    assert "hallq serving on" in messages and "stopping on SIGTERM" in messages
    assert any(r.get("logger") == "hallq.access" and r.get("status") == 201 for r in records)
