"""A light fleet of /live display clients for bench/latency.py: raw sockets and epoll, no Socket.IO library.

The latency bench must measure the server's fan-out, not the clients, yet on this one machine the clients share
the server's two cores: every microsecond a client spends per received event is taken from the server. So:

- A python-socketio AsyncClient costs a few hundred microseconds per event (aiohttp frame reader, Engine.IO and
  Socket.IO decoding, JSON, handler dispatch); `--client socketio` in bench/latency.py still runs those.
- An asyncio Protocol per client that speaks the text protocol by hand (this module until December 2026) still
  cost ~22 µs per event, most of it the event loop's own per-callback machinery (select, handle, transport).
- Here one plain `epoll` loop per process reads every ready socket with one `recv_into()` a buffer it keeps (a
  fresh 256 KiB `recv()` per receipt was an mmap, page faults and an munmap each time), takes the CLOCK_MONOTONIC
  receipt time right after it, and splits websocket frames by hand. For a `ticket.called` event it pulls the
  ticket number out of the raw bytes with a regex (no JSON parse); every other frame is only skipped over.

The handshake (HTTP upgrade; Engine.IO v4 `0{open}`; Socket.IO v5 `40/live,{auth}` -> `40/live,{sid}`;
`42/live,0["subscribe",…]` -> ack `43/live,0[{"ok":true,…}]`) runs one client at a time with blocking reads, so
it stays simple; it is not timed. Afterwards Engine.IO pings (`2`) are answered (`3`) from the loop, or the server
would drop the clients. permessage-deflate is not offered (the server refuses it anyway:
queue_server/realtime/fanout.py).

Run as a child of bench/latency.py (several processes, so no single loop serialises all the receipts):

    python -m bench.wsfleet URL TOKEN N [HALL]

It prints `ready` once its N clients are subscribed, then one JSON line per called ticket once all N clients got
it: {"number", "first", "last", "count"} with time.monotonic() seconds (CLOCK_MONOTONIC: the same clock in every
process of the machine). It exits when stdin closes.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import socket
import struct
import sys
import time
from urllib.parse import urlparse

HANDSHAKE_TIMEOUT_S = 60.0
CALLED = re.compile(rb'"type":\s*"ticket\.called"')
NUMBER = re.compile(rb'"number":\s*"([^"]+)"')  # the first string "number" is the ticket's (window.number is an int)
PONG = "3"
RECV_BYTES = 262144  # more than a catch-up burst of events: one recv per ready socket


def frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455 §5.3: every client frame is masked)."""
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    return header + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


def next_frame(data: bytes) -> tuple[int, bytes, bytes] | None:
    """(opcode, payload, rest) of the first whole websocket frame of `data`, or None while it is incomplete.
    Server frames are unmasked and, from this server, never fragmented."""
    if len(data) < 2:
        return None
    size, start = data[1] & 0x7F, 2
    if size == 126:
        if len(data) < 4:
            return None
        size, start = struct.unpack_from("!H", data, 2)[0], 4
    elif size == 127:
        if len(data) < 10:
            return None
        size, start = struct.unpack_from("!Q", data, 2)[0], 10
    end = start + size
    if end > len(data):
        return None
    return data[0] & 0x0F, data[start:end], data[end:]


def frames(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Every whole frame of `data` as (opcode, payload), and the incomplete rest."""
    out = []
    while (got := next_frame(data)) is not None:
        opcode, payload, data = got
        out.append((opcode, payload))
    return out, data


class Arrivals:
    """Per ticket number: first and last receive time over this process's clients, reported when all got it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.seen: dict[bytes, list[float]] = {}  # number -> [first, last, count]

    def add(self, number: bytes, at: float) -> None:
        got = self.seen.get(number)
        if got is None:
            got = self.seen[number] = [at, at, 0]
        elif at > got[1]:
            got[1] = at
        got[2] += 1
        if got[2] == self.size:
            sys.stdout.write(json.dumps({"number": number.decode(), "first": got[0], "last": got[1],
                                         "count": got[2]}) + "\n")
            sys.stdout.flush()
            del self.seen[number]


def handshake(host: str, port: int, token: str, hall: str = "bench") -> tuple[socket.socket, bytes]:
    """Connect, upgrade, authenticate and subscribe one client; returns the socket and any bytes read past it."""
    sock = socket.create_connection((host, port), timeout=HANDSHAKE_TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += recv_some(sock)
    head, buf = buf.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"websocket upgrade refused: {head[:200]!r}")
    while True:
        got = next_frame(buf)
        if got is None:
            buf += recv_some(sock)
            continue
        opcode, payload, buf = got
        if opcode == 0x8:
            raise RuntimeError("server closed the websocket during the handshake")
        if opcode != 0x1:
            continue
        if payload.startswith(b"0"):
            sock.sendall(frame("40/live," + json.dumps({"token": token})))
        elif payload == b"2":
            sock.sendall(frame(PONG))
        elif payload.startswith(b"44/live"):
            raise RuntimeError(f"connect refused: {payload[:200]!r}")
        elif payload.startswith(b"40/live,"):
            sock.sendall(frame('42/live,0["subscribe",' + json.dumps({"hall": hall, "since": None}) + "]"))
        elif payload.startswith(b"43/live,0"):
            ack = json.loads(payload[len(b"43/live,0"):])
            if not ack[0].get("ok"):
                raise RuntimeError(f"subscribe refused: {ack}")
            sock.setblocking(False)
            return sock, buf  # frames that came with the ack go to the receive loop


def recv_some(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:
        raise RuntimeError("connection closed during the handshake")
    return data


class Loop:
    """The receive loop over this process's clients. Clients join one at a time as their handshakes finish, and
    the loop already answers the joined ones' pings while the rest connect: at 500 clients per process a slow
    machine takes longer than Engine.IO's ping interval + timeout (25 + 20 s) to connect them all, and the server
    then closed the first clients, which had not answered their first ping."""

    def __init__(self, arrivals: Arrivals) -> None:
        self.poller = select.epoll()
        self.socks: dict[int, socket.socket] = {}
        self.pending: dict[int, bytes] = {}
        self.arrivals = arrivals
        self.pong = frame(PONG)
        # One receive buffer for every socket: `recv(262144)` allocates a fresh 256 KiB object per call, which glibc
        # serves with mmap, so each receipt paid page faults, an munmap and a TLB shootdown that also interrupts the
        # server's core: half of this process's CPU at 1,000 clients (docs/benchmarks.md). `recv_into` fills this
        # one buffer and only the bytes that came are copied out.
        self.buffer = bytearray(RECV_BYTES)
        self.view = memoryview(self.buffer)

    def add(self, sock: socket.socket, rest: bytes) -> None:
        """A subscribed client, with the frames that came with its subscribe ack."""
        self.socks[sock.fileno()] = sock
        self.pending[sock.fileno()] = handle(sock, rest, time.monotonic(), self.arrivals, self.pong) if rest else b""
        self.poller.register(sock.fileno(), select.EPOLLIN)

    def once(self, timeout: float, stdin: int | None = None) -> bool:
        """Read every ready socket; False once stdin (registered by `serve`) has closed."""
        for fd, _ in self.poller.poll(timeout):
            if fd == stdin:
                if not os.read(stdin, 4096):
                    return False
                continue
            sock = self.socks[fd]
            try:
                size = sock.recv_into(self.buffer)
            except BlockingIOError:
                continue
            at = time.monotonic()  # the receipt time of every frame in this chunk, before any parsing
            data = bytes(self.view[:size])
            if not data:
                sys.stderr.write("wsfleet: a subscribed client lost its connection\n")
                self.poller.unregister(fd)
                continue
            rest = self.pending.get(fd)
            if rest:
                data = rest + data
            self.pending[fd] = handle(sock, data, at, self.arrivals, self.pong)
        return True

    def serve(self) -> None:
        """Until stdin closes."""
        stdin = sys.stdin.fileno()
        self.poller.register(stdin, select.EPOLLIN)
        while self.once(-1, stdin):
            pass
        self.poller.close()

    def close(self) -> None:
        for sock in self.socks.values():
            sock.close()


def handle(sock: socket.socket, data: bytes, at: float, arrivals: Arrivals, pong: bytes) -> bytes:
    got, rest = frames(data)
    for opcode, payload in got:
        if opcode != 0x1:
            if opcode == 0x8:
                sys.stderr.write("wsfleet: the server closed a websocket\n")
            continue
        if payload.startswith(b"42/live,[") and CALLED.search(payload):
            found = NUMBER.search(payload)
            if found:
                arrivals.add(found.group(1), at)
        elif payload == b"2":  # Engine.IO ping: the server closes a client that does not answer
            sock.send(pong)
    return rest


def main() -> None:
    url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hall = sys.argv[4] if len(sys.argv) > 4 else "bench"
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    loop = Loop(Arrivals(n))
    try:
        for _ in range(n):
            loop.add(*handshake(host, port, token, hall))
            loop.once(0)  # pings of the clients already connected
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        loop.serve()
    finally:
        loop.close()


if __name__ == "__main__":
    main()
