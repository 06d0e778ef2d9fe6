"""Process start-up: how long `hallq serve` takes from exec to its first `GET /healthz` 200, with the CPU it spends
on the way, and what the smallest CLI command (`hallq --help`) costs. A restart keeps every display and window
waiting for this; every CLI command an operator or a script runs pays its import part.

Both checkouts are byte-compiled first, so the comparison is of the code, not of a bytecode cache (on a machine
with PYTHONDONTWRITEBYTECODE every process would otherwise compile the project again). With --other, this
checkout's code and another's alternate start by start.

    python -m bench.startup [--rounds 8] [--other /path/to/old-checkout]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench.common import ROOT
from bench.common import WORK
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import table

PORT = 5873


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env(root: Path, url: str) -> dict[str, str]:
    instance = WORK / f"instance-{PORT}"
    instance.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HALLQ_DATABASE_URL": url, "HALLQ_INSTANCE_PATH": str(instance), "PYTHONPATH": str(root)}


def serve_start(root: Path, url: str) -> tuple[float, float]:
    """(seconds from exec to the first healthz 200, CPU seconds of the server process over its whole life)."""
    cpu_before = _children_cpu_s()
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "queue_server.cli", "serve", "--port", str(PORT)],
                            env=_env(root, url), cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"hallq serve from {root} exited with {proc.returncode}")
            try:
                if requests.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).ok:
                    ready = time.perf_counter() - began
                    break
            except requests.ConnectionError:
                time.sleep(0.01)
    finally:
        proc.kill()  # not terminate: the graceful stop is bench/restarts.py's subject, not this one's
        proc.wait()
    # Killed right after its first answer, so its CPU is the start-up's (plus one healthz).
    return ready, _children_cpu_s() - cpu_before


def cli_help(root: Path, url: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "queue_server.cli", "--help"], env=_env(root, url), cwd=root,
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def run(rounds: int, other: Path | None) -> str:
    sides = {"new": ROOT, "old": other.resolve()} if other is not None else {"this": ROOT}
    for root in sides.values():
        for package in ("queue_server", "kiosk", "display"):
            compileall.compile_dir(root / package, quiet=1)
    url = build_hall(fresh_database("sqlite", "startup")).database_url
    seen: dict[str, dict[str, list[float]]] = {name: {"ready": [], "cpu": [], "help": []} for name in sides}
    names = list(sides)
    for n in range(rounds):
        for name in names if n % 2 == 0 else reversed(names):
            ready, cpu = serve_start(sides[name], url)
            seen[name]["ready"].append(ready)
            seen[name]["cpu"].append(cpu)
            seen[name]["help"].append(cli_help(sides[name], url))
    med = {name: {k: statistics.median(v) for k, v in values.items()} for name, values in seen.items()}
    rows = [[name, f"{m['ready']:.2f}", f"{m['cpu']:.2f}", f"{m['help']:.2f}",
             ", ".join(f"{x:.2f}" for x in seen[name]["ready"])] for name, m in med.items()]
    out = table(["code", "serve → healthz s (median)", "its CPU s", "hallq --help s", "each start s"], rows)
    if other is not None:
        ratio = {k: med["new"][k] / med["old"][k] for k in ("ready", "cpu", "help")}
        out += (f"\n\nnew / old: start {ratio['ready']:.2f}, its CPU {ratio['cpu']:.2f}, --help {ratio['help']:.2f}"
                f" ({rounds} starts each, alternating)")
    return out + f"\n\nMachine: {machine()}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--other", type=Path, default=None, help="another checkout to alternate with")
    args = parser.parse_args()
    print(run(args.rounds, args.other))


if __name__ == "__main__":
    main()
