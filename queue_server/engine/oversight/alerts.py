"""Manager alerts: evaluate a hall's conditions, raise an Alert row when one starts and resolve it when it ends;
acknowledge (seen); set the hall's alert limits.

An open alert is never raised twice: (kind, subject) is matched against the open rows, which live in the database,
so a restart neither forgets nor repeats them. The evaluator reads the clock it is given (FrozenClock in tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import and_
from sqlalchemy import bindparam
from sqlalchemy import case as sql_case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.engine.audit import audit
from queue_server.engine.queue.estimates import callable_now
from queue_server.storage import alerts
from queue_server.storage.alerts import Alert
from queue_server.storage.alerts import AlertLimits
from queue_server.storage.alerts import Limits
from queue_server.storage.models import ACTIVE_STATUSES
from queue_server.storage.models import DailyCounter
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import PrintJob
from queue_server.storage.models import PrintJobStatus
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import TicketStatus
from queue_server.storage.models import Window
from queue_server.storage.models import WindowState
from queue_server.storage.ratings import EvaluationCase

# paper_low still prints, but the roll runs out within the hour: the manager sends someone before it does.
PRINTER_BAD_STATES = ("offline", "paper_low", "paper_out", "cover_open", "error")
# A ticket's print job expired with nobody printing it: the agent is not running or the printer never answered.
# A job expires within seconds (engine/queue/printing.py: the kiosk says 打印失败 after 20 s), so the first such
# job is the signal: a citizen has just been told their ticket did not print.
NO_ANSWER = "no_answer"
CASE_DONE_STATES = ("closed", "excluded")


@dataclass(frozen=True)
class Condition:
    kind: str
    subject: str
    data: dict[str, Any]


def alert_payload(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id, "kind": alert.kind, "subject": alert.subject, "state": alert.state,
        "raised_at": alert.raised_at.isoformat(), "seen_at": alert.seen_at.isoformat() if alert.seen_at else None,
        "seen_by": alert.seen_by, "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "data": dict(alert.data),
    }


def hall_limits(session: Session, hall: Hall) -> Limits:
    row = session.get(AlertLimits, hall.id)
    return alerts.effective_limits(row.limits if row else None)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


# Built once, and one row per service rather than one per waiting ticket: the round runs under the hall's write
# lock after every burst of writes, and loading each waiting ticket's queue time as an object made a round 18 ms
# at 3,300 waiting in a 10-service hall, against 4 ms now (docs/benchmarks.md, "The housekeeping round reads one
# row per service").
_ACTIVE_SERVICES = (select(Service.id, Service.code, Service.name, Service.warning_threshold, Service.daily_cap)
                    .where(Service.hall_id == bindparam("hall_id"), Service.active.is_(True))
                    .order_by(Service.id))
# Waiting means callable (estimates.callable_now): a 线上取号 ticket on its way is neither a queue the hall keeps
# waiting nor a reason a window sits idle, until its citizen arrives. Its wait in the hall starts then too: it keeps
# its place in the queue from the moment it was taken, but an alert must not fire the minute a citizen walks in.
_IN_HALL_SINCE = sql_case((and_(Ticket.remote.is_(True), Ticket.arrived_at > Ticket.queued_at), Ticket.arrived_at),
                          else_=Ticket.queued_at)
_LEG_IN_HALL_SINCE = sql_case((and_(Ticket.remote.is_(True), Ticket.arrived_at > Ticket.leg_queued_at),
                               Ticket.arrived_at), else_=Ticket.leg_queued_at)
# Per service: how many wait, since when the longest has waited in the hall, and since when the longest has
# waited for its present leg (the windows' idle condition; a transferred ticket's leg starts at the transfer).
_WAITING_SUMMARY = (select(Ticket.service_id, func.count(), func.min(_IN_HALL_SINCE), func.min(_LEG_IN_HALL_SINCE))
                    .where(Ticket.hall_id == bindparam("hall_id"), Ticket.status == TicketStatus.WAITING,
                           callable_now())
                    .group_by(Ticket.service_id))
_WAITING_SINCE = select(func.count()).select_from(Ticket).where(
    Ticket.hall_id == bindparam("hall_id"), Ticket.service_id == bindparam("service_id"),
    Ticket.status == TicketStatus.WAITING, callable_now(), _IN_HALL_SINCE <= bindparam("since"))
_ISSUED_ON = select(DailyCounter.service_id, DailyCounter.issued).join(
    Service, Service.id == DailyCounter.service_id).where(
    Service.hall_id == bindparam("hall_id"), DailyCounter.service_on == bindparam("on"))


@dataclass(frozen=True)
class _Waiting:
    count: int
    oldest: datetime  # in the hall
    oldest_leg: datetime  # in its present leg


def _waiting(session: Session, hall: Hall) -> dict[int, _Waiting]:
    """The callable waiting tickets of the hall by service id, in one pass over the queue."""
    return {sid: _Waiting(int(n), oldest, oldest_leg)
            for sid, n, oldest, oldest_leg in session.execute(_WAITING_SUMMARY, {"hall_id": hall.id})}


def _service_conditions(session: Session, hall: Hall, now: datetime, limits: Limits,
                        waiting: dict[int, _Waiting]) -> list[Condition]:
    out = []
    issued: dict[int, int] | None = None  # read once, and only in a hall with a capped service
    for sid, code, service_name, warning_threshold, daily_cap in session.execute(_ACTIVE_SERVICES,
                                                                                 {"hall_id": hall.id}):
        name = {"service": code, "service_name": service_name}
        summary = waiting.get(sid)
        count, oldest = (summary.count, summary.oldest) if summary is not None else (0, None)
        threshold = warning_threshold or limits.of("queue_length")
        if count >= threshold:
            out.append(Condition(alerts.QUEUE_LONG, f"service:{code}",
                                 {**name, "waiting": count, "limit": threshold}))
        wait_min = limits.of("ticket_wait_min", code)
        if oldest is not None and now - oldest >= timedelta(minutes=wait_min):
            since = now - timedelta(minutes=wait_min)
            over = session.scalar(_WAITING_SINCE, {"hall_id": hall.id, "service_id": sid, "since": since})
            out.append(Condition(alerts.TICKET_WAIT_LONG, f"service:{code}",
                                 {**name, "minutes": _minutes(now - oldest), "tickets": int(over or 0),
                                  "limit": wait_min}))
        if daily_cap:
            if issued is None:
                today = service_day(now, hall.timezone, hall.day_rollover)
                rows = session.execute(_ISSUED_ON, {"hall_id": hall.id, "on": today})
                issued = {int(service_id): int(n) for service_id, n in rows}
            if issued.get(sid, 0) * 100 >= daily_cap * limits.of("cap_percent"):
                out.append(Condition(alerts.DAILY_CAP_NEAR, f"service:{code}",
                                     {**name, "issued": issued.get(sid, 0), "cap": daily_cap}))
    return out


# With their service and window, and each window with its profile, in one or two statements: a lazy load per
# ticket and per window was one query each under the write lock, in a hall where every window is busy.
_SERVING = (select(Ticket).where(Ticket.hall_id == bindparam("hall_id"), Ticket.status == TicketStatus.SERVING)
            .options(joinedload(Ticket.service), joinedload(Ticket.window)))
_WINDOWS = select(Window).where(Window.hall_id == bindparam("hall_id")).options(selectinload(Window.profile))


def _serving_conditions(session: Session, hall: Hall, now: datetime, limits: Limits) -> list[Condition]:
    out = []
    for ticket in session.scalars(_SERVING, {"hall_id": hall.id}):
        limit = limits.of("service_min", ticket.service.code)
        since = ticket.started_at or ticket.called_at
        if since is not None and now - since >= timedelta(minutes=limit):
            out.append(Condition(alerts.SERVICE_LONG, f"ticket:{ticket.id}", {
                "ticket_no": ticket.ticket_no, "window": ticket.window.number if ticket.window else None,
                "window_label": ticket.window.label if ticket.window else None,
                "minutes": _minutes(now - since), "limit": limit}))
    return out


_LAST_LEG_END = select(func.max(TicketLeg.ended_at)).where(TicketLeg.window_id == bindparam("window_id"))


def _idle_since(session: Session, window: Window, oldest_waiting: datetime, idle_from: datetime) -> datetime | None:
    """Idle means people waited for this window the whole time: from the latest of its state change, its last
    finished leg and the oldest waiting ticket's arrival. None when that is after `idle_from` (not idle long): the
    last leg's end is only read when the other two say the window has been idle long enough, as it is in few of a
    busy hall's rounds (the round holds the hall's write lock; docs/benchmarks.md, goal 1)."""
    since = max(t for t in (window.state_since, oldest_waiting) if t is not None)
    if since > idle_from:
        return None
    last_end = session.scalar(_LAST_LEG_END, {"window_id": window.id})
    since = max(since, last_end) if last_end is not None else since
    return since if since <= idle_from else None


def _window_conditions(session: Session, hall: Hall, now: datetime, limits: Limits,
                       waiting: dict[int, _Waiting]) -> list[Condition]:
    out = []
    idle_limit = timedelta(minutes=limits.of("window_idle_min"))
    busy = set(session.scalars(select(Ticket.window_id).where(Ticket.hall_id == hall.id,
                                                             Ticket.status.in_(ACTIVE_STATUSES))))
    for window in session.scalars(_WINDOWS, {"hall_id": hall.id}):
        subject, name = f"window:{window.number}", {"window": window.number, "window_name": window.name,
                                                  "window_label": window.label}
        if window.state in (WindowState.PAUSED, WindowState.AWAY) and window.state_since is not None:
            if now - window.state_since >= timedelta(minutes=limits.of("pause_min")):
                out.append(Condition(alerts.WINDOW_PAUSED_LONG, subject, {
                    **name, "state": window.state.value, "reason": window.state_reason,
                    "minutes": _minutes(now - window.state_since), "limit": limits.of("pause_min")}))
            continue
        if window.state != WindowState.OPEN or window.staff_id is None or window.id in busy:
            continue
        legs = [waiting[ws.service_id].oldest_leg for ws in window.profile if ws.service_id in waiting]
        if not legs:
            continue
        since = _idle_since(session, window, min(legs), now - idle_limit)
        if since is not None:
            out.append(Condition(alerts.WINDOW_IDLE, subject, {**name, "minutes": _minutes(now - since),
                                                                 "limit": limits.of("window_idle_min")}))
    return out


# Built once, like the service statements above: building them cost more than running them.
_TROUBLED_KIOSKS = select(Device).where(Device.hall_id == bindparam("hall_id"), Device.kind == "kiosk",
                                        Device.printer_state.in_(PRINTER_BAD_STATES))
_LATEST_ENDED = (select(PrintJob.device_id, func.max(PrintJob.id).label("job_id"))
                 .where(PrintJob.hall_id == bindparam("hall_id"),
                        PrintJob.status.in_((PrintJobStatus.PRINTED, PrintJobStatus.EXPIRED)))
                 .group_by(PrintJob.device_id).subquery())
_LATEST_EXPIRED = (select(Device).join(_LATEST_ENDED, _LATEST_ENDED.c.device_id == Device.id)
                   .join(PrintJob, PrintJob.id == _LATEST_ENDED.c.job_id)
                   .where(PrintJob.status == PrintJobStatus.EXPIRED))
_OPEN_CASES = select(EvaluationCase).where(EvaluationCase.hall_id == bindparam("hall_id"),
                                           EvaluationCase.status.not_in(CASE_DONE_STATES))


def _unanswered_printers(session: Session, hall: Hall) -> set[Device]:
    """Kiosks whose print agent does not answer: the latest job (of those printed or expired) expired unprinted.
    A later printed job ends it."""
    return set(session.scalars(_LATEST_EXPIRED, {"hall_id": hall.id}))


def _device_and_case_conditions(session: Session, hall: Hall, now: datetime) -> list[Condition]:
    out = []
    for device in session.scalars(_TROUBLED_KIOSKS, {"hall_id": hall.id}):
        out.append(Condition(alerts.PRINTER_TROUBLE, f"device:{device.id}",
                             {"device": device.name, "printer_state": device.printer_state}))
    reported = {c.subject for c in out}
    for device in sorted(_unanswered_printers(session, hall), key=lambda d: d.id):
        if f"device:{device.id}" not in reported:
            out.append(Condition(alerts.PRINTER_TROUBLE, f"device:{device.id}",
                                 {"device": device.name, "printer_state": NO_ANSWER}))
    today = service_day(now, hall.timezone, hall.day_rollover)
    for case in session.scalars(_OPEN_CASES, {"hall_id": hall.id}):
        data = {"case": case.id, "due_on": case.due_on.isoformat()}
        if case.status == "open":
            out.append(Condition(alerts.BAD_RATING, f"case:{case.id}", data))
        if case.due_on < today:
            out.append(Condition(alerts.CASE_OVERDUE, f"case:{case.id}", data))
    return out


def conditions(session: Session, hall: Hall, now: datetime) -> list[Condition]:
    """Every alert condition that holds in the hall right now."""
    limits = hall_limits(session, hall)
    waiting = _waiting(session, hall)
    return [*_service_conditions(session, hall, now, limits, waiting), *_serving_conditions(session, hall, now, limits),
            *_window_conditions(session, hall, now, limits, waiting), *_device_and_case_conditions(session, hall, now)]


def evaluate_alerts(session: Session, clock: Clock, *, hall: Hall) -> events.Outcome[list[Alert]]:
    """Raise an alert for each new condition (alert.raised) and resolve open ones whose condition ended
    (alert.updated). Returns the alerts that changed. Raises none."""
    now = clock.now()
    holding = {(c.kind, c.subject): c for c in conditions(session, hall, now)}
    open_rows = {(a.kind, a.subject): a for a in session.scalars(
        select(Alert).where(Alert.hall_id == hall.id, Alert.state.in_(alerts.OPEN_STATES)))}
    changed: list[tuple[str, Alert]] = []
    for key, alert in open_rows.items():
        if key in holding:
            alert.data = holding[key].data  # current figures; no event, or a long queue would chatter
        else:
            alert.state, alert.resolved_at = alerts.RESOLVED, now
            changed.append((events.ALERT_UPDATED, alert))
    for key, cond in holding.items():
        if key not in open_rows:
            alert = Alert(hall_id=hall.id, kind=cond.kind, subject=cond.subject, state=alerts.NEW,
                          raised_at=now, data=cond.data)
            session.add(alert)
            changed.append((events.ALERT_RAISED, alert))
    session.flush()
    return events.Outcome([a for _, a in changed],
                          tuple(events.Event(t, {"alert": alert_payload(a)}) for t, a in changed))


def mark_alert_seen(session: Session, clock: Clock, *, hall: Hall, alert_id: int, actor: str
                    ) -> events.Outcome[Alert]:
    """A manager acknowledged the alert (new -> seen); a resolved one stays resolved. Raises alert_not_found."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.hall_id != hall.id:
        raise errors.AlertNotFound(alert=alert_id)
    if alert.state != alerts.NEW:
        return events.Outcome(alert)
    alert.state, alert.seen_at, alert.seen_by = alerts.SEEN, clock.now(), actor
    return events.Outcome(alert, (events.Event(events.ALERT_UPDATED, {"alert": alert_payload(alert)}),))


def _checked_limits(hall: Hall, limits: dict[str, Any], service_codes: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in limits.items():
        if key == "services":
            continue
        _check_limit(key, value)
        out[key] = value
    services: dict[str, dict[str, int]] = {}
    for code, values in (limits.get("services") or {}).items():
        if code not in service_codes:
            raise errors.ServiceNotFound(hall=hall.code, service=code)
        for key, value in values.items():
            if key not in alerts.SERVICE_LIMITS:
                raise errors.BadLimit(key=key, low=0, high=0)
            _check_limit(key, value)
        services[code] = dict(values)
    if services:
        out["services"] = services
    return out


def _check_limit(key: str, value: Any) -> None:
    if key not in alerts.LIMIT_RANGES:
        raise errors.BadLimit(key=key, low=0, high=0)
    low, high = alerts.LIMIT_RANGES[key]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise errors.BadLimit(key=key, low=low, high=high)


def set_alert_limits(session: Session, clock: Clock, *, hall: Hall, limits: dict[str, Any], actor: str
                     ) -> events.Outcome[dict[str, Any]]:
    """Replace the hall's alert limits (audited), then re-evaluate so alerts follow the new limits at once.
    Raises bad_limit, service_not_found."""
    codes = set(session.scalars(select(Service.code).where(Service.hall_id == hall.id)))
    checked = _checked_limits(hall, limits, codes)
    row = session.get(AlertLimits, hall.id)
    before = dict(row.limits) if row else {}
    if row is None:
        row = AlertLimits(hall_id=hall.id, limits=checked)
        session.add(row)
    else:
        row.limits = checked
    audit(session, clock.now(), hall, actor, "alert_limits.set", hall.code,
          before=before, after=checked)
    session.flush()
    evaluated = evaluate_alerts(session, clock, hall=hall)
    return events.Outcome(checked, evaluated.events)
