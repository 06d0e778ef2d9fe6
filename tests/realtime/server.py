"""A real hallq server (`hallq serve`: Flask-SocketIO, threading, simple-websocket) in a subprocess on a free
loopback port, and HTTP helpers that drive it like a kiosk and a window clerk. Never mocked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    port: int
    database_url: str
    instance: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"  # what `hallq serve --host` listens on; `url` always goes through loopback

    def start(self) -> Server:
        env = {**os.environ, "HALLQ_DATABASE_URL": self.database_url, "HALLQ_INSTANCE_PATH": str(self.instance),
               "PYTHONPATH": str(ROOT), **self.env}
        log = (self.instance / f"server-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "queue_server.cli", "serve", "--host", self.host, "--port", str(self.port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT),
            start_new_session=True,  # its own process group: gunicorn's worker goes down with the arbiter
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # bound but the worker is still booting
                time.sleep(0.05)  # polling a real condition (the port answering) with a deadline
        self.stop()
        raise RuntimeError(f"server did not answer within {START_TIMEOUT_S} s:\n{self.log()}")

    def stop(self) -> None:
        """SIGINT (hallq stops in seconds: operations/shutdown.py), SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # an orphaned worker would keep the port
            os.killpg(group, signal.SIGKILL)

    def log(self) -> str:
        path = self.instance / f"server-{self.port}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # ---- driving it like a kiosk and a clerk ----

    def post(self, path: str, token: str, json: dict[str, Any] | None = None) -> requests.Response:
        resp = requests.post(f"{self.url}{path}", json=json, headers={"Authorization": f"Bearer {token}"},
                             timeout=10)
        assert resp.status_code < 300, f"{path}: {resp.status_code} {resp.text}"
        return resp

    def issue(self, hall: str, kiosk: str, service: str = "a") -> dict[str, Any]:
        return self.post(f"/api/v1/halls/{hall}/tickets", kiosk, {"service": service}).json()  # type: ignore[no-any-return]

    def call_next(self, hall: str, staff: str, window: int = 1) -> dict[str, Any]:
        return self.post(f"/api/v1/halls/{hall}/windows/{window}/call-next", staff).json()["ticket"]  # type: ignore[no-any-return]

    def finish(self, staff: str, ticket_id: int) -> None:
        self.post(f"/api/v1/tickets/{ticket_id}/finish", staff)

    def metrics(self) -> dict[str, float]:
        """Every sample on /metrics by name (labels dropped: the process-wide series have none)."""
        response = requests.get(f"{self.url}/metrics", timeout=10)
        assert response.status_code == 200
        return {s.name: s.value for f in text_string_to_metric_families(response.text) for s in f.samples}


def make_server(database_url: str, instance: Path, *, port: int | None = None,
                env: dict[str, str] | None = None, host: str = "127.0.0.1") -> Server:
    instance.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    return Server(url=f"http://127.0.0.1:{port}", port=port, database_url=database_url, instance=instance,
                  env=env or {}, host=host)
