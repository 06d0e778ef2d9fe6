"""BufferedStreamHandler: the server's log lines written to stderr in batches, not one write per line.

Every request writes an access line. One write(2) per line is cheap in itself, but in the serving process it is
made by a request thread that then has to win the GIL back from the other request threads, while the hall's
write lock waits on it; with 8 windows pressing call-next, a server without the access line served more tickets
per second (docs/benchmarks.md, goal 1). Lines are kept in memory and written together when FLUSH_AFTER_S has
passed since the oldest, when FLUSH_BYTES have gathered, or at once for a WARNING or worse (an operator watching
an error must not wait for it). A thread writes what a quiet server leaves behind, so a line is never later than
about FLUSH_AFTER_S. On a stop, logging.shutdown() (shutdown.exit_now, and atexit) writes the rest; a kill -9
loses at most the last FLUSH_AFTER_S of lines, never one about an error.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from typing import TextIO

FLUSH_AFTER_S = 1.0
FLUSH_BYTES = 64 * 1024

_handlers: weakref.WeakSet[BufferedStreamHandler] = weakref.WeakSet()


class BufferedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def __init__(self, stream: TextIO | None = None, *, flush_after_s: float = FLUSH_AFTER_S,
                 flush_bytes: int = FLUSH_BYTES) -> None:
        super().__init__(stream)
        self.flush_after_s = flush_after_s
        self.flush_bytes = flush_bytes
        self._pending: list[str] = []
        self._size = 0
        self._oldest = 0.0
        self._flusher_pid = 0  # the process whose flusher thread runs (threads do not survive gunicorn's fork)
        self._wake = threading.Event()
        _handlers.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        # emit runs under the handler's lock (Handler.handle), as do flush and the flusher's writes.
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append(line)
        self._size += len(line)
        if (record.levelno >= logging.WARNING or self._size >= self.flush_bytes
                or time.monotonic() - self._oldest >= self.flush_after_s):
            self._write()
        elif self._flusher_pid != os.getpid():
            self._start_flusher()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def _write(self) -> None:
        if self._pending:
            text, self._pending, self._size = "".join(self._pending), [], 0
            try:
                self.stream.write(text)
                self.stream.flush()
            except Exception:  # as StreamHandler: a closed stderr must not take a request down
                pass

    def _start_flusher(self) -> None:
        self._flusher_pid = os.getpid()
        threading.Thread(target=self._flush_quiet, name="hallq-log-flusher", daemon=True).start()

    def _flush_quiet(self) -> None:
        me = os.getpid()
        while self._flusher_pid == me and not self._wake.wait(self.flush_after_s):
            self.flush()

    def close(self) -> None:
        self.flush()
        self._wake.set()
        super().close()


def _before_fork() -> None:
    """Lines buffered in the parent would otherwise be written twice, once by each process."""
    for handler in list(_handlers):
        handler.flush()


os.register_at_fork(before=_before_fork)
