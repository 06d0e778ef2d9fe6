"""Hall reports for managers: tickets, outcomes, waiting and service times, 好差评 figures and the window and staff
ranking, over a period of business days, grouped by service, window, staff member or hour.

Read-only and exact: every figure comes from stored rows (tickets, closed ticket legs with their wait_s and
service_s, ratings and 差评 cases); nothing is sampled or estimated. Core module: imports SQLAlchemy, the models and
the stdlib only; no Flask.

Each day is tallied on its own and the days are merged: percentiles need every value, so a day's figures keep its
sorted waits and service times, and merging sorted runs is cheap. A closed day's figures are kept (report_days,
stored by reports/keeper.py after a report or by the background round every 5 minutes) with a stamp of what they
were computed from; a month report then reads about 30 kept rows per grouping instead of 100,000 legs, and any
day whose stamp no longer matches, and today, is read from its legs. Ratings and 差评 cases are always read
live. bench/report.py measures both paths.
"""

from __future__ import annotations

import bisect
import hashlib
import json
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

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import service_day
from queue_server.reports.citizens import CitizenDay
from queue_server.reports.citizens import citizen_days
from queue_server.storage.models import Channel
from queue_server.storage.models import Hall
from queue_server.storage.models import Outcome
from queue_server.storage.models import ReportDay
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import Window
from queue_server.storage.ratings import BAD_LEVELS
from queue_server.storage.ratings import LEVELS
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.ratings import Rating
from queue_server.storage.rawsql import RawSQL

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
class Acted:
    """What a manager or admin did at a window with their own credential: legs they called there, and how many of
    those ended served. Those legs count for the clerk signed in at the window, not for the manager."""

    window: str
    actor: str  # "manager:m1", "admin:…"
    calls: int
    served: int


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
    acted: tuple[Acted, ...] = ()
    # 网上预约 and 线上取号 per business day and service (reports/citizens.py), and their total.
    citizens: tuple[CitizenDay, ...] = ()
    citizens_total: CitizenDay = field(default_factory=lambda: CitizenDay(None, "total", "合计 total", 0, 0, 0, 0, 0))
    # Closed days this report computed from their legs, for keep_days: the next report reads them back.
    kept_now: tuple[KeptDay, ...] = field(default=(), repr=False, compare=False)


@dataclass
class _Tally:
    tickets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    ends: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    waits: list[int] = field(default_factory=list)
    services: list[int] = field(default_factory=list)
    service_over: int = 0  # legs handled for longer than their service's standard duration
    levels: dict[str, int] = field(default_factory=lambda: {str(level): 0 for level in LEVELS})
    cases: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0

    def absorb(self, other: _Tally) -> None:
        """Add another tally's figures to this one (a day into the period, a group into the total)."""
        for mine, theirs in ((self.tickets, other.tickets), (self.ends, other.ends),
                             (self.outcomes, other.outcomes), (self.levels, other.levels)):
            for name, n in theirs.items():
                mine[name] = mine.get(name, 0) + n
        self.waits += other.waits
        self.services += other.services
        self.service_over += other.service_over
        self.cases, self.on_time, self.late, self.overdue = (self.cases + other.cases, self.on_time + other.on_time,
                                                             self.late + other.late, self.overdue + other.overdue)


# Leg columns in select order, then the ticket's channel; a grouping's key is one of the first four (None: never
# called, so no window/staff).
LEG_FIELDS = ("service_id", "window_id", "staff_id", "local_hour", "ticket_id", '"end"', "outcome", "wait_s",
              "service_s")
KEY_COLUMN: dict[GroupBy, int] = {"service": 0, "window": 1, "staff": 2, "hour": 3}
# The day first: the live days' legs are read in one statement (its BETWEEN made an IN list of those days) and
# split by day in Python.
_LEGS_SQL = (
    "SELECT ticket_legs.service_on, " + ", ".join(f"ticket_legs.{c}" for c in LEG_FIELDS) + ", tickets.channel "
    "FROM ticket_legs JOIN tickets ON tickets.id = ticket_legs.ticket_id "
    "WHERE ticket_legs.hall_id = :hall_id AND ticket_legs.service_on BETWEEN :from_on AND :to_on"
)
# Legs a manager's or admin's credential called, per window and person (a few rows: such calls are exceptions).
_ACTED_SQL = ("SELECT window_id, acted_by, count(*), sum(CASE WHEN \"end\" = 'finished' THEN 1 ELSE 0 END) "
              "FROM ticket_legs WHERE hall_id = :hall_id AND service_on BETWEEN :from_on AND :to_on "
              "AND acted_by IS NOT NULL GROUP BY window_id, acted_by")
# What each day holds, from the (hall, day) indexes alone: a kept day whose counts moved is recomputed.
_DAY_LEGS_SQL = ("SELECT service_on, count(*), max(id) FROM ticket_legs "
                 "WHERE hall_id = :hall_id AND service_on BETWEEN :from_on AND :to_on GROUP BY service_on")
_DAY_TICKETS_SQL = ("SELECT service_on, count(*) FROM tickets "
                    "WHERE hall_id = :hall_id AND service_on BETWEEN :from_on AND :to_on GROUP BY service_on")
_RATED_SQL = ("SELECT ticket_legs.service_id, ticket_legs.window_id, ticket_legs.staff_id, ticket_legs.local_hour, "
              "ratings.level, count(*) FROM ratings JOIN ticket_legs ON ticket_legs.id = ratings.leg_id "
              "WHERE ticket_legs.hall_id = :hall_id AND ticket_legs.service_on BETWEEN :from_on AND :to_on "
              "AND NOT ratings.excluded GROUP BY 1, 2, 3, 4, 5")
_KEPT_SQL = ("SELECT service_on, grouping, stamp, figures FROM report_days "
             "WHERE hall_id = :hall_id AND service_on BETWEEN :from_on AND :to_on")
_KEPT_STAMPS_SQL = _KEPT_SQL.replace("figures", "NULL")
# Bumped whenever what a kept day holds, or how it is computed, changes: older rows are then recomputed.
KEPT_VERSION = 1
KEEP_AHEAD_DAYS = 35  # a month report and the days around it: kept in the background by unkept_days
TOTAL = "total"
Key = int | str | None


@dataclass(frozen=True)
class KeptDay:
    """A closed day's figures for one grouping, computed by a report and to be kept (keep_days)."""

    service_on: date
    grouping: GroupBy
    stamp: str
    figures: str


def _durations(values: list[int], over: int) -> Durations:
    if not values:
        return Durations(0, None, None, None, None, over)
    p90 = values[max(math.ceil(0.9 * len(values)) - 1, 0)]  # nearest rank: a value that really occurred
    return Durations(len(values), round(statistics.fmean(values), 1), float(statistics.median(values)), p90,
                     values[-1], over)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _row(key: str, label: str, t: _Tally, wait_limit_s: int) -> Row:
    served = t.ends.get("finished", 0)
    rated = sum(t.levels.values())
    bad = sum(t.levels[str(level)] for level in BAD_LEVELS)
    t.waits.sort()  # kept days arrive as sorted runs: this is a merge
    t.services.sort()
    wait_over = len(t.waits) - bisect.bisect_right(t.waits, wait_limit_s)
    return Row(
        key=key, label=label, tickets={**t.tickets, "total": sum(t.tickets.values())}, served=served,
        done=t.outcomes.get(Outcome.DONE.value, 0), returned=t.outcomes.get(Outcome.RETURNED.value, 0),
        consult=t.outcomes.get(Outcome.CONSULT.value, 0), no_show=t.ends.get("no_show", 0),
        transferred=t.ends.get("transferred", 0), cancelled=t.ends.get("cancelled", 0),
        expired=t.ends.get("expired", 0), wait=_durations(t.waits, wait_over),
        service=_durations(t.services, t.service_over), rated=rated, levels=t.levels,
        rating_rate=_ratio(rated, served), bad=bad, bad_rate=_ratio(bad, rated), cases=t.cases,
        cases_closed_on_time=t.on_time, cases_closed_late=t.late, cases_open_overdue=t.overdue,
    )


def _merge(tallies: Iterable[_Tally]) -> _Tally:
    """One tally of several: the hall's total is the merge of a grouping that covers every row (by service)."""
    out = _Tally()
    for t in tallies:
        out.absorb(t)
    return out


def _encode(groups: dict[Key, _Tally]) -> str:
    """A day's groups as compact JSON: the leg figures only (ratings and cases change after the day: read live)."""
    return json.dumps({NONE_KEY if key is None else str(key): [t.tickets, t.ends, t.outcomes, sorted(t.waits),
                                                               sorted(t.services), t.service_over]
                       for key, t in groups.items()}, separators=(",", ":"))


def _decode(figures: str) -> dict[Key, _Tally]:
    out: dict[Key, _Tally] = {}
    for key, (tickets, ends, outcomes, waits, services, service_over) in json.loads(figures).items():
        out[None if key == NONE_KEY else int(key)] = _Tally(tickets=tickets, ends=ends, outcomes=outcomes,
                                                             waits=waits, services=services,
                                                             service_over=service_over)
    return out


def _as_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite returns the ISO text


class _Period:
    """The period's figures per grouping. Each closed day (before today) is read from its kept row when that row
    still matches the day (report_days, KEPT_VERSION); the other days' legs are read as plain tuples and tallied,
    and the closed ones among them are handed back to be kept. Ratings and 差评 cases are always read live: an
    appeal or a case closed weeks later changes them."""

    def __init__(self, session: Session, hall: Hall, from_on: date, to_on: date, today: date,
                 groupings: tuple[GroupBy, ...], *, unkept_only: bool = False) -> None:
        """unkept_only: compute the days that are not kept and stop there (no kept figures read, no ratings):
        for keeping days ahead of the reports that will want them."""
        self.hall, self.today = hall, today
        self.services = {s.id: s for s in session.scalars(select(Service).where(Service.hall_id == hall.id))}
        self.windows = {w.id: w for w in session.scalars(select(Window).where(Window.hall_id == hall.id))}
        self.limits = {s.id: s.standard_duration_s for s in self.services.values()}
        self.groups: dict[GroupBy, dict[Key, _Tally]] = {g: defaultdict(_Tally) for g in groupings}
        self.kept_now: list[KeptDay] = []
        raw = RawSQL.of(session)
        span = {"hall_id": hall.id, "from_on": raw.day(from_on), "to_on": raw.day(to_on)}
        stamps = self._stamps(session, raw, span)
        kept: dict[tuple[date, str], str] = {}
        # Only the stamps when nothing is merged: a kept month's figures are megabytes of text.
        for day, grouping, stamp, figures in raw.execute(_KEPT_STAMPS_SQL if unkept_only else _KEPT_SQL,
                                                         span).fetchall():
            day = _as_day(day)
            if grouping in self.groups and stamps.get(day) == stamp and day < today:
                kept[(day, grouping)] = figures
        live = {day: tuple(g for g in groupings if (day, g) not in kept) for day in stamps
                if not unkept_only or day < today}
        live = {day: missing for day, missing in live.items() if missing}
        if live:
            self._read_live(session, raw, hall, live, stamps)
        if unkept_only:
            return
        for (_, grouping), figures in kept.items():
            mine = self.groups[grouping]  # type: ignore[index]
            for key, t in _decode(figures).items():
                mine[key].absorb(t)
        # Ratings counted in SQL by leg key columns and level (a few thousand rows, not one per rating), then the
        # 差评 cases (a few percent of them) with their own rows; appeal-upheld (malicious) ratings never count.
        self.rated = raw.execute(_RATED_SQL, span).fetchall()
        self.cases = session.connection().execute(
            select(TicketLeg.service_id, TicketLeg.window_id, TicketLeg.staff_id, TicketLeg.local_hour,
                   EvaluationCase.status, EvaluationCase.due_on, EvaluationCase.closed_at)
            .join(Rating, Rating.id == EvaluationCase.rating_id)
            .join(TicketLeg, TicketLeg.id == Rating.leg_id)
            .where(TicketLeg.hall_id == hall.id, TicketLeg.service_on.between(from_on, to_on),
                   Rating.excluded.is_(False))).all()
        staff_ids = {key for key in self.groups.get("staff", {}) if key is not None}
        self.staff = {s.id: s for s in session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))}

    def _stamps(self, session: Session, raw: RawSQL, span: dict[str, Any]) -> dict[date, str]:
        """Day -> what its figures are computed from, for every day of the period that holds legs or tickets.
        Legs are only ever added (a closed leg is never updated), so a day's leg count and highest id, with its
        ticket count, say whether it changed. Deleting a window or staff member nulls its legs' key, and a
        service's standard duration decides its over-limit count: those go in too."""
        staff_ids = session.scalars(select(Staff.id).order_by(Staff.id)).all()
        setup = hashlib.sha256(repr((sorted(self.limits.items()), sorted(self.windows), staff_ids)).encode()
                               ).hexdigest()[:16]
        legs = {_as_day(day): (n, top) for day, n, top in raw.execute(_DAY_LEGS_SQL, span).fetchall()}
        tickets = {_as_day(day): n for day, n in raw.execute(_DAY_TICKETS_SQL, span).fetchall()}
        return {day: f"{KEPT_VERSION}:{setup}:{legs.get(day, (0, 0))[0]}:{legs.get(day, (0, 0))[1]}:"
                     f"{tickets.get(day, 0)}"
                for day in legs.keys() | tickets.keys()}

    def _read_live(self, session: Session, raw: RawSQL, hall: Hall, live: dict[date, tuple[GroupBy, ...]],
                   stamps: dict[date, str]) -> None:
        # Only the live days, not the kept ones between them: usually today alone, or today and a closed day that
        # changed. Hand-written on the session's connection (storage/rawsql.py): the columns need no conversion,
        # and SQLAlchemy's row objects cost a fifth of the month report's time for its 100,000 legs.
        days = sorted(live)
        params: dict[str, Any] = {"hall_id": hall.id} | {f"d{i}": raw.day(day) for i, day in enumerate(days)}
        in_days = ", ".join(f":d{i}" for i in range(len(days)))
        by_day: dict[Any, list[Any]] = defaultdict(list)
        for leg in raw.execute(_LEGS_SQL.replace("BETWEEN :from_on AND :to_on", f"IN ({in_days})"),
                               params).fetchall():
            by_day[leg[0]].append(leg)
        legs = {_as_day(day): rows for day, rows in by_day.items()}
        # Issued tickets are counted in SQL: (day, group key, channel, count) rows, a few hundred a day at most.
        conn = session.connection()
        issued = (Ticket.hall_id == hall.id, Ticket.service_on.in_(days))
        by_service: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
        for day, *rest in conn.execute(
                select(Ticket.service_on, Ticket.original_service_id, Ticket.channel, func.count()).where(*issued)
                .group_by(Ticket.service_on, Ticket.original_service_id, Ticket.channel)):
            by_service[day].append(tuple(rest))
        by_hour: dict[date, list[tuple[Any, ...]]] = defaultdict(list)
        if any("hour" in missing for missing in live.values()):
            bucket = _utc_hour(conn.dialect.name)
            for day, *rest in conn.execute(
                    select(Ticket.service_on, bucket, Ticket.channel, func.count()).where(*issued)
                    .group_by(Ticket.service_on, bucket, Ticket.channel)):
                by_hour[day].append(tuple(rest))
        for day, missing in live.items():
            rows = legs.get(day, [])
            columns: list[tuple[Any, ...]] = ([tuple(c) for c in zip(*rows, strict=True)][1:] if rows
                                              else [()] * (len(LEG_FIELDS) + 1))
            for grouping in missing:
                groups = self._tally_day(columns, grouping, by_service[day], by_hour[day])
                if day < self.today:
                    self.kept_now.append(KeptDay(day, grouping, stamps[day], _encode(groups)))
                mine = self.groups[grouping]
                for key, t in groups.items():
                    mine[key].absorb(t)

    def label(self, by: GroupBy, key: Key) -> str:
        if key is None:
            return "未分配 unassigned"
        if by == "service":
            return self.services[int(key)].name
        if by == "window":
            window = self.windows.get(int(key))
            return window.label if window else str(key)
        if by == "staff":
            person = self.staff.get(int(key))
            return f"{person.user_no} {person.name}" if person else str(key)
        return f"{int(key):02d}:00–{int(key) + 1:02d}:00"

    def tally(self, by: GroupBy) -> dict[Key, _Tally]:
        """Group key -> the period's tally, ratings and cases included."""
        groups = self.groups[by]
        self._count_ratings(groups, by)
        return groups

    def _tally_day(self, legs: list[tuple[Any, ...]], by: GroupBy, issued_by_service: list[tuple[Any, ...]],
                   issued_by_hour: list[tuple[Any, ...]]) -> dict[Key, _Tally]:
        """One day's legs (column tuples, LEG_FIELDS then channel) -> group key -> tally, without ratings."""
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
        limits = self.limits
        over = [seconds is not None and seconds > limits.get(service_id, 0)
                for service_id, seconds in zip(legs[0], handled, strict=True)]
        for key, n in Counter(compress(keys, over)).items():
            groups[key].service_over = n
        self._count_tickets(groups, by, legs, issued_by_service, issued_by_hour)
        return groups

    def _count_ratings(self, groups: dict[Key, _Tally], by: GroupBy) -> None:
        column = KEY_COLUMN[by]
        for row in self.rated:
            groups[row[column]].levels[str(row[4])] += row[5]
        for row in self.cases:
            t = groups[row[column]]
            status, due_on, closed_at = row[4:]
            if due_on is None:
                continue
            t.cases += 1
            if status == "closed" and closed_at is not None:
                closed_on = service_day(closed_at, self.hall.timezone, self.hall.day_rollover)
                t.on_time += closed_on <= due_on
                t.late += closed_on > due_on
            elif due_on < self.today:
                t.overdue += 1

    def _count_tickets(self, groups: dict[Key, _Tally], by: GroupBy, legs: list[tuple[Any, ...]],
                       issued_by_service: list[tuple[Any, ...]], issued_by_hour: list[tuple[Any, ...]]) -> None:
        """Issued tickets: by their first service or the hall-local hour they were issued; for windows and staff,
        each ticket once per window (or clerk) that handled one of its legs. A ticket and all its legs belong to
        one business day, so a day's counts add up to the period's."""
        keys = legs[KEY_COLUMN[by]]
        counted: Counter[tuple[Key, str]] = Counter()
        if by in ("window", "staff"):
            # Distinct (key, ticket, channel): a ticket has one channel, so this counts each ticket once per key.
            # set/map/itemgetter keep the pass in C.
            counted.update(map(itemgetter(0, 2), set(zip(keys, legs[4], legs[9], strict=True))))
        elif by == "hour":
            tz = ZoneInfo(self.hall.timezone)
            for bucket, channel, n in issued_by_hour:
                utc = datetime.strptime(str(bucket)[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)
                counted[(utc.astimezone(tz).hour, channel)] += n
        else:
            counted.update({(service_id, channel): n for service_id, channel, n in issued_by_service})
        for (key, channel), n in counted.items():
            t = groups[key]
            t.tickets[channel] = t.tickets.get(channel, 0) + n


def unkept_days(session: Session, hall: Hall, now: datetime, days: int = KEEP_AHEAD_DAYS) -> tuple[KeptDay, ...]:
    """The figures of the hall's closed days among the last `days` that are not kept yet (or no longer match their
    day), computed for keep_days: run in the background, so a manager's month report finds them kept."""
    today = service_day(now, hall.timezone, hall.day_rollover)
    groupings: tuple[GroupBy, ...] = ("service", "window", "staff")
    return tuple(_Period(session, hall, today - timedelta(days=days), today - timedelta(days=1), today, groupings,
                         unkept_only=True).kept_now)


def keep_days(session: Session, hall_id: int, days: Iterable[KeptDay], now: datetime) -> int:
    """Store the closed days a report computed (Report.kept_now), replacing older rows; returns how many."""
    rows = [{"hall_id": hall_id, "service_on": d.service_on, "grouping": d.grouping, "stamp": d.stamp,
             "figures": d.figures, "built_at": now} for d in days]
    if not rows:
        return 0
    for d in rows:
        session.execute(delete(ReportDay).where(ReportDay.hall_id == hall_id, ReportDay.service_on == d["service_on"],
                                                ReportDay.grouping == d["grouping"]))
    session.execute(insert(ReportDay), rows)
    return len(rows)


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
    """The hall's figures for the business days from_on..to_on (inclusive), grouped `by`. Read-only: the closed
    days it had to compute come back in Report.kept_now, for the caller to store with keep_days."""
    if to_on < from_on or to_on - from_on > timedelta(days=MAX_PERIOD_DAYS - 1):
        raise ValueError("period must run forwards and span at most a year")
    # Service for the total, window and staff for the rankings, and the asked grouping.
    groupings: tuple[GroupBy, ...] = ("service", "window", "staff", *(("hour",) if by == "hour" else ()))
    period = _Period(session, hall, from_on, to_on, service_day(now, hall.timezone, hall.day_rollover),
                     groupings)
    wait_limit_s = hall.escalation_min * 60

    def rows(grouping: GroupBy, tallies: dict[Key, _Tally] | None = None) -> list[Row]:
        tallies = tallies if tallies is not None else period.tally(grouping)
        return [_row(_wire_key(grouping, key), period.label(grouping, key), tallies[key], wait_limit_s)
                for key in sorted(tallies, key=lambda k: _sort_key(grouping, k, period))]

    by_service = period.tally("service")
    # Every leg, rating and issued ticket has a service: the merge of the service groups is the hall's total.
    total = _row(TOTAL, "合计 total", _merge(by_service.values()), wait_limit_s)
    by_windows, by_staff = rows("window"), rows("staff")
    grouped = {"window": by_windows, "staff": by_staff, "service": rows("service", by_service)}.get(by) or rows(by)
    raw = RawSQL.of(session)
    acted = [(Acted(period.label("window", window_id), str(actor), int(calls), int(served or 0)), window_id)
             for window_id, actor, calls, served in raw.execute(_ACTED_SQL, {
                 "hall_id": hall.id, "from_on": raw.day(from_on), "to_on": raw.day(to_on)}).fetchall()]
    citizens, citizens_total = citizen_days(session, hall, from_on, to_on)
    return Report(
        citizens=tuple(citizens), citizens_total=citizens_total,
        hall=hall.code, hall_name=hall.name, from_on=from_on, to_on=to_on, by=by,
        wait_limit_s=wait_limit_s, generated_at=now, total=total, rows=grouped,
        window_ranking=_ranking(by_windows), staff_ranking=_ranking(by_staff), kept_now=tuple(period.kept_now),
        acted=tuple(a for a, _ in sorted(acted, key=lambda p: (_sort_key("window", p[1], period), p[0].actor))),
    )
