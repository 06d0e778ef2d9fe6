"""`hallq key status` and `hallq key rotate`: the key that hashes ID and phone numbers (queue_server/person_keys.py).

Rotating: a new current key is written beside the secret key (0600); the old one stays in the file as retired
while rows still count for a per-person limit under it: today's tickets, open bookings (one per service and day,
the open-bookings limit) and 爽约 within the suspension window. Hashes under a retired key that count for nothing
any more are erased; the others are re-keyed when their person comes again. `hallq key rotate --finish` (or the
next rotation) drops retired keys no such row uses; `--finish` refuses to drop one that is still needed (exit 1,
saying by what and until when) unless `--force` erases those hashes first. Prints nothing but errors and a summary
on stderr.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC
from typing import Any

from sqlalchemy import select

from queue_server.cli.database import open_store
from queue_server.clock import SystemClock
from queue_server.engine.oversight.person_rekey import UNRECORDED
from queue_server.engine.oversight.person_rekey import KeyUse
from queue_server.engine.oversight.person_rekey import key_uses
from queue_server.engine.oversight.person_rekey import sweep_retired_hashes
from queue_server.person_keys import KeyRing
from queue_server.person_keys import KeySource
from queue_server.person_keys import PersonKeyError
from queue_server.person_keys import key_id
from queue_server.person_keys import new_key
from queue_server.settings import Settings
from queue_server.storage.models import Hall
from queue_server.storage.runtime import Runtime


def _sweep(settings: Settings, ring: KeyRing, *, force: bool = False, quiet: bool = False) -> dict[str, KeyUse]:
    """Erase stale hashes hall by hall; key id -> what still needs it, over every hall."""
    uses: dict[str, KeyUse] = {}
    retired = [key_id(k) for k in ring.retired]
    with open_store(settings) as store:
        with store.read_session() as session:
            halls = list(session.scalars(select(Hall.code).order_by(Hall.id)))
        runtime = Runtime(store, SystemClock())
        for code in halls:
            done = runtime.execute(sweep_retired_hashes, hall=code, current=ring.current_id, retired=retired,
                                   force=force, actor="hallq key rotate").value
            for kid, use in done.uses.items():
                uses.setdefault(kid, KeyUse()).add(use)
            if quiet:
                continue
            left = {k: u for k, u in done.uses.items() if k != ring.current_id}
            print(f"hall {code}: {done.erased} old ticket hash(es) and {done.bookings_erased} booking hash(es) "
                  f"erased, {done.claimed} booking(s) recorded under the current key; "
                  f"{sum(u.tickets for u in left.values())} ticket(s) of today, "
                  f"{sum(u.open_bookings for u in left.values())} open booking(s) and "
                  f"{sum(u.no_shows for u in left.values())} 爽约 still under a retired key"
                  + (f"; {done.forced} of those erased (--force)" if done.forced else ""), file=sys.stderr)
    return uses


def _describe(use: KeyUse) -> str:
    until = (f" (until {use.until.astimezone(UTC):%Y-%m-%d} UTC at the latest, sooner as their people come again)"
             if use.until else "")
    return (f"{use.tickets} ticket(s) of today, {use.open_bookings} open booking(s), {use.no_shows} 爽约 "
            f"counted{until}")


def cmd_rotate(settings: Settings, args: argparse.Namespace) -> int:
    source = KeySource(settings.instance_path)
    if args.force and not args.finish:
        print("--force goes with --finish", file=sys.stderr)
        return 2
    try:
        ring = source.ring()
        if not args.finish and not source.from_environment:
            if not ring.retired:
                # Before the first retired key exists, bookings whose key was not recorded (migration 0023) can
                # only be the current key's: record it, or they would hold every retired key for weeks.
                _sweep(settings, ring, quiet=True)
            # The old current key joins the retired ones; nothing is dropped in the run that retires it, so a
            # server still hashing with it until it notices the new file leaves no row under a dropped key.
            just_retired = key_id(ring.current)
            ring = KeyRing(new_key(), (ring.current, *ring.retired))
            source.replace(ring)
        else:
            just_retired = None
        uses = _sweep(settings, ring, force=args.force)
        # A booking of unrecorded key may be any retired key's: while one counts, every retired key stays.
        unknown = uses.get(UNRECORDED, KeyUse()).rows > 0
        needed = {key_id(k) for k in ring.retired if unknown or uses.get(key_id(k), KeyUse()).rows}
        keep = tuple(k for k in ring.retired if key_id(k) in needed or key_id(k) == just_retired)
        if keep != ring.retired:
            if source.from_environment:
                unused = [key_id(k) for k in ring.retired if k not in keep]
                print(f"retired key(s) {', '.join(unused)} hash no row any more: remove them from "
                      "HALLQ_PERSON_KEY_RETIRED", file=sys.stderr)
            else:
                source.replace(KeyRing(ring.current, keep))
    except PersonKeyError as exc:
        print(f"person key: {exc}", file=sys.stderr)
        return 1
    print(f"current person key {ring.current_id}; retired kept: "
          f"{', '.join(key_id(k) for k in keep) or 'none'}", file=sys.stderr)
    if args.finish and needed:
        for kid in sorted(needed):
            print(f"not finished: retired key {kid} is still needed by "
                  f"{_describe(uses.get(kid, KeyUse()))}", file=sys.stderr)
        if unknown:
            print(f"not finished: bookings made before key ids were recorded could be any retired key's: "
                  f"{_describe(uses[UNRECORDED])}", file=sys.stderr)
        print("run `hallq key rotate --finish` again after that day, or `--finish --force` to erase those "
              "hashes now (their people's bookings stay valid, but their limits and 爽约 stop counting them)",
              file=sys.stderr)
        return 1
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    try:
        ring = KeySource(settings.instance_path).ring()
    except PersonKeyError as exc:
        print(f"person key: {exc}", file=sys.stderr)
        return 1
    uses: dict[str, KeyUse] = {}
    clock = SystemClock()
    with open_store(settings) as store, store.read_session() as session:
        for hall in session.scalars(select(Hall).order_by(Hall.id)):
            for kid, use in key_uses(session, hall, clock.now()).items():
                uses.setdefault(kid, KeyUse()).add(use)
    print(f"current {ring.current_id}: {_describe(uses.pop(ring.current_id, KeyUse()))}", file=sys.stderr)
    for k in ring.retired:
        print(f"retired {key_id(k)}: {_describe(uses.pop(key_id(k), KeyUse()))}", file=sys.stderr)
    for kid, use in sorted(uses.items()):  # rows under no key of the ring: legacy salt, unrecorded, dropped keys
        print(f"{'not in the ring' if kid not in (UNRECORDED, 'salted') else 'key'} {kid}: {_describe(use)}",
              file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    key = sub.add_parser("key", help="the key that hashes ID and phone numbers (kept outside the database)")
    keys = key.add_subparsers(dest="key_command", required=True)
    rot = keys.add_parser("rotate", help="hash with a new key from now on; erase old hashes no limit needs")
    rot.add_argument("--finish", action="store_true",
                     help="no new key: erase what counts for nothing and drop retired keys no row needs; exit 1 "
                          "if one is still needed (today's tickets, open bookings, 爽约)")
    rot.add_argument("--force", action="store_true",
                     help="with --finish: erase the hashes still needed under retired keys, then drop the keys")
    rot.set_defaults(fn=cmd_rotate)
    st = keys.add_parser("status", help="the current and retired keys' ids, and the rows still counted under each")
    st.set_defaults(fn=cmd_status)
