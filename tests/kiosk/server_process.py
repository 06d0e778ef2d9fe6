"""A real hallq server in a subprocess on a SQLite file (the demo hall), restartable on the same port and data.

Uses `sys.executable -m queue_server.cli` with PYTHONPATH set to this checkout, so it serves the code under test.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    def __init__(self, instance: Path) -> None:
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "HALLQ_INSTANCE_PATH": str(instance),
                    "HALLQ_DATABASE_URL": f"sqlite:///{instance / 'hallq.db'}", "HALLQ_PUBLIC_URL": self.url}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = instance / "server.log"

    def cli(self, *args: str) -> None:
        self.cli_output(*args)

    def cli_output(self, *args: str) -> str:
        """Run `hallq <args>` on this server's data; its standard output."""
        done = subprocess.run([sys.executable, "-m", "queue_server.cli", *args], env=self.env, cwd=self.instance,
                              check=True, capture_output=True, timeout=120)
        return done.stdout.decode()

    def load_demo(self) -> str:
        """Create the schema and the demo halls; return the demo kiosk's token."""
        self.cli("init")
        self.cli("demo")
        return self.demo_token("kiosk")

    def demo_token(self, role: str) -> str:
        """A token `hallq demo` wrote to demo-credentials.txt: kiosk, manager..."""
        creds = (self.instance / "demo-credentials.txt").read_text(encoding="utf-8")
        match = re.search(rf"{role} token:\s+(\S+)", creds)
        assert match, creds
        return match.group(1)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "queue_server.cli", "serve", "--port", str(self.port)],
                env=self.env, cwd=self.instance, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)  # waiting for a process to bind its port: there is no event to wait on
        raise AssertionError("server did not start: " + self.log.read_text(errors="replace"))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
