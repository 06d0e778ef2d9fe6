"""Database engines and session factories for SQLite (embedded) and PostgreSQL (scale-out).

SQLite: WAL so readers never block the writer, busy_timeout so a second process waits instead of failing, and
`BEGIN IMMEDIATE` on the writer engine so a write transaction takes the lock up front (no deadlocking upgrade
from a read lock). Readers use a second engine with plain deferred transactions.
No Flask imports.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm import sessionmaker

from queue_server.ttlcache import TTLCache

# Wait estimates may lag the newest finished ticket by this much; recomputing them on every issue costs more than
# the precision is worth.
ESTIMATE_TTL = timedelta(seconds=60)
ESTIMATE_CACHE_KEY = "hallq_estimates"
# {hall id: the service day whose earlier days had nothing left to expire}, shared like the estimate cache
# (engine/queue/days.py reads it as DAYS_CLOSED_KEY).
DAYS_CLOSED_KEY = "hallq_days_closed"

# 30 s: a writer waits this long for another process's write lock before SQLite gives up with "locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# 40 MB of 4 KiB pages, ten times SQLite's default: the serving process's thread (wal.py) checkpoints long before.
SQLITE_AUTOCHECKPOINT_PAGES = 10_000


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached or was too busy to answer (a PostgreSQL restart, a
    dropped connection, a pool with no connection free, SQLite's write lock held past the busy timeout): the request
    did nothing and can be tried again. Any other database error is a bug and stays one."""
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    orig = error.orig
    if type(orig).__module__.startswith("psycopg"):
        # psycopg raises OperationalError for what stands between us and the server (refused, reset, shutting
        # down, too many clients); statement errors are other classes.
        return True
    text = str(orig).lower()
    return "locked" in text or "busy" in text


def unavailable_reason(error: BaseException) -> str:
    """The driver's first line for an `unavailable` error ("connection refused", "database is locked"): what a log
    line needs, without SQLAlchemy's statement and background link."""
    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def log_failed_round(logger: logging.Logger, error: BaseException, message: str, *args: object) -> None:
    """Log why a background thread's round (outbox tailer, housekeeping, phone positions) failed; the thread goes
    on and its next round retries. A database out of reach is what a restart looks like and is expected: one
    warning line, so an operator's log shows the outage without a traceback that reads like a bug. Anything else
    is a bug and logs its traceback."""
    if unavailable(error):
        logger.warning(message + ": database unavailable, retrying next round (%s)", *args, unavailable_reason(error))
    else:
        logger.error(message, *args, exc_info=error)


def sqlite_path(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def create_private(path: Path) -> None:
    """Create `path` empty and readable by its owner only, unless it exists: a database file, its WAL and shared
    memory (SQLite gives them the database's mode) and backups hold personal data (hashed ID and phone numbers)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        create_private(path)  # SQLite takes an empty file as a new database
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so BEGIN is ours to emit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        # NORMAL is durable across application crashes in WAL mode; only an OS crash can lose the last commit.
        cur.execute("PRAGMA synchronous=NORMAL")
        # A commit that crosses this checkpoints inside the request. The serving process's thread (wal.py) copies
        # the log long before; under a sustained burst this commit only finishes that copy, ten times less often
        # than at SQLite's default of 1,000 pages. A process without the thread has only this.
        cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
        cur.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: SQLAlchemy's execution path around this one statement cost more than the
        # statement, on every transaction (docs/benchmarks.md, issue 22).
        conn.connection.driver_connection.execute(begin)

    return engine


class HeldWriter:
    """SQLite: one connection that the hall ops of this process write through, one op at a time.

    Checking a connection out of the pool and back for every op was a tenth of a call-next's held GIL with 8
    windows calling (docs/benchmarks.md, issue 22). SQLite has one writer for the whole file anyway, and
    Runtime serialises this process's ops under one lock; this lock only keeps two Runtimes of one store (tests)
    from sharing the connection at once. An idle connection holds no lock on the file: checkpoints and backups
    go on beside it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        # (process, connection, session, the session's info as made): the session is closed after every op and
        # used again, as building one cost as much as a keyed read.
        self._held: tuple[int, Connection, Session, dict[str, Any]] | None = None

    @contextmanager
    def transaction(self, make: sessionmaker[Session]) -> Iterator[Session]:
        """A session of `make` on the held connection, in a transaction committed on success; closed after."""
        with self._lock:
            held = self._held
            if held is None or held[0] != os.getpid() or held[1].closed:
                # Opened on first use, by the process that writes: never one inherited through a fork. One that
                # broke under an op is invalidated by SQLAlchemy and reconnects by itself on the next.
                conn = self._engine.connect()
                session = make(bind=conn)
                held = self._held = (os.getpid(), conn, session, dict(session.info))
            session, info = held[2], held[3]
            session.info.clear()  # what an op remembered in it (estimates' memo, RawSQL) was for that op only
            session.info.update(info)
            try:
                with session.begin():  # a refused op (window busy, ticket not found) is rolled back here
                    yield session
            finally:
                session.close()  # every object leaves it, as when a session of its own ended

    def close(self) -> None:
        with self._lock:
            if self._held is not None and self._held[0] == os.getpid():
                self._held[1].close()
            self._held = None


@dataclass(frozen=True)
class Store:
    """The writer and reader session factories over one database."""

    url: str
    writer: Engine
    reader: Engine
    write_session: sessionmaker[Session]
    read_session: sessionmaker[Session]
    held_writer: HeldWriter | None = None  # SQLite only (Runtime.execute)

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session in a transaction, committed on success (for the CLI and set-up, not hall ops)."""
        with self.write_session() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self.held_writer is not None:
            self.held_writer.close()
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def make_store(url: str, *, pool_size: int = 10) -> Store:
    if url.startswith("sqlite"):
        writer = _sqlite_engine(url, immediate=True)
        reader = _sqlite_engine(url, immediate=False)
    else:
        writer = create_engine(url, pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)
        reader = writer
    # One cache per store, shared by every session through Session.info (the engine reads it there).
    info: dict[str, Any] = {ESTIMATE_CACHE_KEY: TTLCache(ESTIMATE_TTL), DAYS_CLOSED_KEY: {}}
    return Store(
        url=url,
        writer=writer,
        reader=reader,
        write_session=sessionmaker(writer, expire_on_commit=False, info=info),
        read_session=sessionmaker(reader, expire_on_commit=False, info=info),
        held_writer=HeldWriter(writer) if url.startswith("sqlite") else None,
    )
