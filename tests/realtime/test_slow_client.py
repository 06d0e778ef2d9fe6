"""A display that stops reading (a phone on a dead Wi-Fi, a frozen browser) must not hold up the hall.

The server writes each broadcast straight to every websocket with a non-blocking send (queue_server/realtime/fanout.py);
what a stalled client cannot take is kept for it, in order, and flushed by its own writer thread. Here a raw
websocket client with a tiny receive buffer subscribes and then reads nothing while more event bytes are
published than the kernel holds for it at both ends (/proc/net/tcp: so the server-side backlog is in use): every
publish still returns, another display still gets every event, and when the stalled client reads again it gets
every event exactly once, in seq order, in well-formed frames.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from pathlib import Path
from typing import Any

import requests

from tests.factories import BasicHall
from tests.realtime.feed import connected
from tests.realtime.feed import events_until
from tests.realtime.feed import subscribe
from tests.realtime.server import Server

NOTICES = 20  # per update (the API's maximum)
# 𠮷 (U+20BB7, a name character outside the BMP) is a 12-byte surrogate-pair escape in JSON: ~48 KB an event.
NOTICE = "𠮷" * 190


class RawClient:
    """A blocking websocket client speaking the Engine.IO/Socket.IO text protocol by hand."""

    def __init__(self, url: str, rcvbuf: int) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: caps the window
        self.sock.settimeout(10)
        self.sock.connect((host, int(port)))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
                          .encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(4096)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        # Offered like a browser, refused by the server: compressing per client would cost every broadcast.
        assert b"permessage-deflate" not in head.lower(), head

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            assert chunk, "server closed the connection"
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def message(self) -> str:
        """The next text message; answers Engine.IO pings on the way (the server drops silent clients)."""
        while True:
            b0, b1 = self._read(2)
            assert b0 == 0x81, f"unexpected frame header {b0:#x}"  # FIN + text, no RSV bits: uncompressed
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            text = self._read(n).decode()
            if text == "2":
                self.send("3")
                continue
            return text

    def send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        n = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
        self.sock.sendall(header + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))

    def subscribe(self, token: str, hall: str, since: int | None) -> dict[str, Any]:
        assert self.message().startswith("0{")
        self.send("40/live," + json.dumps({"token": token}))
        assert self.message().startswith("40/live,")
        self.send('42/live,0["subscribe",' + json.dumps({"hall": hall, "since": since}) + "]")
        while True:
            text = self.message()
            if text.startswith("43/live,0"):
                ack: dict[str, Any] = json.loads(text.removeprefix("43/live,0"))[0]
                return ack

    def event(self) -> dict[str, Any]:
        while True:
            text = self.message()
            if text.startswith('42/live,["event",'):
                data: dict[str, Any] = json.loads(text.removeprefix("42/live,"))[1]
                return data


def kernel_held(client: socket.socket) -> int:
    """Bytes the kernel holds between the server and this client: the server socket's send queue plus the
    client socket's receive queue (/proc/net/tcp columns tx_queue:rx_queue)."""
    port = client.getsockname()[1]
    held = 0
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = row.split()
        local, remote = int(cols[1].split(":")[1], 16), int(cols[2].split(":")[1], 16)
        tx, rx = (int(x, 16) for x in cols[4].split(":"))
        if remote == port:  # the server's end of this connection
            held += tx
        elif local == port:
            held += rx
    return held


def test_a_display_that_stops_reading_holds_up_no_one_and_later_gets_every_event_once_in_order(
    server: Server, tokens: BasicHall
) -> None:
    stalled = RawClient(server.url, rcvbuf=4096)
    start = stalled.subscribe(tokens.display, "t1", since=None)["seq"]
    with connected(server.url, {"token": tokens.display}) as display, requests.Session() as http:
        subscribe(display, "t1", since=start)
        last, peak, grew_at = start, 0, start
        # Publish until the kernel stops taking more for this client (its send buffer grows to a few MB on
        # loopback), then five more: those can only be in the server's own backlog. No per-round wait on the
        # display, so the stall stays well inside the server's ping deadline (45 s).
        while last - grew_at < 5:
            assert last - start < 400, f"the kernel kept taking bytes: {kernel_held(stalled.sock)} held"
            texts = [f"{last + 1:06d}-{i:02d} " + NOTICE for i in range(NOTICES)]
            resp = http.post(f"{server.url}/api/v1/halls/t1/notices", json={"notices": texts}, timeout=10,
                             headers={"Authorization": f"Bearer {tokens.manager}"})
            assert resp.status_code == 200, resp.text  # returned: the stalled client did not block the publish
            last += 1
            held = kernel_held(stalled.sock)
            if held > peak:
                peak, grew_at = held, last
        got = events_until(display, last, timeout=10)
        assert [e["seq"] for e in got] == list(range(start + 1, last + 1))

    seqs = []
    while not seqs or seqs[-1] < last:
        event = stalled.event()
        seqs.append(event["seq"])
        if event["type"] == "notices.updated":
            assert len(event["notices"]) == NOTICES
    assert seqs == list(range(start + 1, last + 1))
    stalled.sock.close()
