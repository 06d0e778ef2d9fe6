"""After a person key rotation: what is left under retired keys (docs/security.md, 个人信息保护).

A keyed hash cannot be re-keyed without the number it hides, and the number is never stored. A person hash only
counts for a per-person limit of its own service day, so once that day is over a hash under a retired key (or a
legacy salted one) serves nothing and is erased; today's stay, and are re-keyed when the person comes again
(engine/queue/numbering.py rekey_person). When no row of a hall uses the legacy salt any more, the salt goes too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.engine.audit import audit
from queue_server.engine.queue.numbering import LEGACY_KEY
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket


@dataclass(frozen=True)
class Swept:
    erased: int  # hashes of past days under a retired key or the legacy salt, erased now
    remaining: dict[str, int]  # retired key id -> today's rows still hashed with it


def sweep_retired_hashes(session: Session, clock: Clock, *, hall: Hall, current: str, actor: str = "cli"
                         ) -> events.Outcome[Swept]:
    """Erase the hall's person hashes of past service days not made with the `current` key id; count the rest."""
    today = service_day(clock.now(), hall.timezone, hall.day_rollover)
    stale = (Ticket.hall_id == hall.id, Ticket.person_hash.is_not(None),
             func.coalesce(Ticket.person_key, LEGACY_KEY) != current)
    erased = session.execute(update(Ticket).where(*stale, Ticket.service_on < today)
                             .values(person_hash=None, person_key=None)
                             .execution_options(synchronize_session=False))
    remaining: dict[str, int] = {}
    for kid, n in session.execute(select(Ticket.person_key, func.count()).where(*stale).group_by(Ticket.person_key)):
        remaining[kid or LEGACY_KEY] = remaining.get(kid or LEGACY_KEY, 0) + int(n)
    if hall.person_salt and LEGACY_KEY not in remaining:
        hall.person_salt = ""
    count = int(getattr(erased, "rowcount", 0) or 0)
    if count or remaining:
        audit(session, clock.now(), hall, actor, "person_key.sweep", f"hall:{hall.code}",
              data={"current": current, "erased": count, "remaining": remaining})
    return events.Outcome(Swept(count, remaining))
