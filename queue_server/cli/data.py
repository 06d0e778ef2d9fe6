"""`hallq backup`, `hallq restore` and `hallq retention`: the database's copies and its personal data's end."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from queue_server.cli.database import open_store
from queue_server.clock import SystemClock
from queue_server.engine.oversight.retention import AUDIT_MIN_DAYS
from queue_server.engine.oversight.retention import anonymise
from queue_server.settings import Settings
from queue_server.storage import backup
from queue_server.storage import migrate
from queue_server.storage import serving
from queue_server.storage.models import Hall
from queue_server.storage.runtime import Runtime


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Write a consistent copy of the database (servers may keep running); print its path alone on stdout."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = args.output or settings.instance_path / "backups" / f"hallq-{stamp}{backup.suffix(settings.database_url)}"
    try:
        done = backup.backup(settings.database_url, Path(dest))
    except backup.BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(done)
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Replace the database with a backup; the servers must be stopped, and --yes confirms the overwrite."""
    if not args.yes:
        print("restore replaces every row of the database: stop the servers, then run again with --yes",
              file=sys.stderr)
        return 1
    try:
        # Held until the schema is current: a server started meanwhile waits instead of serving a half restore.
        with serving.exclusive(settings.database_url):
            backup.restore(settings.database_url, Path(args.path))
            # A backup from an older release is brought up to this release's schema, as `hallq init` would.
            with open_store(settings) as store:
                migrate.upgrade(store.writer)
    except (backup.BackupError, serving.ServersRunning) as exc:
        print(f"restore refused: {exc}" if isinstance(exc, serving.ServersRunning) else f"restore failed: {exc}",
              file=sys.stderr)
        return 1
    print(f"restored {args.path}", file=sys.stderr)
    return 0


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    """Anonymise personal data older than the retention period and prune the audit log, hall by hall."""
    days = args.days if args.days is not None else settings.retention_days
    audit_days = args.audit_days if args.audit_days is not None else settings.audit_retention_days
    if days < 1 or audit_days < AUDIT_MIN_DAYS:
        print(f"--days must be >= 1 and --audit-days >= {AUDIT_MIN_DAYS} (网络安全法: audit logs >= six months)",
              file=sys.stderr)
        return 1
    with open_store(settings) as store:
        with store.read_session() as session:
            halls = [args.hall] if args.hall else list(session.scalars(select(Hall.code).order_by(Hall.id)))
        runtime = Runtime(store, SystemClock())
        for code in halls:
            done = runtime.execute(anonymise, hall=code, personal_days=days, audit_days=audit_days).value
            changed = ", ".join(f"{k} {v}" for k, v in asdict(done).items())
            print(f"hall {code}: anonymised before {days} d, audit kept {audit_days} d: {changed}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    bak = sub.add_parser("backup", help="write a consistent copy of the database (safe while serving)")
    bak.add_argument("--output", help="file to create (default: instance/backups/hallq-<UTC time>.db|.dump)")
    bak.set_defaults(fn=cmd_backup)
    res = sub.add_parser("restore", help="replace the database with a backup (stop the servers first)")
    res.add_argument("path")
    res.add_argument("--yes", action="store_true", help="confirm: every current row is replaced")
    res.set_defaults(fn=cmd_restore)
    ret = sub.add_parser("retention", help="anonymise old personal data and prune the audit log (run nightly)")
    ret.add_argument("--hall", help="one hall (default: every hall)")
    ret.add_argument("--days", type=int, help="personal data older than this (default HALLQ_RETENTION_DAYS or 180)")
    ret.add_argument("--audit-days", type=int,
                     help=f"audit entries older than this, >= {AUDIT_MIN_DAYS} (default HALLQ_AUDIT_RETENTION_DAYS "
                          "or 365)")
    ret.set_defaults(fn=cmd_retention)
