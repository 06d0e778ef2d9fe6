"""A hall's own settings changed by a manager: the announcement template and repeats (None: the process
settings HALLQ_VOICE_* apply), the time zone and the priority ratio. Validated, audited and announced as
hall.updated, so the hub announces the next call with the new wording and consoles re-read the hall.
"""

from __future__ import annotations

import string
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.storage.models import Hall

# The column's width; a call spoken longer than this keeps the next ticket waiting for the announcement.
VOICE_TEMPLATE_MAX = 64
# Once is easily missed in a noisy hall, more than three annoys everyone waiting (display/voice.py clamps too).
VOICE_REPEATS = (1, 3)
VOICE_FIELDS = ("ticket", "window")
# 1 priority call after N normal ones; 0 would serve priority only, above 10 priority hardly ever comes first.
PRIORITY_RATIO = (1, 10)


def check_voice_template(template: str) -> str:
    """The template stripped, or bad_voice_template: {ticket} and {window} once each, nothing else in braces."""
    template = template.strip()
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:  # a lone { or }
        raise errors.BadVoiceTemplate(max=VOICE_TEMPLATE_MAX) from exc
    fields = [(name, spec, conv) for _, name, spec, conv in parts if name is not None]
    if (len(template) > VOICE_TEMPLATE_MAX or sorted(name for name, _, _ in fields) != sorted(VOICE_FIELDS)
            or any(spec or conv for _, spec, conv in fields)):
        raise errors.BadVoiceTemplate(max=VOICE_TEMPLATE_MAX)
    return template


def voice_settings(hall: Hall) -> dict[str, Any]:
    return {"template": hall.voice_template, "repeats": hall.voice_repeats}


def set_voice(session: Session, clock: Clock, *, hall: Hall, template: str | None, repeats: int | None,
              actor: str) -> events.Outcome[dict[str, Any]]:
    """The hall's own announcement template and repeats; None returns either to the process default.
    Raises bad_voice_template, setting_out_of_range."""
    checked = check_voice_template(template) if template is not None and template.strip() else None
    low, high = VOICE_REPEATS
    if repeats is not None and not low <= repeats <= high:
        raise errors.SettingOutOfRange(field="repeats", label="播报次数", low=low, high=high)
    before = voice_settings(hall)
    hall.voice_template, hall.voice_repeats = checked, repeats
    after = voice_settings(hall)
    audit(session, clock.now(), hall, actor, "hall.set_voice", hall.code, before=before, after=after)
    # Not under "hall": the envelope's top-level `hall` is the hall code and would overwrite it on the wire.
    return events.Outcome(after, (events.Event(events.HALL_UPDATED, {"announcement": after}),))


HALL_FIELDS = ("timezone", "priority_ratio", "booking_open_limit", "no_show_limit", "no_show_suspend_days",
               "remote_grace_min", "remote_walk_ahead")
# Open bookings per person: one is too strict for a family, more than 20 is hoarding.
BOOKING_OPEN_LIMIT = (1, 20)
# 爽约 rule: 1 is harsh but seen; 10 no-shows a month is no rule at all. A suspension of up to half a year.
NO_SHOW_LIMIT = (1, 10)
NO_SHOW_SUSPEND_DAYS = (1, 180)
# 线上取号: a held remote ticket waits 1–60 minutes for its citizen (a hall's walk from the car park to an hour's
# bus ride); the phone says "set off" at 0–50 people ahead.
REMOTE_GRACE_MIN = (1, 60)
REMOTE_WALK_AHEAD = (0, 50)


def check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # ValueError: a path-like or empty key
        raise errors.BadTimezone(timezone=name) from exc


def hall_settings(hall: Hall) -> dict[str, Any]:
    return {"code": hall.code, "name": hall.name, "timezone": hall.timezone, "priority_ratio": hall.priority_ratio,
            "booking_open_limit": hall.booking_open_limit, "no_show_limit": hall.no_show_limit,
            "no_show_suspend_days": hall.no_show_suspend_days, "remote_grace_min": hall.remote_grace_min,
            "remote_walk_ahead": hall.remote_walk_ahead}


def update_hall(session: Session, clock: Clock, *, hall: Hall, changes: dict[str, Any], actor: str
                ) -> events.Outcome[dict[str, Any]]:
    """Change the hall's time zone (service days, opening hours and reports follow it), its priority ratio or the
    open bookings one person may hold.
    Raises bad_timezone, setting_out_of_range."""
    changes = {k: v for k, v in changes.items() if k in HALL_FIELDS and v is not None}
    if "timezone" in changes:
        check_timezone(str(changes["timezone"]))
    low, high = PRIORITY_RATIO
    if "priority_ratio" in changes and not low <= changes["priority_ratio"] <= high:
        raise errors.SettingOutOfRange(field="priority_ratio", label="优先与普通叫号比例", low=low, high=high)
    for field, label, (low, high) in (("booking_open_limit", "每人未到期预约数", BOOKING_OPEN_LIMIT),
                                      ("no_show_limit", "30天内爽约次数", NO_SHOW_LIMIT),
                                      ("no_show_suspend_days", "爽约暂停预约天数", NO_SHOW_SUSPEND_DAYS),
                                      ("remote_grace_min", "线上取号到号保留分钟数", REMOTE_GRACE_MIN),
                                      ("remote_walk_ahead", "提醒出发时前面人数", REMOTE_WALK_AHEAD)):
        if field in changes and not low <= changes[field] <= high:
            raise errors.SettingOutOfRange(field=field, label=label, low=low, high=high)
    before = hall_settings(hall)
    for field, value in changes.items():
        setattr(hall, field, value)
    after = hall_settings(hall)
    audit(session, clock.now(), hall, actor, "hall.update", hall.code, before=before, after=after)
    return events.Outcome(after, (events.Event(events.HALL_UPDATED, {"settings": after}),))
