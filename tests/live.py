"""A real hallq server in a subprocess for integration tests: the product's own `serve` command (or gunicorn),
on a free loopback port, against a database the test chose. Started and stopped by the test, never mocked.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
# A deadline, not a delay: on a loaded machine (CI beside other jobs) a cold start has taken over 30 s.
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(database_url: str, instance: Path, *, gunicorn: bool = False, threads: int = 32,
                 extra_env: dict[str, str] | None = None, host: str = "127.0.0.1") -> LiveServer:
    """Start a server and wait until /healthz answers (or fail with its log)."""
    port = free_port()
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HALLQ_DATABASE_URL": database_url, "HALLQ_INSTANCE_PATH": str(instance),
           "PYTHONPATH": str(ROOT), **(extra_env or {})}
    if gunicorn:
        cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--threads", str(threads), "queue_server.wsgi:app"]
    else:
        cmd = [sys.executable, "-m", "queue_server.cli", "serve", "--host", host, "--port", str(port)]
    log = instance / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
    server = LiveServer(f"http://{'127.0.0.1' if host in ('0.0.0.0', '127.0.0.1') else host}:{port}", proc, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except (requests.ConnectionError, requests.Timeout):  # bound, but the worker is still booting
            time.sleep(0.05)  # polling a real condition (the port answering) with a deadline
    server.stop()
    raise RuntimeError(f"server did not answer within {START_TIMEOUT_S} s:\n{log.read_text()}")
