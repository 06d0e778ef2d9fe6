"""`hallq`: init (migrate), demo, serve, token create, user create. Every command honours HALLQ_DATABASE_URL.

Errors: a HallqError prints `title: detail` to stderr and exits 2; anything else exits 1.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server import migrate
from queue_server import request_log
from queue_server.auth import hash_password
from queue_server.auth import mint_token
from queue_server.clock import SystemClock
from queue_server.demo import DEMO_PASSWORD
from queue_server.demo import load_demo
from queue_server.models import Device
from queue_server.models import Hall
from queue_server.models import Role
from queue_server.models import Staff
from queue_server.models import Window
from queue_server.runtime import Runtime
from queue_server.settings import Settings
from queue_server.settings import load_settings
from queue_server.store import Store
from queue_server.store import make_store

DEMO_CREDENTIALS = "demo-credentials.txt"


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
    path = settings.instance_path / DEMO_CREDENTIALS
    if creds is None:
        print("demo hall cxz already loaded", file=sys.stderr)
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
    print(f"demo halls loaded: cxz 楚雄州政务服务中心, lfs 禄丰市政务服务中心; credentials in {path}", file=sys.stderr)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from queue_server.server import serve  # only the serving command needs the web stack

    creds = settings.instance_path / DEMO_CREDENTIALS
    print(f"hallq serving on http://{args.host}:{args.port}/  (Ctrl+C stops)", file=sys.stderr)
    if creds.exists():
        print(creds.read_text(), file=sys.stderr)
    serve(settings, args.host, args.port, threads=args.threads)
    return 0


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
    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_cmd", required=True)
    ucreate = user.add_parser("create", help="create a staff account")
    ucreate.add_argument("--user", required=True, help="工号")
    ucreate.add_argument("--name")
    ucreate.add_argument("--role", required=True,
                         choices=[Role.STAFF.value, Role.MANAGER.value, Role.ADMIN.value, Role.VIEWER.value])
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
