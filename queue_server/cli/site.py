"""`hallq init`, `hallq demo` and `hallq serve`: the schema, the demo halls, and serving."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from queue_server.cli.database import open_store
from queue_server.clock import SystemClock
from queue_server.demo.files import write_demo_files
from queue_server.demo.halls import DEMO_PASSWORD
from queue_server.demo.halls import load_demo
from queue_server.settings import Settings
from queue_server.settings import is_loopback_host
from queue_server.settings import lan_address
from queue_server.settings import served_url
from queue_server.storage import migrate

DEMO_CREDENTIALS = "demo-credentials.txt"
log = logging.getLogger("hallq")


def cmd_init(settings: Settings, _: argparse.Namespace) -> int:
    with open_store(settings) as store:
        migrate.upgrade(store.writer)
        print(f"database ready: {store.writer.url.render_as_string(hide_password=True)}", file=sys.stderr)
    return 0


def cmd_demo(settings: Settings, _: argparse.Namespace) -> int:
    with open_store(settings) as store:
        migrate.upgrade(store.writer)
        with store.transaction() as session:
            creds = load_demo(session, SystemClock().now())
    write_demo_files(settings.files_path)  # also for a demo loaded before the files existed
    path = settings.instance_path / DEMO_CREDENTIALS
    if creds is None:
        print(f"demo hall cxz already loaded; its credentials are in {path}", file=sys.stderr)
        return 0
    text = (
        "# hallq demo credentials (demo data only)\n"
        f"staff logins: cx1001 … cx1024 (window 1 … 24), manager cxmgr, admin admin; password {DEMO_PASSWORD}\n"
        f"kiosk token:   {creds.kiosk_token}\n"
        f"staff token:   {creds.staff_token}   (window 1)\n"
        f"manager token: {creds.manager_token}\n"
        f"display token: {creds.display_token}\n"
        f"rater token:   {creds.rater_token}   (window 1 tablet)\n"
        "devices: pair a browser at /pair with a one-time code: hallq device pair --hall cxz --name 一楼综合屏\n"
        "         (or 一楼取号机1, 1号窗口评价器; or the manager console's 设置 → 设备 → 配对码)\n"
        "staff console: /staff/login (工号 + password, pick the window)\n"
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    # Printed once, here, for the person trying the demo; `hallq serve` never prints a credential.
    print(text + f"demo halls loaded: cxz 楚雄州政务服务中心, lfs 禄丰市政务服务中心; credentials kept in {path}",
          file=sys.stderr)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    # Only the serving command needs the web stack.
    from queue_server.app import create_app
    from queue_server.operations.server import serve

    settings = replace(settings, bind=f"{args.host}:{args.port}")
    # Log records, not prints: with HALLQ_LOG_FORMAT=json every line of the service journal is JSON. No token or
    # password is ever written here (the demo's logins are printed once, by `hallq demo`).
    log.info("hallq serving on http://%s:%s/ (Ctrl+C stops)", args.host, args.port)
    notice = public_url_notice(settings)
    if notice.startswith("WARNING"):
        log.warning(notice)
    else:
        log.info(notice)
    serve(create_app(settings), args.host, args.port, threads=args.threads)
    return 0


def public_url_notice(settings: Settings) -> str:
    """What the QR codes will point at, and a warning when that is an address phones cannot open."""
    if settings.public_url:
        url, source = settings.public_url, "HALLQ_PUBLIC_URL"
    else:
        url, source = served_url(settings.bind), "the address each kiosk reaches the server at, else"
    if not is_loopback_host(urlsplit(url).hostname):
        return f"QR codes on tickets: {source} {url}"
    port = urlsplit(url).port or (443 if url.startswith("https") else 80)
    return (f"WARNING: QR codes on tickets point at {url}, a loopback address that citizens' phones cannot open "
            f"(二维码地址是本机回环地址，市民手机扫码打不开). Set HALLQ_PUBLIC_URL to the address phones reach, "
            f"e.g. http://{lan_address()}:{port}, or serve on the network with --host 0.0.0.0.")


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    sub.add_parser("init", help="create or upgrade the database schema (safe to repeat)").set_defaults(fn=cmd_init)
    sub.add_parser("demo", help="load the demo halls (cxz, lfs)").set_defaults(fn=cmd_demo)
    serve = sub.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, help="request + websocket threads (default HALLQ_THREADS or 256)")
    serve.set_defaults(fn=cmd_serve)
