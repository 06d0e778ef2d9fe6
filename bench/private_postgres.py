"""A PostgreSQL cluster of our own (Debian's server binaries) on a free loopback port, to restart while a server
uses it: tests/ops/test_database_restart.py must not restart the machine's shared cluster under other users.

PostgreSQL refuses to run as root, so when the tests run as root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 30.0


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivatePostgres:
    bin: Path
    data: Path
    port: int
    user: str | None  # run as this user (root cannot run PostgreSQL), or as ourselves

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.data / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout, f"{done.stderr}\n{tail}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-t",
                  str(int(START_TIMEOUT_S)), "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1",
                  "start")

    def restart(self) -> None:
        """What an operator's `systemctl restart postgresql` does: a fast shutdown (clients cut), then a start."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-o",
                  f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "restart")

    def stop(self, mode: str = "immediate") -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # already down


def start_postgres(workdir: Path) -> PrivatePostgres:
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL server binaries are not installed (apt install postgresql)")
    user = "postgres" if os.geteuid() == 0 else None
    data = workdir / "pgdata"
    data.mkdir(parents=True)
    if user:
        entry = pwd.getpwnam(user)
        for path in (workdir, data):
            shutil.chown(path, entry.pw_uid, entry.pw_gid)
        # The folders above (pytest's tmp tree) must let that user through.
        for parent in workdir.parents:
            if parent == Path("/"):
                break
            parent.chmod(parent.stat().st_mode | 0o011)
    cluster = PrivatePostgres(bin=binaries, data=data, port=_free_port(), user=user)
    cluster._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    for attempt in range(3):
        try:
            cluster.start()
            break
        except subprocess.CalledProcessError:
            # The free port may have been taken meanwhile (as some other connection's local port): another one.
            if attempt == 2:
                raise
            cluster.port = _free_port()
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
            return cluster
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # polling a real condition (the port answering) with a deadline
