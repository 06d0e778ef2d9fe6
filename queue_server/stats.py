"""Hall reports for managers: tickets, outcomes, waiting and service times, 好差评 figures and the window and staff
ranking, over a period of business days, grouped by service, window, staff member or hour.

Read-only and exact: every figure comes from stored rows (tickets, closed ticket legs with their wait_s and
service_s, ratings and 差评 cases); nothing is sampled or estimated. Core module: imports SQLAlchemy, the models and
the stdlib only; no Flask.

The period's legs are read once as plain tuples and tallied in Python: percentiles need the period's values
anyway, and one pass over 100,000 legs takes a fraction of a second (bench/report.py measures it).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from itertools import compress
from operator import itemgetter
from typing import Any
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import service_day
from queue_server.engine.rawsql import RawSQL
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


@dataclass
class _Tally:
    tickets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
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


# Leg columns in select order, then the ticket's channel; a grouping's key is one of the first four (None: never
# called, so no window/staff).
LEG_FIELDS = ("service_id", "window_id", "staff_id", "local_hour", "ticket_id", '"end"', "outcome", "wait_s",
              "service_s")
KEY_COLUMN: dict[GroupBy, int] = {"service": 0, "window": 1, "staff": 2, "hour": 3}
_LEGS_SQL = (
    "SELECT " + ", ".join(f"ticket_legs.{c}" for c in LEG_FIELDS) + ", tickets.channel FROM ticket_legs "
    "JOIN tickets ON tickets.id = ticket_legs.ticket_id "
    "WHERE ticket_legs.hall_id = :hall_id AND ticket_legs.service_on BETWEEN :from_on AND :to_on"
)
TOTAL = "total"
Key = int | str | None


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


def _merge(tallies: Iterable[_Tally]) -> _Tally:
    """One tally of several: the hall's total is the merge of a grouping that covers every row (by service)."""
    out = _Tally()
    for t in tallies:
        for mine, theirs in ((out.tickets, t.tickets), (out.ends, t.ends), (out.outcomes, t.outcomes),
                             (out.levels, t.levels)):
            for name, n in theirs.items():
                mine[name] = mine.get(name, 0) + n
        out.waits += t.waits
        out.services += t.services
        out.wait_over += t.wait_over
        out.service_over += t.service_over
        out.cases, out.on_time, out.late, out.overdue = (out.cases + t.cases, out.on_time + t.on_time,
                                                         out.late + t.late, out.overdue + t.overdue)
    return out


class _Period:
    """The period's rows, read once as plain tuples (column lists, not objects: it is 100,000 legs in a busy
    month), and the hall's labels and limits."""

    def __init__(self, session: Session, hall: Hall, from_on: date, to_on: date, today: date, by: GroupBy
                 ) -> None:
        self.hall, self.today = hall, today
        conn = session.connection()
        in_period = (TicketLeg.hall_id == hall.id, TicketLeg.service_on.between(from_on, to_on))
        # Hand-written on the session's connection (engine/rawsql.py): the columns need no conversion, and
        # SQLAlchemy's row objects cost a fifth of the month report's time for its 100,000 legs.
        raw = RawSQL.of(session)
        legs = raw.execute(_LEGS_SQL, {"hall_id": hall.id, "from_on": raw.day(from_on), "to_on": raw.day(to_on)}
                           ).fetchall()
        self.legs: list[tuple[Any, ...]] = [tuple(c) for c in zip(*legs, strict=True)] or [()] * (len(LEG_FIELDS) + 1)
        # Issued tickets are counted in SQL: (group key, channel, count) rows, a few hundred at most.
        issued = (Ticket.hall_id == hall.id, Ticket.service_on.between(from_on, to_on))
        self.issued_by_service = conn.execute(
            select(Ticket.original_service_id, Ticket.channel, func.count()).where(*issued)
            .group_by(Ticket.original_service_id, Ticket.channel)).all()
        self.issued_by_hour: list[tuple[Any, ...]] = []
        if by == "hour":
            bucket = _utc_hour(conn.dialect.name)
            self.issued_by_hour = conn.execute(
                select(bucket, Ticket.channel, func.count()).where(*issued).group_by(bucket, Ticket.channel)).all()
        # Ratings with the grouping columns of their leg; appeal-upheld (malicious) ratings never count.
        self.rated = conn.execute(
            select(TicketLeg.service_id, TicketLeg.window_id, TicketLeg.staff_id, TicketLeg.local_hour,
                   Rating.level, EvaluationCase.status, EvaluationCase.due_on, EvaluationCase.closed_at)
            .join(TicketLeg, TicketLeg.id == Rating.leg_id)
            .outerjoin(EvaluationCase, EvaluationCase.rating_id == Rating.id)
            .where(*in_period, Rating.excluded.is_(False))).all()
        self.services = {s.id: s for s in session.scalars(select(Service).where(Service.hall_id == hall.id))}
        self.windows = {w.id: w for w in session.scalars(select(Window).where(Window.hall_id == hall.id))}
        limits = {s.id: s.standard_duration_s for s in self.services.values()}
        # Per leg, once: handled for longer than its service's standard duration.
        self.service_over = [seconds is not None and seconds > limits.get(service_id, 0)
                             for service_id, seconds in zip(self.legs[0], self.legs[8], strict=True)]
        staff_ids = set(self.legs[2]) - {None}
        self.staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))}

    def label(self, by: GroupBy, key: Key) -> str:
        if key is None:
            return "未分配 unassigned"
        if by == "service":
            return self.services[int(key)].name
        if by == "window":
            window = self.windows.get(int(key))
            return window.name if window else str(key)
        if by == "staff":
            person = self.staff.get(int(key))
            return f"{person.user_no} {person.name}" if person else str(key)
        return f"{int(key):02d}:00–{int(key) + 1:02d}:00"

    def tally(self, by: GroupBy) -> dict[Key, _Tally]:
        """Group key -> tally."""
        legs = self.legs
        keys: Sequence[Key] = legs[KEY_COLUMN[by]]
        ends, outcomes, waits, handled = legs[5:9]
        groups: dict[Key, _Tally] = defaultdict(_Tally)
        for (key, end, outcome), n in Counter(zip(keys, ends, outcomes, strict=True)).items():
            t = groups[key]
            t.ends[end] = t.ends.get(end, 0) + n
            if end == "finished" and outcome:
                t.outcomes[outcome] = t.outcomes.get(outcome, 0) + n
        for key, wait in zip(keys, waits, strict=True):
            if wait is not None:
                groups[key].waits.append(wait)
        for key, seconds in zip(keys, handled, strict=True):
            if seconds is not None:
                groups[key].services.append(seconds)
        for key, n in Counter(compress(keys, self.service_over)).items():
            groups[key].service_over = n
        wait_limit = self.hall.escalation_min * 60
        for t in groups.values():
            t.waits.sort()
            t.wait_over = len(t.waits) - bisect.bisect_right(t.waits, wait_limit)
        self._count_tickets(groups, by, keys)
        self._count_ratings(groups, by)
        return groups

    def _count_ratings(self, groups: dict[Key, _Tally], by: GroupBy) -> None:
        column = KEY_COLUMN[by]
        for row in self.rated:
            t = groups[row[column]]
            level, status, due_on, closed_at = row[4:]
            t.levels[str(level)] += 1
            if status is None or due_on is None:
                continue
            t.cases += 1
            if status == "closed" and closed_at is not None:
                closed_on = service_day(closed_at, self.hall.timezone, self.hall.day_rollover)
                t.on_time += closed_on <= due_on
                t.late += closed_on > due_on
            elif due_on < self.today:
                t.overdue += 1

    def _count_tickets(self, groups: dict[Key, _Tally], by: GroupBy, keys: Sequence[Key]) -> None:
        """Issued tickets: by their first service or the hall-local hour they were issued; for windows and staff,
        each ticket once per window (or clerk) that handled one of its legs."""
        counted: Counter[tuple[Key, str]] = Counter()
        if by in ("window", "staff"):
            # Distinct (key, ticket, channel): a ticket has one channel, so this counts each ticket once per key.
            # set/map/itemgetter keep the 100,000-leg pass in C.
            counted.update(map(itemgetter(0, 2), set(zip(keys, self.legs[4], self.legs[9], strict=True))))
        elif by == "hour":
            tz = ZoneInfo(self.hall.timezone)
            for bucket, channel, n in self.issued_by_hour:
                utc = datetime.strptime(str(bucket)[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)
                counted[(utc.astimezone(tz).hour, channel)] += n
        else:
            counted.update({(service_id, channel): n for service_id, channel, n in self.issued_by_service})
        for (key, channel), n in counted.items():
            t = groups[key]
            t.tickets[channel] = t.tickets.get(channel, 0) + n


def _utc_hour(dialect: str) -> Any:
    """The UTC hour an issue fell in, as 'YYYY-MM-DD HH' text, for grouping in SQL. Shifting that hour to the hall's
    timezone is exact for whole-hour offsets, which every Chinese zone has (Asia/Shanghai +8, Asia/Urumqi +6)."""
    if dialect == "sqlite":
        return func.substr(Ticket.issued_at, 1, 13)  # stored as 'YYYY-MM-DD HH:MM:SS' UTC text
    return func.to_char(func.timezone("UTC", Ticket.issued_at), "YYYY-MM-DD HH24")


def _wire_key(by: GroupBy, key: Key) -> str:
    if key is None:
        return NONE_KEY
    return f"{int(key):02d}" if by == "hour" else str(key)


def _sort_key(by: GroupBy, key: Key, period: _Period) -> tuple[int, int, str]:
    if key is None:
        return (1, 0, "")
    if by == "window":
        window = period.windows.get(int(key))
        return (0, window.number if window else 0, str(key))
    if by == "staff":
        person = period.staff.get(int(key))
        return (0, 0, person.user_no if person else str(key))
    return (0, int(key), str(key))


def _ranking(rows: Iterable[Row]) -> list[Ranked]:
    """The monthly 通报 order: most legs served first; then fewer 差评, a lower 差评率, a shorter mean wait."""
    ranked = sorted((r for r in rows if r.key != NONE_KEY and r.served),
                    key=lambda r: (-r.served, r.bad, r.bad_rate or 0.0, r.wait.mean_s or 0.0, r.label))
    return [Ranked(i, row) for i, row in enumerate(ranked, start=1)]


def report(session: Session, hall: Hall, from_on: date, to_on: date, by: GroupBy, now: datetime) -> Report:
    """The hall's figures for the business days from_on..to_on (inclusive), grouped `by`."""
    if to_on < from_on or to_on - from_on > timedelta(days=MAX_PERIOD_DAYS - 1):
        raise ValueError("period must run forwards and span at most a year")
    period = _Period(session, hall, from_on, to_on, service_day(now, hall.timezone, hall.day_rollover), by)

    def rows(grouping: GroupBy, tallies: dict[Key, _Tally] | None = None) -> list[Row]:
        tallies = tallies if tallies is not None else period.tally(grouping)
        return [_row(_wire_key(grouping, key), period.label(grouping, key), tallies[key])
                for key in sorted(tallies, key=lambda k: _sort_key(grouping, k, period))]

    by_service = period.tally("service")
    # Every leg, rating and issued ticket has a service: the merge of the service groups is the hall's total.
    total = _row(TOTAL, "合计 total", _merge(by_service.values()))
    by_windows, by_staff = rows("window"), rows("staff")
    grouped = {"window": by_windows, "staff": by_staff, "service": rows("service", by_service)}.get(by) or rows(by)
    return Report(
        hall=hall.code, hall_name=hall.name, from_on=from_on, to_on=to_on, by=by,
        wait_limit_s=hall.escalation_min * 60, generated_at=now, total=total, rows=grouped,
        window_ranking=_ranking(by_windows), staff_ranking=_ranking(by_staff),
    )
