"""`hallq hall …`: a hall from nothing. create, rename, retire; export its set-up to one XLSX workbook, import one
(checked cell by cell first, written in one transaction or not at all, `--dry-run` to check only), and the blank
template with Chinese headers.

create, rename and retire print nothing but errors. An import that is refused prints one line per bad cell
(工作表 第N行 列名：原因) and exits 3; a bad file exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from queue_server import engine
from queue_server.cli.database import open_store
from queue_server.clock import SystemClock
from queue_server.provisioning import halls
from queue_server.provisioning import snapshot
from queue_server.provisioning.importing import SetupRefused
from queue_server.settings import Settings
from queue_server.storage.runtime import Runtime

ACTOR = "hallq hall"
REFUSED = 3  # the workbook was read and some cells are wrong (2: a HallqError such as a missing hall or file)


def cmd_create(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        halls.create(store, SystemClock(), code=args.code, name=args.name, timezone=args.timezone, actor=ACTOR)
    return 0


def cmd_rename(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        Runtime(store, SystemClock()).execute(engine.rename_hall, hall=args.hall, name=args.name, actor=ACTOR)
    return 0


def cmd_retire(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        Runtime(store, SystemClock()).execute(engine.retire_hall, hall=args.hall, actor=ACTOR)
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    with open_store(settings) as store:
        data = halls.export(store, args.hall)
    Path(args.output).write_bytes(data)
    return 0


def cmd_template(_: Settings, args: argparse.Namespace) -> int:
    Path(args.output).write_bytes(snapshot.template())
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    with open_store(settings) as store:
        try:
            result = halls.import_workbook(Runtime(store, SystemClock()), args.hall, data, actor=ACTOR,
                                           dry_run=args.dry_run)
        except SetupRefused as refused:
            for cell in refused.cells:
                print(cell.line(), file=sys.stderr)
            return REFUSED
    changes = [f"{title} 新增 {n}" for title, n in result.created.items()]
    changes += [f"{title} 修改 {n}" for title, n in result.updated.items()]
    verb = "would change" if result.dry_run else "changed"
    print(f"{args.hall}: {verb}: {'；'.join(changes) if changes else 'nothing'}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    hall = sub.add_parser("hall", help="create, rename, retire a hall; export and import its set-up (XLSX)")
    cmds = hall.add_subparsers(dest="hall_cmd", required=True)
    create = cmds.add_parser("create", help="create an empty hall")
    create.add_argument("--code", required=True, help="hall code, e.g. cxz (lower case)")
    create.add_argument("--name", required=True, help="e.g. 楚雄州政务服务中心")
    create.add_argument("--timezone", required=True, help="e.g. Asia/Shanghai")
    create.set_defaults(fn=cmd_create)
    rename = cmds.add_parser("rename", help="change a hall's name")
    rename.add_argument("--hall", required=True)
    rename.add_argument("--name", required=True)
    rename.set_defaults(fn=cmd_rename)
    retire = cmds.add_parser("retire", help="stop a hall issuing tickets for good (its history stays)")
    retire.add_argument("--hall", required=True)
    retire.set_defaults(fn=cmd_retire)
    export = cmds.add_parser("export", help="write the hall's set-up to an XLSX workbook")
    export.add_argument("--hall", required=True)
    export.add_argument("--output", required=True, help="FILE.xlsx")
    export.set_defaults(fn=cmd_export)
    template = cmds.add_parser("template", help="write the blank workbook with its Chinese headers")
    template.add_argument("--output", required=True, help="FILE.xlsx")
    template.set_defaults(fn=cmd_template)
    imp = cmds.add_parser("import", help="check a workbook and write it into the hall (all or nothing)")
    imp.add_argument("--hall", required=True)
    imp.add_argument("file", help="FILE.xlsx")
    imp.add_argument("--dry-run", action="store_true", help="check every cell and report; write nothing")
    imp.set_defaults(fn=cmd_import)
