"""A serving process freezes its start-up heap out of the garbage collector and shows its full collections.

Why an operator cares: a full collection stalls every request and broadcast of the process; over the start-up
heap (~350,000 objects, mostly the pinyin tables) one took 120–650 ms with 1,000 displays connected
(queue_server/heap.py). Checked on a real `hallq serve`, since only the serving path freezes."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import BasicHall
from tests.realtime.server import Server

STARTUP_HEAP_FLOOR = 100_000  # far fewer than start-up leaves; an unfrozen process reports 0


def metrics(server: Server) -> dict[str, float]:
    response = requests.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    return {s.name: s.value for f in text_string_to_metric_families(response.text) for s in f.samples}


def test_the_served_process_has_its_startup_heap_frozen_and_reports_full_collections(
    server: Server, tokens: BasicHall
) -> None:
    for _ in range(3):
        server.issue("t1", tokens.kiosk)

    seen = metrics(server)

    assert seen["hallq_gc_frozen_objects"] > STARTUP_HEAP_FLOOR
    assert {"hallq_gc_full_collections_total", "hallq_gc_full_pause_seconds_total",
            "hallq_gc_full_pause_max_seconds"} <= seen.keys()
