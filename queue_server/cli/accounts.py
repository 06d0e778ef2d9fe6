"""`hallq user …`: staff, manager, admin and viewer accounts."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from sqlalchemy import select

from queue_server import errors
from queue_server.access.credentials import hash_password
from queue_server.cli.database import open_store
from queue_server.settings import Settings
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("HALLQ_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 8:
        print("password must have at least 8 characters", file=sys.stderr)
        return 1
    with open_store(settings) as store, store.transaction() as session:
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


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="user_cmd", required=True)
    ucreate = user.add_parser("create", help="create a staff account")
    ucreate.add_argument("--user", required=True, help="工号")
    ucreate.add_argument("--name")
    user_roles = [Role.STAFF.value, Role.MANAGER.value, Role.ADMIN.value, Role.VIEWER.value]
    ucreate.add_argument("--role", required=True, choices=user_roles)
    ucreate.add_argument("--hall")
    ucreate.add_argument("--password", help="or HALLQ_PASSWORD, or asked for")
    ucreate.set_defaults(fn=cmd_user_create)
