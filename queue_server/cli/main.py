"""`hallq`: the parser of every command and the entry point (the console script and `python -m queue_server.cli`).

Errors: a HallqError prints `title: detail` to stderr and exits 2; anything else exits 1.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import DBAPIError

from queue_server import errors
from queue_server.cli import accounts
from queue_server.cli import data
from queue_server.cli import devices
from queue_server.cli import halls
from queue_server.cli import keys
from queue_server.cli import site
from queue_server.operations import request_log
from queue_server.settings import load_settings
from queue_server.settings import missing_database


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hallq", description="hallq 政务服务大厅排队叫号")
    sub = p.add_subparsers(dest="command", required=True)
    for group in (site, devices, data, accounts, halls, keys):
        group.register(sub)
    return p


# Commands that may create the site (its instance folder, secret key and database); every other one refuses to
# run where there is no database, instead of creating an empty one beside the working directory.
CREATES_SITE = ("init", "demo")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command not in CREATES_SITE:
        missing = missing_database()
        if missing is not None:
            print(missing, file=sys.stderr)
            return 2
    settings = load_settings()
    request_log.configure(json_format=settings.log_json)
    try:
        return int(args.fn(settings, args))
    except errors.HallqError as exc:
        print(f"{exc.title}: {exc.render_detail()}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        # An unreachable or uninitialised database: one line that says what to do, not a traceback.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"database error: {reason} (is HALLQ_DATABASE_URL right, and has `hallq init` run?)", file=sys.stderr)
        return 1
