"""A manager's edits of a 办事指南 item: the text fields the kiosk shows and the guide-quality rules read
(location, hours, conditions, legal basis, phones, time limits...). Run through Runtime.execute like every write:
audited with the changed fields before and after, re-indexed for search, announced as guide.updated.

Core: imports no Flask. It lives beside the catalogue, not in the engine, because guides are catalogue data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from queue_server import catalogue
from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.models import AuditEntry
from queue_server.models import Hall

TEXT_FIELDS = ("name", "agency", "theme", "keywords", "location", "hours", "conditions", "legal_basis",
               "consult_phone", "complaint_phone")
# field -> (label, lowest, highest): a year of working days is beyond any 法定办结时限 seen; 到办事现场次数 above
# a few is what 最多跑一次 exists to prevent.
RANGES: dict[str, tuple[str, int, int]] = {
    "legal_limit_days": ("法定办结时限（工作日）", 0, 365),
    "promised_limit_days": ("承诺办结时限（工作日）", 0, 365),
    "visits": ("到办事现场次数", 0, 10),
}
FLAGS = ("appointment", "online", "self_service")
FIELDS = (*TEXT_FIELDS, *RANGES, *FLAGS)


def _snapshot(item: catalogue.GuideItem, fields: list[str]) -> dict[str, Any]:
    return {f: getattr(item, f) for f in fields}


def update_guide(session: Session, clock: Clock, *, hall: Hall, code: str, changes: dict[str, Any], actor: str
                 ) -> events.Outcome[catalogue.GuideItem]:
    """Change the given fields of a guide item. Findings are not refusals: a guide that breaks a quality rule is
    saved and its findings shown, as the customer's report lints, not blocks. Raises guide_not_found,
    name_required, setting_out_of_range."""
    item = catalogue.guide_by_code(session, code)
    if item is None:
        raise errors.GuideNotFound(guide=code)
    changes = {k: v for k, v in changes.items() if k in FIELDS}
    if "name" in changes and not str(changes["name"] or "").strip():
        raise errors.NameRequired()
    for field, (label, low, high) in RANGES.items():
        value = changes.get(field)
        if value is not None and not low <= value <= high:
            raise errors.SettingOutOfRange(field=field, label=label, low=low, high=high)
    changes = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()
               if v is not None or k in ("legal_limit_days", "promised_limit_days")}
    fields = sorted(changes)
    before = _snapshot(item, fields)
    for field, value in changes.items():
        setattr(item, field, value)
    catalogue.index_guide(item)
    after = _snapshot(item, fields)
    session.add(AuditEntry(at=clock.now(), hall_id=hall.id, actor=actor, action="guide.update",
                           target=f"guide:{item.code}", data={"before": before, "after": after}))
    return events.Outcome(item, (events.Event(events.GUIDE_UPDATED, {"guide": {"code": item.code,
                                                                               "name": item.name}}),))
