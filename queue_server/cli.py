"""`hallq`: init (migrate), demo, serve, token and user create, backup, restore, retention.
Every command honours HALLQ_DATABASE_URL.

Errors: a HallqError prints `title: detail` to stderr and exits 2; anything else exits 1.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import hash_password
from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.demo.files import write_demo_files
from queue_server.demo.halls import DEMO_PASSWORD
from queue_server.demo.halls import load_demo
from queue_server.engine.oversight.retention import AUDIT_MIN_DAYS
from queue_server.engine.oversight.retention import anonymise
from queue_server.operations import request_log
from queue_server.settings import Settings
from queue_server.settings import is_loopback_host
from queue_server.settings import lan_address
from queue_server.settings import load_settings
from queue_server.settings import served_url
from queue_server.storage import backup
from queue_server.storage import migrate
from queue_server.storage import serving
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.storage.store import make_store

DEMO_CREDENTIALS = "demo-credentials.txt"
log = logging.getLogger("hallq")


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    """The database for one command; its connections are closed when the command ends (a leaked PostgreSQL
    connection outlives the command in a long-lived caller such as a test run or `make run`)."""
    store = make_store(settings.database_url)
    try:
        yield store
    finally:
        store.dispose()


def cmd_init(settings: Settings, _: argparse.Namespace) -> int:
    with _store(settings) as store:
        migrate.upgrade(store.writer)
        print(f"database ready: {store.writer.url.render_as_string(hide_password=True)}", file=sys.stderr)
    return 0


def cmd_demo(settings: Settings, _: argparse.Namespace) -> int:
    with _store(settings) as store:
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
        f"rater token:   {creds.rater_token}   (window 1 tablet: /staff/rater#token=<it>)\n"
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


def cmd_notice_set(settings: Settings, args: argparse.Namespace) -> int:
    """Replace the wall display's scrolling notices (until the manager console edits them)."""
    # Without Redis nothing is pushed from here: displays pick the event up from the outbox at their next sync.
    with _store(settings) as store:
        done = Runtime(store, SystemClock()).execute(engine.set_notices, hall=args.hall, texts=args.text)
    print(f"{len(done.value)} notice(s) active in hall {args.hall}", file=sys.stderr)
    return 0


def cmd_token_create(settings: Settings, args: argparse.Namespace) -> int:
    role = Role(args.role)
    with _store(settings) as store, store.transaction() as session:
        hall = session.scalar(select(Hall).where(Hall.code == args.hall))
        if hall is None:
            raise errors.HallNotFound(hall=args.hall)
        window = None
        if args.window is not None:
            window = session.scalar(select(Window).where(Window.hall_id == hall.id, Window.number == args.window))
            if window is None:
                raise errors.WindowNotFound(hall=args.hall, window=args.window)
        staff = None
        if args.user:
            staff = session.scalar(select(Staff).where(Staff.user_no == args.user))
            # A token must not act as a member of another hall's staff.
            if staff is None or staff.hall_id not in (None, hall.id):
                raise errors.StaffNotFound(user=args.user)
        if role in (Role.STAFF, Role.RATER) and window is None:
            print("a staff or rater token needs --window N (it acts only for its own window)", file=sys.stderr)
            return 1
        token = mint_token(session, SystemClock().now(), role=role, hall=None if role == Role.ADMIN else hall,
                           window=window, staff=staff, device_name=args.name)
    print(token)
    return 0


def cmd_kiosk_printer(settings: Settings, args: argparse.Namespace) -> int:
    """Give a kiosk a ticket printer (its issues then queue print jobs) or take it away (--none)."""
    with _store(settings) as store, store.transaction() as session:
        hall = session.scalar(select(Hall).where(Hall.code == args.hall))
        if hall is None:
            raise errors.HallNotFound(hall=args.hall)
        device = session.scalar(select(Device).where(Device.hall_id == hall.id, Device.kind == Role.KIOSK.value,
                                                     Device.name == args.name))
        if device is None:
            raise errors.KioskNotFound(kiosk=args.name)
        device.printer = None if args.none else {"paper_mm": args.paper, "encoding": args.encoding,
                                                 "native_qr": not args.raster_qr}
    print(f"kiosk {args.name}: printer {'none' if args.none else f'{args.paper} mm {args.encoding}'}", file=sys.stderr)
    return 0


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
            with _store(settings) as store:
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
    with _store(settings) as store:
        with store.read_session() as session:
            halls = [args.hall] if args.hall else list(session.scalars(select(Hall.code).order_by(Hall.id)))
        runtime = Runtime(store, SystemClock())
        for code in halls:
            done = runtime.execute(anonymise, hall=code, personal_days=days, audit_days=audit_days).value
            changed = ", ".join(f"{k} {v}" for k, v in asdict(done).items())
            print(f"hall {code}: anonymised before {days} d, audit kept {audit_days} d: {changed}", file=sys.stderr)
    return 0


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("HALLQ_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 8:
        print("password must have at least 8 characters", file=sys.stderr)
        return 1
    with _store(settings) as store, store.transaction() as session:
        hall = None
        if args.hall:
            hall = session.scalar(select(Hall).where(Hall.code == args.hall))
            if hall is None:
                raise errors.HallNotFound(hall=args.hall)
        if session.scalar(select(Staff.id).where(Staff.user_no == args.user)) is not None:
            print(f"user {args.user} already exists", file=sys.stderr)
            return 1
        session.add(Staff(hall_id=hall.id if hall else None, user_no=args.user, name=args.name or args.user,
                          password_hash=hash_password(password), role=Role(args.role)))
    print(f"user {args.user} created", file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hallq", description="hallq 政务服务大厅排队叫号")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create or upgrade the database schema (safe to repeat)").set_defaults(fn=cmd_init)
    sub.add_parser("demo", help="load the demo halls (cxz, lfs)").set_defaults(fn=cmd_demo)
    serve = sub.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, help="request + websocket threads (default HALLQ_THREADS or 256)")
    serve.set_defaults(fn=cmd_serve)
    token = sub.add_parser("token", help="bearer tokens").add_subparsers(dest="token_cmd", required=True)
    create = token.add_parser("create", help="mint a token and print it alone on stdout")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--hall", required=True)
    create.add_argument("--window", type=int)
    create.add_argument("--user", help="staff 工号 the token acts as")
    create.add_argument("--name", help="device name (kiosks, displays)")
    create.set_defaults(fn=cmd_token_create)
    kiosk = sub.add_parser("kiosk", help="kiosk devices").add_subparsers(dest="kiosk_cmd", required=True)
    kprinter = kiosk.add_parser("printer", help="set a kiosk's ticket printer (paper, encoding) or --none")
    kprinter.add_argument("--hall", required=True)
    kprinter.add_argument("--name", required=True, help="the kiosk's device name (token create --name)")
    kprinter.add_argument("--paper", type=int, choices=[58, 80], default=80)
    kprinter.add_argument("--encoding", choices=["gbk", "gb18030", "big5"], default="gbk")
    kprinter.add_argument("--raster-qr", action="store_true", help="the printer lacks native QR (GS ( k)")
    kprinter.add_argument("--none", action="store_true", help="no printer: issue without print jobs")
    kprinter.set_defaults(fn=cmd_kiosk_printer)
    notice = sub.add_parser("notice", help="wall display notices").add_subparsers(dest="notice_cmd", required=True)
    nset = notice.add_parser("set", help="replace the scrolling notices of a hall (no text: clear them)")
    nset.add_argument("--hall", required=True)
    nset.add_argument("text", nargs="*", help="one argument per notice, in display order")
    nset.set_defaults(fn=cmd_notice_set)
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
    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_cmd", required=True)
    ucreate = user.add_parser("create", help="create a staff account")
    ucreate.add_argument("--user", required=True, help="工号")
    ucreate.add_argument("--name")
    user_roles = [Role.STAFF.value, Role.MANAGER.value, Role.ADMIN.value, Role.VIEWER.value]
    ucreate.add_argument("--role", required=True, choices=user_roles)
    ucreate.add_argument("--hall")
    ucreate.add_argument("--password", help="or HALLQ_PASSWORD, or asked for")
    ucreate.set_defaults(fn=cmd_user_create)
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


if __name__ == "__main__":
    sys.exit(main())
