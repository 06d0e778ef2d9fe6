"""Shared bench plumbing: bench databases, a bench hall, starting a server, running wrk, printing tables."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.settings import normalise_database_url
from queue_server.storage import migrate
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.store import make_store

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / "results"
ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
SERVICES = 10
WINDOWS = 8
PG_URL = os.environ.get("HALLQ_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class BenchHall:
    database_url: str
    kiosk: str
    staff: dict[int, str]
    services: list[str]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"


def fresh_database(kind: str, name: str, work: Path = WORK, pg_url: str = PG_URL) -> str:
    """An empty, migrated database: a SQLite file under bench/results (or `work`), or a PostgreSQL database (in
    the cluster of `pg_url`)."""
    work.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = work / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        admin = create_engine(normalise_database_url(pg_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = make_url(normalise_database_url(pg_url)).set(database=name).render_as_string(hide_password=False)
    store = make_store(url)
    migrate.upgrade(store.writer)
    store.dispose()
    return url


def build_hall(url: str) -> BenchHall:
    """Hall `bench`: 10 services with six-digit numbers (no wrap in a bench day), 8 windows serving all."""
    store = make_store(url)
    now = SystemClock().now()
    with store.transaction() as s:
        hall = Hall(code="bench", name="基准测试大厅", timezone="Asia/Shanghai", opening_hours=ALL_DAY,
                    person_salt="bench", event_seq=0)
        s.add(hall)
        s.flush()
        services = [Service(hall_id=hall.id, code=f"s{i}", name=f"事项{i}", prefix=chr(65 + i), number_end=999999)
                    for i in range(SERVICES)]
        s.add_all(services)
        s.flush()
        staff: dict[int, str] = {}
        for n in range(1, WINDOWS + 1):
            window = Window(hall_id=hall.id, number=n, name=f"{n}号窗口")
            window.profile = [WindowService(service_id=sv.id, position=i) for i, sv in enumerate(services)]
            member = Staff(hall_id=hall.id, user_no=f"b{n}", name=f"b{n}", password_hash="x", role=Role.STAFF)
            s.add_all([window, member])
            s.flush()
            window.staff_id = member.id  # signed in, as at a hall's open window: call events name the clerk
            staff[n] = mint_token(s, now, role=Role.STAFF, hall=hall, window=window, staff=member)
        kiosk = mint_token(s, now, role=Role.KIOSK, hall=hall)
    store.dispose()
    return BenchHall(url, kiosk, staff, [f"s{i}" for i in range(SERVICES)])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def cpu_s(self) -> float:
        """CPU seconds (user + system) used so far by the server: gunicorn's arbiter and its workers (Linux)."""
        tick = os.sysconf("SC_CLK_TCK")
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids += [int(p) for p in children.read_text().split()] if children.exists() else []
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:  # a worker that exited between the two reads
                continue
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime: fields 14 and 15 of stat(5)
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(url: str, port: int, *, threads: int = 64, extra_env: dict[str, str] | None = None,
                 work: Path = WORK, root: Path = ROOT) -> Server:
    """The product's own `hallq serve` (gunicorn gthread, one worker) on the given database, from the checkout at
    `root` (another checkout's code, e.g. main's, for old-vs-new runs)."""
    instance = work / f"instance-{port}"
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HALLQ_DATABASE_URL": url, "HALLQ_INSTANCE_PATH": str(instance),
           "PYTHONPATH": str(root), **(extra_env or {})}
    with (instance / "server.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "queue_server.cli", "serve", "--port", str(port),
                                 "--threads", str(threads)], env=env, stdout=subprocess.DEVNULL, stderr=log,
                                cwd=root)  # `-m` puts the working directory first on the path
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a cold start on a busy 2-core machine has taken over 30 s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return Server(base, proc)
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server on {port} did not start; see {instance / 'server.log'}")


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: Path, *, connections: int, seconds: int, env: dict[str, str]) -> WrkResult:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (Debian) — `make bench` does it")
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, env={**os.environ, **env}, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(rps, p50, p99, int(non2xx.group(1)) if non2xx else 0,
                     sum(int(g) for g in errs.groups()) if errs else 0)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (also readable in a terminal)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    line = lambda parts: "| " + " | ".join(p.ljust(w) for p, w in zip(parts, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])
