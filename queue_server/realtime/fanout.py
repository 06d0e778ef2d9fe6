"""Websocket fan-out without a thread hop per client (installed into Engine.IO by queue_server/realtime/hub.py).

Why: in Engine.IO's threading mode every packet to a websocket client is put on that client's queue and written
by the client's own writer thread. A broadcast to 1,000 displays therefore wakes 1,000 threads, each of which
must take the GIL, run wsproto's frame encoder (and permessage-deflate, per client, when the browser offered it)
and make its syscall; on a 2-core server the handoffs alone cost hundreds of milliseconds (docs/benchmarks.md).

What changes, for websocket-first connections (feed.js and every bench/test client connect that way):

- Engine.IO's `Socket.send` (every packet: events, acks, pings, close) writes the frame straight to the TCP
  socket from the sending thread, under a per-connection lock, with a non-blocking send. The frame bytes are
  built once per Engine.IO packet object, so a room broadcast (one packet object for all recipients) encodes
  once and then costs one `send()` syscall per client.
- A client that cannot take the bytes at once (full socket buffer: a phone on a weak network) gets them
  buffered in order and flushed by its own writer thread, which otherwise sleeps; so a stalled client never
  blocks the broadcast for the others, and order per connection is kept (every frame passes the same lock in
  the order it was sent, and nothing is written directly while a backlog exists).
- permessage-deflate is not negotiated: it would force a per-client compression of every event (its context
  differs per connection), and the events are ~1 KB of JSON on a hall's LAN.

Polling clients, and clients that upgrade from polling to websocket, keep Engine.IO's own queue and writer thread:
the upgrade protocol needs its packet hold, and these clients are rare (feed.js starts with the websocket).

No public interface of python-engineio or simple-websocket reaches the socket under a connection, so this module is
the one place that touches their private parts, for the exact releases pinned in pyproject.toml. Each one, to
re-check on an upgrade (tests/realtime/test_engineio_internals.py fails with its name when the library changes it):
- engineio.base_server.BaseServer._async: the per-instance driver table; `install` replaces its "websocket"
  and "queue" entries (create_queue() then builds every Socket's `queue` as a DirectQueue).
- engineio.async_drivers._websocket_wsgi.SimpleWebSocketWSGI (a private module): subclassed; `__call__` is
  rewritten whole after the library's (build simple_websocket.Server(environ, **self.server_args), call
  `self.app(self)`, raise for `ws.mode` "gunicorn"/"werkzeug"); `self.app` is the Engine.IO Socket's bound
  `_websocket_handler`, whose `__self__` is the Socket.
- engineio.socket.Socket: `queue`, `connected`, `closed`, `last_ping`; its writer thread (`_websocket_handler`'s
  `writer`, through `poll`) calls `queue.get(timeout=ping_interval + ping_timeout)` and then `ws.send(pkt.encode())`,
  which DirectQueue.get and LiveWebSocket.send rely on. engineio.server.Server: `sockets`, `ping_timeout`,
  `send_packet` for the clients `deliver` leaves to the library.
- simple_websocket.Server._handle_events: overridden for the handshake only (the same steps without offering
  permessage-deflate), with the attributes `connected`, `ws` (the wsproto connection), `sock` (replaced by a
  proxy that keeps its reader thread from closing gunicorn's socket), `subprotocol`,
  `choose_subprotocol` and `mode`; `terminate_all` clears `connected` and sets `event` (what `receive` waits on).
"""

from __future__ import annotations

import queue
import socket
import struct
import threading
import time
import weakref
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

import simple_websocket
from engineio import packet as eio_packet
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from wsproto.events import AcceptConnection
from wsproto.events import Request


class _Flush(str):
    """The text the writer thread hands to `LiveWebSocket.send` when it should flush a connection's backlog."""


FLUSH = _Flush("")


class _FlushPacket(eio_packet.Packet):
    def encode(self, b64: bool = False) -> Any:
        return FLUSH


def text_frame(payload: bytes) -> bytes:
    """An unmasked, unfragmented server text frame (RFC 6455 §5.2): the same bytes for every recipient."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return bytes((0x81, 126)) + struct.pack("!H", n) + payload
    return bytes((0x81, 127)) + struct.pack("!Q", n) + payload


def frame_of(pkt: eio_packet.Packet) -> bytes:
    """The websocket frame of an Engine.IO packet, built once per packet object (a broadcast shares one)."""
    frame: bytes | None = getattr(pkt, "_hallq_frame", None)
    if frame is None:
        encoded = pkt.encode()
        if isinstance(encoded, bytes | bytearray):  # binary packets: ours are all text; keep them on the slow path
            raise TypeError("binary packet")
        frame = text_frame(encoded.encode())
        pkt._hallq_frame = frame  # type: ignore[attr-defined]
    return frame


class DirectQueue(queue.Queue):  # type: ignore[type-arg]
    """An Engine.IO socket's outgoing queue that, once its websocket is attached, writes instead of queueing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.direct: LiveWebSocket | None = None

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        direct = self.direct
        if direct is not None and isinstance(item, eio_packet.Packet) and not isinstance(item, _FlushPacket):
            try:
                frame = frame_of(item)
            except TypeError:
                pass
            else:
                direct.write(frame)
                return
        super().put(item, block, timeout)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        # Engine.IO's writer waits ping_interval + ping_timeout for a packet and closes the connection when none
        # comes; with direct writes its queue stays empty however busy the client is, so it must wait for good.
        # Dead clients are still found: the pinger's send checks the pong deadline and closes the socket.
        if self.direct is not None and block:
            timeout = None
        return super().get(block, timeout)


class _Server(simple_websocket.Server):  # type: ignore[misc]
    """simple-websocket's server without permessage-deflate (see the module docstring)."""

    def _handle_events(self) -> bool:
        if self.connected:
            return super()._handle_events()  # type: ignore[no-any-return]
        out = b""
        for event in self.ws.events():
            if isinstance(event, Request):
                self.subprotocol = self.choose_subprotocol(event)
                out += self.ws.send(AcceptConnection(subprotocol=self.subprotocol, extensions=[]))
        if out:
            self.sock.send(out)
        return bool(out)


class _ServerOwnedSocket:
    """The connection's socket as simple-websocket sees it: everything but close() goes to the real socket.

    gunicorn owns the socket and closes it when the request ends; simple-websocket's reader thread closes it
    too when the connection ends, and then gunicorn's own close fails on the dead descriptor and counts the
    connection as finished twice (gthread's nr_conns goes negative, so a graceful stop stops waiting for requests
    still in flight, and the accept limit no longer holds)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def close(self) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _OrderedSocket(_ServerOwnedSocket):
    """What simple-websocket writes through once a connection is attached: its own frames (close, pong) then
    take the same lock and backlog as the events, so nothing can land inside a partly sent frame."""

    def __init__(self, sock: socket.socket, owner: LiveWebSocket) -> None:
        super().__init__(sock)
        self._owner = owner

    def send(self, data: bytes) -> int:
        self._owner.write(bytes(data))
        return len(data)


# Every open websocket of this process, so a stop can cut them all (terminate_all).
_open: weakref.WeakSet[LiveWebSocket] = weakref.WeakSet()


class LiveWebSocket(SimpleWebSocketWSGI):  # type: ignore[misc]
    """Engine.IO's websocket wrapper with direct, lock-ordered writes for websocket-first connections."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.ws = _Server(environ, **self.server_args)
        self.sock: socket.socket = self.ws.sock
        self.ws.sock = _ServerOwnedSocket(self.sock)
        _open.add(self)
        self.lock = threading.Lock()
        self.backlog = bytearray()
        self.flushing = False
        self.broken = False
        eio_socket = getattr(self.app, "__self__", None)
        out = getattr(eio_socket, "queue", None)
        if isinstance(out, DirectQueue) and not eio_socket.connected:  # type: ignore[union-attr]
            # Websocket-first: the writer thread has not started, so whatever Engine.IO queued so far (the OPEN
            # packet) is written here, in order, before direct writes begin.
            with self.lock:
                while True:
                    try:
                        pkt = out.get_nowait()
                    except queue.Empty:
                        break
                    out.task_done()
                    if pkt is None:
                        out.put(None)
                        break
                    self._write_locked(frame_of(pkt))
                self.out = out
                out.direct = self
                self.ws.sock = _OrderedSocket(self.sock, self)
        ret = self.app(self)
        if self.ws.mode == "gunicorn":
            raise StopIteration()
        if self.ws.mode == "werkzeug":
            raise ConnectionError()
        return ret

    def write(self, frame: bytes) -> None:
        with self.lock:
            self._write_locked(frame)

    def _write_locked(self, frame: bytes) -> None:
        if self.broken:
            return
        if self.backlog or self.flushing:
            self.backlog += frame
            return
        try:
            sent = self.sock.send(frame, socket.MSG_DONTWAIT)
        except BlockingIOError:
            sent = 0
        except OSError:
            # The connection is gone; the reader thread sees it too and Engine.IO closes the socket.
            self.broken = True
            return
        if sent < len(frame):
            self.backlog += frame[sent:]
            self.flushing = True
            # Wake this connection's writer thread to flush (blocking) outside the broadcaster's thread.
            queue.Queue.put(self.out, _FlushPacket(eio_packet.NOOP))

    def send(self, message: Any) -> None:
        if isinstance(message, _Flush):
            self._flush()
            return
        if getattr(self, "out", None) is not None and isinstance(message, str):
            self.write(text_frame(message.encode()))
            return
        super().send(message)

    def _flush(self) -> None:
        while True:
            with self.lock:
                if not self.backlog or self.broken:
                    self.flushing = False
                    self.backlog.clear()
                    return
                chunk = bytes(self.backlog)
                self.backlog.clear()
            try:
                self.sock.sendall(chunk)
            except OSError:
                with self.lock:
                    self.broken = True
                raise


def terminate_all() -> None:
    """Shut down the TCP socket of every open websocket (a server stop). A closed Engine.IO session alone leaves
    its thread waiting for the client's half of the close handshake, which a client that has gone quiet (a
    phone on a dead network, a library that drops the socket without closing it) never sends; shutting the socket
    down ends that wait at once, and every client sees its transport close and reconnects."""
    for live in list(_open):
        try:
            live.sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # already closed by its client
            pass
        # simple-websocket's reader thread can leave its loop without waking `receive` (when close() has cleared
        # `connected` first); the wake-up lets Engine.IO's handler see the closed connection and return.
        live.ws.connected = False
        live.ws.event.set()


def deliver(eio_server: Any, eio_sids: Iterable[str], pkts: Sequence[eio_packet.Packet]) -> None:
    """Send Engine.IO packets, in order, to many clients: what `eio_server.send_packet` does for each packet and
    client, without its per-recipient call chain (socket lookup, ping check, queue, logging) for the direct
    websockets, which take the once-built frames in one locked send each. At 1,000 displays that chain was about
    half of the server's Python time per broadcast. Any other client (polling, closed, past its ping deadline)
    goes the library's way."""
    try:
        frames: bytes | None = b"".join(frame_of(p) for p in pkts)
    except TypeError:
        frames = None
    sockets = eio_server.sockets
    deadline = time.time() - eio_server.ping_timeout
    for eio_sid in eio_sids:
        sock = sockets.get(eio_sid)
        direct = getattr(sock.queue, "direct", None) if sock is not None else None
        if direct is None or frames is None or sock.closed or (sock.last_ping and sock.last_ping < deadline):
            for pkt in pkts:
                eio_server.send_packet(eio_sid, pkt)
        else:
            direct.write(frames)


def install(eio_server: Any) -> None:
    """Plug the direct writer into an Engine.IO server in threading mode (its driver table is per instance)."""
    eio_server._async = {**eio_server._async, "websocket": LiveWebSocket, "queue": DirectQueue}
