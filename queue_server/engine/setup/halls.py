"""A hall's own life: created from nothing (code, name, time zone), renamed, retired (撤销).

Creating runs outside Runtime.execute (there is no hall row to lock yet) in the caller's transaction; renaming
and retiring are ordinary ops. A retired hall keeps every row (tickets, legs, 好差评, audit) for its reports and
reviews; issuing refuses it (engine/queue/issuing.py). Every change is audited.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.engine.setup.departments import check_name
from queue_server.engine.setup.hall_settings import check_timezone
from queue_server.storage.models import Hall

# Lower case: the code is in every URL and token a hall's devices are set up with, typed by hand.
HALL_CODE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,31}$")
# Pages of the manager console live beside /manager/<hall>; a hall of that code would hide them.
RESERVED_CODES = frozenset({"halls", "login", "logout"})
NAME_MAX = 128  # the column's width
WEEKDAY_HOURS = [["08:30", "12:00"], ["14:00", "17:30"]]  # a new hall's hours until its workbook says otherwise


def hall_payload(hall: Hall) -> dict[str, Any]:
    return {"code": hall.code, "name": hall.name, "timezone": hall.timezone,
            "retired": hall.retired_at is not None,
            "retired_at": hall.retired_at.isoformat() if hall.retired_at else None}


def _check_name(name: Any) -> str:
    text = check_name(name)
    if len(text) > NAME_MAX:
        raise errors.SettingOutOfRange(field="name", label="大厅名称长度", low=1, high=NAME_MAX)
    return text


def create_hall(session: Session, clock: Clock, *, code: str, name: str, timezone: str, actor: str) -> Hall:
    """A new, empty hall: no services, windows or accounts (a workbook import or the console adds them).
    Raises bad_hall_code, name_required, bad_timezone, code_taken."""
    if not HALL_CODE.fullmatch(code) or code in RESERVED_CODES:
        raise errors.BadHallCode()
    name = _check_name(name)
    check_timezone(timezone)
    if session.scalar(select(Hall.id).where(Hall.code == code)) is not None:
        raise errors.CodeTaken(code=code)
    hall = Hall(code=code, name=name, timezone=timezone, opening_hours={
        **{d: [list(i) for i in WEEKDAY_HOURS] for d in "12345"}, "6": [], "7": []},
        person_salt=secrets.token_hex(16), event_seq=0)
    session.add(hall)
    session.flush()
    audit(session, clock.now(), hall, actor, "hall.create", hall.code, before=None, after=hall_payload(hall))
    return hall


def rename_hall(session: Session, clock: Clock, *, hall: Hall, name: str, actor: str
                ) -> events.Outcome[dict[str, Any]]:
    """Raises name_required, setting_out_of_range."""
    before = hall_payload(hall)
    hall.name = _check_name(name)
    after = hall_payload(hall)
    if after != before:
        audit(session, clock.now(), hall, actor, "hall.rename", hall.code, before=before, after=after)
    return events.Outcome(after, (events.Event(events.HALL_UPDATED, {"identity": after}),))


def retire_hall(session: Session, clock: Clock, *, hall: Hall, actor: str) -> events.Outcome[dict[str, Any]]:
    """No ticket is issued from now on; waiting tickets may still be called and finished today, and every row
    stays. Retiring twice changes nothing."""
    if hall.retired_at is not None:
        return events.Outcome(hall_payload(hall))
    before = hall_payload(hall)
    hall.retired_at = clock.now()
    after = hall_payload(hall)
    audit(session, clock.now(), hall, actor, "hall.retire", hall.code, before=before, after=after)
    return events.Outcome(after, (events.Event(events.HALL_UPDATED, {"identity": after}),))
