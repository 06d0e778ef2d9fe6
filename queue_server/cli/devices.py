"""`hallq token create`, `hallq device pair`, `hallq kiosk printer` and `hallq notice set`: devices and what the
wall shows."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import hash_token
from queue_server.access.credentials import mint_token
from queue_server.cli.database import open_store
from queue_server.clock import SystemClock
from queue_server.engine.setup.pairing import new_pairing_code
from queue_server.settings import Settings
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.runtime import Runtime


def cmd_notice_set(settings: Settings, args: argparse.Namespace) -> int:
    """Replace the wall display's scrolling notices (until the manager console edits them)."""
    # Without Redis nothing is pushed from here: displays pick the event up from the outbox at their next sync.
    with open_store(settings) as store:
        done = Runtime(store, SystemClock()).execute(engine.set_notices, hall=args.hall, texts=args.text,
                                                     actor="hallq notice set")
    print(f"{len(done.value)} notice(s) active in hall {args.hall}", file=sys.stderr)
    return 0


def cmd_token_create(settings: Settings, args: argparse.Namespace) -> int:
    role = Role(args.role)
    with open_store(settings) as store, store.transaction() as session:
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


def cmd_device_pair(settings: Settings, args: argparse.Namespace) -> int:
    """Print a one-time pairing code for a device (registered first when --kind is given and it is new)."""
    clock = SystemClock()
    with open_store(settings) as store:
        with store.read_session() as session:
            hall = session.scalar(select(Hall).where(Hall.code == args.hall))
            if hall is None:
                raise errors.HallNotFound(hall=args.hall)
            device_id = session.scalar(select(Device.id).where(Device.hall_id == hall.id, Device.name == args.name)
                                       .order_by(Device.id))
        runtime = Runtime(store, clock)
        if device_id is None:
            if not args.kind:
                print(f"no device {args.name} in hall {args.hall}: give --kind to register it", file=sys.stderr)
                return 1
            device_id = runtime.execute(engine.register_device, hall=args.hall, kind=args.kind, name=args.name,
                                        window_number=args.window, token_hash=None, actor="hallq device pair",
                                        after=lambda _, device: device.id).value
        code = new_pairing_code()
        expires = runtime.execute(engine.create_pairing_code, hall=args.hall, device_id=device_id,
                                  code_hash=hash_token(code), actor="hallq device pair").value
    print(code)
    print(f"type it at /pair on device {args.name} before {expires:%H:%M} UTC (single use)", file=sys.stderr)
    return 0


def cmd_kiosk_printer(settings: Settings, args: argparse.Namespace) -> int:
    """Give a kiosk a ticket printer (its issues then queue print jobs) or take it away (--none)."""
    with open_store(settings) as store, store.transaction() as session:
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


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    token = sub.add_parser("token", help="bearer tokens").add_subparsers(dest="token_cmd", required=True)
    create = token.add_parser("create", help="mint a token and print it alone on stdout")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--hall", required=True)
    create.add_argument("--window", type=int)
    create.add_argument("--user", help="staff 工号 the token acts as")
    create.add_argument("--name", help="device name (kiosks, displays)")
    create.set_defaults(fn=cmd_token_create)
    device = sub.add_parser("device", help="devices").add_subparsers(dest="device_cmd", required=True)
    pair = device.add_parser("pair", help="print a one-time pairing code (8 digits, 10 min) for a device")
    pair.add_argument("--hall", required=True)
    pair.add_argument("--name", required=True, help="the device's name")
    pair.add_argument("--kind", choices=["kiosk", "display", "rater"], help="register the device if it is new")
    pair.add_argument("--window", type=int, help="its window (a window screen or rating tablet)")
    pair.set_defaults(fn=cmd_device_pair)
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
