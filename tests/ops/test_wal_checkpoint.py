"""The serving process copies SQLite's write-ahead log back into the database from a thread of its own, so that no
request's commit has to (queue_server/storage/wal.py): the commit-time checkpoint had set the issue p99.

Checked on a real database file: what the writers leave, what the thread copies, and that the log then starts over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from queue_server.storage.store import SQLITE_AUTOCHECKPOINT_PAGES
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from queue_server.storage.store import sqlite_path
from queue_server.storage.wal import WalCheckpointer

PAGE = 4096
DEFAULT_AUTOCHECKPOINT = 1_000  # SQLite's own: a commit past it would have checkpointed and restarted the log
WAIT_S = 10.0


def wait_for(condition: Callable[[], bool]) -> None:
    """Poll a real condition with a deadline (the thread runs on its own schedule)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "the checkpointer did not get there in time"
        time.sleep(0.01)


def write_pages(store: Store, pages: int) -> None:
    """About `pages` pages of new rows, in commits of ~100 pages, as a busy hall's writes arrive."""
    with store.transaction() as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS scratch (b BLOB)"))
    for _ in range(pages // 100):
        with store.transaction() as s:
            s.execute(text("INSERT INTO scratch (b) VALUES (randomblob(:n))"), [{"n": 3_000}] * 100)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = make_store(f"sqlite:///{tmp_path / 'hallq.db'}")
    yield st
    st.dispose()


def test_writers_leave_the_checkpoint_to_the_thread_until_the_safety_net(store: Store, tmp_path: Path) -> None:
    with store.writer.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == SQLITE_AUTOCHECKPOINT_PAGES

    write_pages(store, 3 * DEFAULT_AUTOCHECKPOINT)

    # No commit checkpointed at 1,000 pages: the log holds all of them.
    assert (tmp_path / "hallq.db-wal").stat().st_size > 2 * DEFAULT_AUTOCHECKPOINT * PAGE


def test_the_thread_copies_the_log_back_and_the_next_write_starts_it_over(store: Store) -> None:
    write_pages(store, 2 * DEFAULT_AUTOCHECKPOINT)
    checkpointer = WalCheckpointer(store.url, every_s=0.01)
    checkpointer.start()
    try:
        wait_for(lambda: checkpointer.seen.runs >= 1)
        # Everything was copied: nothing else was reading or writing.
        assert checkpointer.seen.log_frames > DEFAULT_AUTOCHECKPOINT
        assert checkpointer.seen.left_frames == 0
        assert checkpointer.seen.max_s > 0

        write_pages(store, 100)
        # The write started the log over from its beginning instead of growing it.
        wait_for(lambda: 0 < checkpointer.seen.log_frames < DEFAULT_AUTOCHECKPOINT)
    finally:
        checkpointer.stop()
    assert not checkpointer.running


def test_only_a_sqlite_file_gets_a_thread() -> None:
    assert sqlite_path("sqlite:////srv/hallq/hallq.db") == Path("/srv/hallq/hallq.db")
    for url in ("sqlite://", "sqlite:///:memory:", "postgresql+psycopg://postgres@127.0.0.1/test"):
        assert sqlite_path(url) is None
        checkpointer = WalCheckpointer(url)
        checkpointer.start()
        assert not checkpointer.running
