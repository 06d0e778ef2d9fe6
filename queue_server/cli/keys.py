"""`hallq key status` and `hallq key rotate`: the key that hashes ID and phone numbers (queue_server/person_keys.py).

Rotating: a new current key is written beside the secret key (0600); the old one stays in the file as retired
while today's tickets still carry its hashes, so per-person limits keep counting a person across the rotation.
Hashes of past days under a retired key are erased (they count for no limit); today's are re-keyed when the
person comes again. `hallq key rotate --finish` (or the next rotation) drops retired keys no row uses any more.
Prints nothing but errors and a one-line summary per hall on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import select

from queue_server.cli.database import open_store
from queue_server.clock import SystemClock
from queue_server.engine.oversight.person_rekey import sweep_retired_hashes
from queue_server.person_keys import KeyRing
from queue_server.person_keys import KeySource
from queue_server.person_keys import PersonKeyError
from queue_server.person_keys import key_id
from queue_server.person_keys import new_key
from queue_server.settings import Settings
from queue_server.storage.models import Hall
from queue_server.storage.runtime import Runtime


def _sweep(settings: Settings, current: str) -> dict[str, int]:
    """Erase stale hashes hall by hall; key id -> rows of today still under it, over every hall."""
    left: dict[str, int] = {}
    with open_store(settings) as store:
        with store.read_session() as session:
            halls = list(session.scalars(select(Hall.code).order_by(Hall.id)))
        runtime = Runtime(store, SystemClock())
        for code in halls:
            done = runtime.execute(sweep_retired_hashes, hall=code, current=current, actor="hallq key rotate").value
            for kid, n in done.remaining.items():
                left[kid] = left.get(kid, 0) + n
            print(f"hall {code}: {done.erased} old hash(es) erased, "
                  f"{sum(done.remaining.values())} of today still under a retired key", file=sys.stderr)
    return left


def cmd_rotate(settings: Settings, args: argparse.Namespace) -> int:
    source = KeySource(settings.instance_path)
    try:
        ring = source.ring()
        if not args.finish and not source.from_environment:
            # The old current key joins the retired ones; nothing is dropped in the run that retires it, so a
            # server still hashing with it until it notices the new file leaves no row under a dropped key.
            just_retired = key_id(ring.current)
            ring = KeyRing(new_key(), (ring.current, *ring.retired))
            source.replace(ring)
        else:
            just_retired = None
        left = _sweep(settings, ring.current_id)
        keep = tuple(k for k in ring.retired if key_id(k) in left or key_id(k) == just_retired)
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
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    try:
        ring = KeySource(settings.instance_path).ring()
    except PersonKeyError as exc:
        print(f"person key: {exc}", file=sys.stderr)
        return 1
    print(f"current {ring.current_id}", file=sys.stderr)
    for k in ring.retired:
        print(f"retired {key_id(k)}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    """Add these commands to `hallq`'s subcommands."""
    key = sub.add_parser("key", help="the key that hashes ID and phone numbers (kept outside the database)")
    keys = key.add_subparsers(dest="key_command", required=True)
    rot = keys.add_parser("rotate", help="hash with a new key from now on; erase old hashes no limit needs")
    rot.add_argument("--finish", action="store_true",
                     help="no new key: erase what is left of past days and drop retired keys no row uses")
    rot.set_defaults(fn=cmd_rotate)
    st = keys.add_parser("status", help="the current key's id and the retired keys still kept")
    st.set_defaults(fn=cmd_status)
