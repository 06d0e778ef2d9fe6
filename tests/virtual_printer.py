"""A virtual ESC/POS network printer for tests: a TCP listener on 127.0.0.1 (random port) that keeps what reaches
its paper and answers the DLE EOT real-time status queries like a real printer.

What a test can make it do:
- `paper_out`, `paper_low`, `cover_open`, `offline`: what DLE EOT 1, 2 and 4 answer (a printer with the cover open,
  no paper or offline takes no print; paper low still prints);
- `unplug()` / `plug_in()`: not there at all (connections refused), then back on the same port;
- `break_next_job_after(n)`: take the first n bytes of the next print job, then reset the connection (RST), like a
  printer that reboots or a cable pulled mid-ticket: those bytes are a torn ticket (`torn`), never a whole one;
- `answer_after_cut = False`: take the whole job but never answer the status query that follows the cut;
- `answers_status = False`: a printer that never answers DLE EOT at all (some cheap ones);
- `hold_after_cut`: an Event; the answer after the cut waits until it is set (a printer still busy printing).

A connection is read as a real printer reads it: DLE EOT n is answered wherever it comes between commands; the
print data is walked command by command far enough to skip raster images (GS v 0) and QR data (GS ( k), whose
bytes may contain anything; the job is whole once the cut (GS V) is reached. `jobs` holds whole jobs, `torn` the
pieces of jobs broken off before their cut.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager

DLE_EOT = b"\x10\x04"
# Fixed bits 1 and 4 are set in every status byte (0x12).
FIXED = 0x12
OFFLINE_BIT = 0x08  # DLE EOT 1: offline
COVER_OPEN_BIT = 0x04  # DLE EOT 2: cover open
PAPER_STOP_BIT = 0x20  # DLE EOT 2: printing stopped at paper end
NEAR_END_BITS = 0x0C  # DLE EOT 4: roll near its end
PAPER_END_BITS = 0x60  # DLE EOT 4: roll end
# Old names, kept for tests that set bytes directly.
ONLINE_BYTE = FIXED
OFFLINE_BYTE = FIXED | OFFLINE_BIT
PAPER_OK_BYTE = FIXED
PAPER_OUT_BYTE = FIXED | PAPER_END_BITS


class VirtualPrinter:
    def __init__(self) -> None:
        self.jobs: list[bytes] = []  # whole jobs, cut included: what a citizen can take
        self.torn: list[bytes] = []  # jobs broken off before the cut: half a ticket on the paper
        self.paper_out = False
        self.paper_low = False
        self.cover_open = False
        self.offline = False
        self.answer_after_cut = True
        self.answers_status = True
        self.hold_after_cut: threading.Event | None = None
        self.status_queries = 0
        self.after_cut_queries = 0
        self._break_after: int | None = None
        self._changed = threading.Condition()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = False
        self._thread = self._start_accepting()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    # -- what a test does to the printer -----------------------------------------------------------------------
    def break_next_job_after(self, n_bytes: int) -> None:
        self._break_after = n_bytes

    def unplug(self) -> None:
        """Gone from the network: every connection is refused until plug_in()."""
        _stop_listening(self._server)
        self._thread.join(timeout=5)

    def plug_in(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._thread = self._start_accepting()

    # -- the printer ------------------------------------------------------------------------------------------
    def status_byte(self, n: int) -> int:
        if n == 1:
            return FIXED | (OFFLINE_BIT if self.offline or self.cover_open or self.paper_out else 0)
        if n == 2:
            return FIXED | (COVER_OPEN_BIT if self.cover_open else 0) | (PAPER_STOP_BIT if self.paper_out else 0)
        if n == 4:
            return FIXED | (PAPER_END_BITS if self.paper_out else 0) | (NEAR_END_BITS if self.paper_low else 0)
        return FIXED

    def _takes_print(self) -> bool:
        return not (self.offline or self.cover_open or self.paper_out)

    def _handle(self, conn: socket.socket) -> None:
        reader = _Reader(conn)
        job = bytearray()
        cut = False
        try:
            while True:
                if not reader.fill(1):
                    break
                if reader.peek(2) == DLE_EOT:
                    if not reader.fill(3):
                        break
                    n = reader.take(3)[2]
                    with self._changed:
                        self.status_queries += 1
                        self.after_cut_queries += 1 if cut else 0
                        self._changed.notify_all()
                    if not self.answers_status or (cut and not self.answer_after_cut):
                        continue
                    if cut and self.hold_after_cut is not None:
                        self.hold_after_cut.wait(timeout=30)
                    conn.sendall(bytes([self.status_byte(n)]))
                    continue
                size = _command_size(reader)
                if size is None:
                    break
                command = reader.take(size)
                if not self._takes_print():
                    continue  # a printer that is offline, open or out of paper prints nothing
                if self._break_after is not None and len(job) + len(command) >= self._break_after:
                    job += command[: self._break_after - len(job)]
                    self._break_after = None
                    # Recorded before the reset: the paper holds the piece by the time the sender sees the line drop.
                    self._record(torn=bytes(job))
                    job = bytearray()
                    _reset(conn)
                    return
                job += command
                if command[:2] == b"\x1dV":
                    cut = True
                    self._record(whole=bytes(job))
                    job = bytearray()
        except OSError:
            pass
        finally:
            conn.close()
        if job:
            self._record(torn=bytes(job))

    def _record(self, *, whole: bytes | None = None, torn: bytes | None = None) -> None:
        with self._changed:
            if whole is not None:
                self.jobs.append(whole)
            if torn is not None:
                self.torn.append(torn)
            self._changed.notify_all()

    def _start_accepting(self) -> threading.Thread:
        thread = threading.Thread(target=self._serve, args=(self._server,), name="virtual-printer", daemon=True)
        thread.start()
        return thread

    def _serve(self, server: socket.socket) -> None:
        while not self._stop:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def wait_for(self, predicate: Callable[[VirtualPrinter], bool], timeout: float = 10) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout=timeout)

    def wait_for_jobs(self, count: int, timeout: float = 10) -> list[bytes]:
        """Block until `count` whole jobs came out (or the timeout passed) and return them."""
        self.wait_for(lambda p: len(p.jobs) >= count, timeout)
        with self._changed:
            return list(self.jobs)

    def numbers(self) -> list[str]:
        """The ticket numbers on the whole jobs, as printed large (GS ! 4x4, bold); not a look-alike in the QR."""
        with self._changed:
            return [m.decode() for job in self.jobs
                    for m in re.findall(rb"\x1d!\x33\x1bE\x01([A-Z]{1,4}\d{1,6})\x1bE\x00", job)]

    def close(self) -> None:
        self._stop = True
        _stop_listening(self._server)


class _Reader:
    """Buffered reads from one connection: a command is taken only once all its bytes are in."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buf = bytearray()
        conn.settimeout(10)

    def fill(self, n: int) -> bool:
        while len(self.buf) < n:
            chunk = self.conn.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def peek(self, n: int) -> bytes:
        self.fill(n)
        return bytes(self.buf[:n])

    def take(self, n: int) -> bytes:
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


# ESC and GS commands with exactly one parameter byte: the parameter may be 0x10 (GS ! 0x10 is double width), which
# must not be read as the start of a DLE EOT.
_ONE_PARAMETER = {0x1B: b"E!a-tdMGJR3{ ", 0x1D: b"!BHfhwa"}


def _command_size(reader: _Reader) -> int | None:
    """Bytes of the command at the head: whole for the few whose data may hold any byte, else a run of bytes up to
    the next command."""
    head = reader.peek(3)
    if head == b"\x1dv0":  # GS v 0 m xL xH yL yH d...: raster image of (xL + xH*256) * (yL + yH*256) bytes
        if not reader.fill(8):
            return None
        x_l, x_h, y_l, y_h = reader.buf[4:8]
        size = 8 + (x_l + x_h * 256) * (y_l + y_h * 256)
    elif head == b"\x1d(k":  # GS ( k pL pH d...: QR function with pL + pH*256 bytes of parameters
        if not reader.fill(5):
            return None
        size = 5 + reader.buf[3] + reader.buf[4] * 256
    elif head[:2] == b"\x1dV":  # GS V m (full/partial cut) or GS V m n (feed and cut: m = 65/66)
        size = 4 if len(head) == 3 and head[2] in (65, 66) else 3
    elif len(head) >= 2 and head[1] in _ONE_PARAMETER.get(head[0], b""):
        size = 3
    else:  # text and other commands: up to the next ESC, GS or DLE
        starts = [i for i in (reader.buf.find(b, 1) for b in (b"\x1b", b"\x1d", b"\x10")) if i > 0]
        return min(starts) if starts else len(reader.buf)
    return size if reader.fill(size) else None


def _stop_listening(server: socket.socket) -> None:
    """Close a listening socket so a thread blocked in accept() returns (close alone does not wake it on Linux)."""
    try:
        server.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    server.close()


def _reset(conn: socket.socket) -> None:
    """Close with an RST, as a printer that reboots does: the sender's next write or read fails."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@contextmanager
def virtual_printer() -> Iterator[VirtualPrinter]:
    printer = VirtualPrinter()
    try:
        yield printer
    finally:
        printer.close()
