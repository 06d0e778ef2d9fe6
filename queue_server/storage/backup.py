"""`hallq backup` / `hallq restore`: a consistent copy of the database while the servers run, and its restore.

SQLite: the sqlite3 online backup API, which copies a consistent snapshot page by page while writers go on (a
plain file copy of a WAL database can miss committed pages). PostgreSQL: pg_dump's custom format (one consistent
snapshot, compressed) and pg_restore, from the Debian client matching the server's major version.
No Flask imports.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url

from queue_server.storage.store import create_private
from queue_server.storage.store import sqlite_path

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Pages copied per step: small steps let the servers' writers in between, so a backup never stalls the hall.
SQLITE_PAGES_PER_STEP = 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what to do."""


def suffix(database_url: str) -> str:
    return ".db" if database_url.startswith("sqlite") else ".dump"


def _sqlite_path(database_url: str) -> Path:
    path = sqlite_path(database_url)
    if path is None:
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return path


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it (never on a command line,
    where `ps` shows it to every user of the machine)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> None:
    tool = args[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} not found: apt-get install postgresql-client (same major version as the server)")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")


def backup(database_url: str, dest: Path) -> Path:
    """Write a consistent copy of the database to `dest` (created; never overwritten)."""
    if dest.exists():
        raise BackupError(f"{dest} exists: a backup never overwrites a file")
    create_private(dest)  # 0600 before any byte is written: a backup holds what the database holds
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(database_url))
        target = sqlite3.connect(dest)
        try:
            with target:
                source.backup(target, pages=SQLITE_PAGES_PER_STEP)
        finally:
            target.close()
            source.close()
        return dest
    conninfo, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dest}", f"--dbname={conninfo}"],
         env)
    return dest


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with the backup at `source`. Stop the servers first: their open
    connections would otherwise hold old pages (SQLite) or block dropping tables (PostgreSQL)."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    head = source.read_bytes()[:16]
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup (a PostgreSQL dump restores only into PostgreSQL)")
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(database_url))
        try:
            with target:
                backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    if not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format file (a SQLite backup restores only into SQLite)")
    conninfo, env = _libpq(url)
    # --clean --if-exists: drop what the backup holds before recreating it; one transaction, so a failed restore
    # leaves the database as it was.
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={conninfo}", str(source)], env)
