"""A real `hallq serve` on SQLite runs the WAL checkpointer's thread (queue_server/storage/wal.py) and shows it on
/metrics: an operator sees that the log is being copied back, how long that takes, and whether a reader holds it up."""

from __future__ import annotations

import time

from tests.factories import BasicHall
from tests.realtime.server import Server

TICKETS = 20
WAIT_S = 10.0


def test_the_served_process_checkpoints_the_log_from_its_own_thread(server: Server, tokens: BasicHall) -> None:
    for _ in range(TICKETS):
        server.issue("t1", tokens.kiosk)

    # The thread runs every half second; poll its figures with a deadline.
    deadline = time.monotonic() + WAIT_S
    seen = server.metrics()
    while not (seen["hallq_sqlite_checkpoints_total"] >= 1 and seen["hallq_sqlite_wal_pages"] > 0):
        assert time.monotonic() < deadline, f"no checkpoint with pages on /metrics: {seen}"
        time.sleep(0.05)
        seen = server.metrics()

    assert seen["hallq_sqlite_checkpoint_seconds_total"] > 0
    assert seen["hallq_sqlite_checkpoint_max_seconds"] > 0
    assert seen["hallq_sqlite_wal_pages_left"] == 0  # nothing holds a reader open in a quiet server
