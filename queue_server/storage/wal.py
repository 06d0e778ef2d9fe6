"""SQLite's write-ahead log copied back into the database file by a thread of the serving process.

Why: SQLite checkpoints (copies the log back into the database file, and syncs it) inside whichever commit takes
the log past `wal_autocheckpoint` pages, 1,000 by default: under a steady stream of issues, one commit in every
few hundred, each holding the write lock that every other write waits for, and just often enough to set the p99
(docs/benchmarks.md, "WAL checkpoints off the request path"). The serving process runs a PASSIVE checkpoint every
EVERY_S from a thread and a connection of its own instead: PASSIVE never waits for a reader or a writer, and
Python's sqlite3 lets go of the GIL while SQLite copies and syncs, so the copying runs beside the requests.

The writers keep SQLite's automatic checkpoint as a safety net at store.SQLITE_AUTOCHECKPOINT_PAGES. A log can
only start over from its beginning once every page of it has been copied, and while writes never pause the thread
always finds new pages written during its own run. In a hall's quiet moments (most of a day) the thread's
checkpoint completes and the next write starts the log over; under a sustained burst the commit that reaches the
safety net finishes the copy, now only the pages since the thread's last run, and the log starts over there. So
the log stays under ~40 MB, and the commit-time checkpoint comes ten times less often. A process without the
thread (the CLI, tests, a bench) has only the safety net.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass

from queue_server.storage.store import sqlite_path

log = logging.getLogger(__name__)

EVERY_S = 0.5  # ~1,300 pages between runs at 330 issues/s: a fraction of the safety net
BUSY_TIMEOUT_MS = 5_000  # the checkpoint's own brief locks; PASSIVE gives up on the rest rather than wait


@dataclass
class Checkpoints:
    """What the thread did since it started (on /metrics as hallq_sqlite_checkpoint*)."""

    runs: int = 0
    total_s: float = 0.0
    max_s: float = 0.0
    log_frames: int = 0  # pages in the log at the last run (the safety net's size at most, give or take a commit)
    left_frames: int = 0  # of those, pages the last run could not copy yet (a reader still needed them)


class WalCheckpointer:
    def __init__(self, database_url: str, every_s: float = EVERY_S) -> None:
        self.path = sqlite_path(database_url)
        self.every_s = every_s
        self.seen = Checkpoints()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (in the serving process: threads do not survive gunicorn's fork). No-op off SQLite."""
        if self.path is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hallq-wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        assert self.path is not None
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        try:
            while not self._stop.wait(self.every_s):
                try:
                    self.checkpoint(conn)
                except sqlite3.Error:  # the thread must outlive a busy or briefly missing file; the safety net holds
                    log.exception("WAL checkpoint failed")
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        started = time.perf_counter()
        _busy, in_log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        took = time.perf_counter() - started
        self.seen.runs += 1
        self.seen.total_s += took
        self.seen.max_s = max(self.seen.max_s, took)
        # Both are -1 when the database is not in WAL mode.
        self.seen.log_frames = max(in_log, 0)
        self.seen.left_frames = max(in_log - copied, 0)
