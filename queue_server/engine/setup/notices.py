"""set_notices: replace the scrolling notices of a hall's wall display (通知公告)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.storage.models import Hall
from queue_server.storage.models import HallNotice

# One scrolling line: longer texts scroll for minutes and nobody reads them to the end.
MAX_NOTICE_CHARS = 200


def set_notices(session: Session, clock: Clock, *, hall: Hall, texts: Sequence[str],
                actor: str = "cli") -> events.Outcome[list[str]]:
    """The given texts become the active notices, in order; older ones are kept inactive (history); audited with
    the texts before and after. Raises none."""
    before = list(session.scalars(select(HallNotice.text).where(HallNotice.hall_id == hall.id,
                                                                HallNotice.active.is_(True))
                                  .order_by(HallNotice.position)))
    session.execute(update(HallNotice).where(HallNotice.hall_id == hall.id, HallNotice.active.is_(True))
                    .values(active=False))
    kept = [t.strip()[:MAX_NOTICE_CHARS] for t in texts if t.strip()]
    now = clock.now()
    session.add_all(HallNotice(hall_id=hall.id, text=t, position=i, active=True, created_at=now)
                    for i, t in enumerate(kept))
    audit(session, now, hall, actor, "notices.set", f"hall:{hall.code}", before=before, after=kept)
    return events.Outcome(kept, (events.Event(events.NOTICES_UPDATED, {"notices": kept}),))
