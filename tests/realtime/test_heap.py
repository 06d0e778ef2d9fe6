"""A serving process freezes its start-up heap out of the garbage collector, runs full collections rarely, and
shows them on /metrics.

Why an operator cares: a full collection stalls every request and broadcast of the process; over the start-up
heap (~350,000 objects, mostly the pinyin tables) one took 120–650 ms with 1,000 displays connected
(queue_server/operations/heap.py). Checked on a real `hallq serve`, since only the serving path freezes."""

from __future__ import annotations

from bench.wsfleet import handshake
from tests.factories import BasicHall
from tests.realtime.server import Server

STARTUP_HEAP_FLOOR = 100_000  # far fewer than start-up leaves; an unfrozen process reports 0
DISPLAYS = 100
CALLS = 10
TUNED_YOUNG_THRESHOLD = 5_000


def test_the_served_process_freezes_its_startup_heap_and_collects_rarely(server: Server, tokens: BasicHall) -> None:
    displays = [handshake("127.0.0.1", server.port, tokens.display, hall="t1")[0] for _ in range(DISPLAYS)]
    try:
        for _ in range(CALLS):
            server.issue("t1", tokens.kiosk)
            server.finish(tokens.staff1, server.call_next("t1", tokens.staff1)["id"])
        seen = server.metrics()
    finally:
        for sock in displays:
            sock.close()

    assert seen["hallq_gc_frozen_objects"] > STARTUP_HEAP_FLOOR
    # Python's default young threshold is 700: a process that kept it would run full passes far more often.
    assert seen["hallq_gc_threshold_objects"] >= TUNED_YOUNG_THRESHOLD
    assert seen["hallq_gc_full_collections_total"] == 0
    assert {"hallq_gc_full_pause_seconds_total", "hallq_gc_full_pause_max_seconds"} <= seen.keys()
