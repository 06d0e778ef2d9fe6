"""A light fleet of /live display clients for bench/latency.py: raw websocket, no Socket.IO library.

The latency bench must measure the server's fan-out, not the clients. A python-socketio AsyncClient costs a few
hundred microseconds of the bench's CPU per received event (aiohttp frame reader, Engine.IO and Socket.IO
decoding, JSON, handler dispatch); with 1,000 of them in one asyncio loop on the server's own two cores that cost
was most of the figure. Here each client is an asyncio Protocol that speaks the text protocol by hand (Engine.IO
v4 `0{open}`, `2`->`3` pings; Socket.IO v5 `40/live,{auth}`, `42/live,0["subscribe",…]`, ack `43/live,0[…]`)
and, for each websocket frame of a `ticket.called` event, only takes the receive time and pulls the ticket
number out of the raw bytes with a regex: no JSON parse. It does not offer permessage-deflate (as
python-socketio's aiohttp client does not); browsers do offer it, and the server refuses it (queue_server/hub.py).

Run as a child of bench/latency.py (several processes, so no single event loop serialises the receipts):

    python -m bench.wsfleet URL TOKEN N

It prints `ready` once its N clients are subscribed, then one JSON line per called ticket once all N clients got
it: {"number", "first", "last", "count"} with time.monotonic() seconds (CLOCK_MONOTONIC: the same clock in every
process of the machine). It exits when stdin closes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import struct
import sys
import time
from urllib.parse import urlparse

CONNECT_BATCH = 50  # concurrent handshakes per process: more only measures the kernel's accept backlog
CALLED = re.compile(rb'"type":\s*"ticket\.called"')
NUMBER = re.compile(rb'"number":\s*"([^"]+)"')  # the first string "number" is the ticket's (window.number is an int)


def frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455 §5.3: every client frame is masked)."""
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return header + mask + masked


class Arrivals:
    """Per ticket number: first and last receive time over this process's clients, reported when all got it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.seen: dict[bytes, list[float]] = {}  # number -> [first, last, count]

    def add(self, number: bytes, at: float) -> None:
        got = self.seen.get(number)
        if got is None:
            got = self.seen[number] = [at, at, 0]
        got[0] = min(got[0], at)
        got[1] = max(got[1], at)
        got[2] += 1
        if got[2] == self.size:
            sys.stdout.write(json.dumps({"number": number.decode(), "first": got[0], "last": got[1],
                                         "count": got[2]}) + "\n")
            sys.stdout.flush()
            del self.seen[number]


class LiveClient(asyncio.Protocol):
    closing = False  # set for every client when the parent ends the run: lost connections are then expected

    def __init__(self, key: str, token: str, arrivals: Arrivals, subscribed: asyncio.Future[None]) -> None:
        self.key = key
        self.token = token
        self.arrivals = arrivals
        self.subscribed = subscribed
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, text: str) -> None:
        assert self.transport is not None
        self.transport.write(frame(text))

    def data_received(self, data: bytes) -> None:
        at = time.monotonic()  # the receipt time of every frame in this chunk, before any parsing
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[:end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.fail(f"websocket upgrade refused: {head[:200]!r}")
                return
            self.upgraded = True
        buf = self.buffer
        while len(buf) >= 2:
            opcode, n, start = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, start = struct.unpack_from("!H", buf, 2)[0], 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, start = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < start + n:
                return
            payload = bytes(buf[start:start + n])
            del buf[:start + n]
            if opcode == 0x1:
                self.message(payload, at)
            elif opcode == 0x9:  # websocket ping: answer with a masked pong carrying the same payload
                assert self.transport is not None
                mask = os.urandom(4)
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask
                                     + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))
            elif opcode == 0x8:
                self.fail("server closed the websocket")

    def message(self, payload: bytes, at: float) -> None:
        kind = payload[:1]
        if kind == b"4":
            if payload.startswith(b"42/live,[") and CALLED.search(payload):
                found = NUMBER.search(payload)
                if found:
                    self.arrivals.add(found.group(1), at)
            elif payload.startswith(b"43/live,0"):
                ack = json.loads(payload[len(b"43/live,0"):])
                if not ack[0].get("ok"):
                    self.fail(f"subscribe refused: {ack}")
                elif not self.subscribed.done():
                    self.subscribed.set_result(None)
            elif payload.startswith(b"40/live,"):
                self.send('42/live,0["subscribe",{"hall":"bench","since":null}]')
            elif payload.startswith(b"44/live"):
                self.fail(f"connect refused: {payload[:200]!r}")
        elif kind == b"2":  # Engine.IO ping: the server closes a client that does not answer
            self.send("3")
        elif kind == b"0":
            self.send("40/live," + json.dumps({"token": self.token}))

    def fail(self, why: str) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(why))
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(f"connection lost: {exc}"))
        elif self.upgraded and not LiveClient.closing:
            sys.stderr.write(f"wsfleet: a subscribed client lost its connection ({exc})\n")


async def connect(url: str, token: str, arrivals: Arrivals) -> asyncio.Transport:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    loop = asyncio.get_running_loop()
    subscribed: asyncio.Future[None] = loop.create_future()
    key = base64.b64encode(os.urandom(16)).decode()
    transport, _ = await loop.create_connection(lambda: LiveClient(key, token, arrivals, subscribed), host, port)
    transport.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    await asyncio.wait_for(subscribed, 60)
    return transport  # type: ignore[return-value]


async def fleet(url: str, token: str, n: int) -> None:
    arrivals = Arrivals(n)
    transports = []
    for start in range(0, n, CONNECT_BATCH):
        batch = min(n, start + CONNECT_BATCH) - start
        transports += await asyncio.gather(*(connect(url, token, arrivals) for _ in range(batch)))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await reader.read()  # the parent closes stdin when it is done
    LiveClient.closing = True
    for t in transports:
        t.close()


def main() -> None:
    url, token, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    asyncio.run(fleet(url, token, n))


if __name__ == "__main__":
    main()
