"""nginx (the Debian package) as a foreground subprocess on a free loopback port, running the shipped main file
deploy/nginx/nginx.conf and site file deploy/nginx/hallq.conf with only their ports and paths substituted:
tests/deploy and the scaled-out simulated day (bench/simday.py) both run the files we ship.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy/nginx/hallq.conf"
START_TIMEOUT_S = 10.0

# What the shipped site says -> what the test needs; each must occur, or the site changed under the test.
SHIPPED_LISTEN = "listen 80;"
SHIPPED_UPSTREAMS = ("127.0.0.1:5001", "127.0.0.1:5002")
SHIPPED_STATIC = "/opt/hallq/app/static/"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def site_for(port: int, upstreams: tuple[int, int], static_root: Path) -> str:
    text = SITE.read_text()
    for shipped in (SHIPPED_LISTEN, *SHIPPED_UPSTREAMS, SHIPPED_STATIC):
        assert shipped in text, f"{SITE} no longer contains {shipped!r}: update bench/nginx.py"
    text = text.replace(SHIPPED_LISTEN, f"listen 127.0.0.1:{port};")
    for shipped, actual in zip(SHIPPED_UPSTREAMS, upstreams, strict=True):
        text = text.replace(shipped, f"127.0.0.1:{actual}")
    return text.replace(SHIPPED_STATIC, f"{static_root}/")


MAIN = ROOT / "deploy/nginx/nginx.conf"
# What the shipped main file says -> what a test run needs (its own writable paths, the test's site, no user switch
# when the test is not root, nothing from the machine's own conf.d).
SHIPPED_MAIN = {
    "user www-data;": None,
    "pid /run/nginx.pid;": "pid {prefix}/nginx.pid;",
    "error_log /var/log/nginx/error.log;": "error_log {prefix}/error.log info;",
    "access_log /var/log/nginx/access.log;": "access_log {prefix}/access.log;\n{temps}",
    "include /etc/nginx/conf.d/*.conf;": "",
    "include /etc/nginx/sites-enabled/*;": "include {site};",
}


def main_config(prefix: Path, site: Path) -> str:
    """deploy/nginx/nginx.conf with only its paths changed: the limits a test measures are the shipped ones."""
    text = MAIN.read_text()
    # workers must read the test's private temp dirs
    user = "user root root;" if os.geteuid() == 0 else ""
    temps = "\n".join(f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
    for shipped, replacement in SHIPPED_MAIN.items():
        assert shipped in text, f"{MAIN} no longer contains {shipped!r}: update bench/nginx.py"
        value = user if replacement is None else replacement.format(prefix=prefix, site=site, temps=temps)
        text = text.replace(shipped, value)
    return text


@dataclass
class Nginx:
    url: str
    prefix: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_nginx(binary: str, prefix: Path, port: int, upstreams: tuple[int, int]) -> Nginx:
    """The shipped main file and site on loopback, in front of two servers."""
    prefix.mkdir(parents=True, exist_ok=True)
    site = prefix / "hallq.conf"
    site.write_text(site_for(port, upstreams, ROOT / "static"))
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site))
    check = subprocess.run([binary, "-t", "-c", str(conf), "-p", str(prefix)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, f"nginx -t refused the shipped site:\n{check.stderr}"
    log = (prefix / "stderr.log").open("wb")
    proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"], stdout=log,
                            stderr=subprocess.STDOUT)
    log.close()
    server = Nginx(f"http://127.0.0.1:{port}", prefix, proc)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}:\n{server.error_log()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except requests.ConnectionError:  # not listening yet
            time.sleep(0.05)  # polling a real condition (the port answering) with a deadline
    server.stop()
    raise RuntimeError(f"nginx did not answer within {START_TIMEOUT_S} s:\n{server.error_log()}")
