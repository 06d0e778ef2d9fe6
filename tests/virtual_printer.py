"""A virtual ESC/POS network printer for tests: a TCP listener on 127.0.0.1 (random port) that keeps every print
job's bytes and answers the DLE EOT status queries like a real printer, including "paper out" and "offline".

Each connection is read to its end. Status queries (DLE EOT n) at the start of a connection are answered; once
other bytes arrive the rest of the connection is a print job (image data may contain 10 04 by chance).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DLE_EOT = b"\x10\x04"
# Fixed bits 1 and 4 are always set in a status byte (0x12); 0x60 = paper end; 0x08 = offline.
ONLINE_BYTE = 0x12
OFFLINE_BYTE = 0x12 | 0x08
PAPER_OK_BYTE = 0x12
PAPER_OUT_BYTE = 0x12 | 0x60


class VirtualPrinter:
    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.paper_out = False
        self.offline = False
        self._changed = threading.Condition()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, name="virtual-printer", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _answer(self, n: int) -> bytes:
        if n == 4:
            return bytes([PAPER_OUT_BYTE if self.paper_out else PAPER_OK_BYTE])
        return bytes([OFFLINE_BYTE if self.offline else ONLINE_BYTE])

    def _handle(self, conn: socket.socket) -> None:
        data = b""
        answering = True
        with conn:
            conn.settimeout(5)
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
                while answering and len(data) >= 3 and data.startswith(DLE_EOT):
                    conn.sendall(self._answer(data[2]))
                    data = data[3:]
                if data and not data.startswith(DLE_EOT[: len(data)]):
                    answering = False
        if data:
            with self._changed:
                self.jobs.append(data)
                self._changed.notify_all()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def wait_for_jobs(self, count: int, timeout: float = 10) -> list[bytes]:
        """Block until `count` jobs arrived (or the timeout passed) and return them."""
        with self._changed:
            self._changed.wait_for(lambda: len(self.jobs) >= count, timeout=timeout)
            return list(self.jobs)

    def close(self) -> None:
        self._stop = True
        self._server.close()


@contextmanager
def virtual_printer() -> Iterator[VirtualPrinter]:
    printer = VirtualPrinter()
    try:
        yield printer
    finally:
        printer.close()
