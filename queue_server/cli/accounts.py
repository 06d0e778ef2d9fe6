"""`hallq user …`: staff, manager, admin and viewer accounts: create one, set its password, deactivate it.

Passwords come from standard input (--password-stdin) or a prompt, never from the command line, where `ps` shows
them to every user of the machine (--password still works, with a warning), and are never printed back. A new
password or a deactivation ends every session of the account; each change is in the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import hash_new_password
from queue_server.cli.database import open_store
from queue_server.clock import SystemClock
from queue_server.settings import Settings
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store

ACTOR = "hallq user"


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if getattr(args, "password", None):
        print("warning: --password is visible to every user of this machine (ps); use --password-stdin",
              file=sys.stderr)
        return str(args.password)
    return os.environ.get("HALLQ_PASSWORD") or getpass.getpass("password: ")


def _lock_hall(store: Store, staff: Staff | None) -> str | None:
    """The hall a change of this account runs under (its own, else the first); None before any hall exists."""
    with store.read_session() as session:
        hall = session.get(Hall, staff.hall_id) if staff is not None and staff.hall_id else None
        hall = hall or session.scalar(select(Hall).order_by(Hall.id).limit(1))
        return hall.code if hall is not None else None


def _account(store: Store, user_no: str) -> Staff:
    with store.read_session() as session:
        staff = session.scalar(select(Staff).where(Staff.user_no == user_no))
        if staff is None:
            raise errors.StaffNotFound(user=user_no)
        session.expunge(staff)
        return staff


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    password_hash = hash_new_password(_password(args))
    with open_store(settings) as store, store.transaction() as session:
        hall = None
        if args.hall:
            hall = session.scalar(select(Hall).where(Hall.code == args.hall))
            if hall is None:
                raise errors.HallNotFound(hall=args.hall)
        if session.scalar(select(Staff.id).where(Staff.user_no == args.user)) is not None:
            print(f"user {args.user} already exists", file=sys.stderr)
            return 1
        staff = Staff(hall_id=hall.id if hall else None, user_no=args.user, name=args.name or args.user,
                      password_hash=password_hash, role=Role(args.role))
        session.add(staff)
        session.add(AuditEntry(at=SystemClock().now(), hall_id=hall.id if hall else None, actor=ACTOR,
                               action="staff.create", target=f"staff:{args.user}",
                               data={"after": {"user_no": args.user, "role": args.role, "hall": args.hall}}))
    print(f"user {args.user} created", file=sys.stderr)
    return 0


def _run(store: Store, staff: Staff, op: Callable[..., Any], **kwargs: Any) -> None:
    hall = _lock_hall(store, staff)
    if hall is None:
        raise errors.HallNotFound(hall="")
    Runtime(store, SystemClock()).execute(op, hall=hall, **kwargs)


def cmd_user_password(settings: Settings, args: argparse.Namespace) -> int:
    password_hash = hash_new_password(_password(args))
    with open_store(settings) as store:
        staff = _account(store, args.user)
        if _lock_hall(store, staff) is None:
            # No hall yet, so nobody can have signed in: set it directly (still audited).
            with store.transaction() as session:
                row = session.get(Staff, staff.id)
                assert row is not None
                row.password_hash, row.password_is_demo = password_hash, False
                session.add(AuditEntry(at=SystemClock().now(), hall_id=None, actor=ACTOR,
                                       action="staff.password_reset", target=f"staff:{args.user}", data={}))
        else:
            _run(store, staff, engine.reset_any_password, user_no=args.user, password_hash=password_hash,
                 actor=ACTOR)
    print(f"password of {args.user} set; every session of the account has ended", file=sys.stderr)
    return 0


def cmd_user_deactivate(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        staff = _account(store, args.user)
        if _lock_hall(store, staff) is None:
            with store.transaction() as session:
                row = session.get(Staff, staff.id)
                assert row is not None
                row.active = False
        else:
            _run(store, staff, engine.deactivate_account, user_no=args.user, actor=ACTOR)
    print(f"user {args.user} deactivated", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_cmd", required=True)
    ucreate = user.add_parser("create", help="create a staff account")
    ucreate.add_argument("--user", required=True, help="工号")
    ucreate.add_argument("--name")
    user_roles = [Role.STAFF.value, Role.MANAGER.value, Role.ADMIN.value, Role.VIEWER.value]
    ucreate.add_argument("--role", required=True, choices=user_roles)
    ucreate.add_argument("--hall")
    ucreate.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    ucreate.add_argument("--password", help=argparse.SUPPRESS)  # visible in ps: kept for old scripts only
    ucreate.set_defaults(fn=cmd_user_create)
    upassword = user.add_parser("password", help="set an account's password (ends its sessions)")
    upassword.add_argument("--user", required=True, help="工号")
    upassword.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    upassword.set_defaults(fn=cmd_user_password)
    udeactivate = user.add_parser("deactivate", help="stop an account at once (ends its sessions)")
    udeactivate.add_argument("--user", required=True, help="工号")
    udeactivate.set_defaults(fn=cmd_user_deactivate)
