"""The latency bench's display fleet (bench/wsfleet.py) against a live server: it subscribes N raw websocket
clients and reports a call only once every one of them received it. The bench's figures rest on this."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.factories import BasicHall
from tests.realtime.server import Server

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 5


def test_the_fleet_reports_each_call_once_every_client_has_it(server: Server, tokens: BasicHall) -> None:
    with subprocess.Popen([sys.executable, "-m", "bench.wsfleet", server.url, tokens.display, str(CLIENTS), "t1"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=str(ROOT)) as fleet:
        assert fleet.stdin is not None and fleet.stdout is not None and fleet.stderr is not None
        try:
            assert fleet.stdout.readline() == b"ready\n"
            numbers = []
            for _ in range(2):
                server.issue("t1", tokens.kiosk)
                started = time.monotonic()
                called = server.call_next("t1", tokens.staff1, window=1)
                report = json.loads(fleet.stdout.readline())
                server.finish(tokens.staff1, called["id"])
                numbers.append(report["number"])
                assert report["number"] == called["number"]
                assert report["count"] == CLIENTS
                assert started < report["first"] <= report["last"] < time.monotonic()
            fleet.stdin.close()
            assert fleet.wait(timeout=10) == 0
        finally:
            fleet.kill()
        errors = fleet.stderr.read()
    assert errors == b""  # no client lost its connection or saw a close
    assert len(set(numbers)) == 2
