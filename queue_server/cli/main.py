"""`hallq`: the parser of every command and the entry point (the console script and `python -m queue_server.cli`).

Errors: a HallqError prints `title: detail` to stderr and exits 2; anything else exits 1.
"""

from __future__ import annotations

import argparse
import sys

from queue_server import errors
from queue_server.cli import accounts
from queue_server.cli import data
from queue_server.cli import devices
from queue_server.cli import site
from queue_server.operations import request_log
from queue_server.settings import load_settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hallq", description="hallq 政务服务大厅排队叫号")
    sub = p.add_subparsers(dest="command", required=True)
    for group in (site, devices, data, accounts):
        group.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = load_settings()
    request_log.configure(json_format=settings.log_json)
    try:
        return int(args.fn(settings, args))
    except errors.HallqError as exc:
        print(f"{exc.title}: {exc.render_detail()}", file=sys.stderr)
        return 2

