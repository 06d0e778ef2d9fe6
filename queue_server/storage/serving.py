"""Which processes serve a database: each serving process holds a shared lock on it for as long as it runs, so
`hallq restore` can see that servers are up and refuse, and a server started during a restore waits for it.

Why a lock and not a heartbeat row: a lock vanishes with its process however that process ends (kill -9 too), so
nothing stale ever blocks a restore. PostgreSQL: a session-level shared advisory lock on a connection of its own
(one per serving process). SQLite: a shared flock on a file beside the database (the processes of one machine).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from queue_server.storage.store import sqlite_path

# "hallq" in ASCII: the advisory lock key every hallq process of a database agrees on.
ADVISORY_KEY = 0x68616C6C71


class ServersRunning(Exception):
    """The database is being served; the message says what to do."""


def _lock_file(database_url: str) -> str:
    path = sqlite_path(database_url)
    assert path is not None, "an in-memory database is never shared"
    return f"{path}.serving"


class ServingMark:
    """Held by a serving process from start to exit (operations/server.py)."""

    def __init__(self, database_url: str) -> None:
        self._handle: Any = None
        if make_url(database_url).get_backend_name() == "sqlite":
            if sqlite_path(database_url) is None:
                return
            fd = os.open(_lock_file(database_url), os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a restore holds it exclusively
            self._handle = fd
        else:
            engine = create_engine(database_url, pool_size=1, max_overflow=0)
            conn = engine.connect()
            conn.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": ADVISORY_KEY})
            conn.commit()  # the lock is the session's, not the transaction's
            self._handle = (engine, conn)

    def release(self) -> None:
        if isinstance(self._handle, int):
            os.close(self._handle)
        elif self._handle is not None:
            engine, conn = self._handle
            conn.close()
            engine.dispose()
        self._handle = None


@contextmanager
def exclusive(database_url: str) -> Iterator[None]:
    """While no process serves the database, hold it for ourselves (a restore); refuse when one does."""
    refusal = ("a hallq server is using this database: stop every server process first (systemctl stop "
               "hallq.target, or Ctrl+C on hallq serve), then run the restore again")
    if make_url(database_url).get_backend_name() == "sqlite":
        fd = os.open(_lock_file(database_url), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ServersRunning(refusal) from None
            yield
        finally:
            os.close(fd)
        return
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
            conn.commit()
            if not got:
                raise ServersRunning(refusal)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                conn.commit()
    finally:
        engine.dispose()
