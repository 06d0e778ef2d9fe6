"""Hall reports for managers: tickets, outcomes, waiting and service times, 好差评 figures and the window and staff
ranking, over a period of business days, grouped by service, window, staff member or hour.

Read-only and exact: every figure comes from stored rows (tickets, closed ticket legs with their wait_s and
service_s, ratings and 差评 cases); nothing is sampled or estimated. Core module: imports SQLAlchemy, the models and
the stdlib only; no Flask.

The period's legs are read once as plain tuples and tallied in Python: percentiles need the period's values
anyway, and one pass over 100,000 legs takes a fraction of a second (bench/report.py measures it).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.evaluation import BAD_LEVELS
from queue_server.evaluation import LEVELS
from queue_server.evaluation import EvaluationCase
from queue_server.evaluation import Rating
from queue_server.models import Channel
from queue_server.models import Hall
from queue_server.models import Outcome
from queue_server.models import Service
from queue_server.models import Staff
from queue_server.models import Ticket
from queue_server.models import TicketLeg
from queue_server.models import Window

GroupBy = Literal["service", "window", "staff", "hour"]
GROUPINGS: tuple[GroupBy, ...] = ("service", "window", "staff", "hour")
# A report spans at most a year of business days: longer asks belong to an archive, not the hall server.
MAX_PERIOD_DAYS = 366
NONE_KEY = "none"  # legs without a window or staff member (cancelled or expired while waiting)
CHANNELS = tuple(c.value for c in Channel)


@dataclass(frozen=True)
class Durations:
    """Seconds over one kind of leg: how many, mean, median, 90th percentile (nearest rank), max, over the limit."""

    count: int
    mean_s: float | None
    median_s: float | None
    p90_s: int | None
    max_s: int | None
    over_limit: int


@dataclass(frozen=True)
class Row:
    """The figures of one group (a service, window, staff member or hour) or of the whole hall (key "total")."""

    key: str
    label: str
    tickets: dict[str, int]  # issued tickets by channel, plus "total"
    served: int  # legs finished at a window (办结 + 退办 + 咨询)
    done: int  # 办结
    returned: int  # 退办
    consult: int  # 咨询
    no_show: int  # 过号 (空号)
    transferred: int
    cancelled: int
    expired: int  # still waiting when the day closed
    wait: Durations
    service: Durations
    rated: int  # ratings counted (appeal-upheld, malicious ratings excluded)
    levels: dict[str, int]  # A.8 code "1".."5" -> ratings
    rating_rate: float | None  # 参评率 = rated / served
    bad: int  # 差评: levels 4 and 5
    bad_rate: float | None  # 差评率 = bad / rated
    cases: int  # 差评 cases opened on these legs
    cases_closed_on_time: int
    cases_closed_late: int
    cases_open_overdue: int  # still open past their due day


@dataclass(frozen=True)
class Ranked:
    rank: int
    row: Row


@dataclass(frozen=True)
class Report:
    hall: str
    hall_name: str
    from_on: date
    to_on: date
    by: GroupBy
    wait_limit_s: int
    generated_at: datetime
    total: Row
    rows: list[Row]
    window_ranking: list[Ranked]
    staff_ranking: list[Ranked]


@dataclass(frozen=True)
class _Leg:
    id: int
    ticket_id: int
    service_id: int
    window_id: int | None
    staff_id: int | None
    end: str
    outcome: str | None
    wait_s: int | None
    service_s: int | None
    hour: int


@dataclass(frozen=True)
class _Rated:
    level: int
    case_status: str | None
    due_on: date | None
    closed_on: date | None


@dataclass
class _Tally:
    tickets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    ticket_ids: set[int] = field(default_factory=set)
    ends: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    waits: list[int] = field(default_factory=list)
    services: list[int] = field(default_factory=list)
    wait_over: int = 0
    service_over: int = 0
    levels: dict[str, int] = field(default_factory=lambda: {str(level): 0 for level in LEVELS})
    cases: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0


def _durations(values: list[int], over: int) -> Durations:
    if not values:
        return Durations(0, None, None, None, None, over)
    values.sort()
    p90 = values[max(math.ceil(0.9 * len(values)) - 1, 0)]  # nearest rank: a value that really occurred
    return Durations(len(values), round(statistics.fmean(values), 1), float(statistics.median(values)), p90,
                     values[-1], over)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(key: str, label: str, t: _Tally) -> Row:
    served = t.ends.get("finished", 0)
    rated = sum(t.levels.values())
    bad = sum(t.levels[str(level)] for level in BAD_LEVELS)
    return Row(
        key=key, label=label, tickets={**t.tickets, "total": sum(t.tickets.values())}, served=served,
        done=t.outcomes.get(Outcome.DONE.value, 0), returned=t.outcomes.get(Outcome.RETURNED.value, 0),
        consult=t.outcomes.get(Outcome.CONSULT.value, 0), no_show=t.ends.get("no_show", 0),
        transferred=t.ends.get("transferred", 0), cancelled=t.ends.get("cancelled", 0),
        expired=t.ends.get("expired", 0), wait=_durations(t.waits, t.wait_over),
        service=_durations(t.services, t.service_over), rated=rated, levels=t.levels,
        rating_rate=_ratio(rated, served), bad=bad, bad_rate=_ratio(bad, rated), cases=t.cases,
        cases_closed_on_time=t.on_time, cases_closed_late=t.late, cases_open_overdue=t.overdue,
    )


class _Period:
    """The period's rows, read once, and the hall's labels and limits."""

    def __init__(self, session: Session, hall: Hall, from_on: date, to_on: date, today: date) -> None:
        self.hall, self.today = hall, today
        in_period = (TicketLeg.hall_id == hall.id, TicketLeg.service_on.between(from_on, to_on))
        self.legs = [_Leg(*r) for r in session.execute(
            select(TicketLeg.id, TicketLeg.ticket_id, TicketLeg.service_id, TicketLeg.window_id, TicketLeg.staff_id,
                   TicketLeg.end, TicketLeg.outcome, TicketLeg.wait_s, TicketLeg.service_s, TicketLeg.local_hour)
            .where(*in_period))]
        # (ticket id, original service, channel, issued_at) of tickets issued in the period
        self.tickets = list(session.execute(
            select(Ticket.id, Ticket.original_service_id, Ticket.channel, Ticket.issued_at)
            .where(Ticket.hall_id == hall.id, Ticket.service_on.between(from_on, to_on))))
        self.channel = {t[0]: t[2] for t in self.tickets}
        self.rated: dict[int, _Rated] = {}
        for leg_id, level, status, due_on, closed_at in session.execute(
            select(Rating.leg_id, Rating.level, EvaluationCase.status, EvaluationCase.due_on,
                   EvaluationCase.closed_at)
            .join(TicketLeg, TicketLeg.id == Rating.leg_id)
            .outerjoin(EvaluationCase, EvaluationCase.rating_id == Rating.id)
            .where(*in_period, Rating.excluded.is_(False))
        ):
            closed_on = service_day(closed_at, hall.timezone, hall.day_rollover) if closed_at else None
            self.rated[leg_id] = _Rated(level, status, due_on, closed_on)
        self.services = {s.id: s for s in session.scalars(select(Service).where(Service.hall_id == hall.id))}
        self.windows = {w.id: w for w in session.scalars(select(Window).where(Window.hall_id == hall.id))}
        staff_ids = {leg.staff_id for leg in self.legs if leg.staff_id is not None}
        self.staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))}

    def label(self, by: GroupBy, key: str) -> str:
        if key == NONE_KEY:
            return "未分配 unassigned"
        if by == "service":
            return self.services[int(key)].name
        if by == "window":
            window = self.windows.get(int(key))
            return window.name if window else key
        if by == "staff":
            person = self.staff.get(int(key))
            return f"{person.user_no} {person.name}" if person else key
        return f"{int(key):02d}:00–{int(key) + 1:02d}:00"

    def leg_key(self, by: GroupBy) -> Callable[[_Leg], str]:
        if by == "service":
            return lambda leg: str(leg.service_id)
        if by == "window":
            return lambda leg: NONE_KEY if leg.window_id is None else str(leg.window_id)
        if by == "staff":
            return lambda leg: NONE_KEY if leg.staff_id is None else str(leg.staff_id)
        return lambda leg: f"{leg.hour:02d}"

    def tally(self, by: GroupBy | None) -> dict[str, _Tally]:
        """Group -> tally; `by` None tallies the whole hall under "total"."""
        key_of = self.leg_key(by) if by else (lambda leg: "total")
        wait_limit = self.hall.escalation_min * 60
        limits = {s.id: s.standard_duration_s for s in self.services.values()}
        groups: dict[str, _Tally] = {}
        for leg in self.legs:
            t = groups.get(key := key_of(leg)) or groups.setdefault(key, _Tally())
            t.ends[leg.end] = t.ends.get(leg.end, 0) + 1
            if leg.end == "finished" and leg.outcome:
                t.outcomes[leg.outcome] = t.outcomes.get(leg.outcome, 0) + 1
            if leg.wait_s is not None:
                t.waits.append(leg.wait_s)
                t.wait_over += leg.wait_s > wait_limit
            if leg.service_s is not None:
                t.services.append(leg.service_s)
                t.service_over += leg.service_s > limits.get(leg.service_id, 0)
            if (by in ("window", "staff")) and leg.ticket_id not in t.ticket_ids and leg.ticket_id in self.channel:
                t.ticket_ids.add(leg.ticket_id)  # a ticket counts once per window/staff member it was handled by
                t.tickets[self.channel[leg.ticket_id]] = t.tickets.get(self.channel[leg.ticket_id], 0) + 1
            rated = self.rated.get(leg.id)
            if rated is not None:
                self._count_rating(t, rated)
        if by not in ("window", "staff"):
            self._count_tickets(groups, by)
        return groups

    def _count_rating(self, t: _Tally, rated: _Rated) -> None:
        t.levels[str(rated.level)] += 1
        if rated.case_status is None or rated.due_on is None:
            return
        t.cases += 1
        if rated.closed_on is not None and rated.case_status == "closed":
            if rated.closed_on <= rated.due_on:
                t.on_time += 1
            else:
                t.late += 1
        elif rated.due_on < self.today:
            t.overdue += 1

    def _count_tickets(self, groups: dict[str, _Tally], by: GroupBy | None) -> None:
        """Issued tickets: by their first service, the hour they were issued, or all for the hall."""
        tz = self.hall.timezone
        for ticket_id, service_id, channel, issued_at in self.tickets:
            del ticket_id
            if by == "service":
                key = str(service_id)
            elif by == "hour":
                key = f"{local_time(issued_at, tz).hour:02d}"
            else:
                key = "total"
            t = groups.get(key) or groups.setdefault(key, _Tally())
            t.tickets[channel] = t.tickets.get(channel, 0) + 1


def _sort_key(by: GroupBy, key: str, period: _Period) -> tuple[int, int, str]:
    if key == NONE_KEY:
        return (1, 0, key)
    if by == "window":
        window = period.windows.get(int(key))
        return (0, window.number if window else 0, key)
    if by == "staff":
        person = period.staff.get(int(key))
        return (0, 0, person.user_no if person else key)
    return (0, int(key), key)


def _ranking(rows: Iterable[Row]) -> list[Ranked]:
    """The monthly 通报 order: most legs served first; then fewer 差评, a lower 差评率, a shorter mean wait."""
    ranked = sorted((r for r in rows if r.key != NONE_KEY and r.served),
                    key=lambda r: (-r.served, r.bad, r.bad_rate or 0.0, r.wait.mean_s or 0.0, r.label))
    return [Ranked(i, row) for i, row in enumerate(ranked, start=1)]


def report(session: Session, hall: Hall, from_on: date, to_on: date, by: GroupBy, now: datetime) -> Report:
    """The hall's figures for the business days from_on..to_on (inclusive), grouped `by`."""
    if to_on < from_on or to_on - from_on > timedelta(days=MAX_PERIOD_DAYS - 1):
        raise ValueError("period must run forwards and span at most a year")
    period = _Period(session, hall, from_on, to_on, service_day(now, hall.timezone, hall.day_rollover))

    def rows(grouping: GroupBy) -> list[Row]:
        tallies = period.tally(grouping)
        return [_row(key, period.label(grouping, key), tallies[key])
                for key in sorted(tallies, key=lambda k: _sort_key(grouping, k, period))]

    total = _row("total", "合计 total", period.tally(None).get("total") or _Tally())
    by_windows, by_staff = rows("window"), rows("staff")
    grouped = {"window": by_windows, "staff": by_staff}.get(by) or rows(by)
    return Report(
        hall=hall.code, hall_name=hall.name, from_on=from_on, to_on=to_on, by=by,
        wait_limit_s=hall.escalation_min * 60, generated_at=now, total=total, rows=grouped,
        window_ranking=_ranking(by_windows), staff_ranking=_ranking(by_staff),
    )
