"""People ahead and estimated wait (domain.md §3).

estimate = the time the open windows serving the service need for the work ahead of the ticket:
- its own queue: the people ahead x the recent mean service time of the service (one turn more when every one
  of those windows is busy: even the head of the queue waits for the first window to come free), shared by
- windows that first work off the tickets of other services they also serve and that will be called before it
  (all of them for a newcomer; those queued earlier, or of a higher priority class, for a ticket already
  waiting), each at its own service's mean, spread evenly over that service's open windows.
With no other services at its windows this is people ahead x mean / windows, as before. Windows that serve
several services call them by the longest weighted wait (routing.py), so such a group works as one pooled queue:
counting only the service's own queue printed 0-2 minutes for waits of 10-30 minutes (bench/simday.py measured
it). Profile weights and the priority ratio are not modelled.
While a normal ticket waits, others join the queue ahead of it: priority tickets, transfers and returns from park
(they keep their queue time), reactivated no-shows, late appointments. The windows spend part of their time on
those, so the work ahead drains more slowly: a normal ticket's wait is divided by (1 - that share of the windows'
work over the last hour). Without it walk-ins were told too little: in bench/simday.py's scaled day all 580
wrong walk-in estimates were too short, walk-ins waited a median 1.17x their estimate, and 12 % of the work the
windows did while a walk-in waited went to tickets that joined ahead of it (priority 5 %, transfers, returns from
park and reactivated no-shows 6 %, late appointments 1 %).
Only callable tickets count, ahead and in the windows' work: a 线上取号 ticket whose citizen has not confirmed
arrival is passed over by call-next (routing.py), so it is in nobody's way until it arrives; once it does, it is
called in its original place, and the jump share below counts that like any other ticket that joined ahead.
The mean is window time per ticket (first call -> end of every called leg, no-shows included) from the same hour
of day when there are enough samples, else from all recent samples, else the service's configured standard
duration.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import local_time
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import TicketStatus
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.models import WindowState
from queue_server.storage.rawsql import RawSQL

T = TypeVar("T")

MIN_SAMPLES = 50  # fewer than this and the mean is noise; use the configured standard duration
SAMPLE_WINDOW = timedelta(days=28)  # four weeks: recent enough to follow staffing, long enough to fill
MAX_SAMPLES = 500
JUMP_LOOKBACK = timedelta(hours=1)  # follows the day (appointment slots, the peak), long enough to fill
JUMP_MIN_LEGS = 20  # fewer legs at the windows in that hour and the share is noise: none assumed
JUMP_MAX_SHARE = 0.5  # a bound: a freak hour at most doubles a wait
REQUEUE_SLACK = timedelta(seconds=60)  # a leg queued this much after its ticket's queue time joined ahead of others
CACHE_KEY = "hallq_estimates"  # the TTL cache the store puts in Session.info (store.ESTIMATE_CACHE_KEY)
# Per-transaction memo of the queries below: they describe the hall at this instant, which an op does not change
# between its own estimate and its queue.stats event.
_MEMO_KEY = "hallq_estimate_memo"
# 线上取号: a remote ticket whose citizen has not confirmed arrival waits in its queue, but call-next passes over it
# (routing.py's _ARRIVED), so it is nobody's "ahead" and no window's work: every count below is of the tickets a
# clerk can call. Filtering on the remote columns would read every waiting ticket's row (ix_tickets_queue does not
# hold them: 1.07x -> 1.59x the call's cost at 3,000 waiting, bench/call_cost.py), so a count of part of a queue
# (the people ahead) is the covering count of ix_tickets_queue minus the same count over ix_tickets_unarrived,
# which holds only the tickets on their way (migration 0024); whole queues are counted by the database itself as
# tickets change (queue_counts, migration 0026).
_WAITING = "FROM tickets WHERE hall_id = :hall_id AND status = 'waiting'"
_UNARRIVED = " AND remote AND arrived_at IS NULL"  # ix_tickets_unarrived's condition, word for word
_BEFORE = " AND (priority_weight > :weight OR (priority_weight = :weight AND queued_at <= :queued_at))"
# The hall at this instant, in one statement (each statement under the hall's lock lets the other request threads
# run first: docs/benchmarks.md, goal 1): rows (0, service, n) of the callable waiting tickets per service, from the
# counts the database keeps (migration 0026: one row per service, however long the queue); rows (1, window, 0) of
# the windows with a ticket called or being served (hall + status: ix_tickets_queue).
_HALL_NOW = (
    "SELECT 0 AS k, service_id AS id, waiting - unarrived AS n FROM queue_counts WHERE hall_id = :hall_id UNION ALL "
    "SELECT DISTINCT 1, window_id, 0 FROM tickets WHERE hall_id = :hall_id AND status IN ('called', 'serving')"
)
_WAITING_BEFORE_BY_SERVICE = (
    "SELECT service_id, count(*) AS n " + _WAITING + _BEFORE + " GROUP BY service_id UNION ALL "
    "SELECT service_id, -count(*) " + _WAITING + _BEFORE + _UNARRIVED + " GROUP BY service_id"
)
# Runs on every issue (rawsql.py says why it is hand-written); both halves read their index alone.
_AHEAD = ("coalesce(sum(CASE WHEN priority_weight > :weight OR (priority_weight = :weight AND queued_at <= :queued_at) "
          "THEN 1 ELSE 0 END), 0)")
_POSITION = (
    "SELECT sum(n), sum(a) FROM ("
    "SELECT count(*) AS n, " + _AHEAD + " AS a " + _WAITING + " AND service_id = :service_id UNION ALL "
    "SELECT -count(*), -" + _AHEAD + " " + _WAITING + " AND service_id = :service_id" + _UNARRIVED + ") AS p"
)


def _recent_mean(session: Session, service: Service, since: datetime, hour: int | None) -> tuple[int, float]:
    """(sample count, mean window seconds per ticket) over the newest MAX_SAMPLES called legs, optionally of one
    local hour. Window time (call -> end), not service time: the walk, recalls and the wait for a citizen who
    never comes hold the window too, and a no-show takes its turn in the queue like anyone (bench/simday.py
    measured estimates a fifth short on service time alone)."""
    recent = (
        select(TicketLeg.occupied_s.label("s"))
        .where(
            TicketLeg.service_id == service.id,
            TicketLeg.ended_at >= since,
            TicketLeg.occupied_s.is_not(None),
            # A parked leg is half a service; counting it would pull the mean down.
            TicketLeg.end != "parked",
            *([TicketLeg.local_hour == hour] if hour is not None else []),
        )
        .order_by(TicketLeg.ended_at.desc())
        .limit(MAX_SAMPLES)
        .subquery()
    )
    count, mean = session.execute(select(func.count(), func.avg(recent.c.s))).one()
    return int(count or 0), float(mean or 0.0)


def _cached_mean(session: Session, service_id: int, now: datetime) -> float | None:
    cache = session.info.get(CACHE_KEY)
    hit = cache.get(("mean", service_id), now) if cache is not None else None
    return float(hit) if hit is not None else None


def mean_service_s(session: Session, hall: Hall, service: Service, now: datetime) -> float:
    """Mean service seconds; cached by the store for a minute when it provides a cache in Session.info."""
    cache = session.info.get(CACHE_KEY)
    key = ("mean", service.id)
    if cache is not None and (hit := cache.get(key, now)) is not None:
        return float(hit)
    since = now - SAMPLE_WINDOW
    count, mean = _recent_mean(session, service, since, local_time(now, hall.timezone).hour)
    if count < MIN_SAMPLES:
        count, mean = _recent_mean(session, service, since, None)
    value = mean if count >= MIN_SAMPLES else float(service.standard_duration_s)
    if cache is not None:
        cache.put(key, value, now)
    return value


@dataclass(frozen=True)
class Pool:
    """The open windows serving a service and, for every other service served at one of them, those of its open
    windows that serve this service too and how many open windows it has in all."""

    windows: frozenset[int]
    others: dict[int, tuple[frozenset[int], int]]


def pool(session: Session, service: Service, now: datetime) -> Pool:
    """Cached like the mean: the profile and window states change rarely, and a minute late is fine."""
    cache = session.info.get(CACHE_KEY)
    key = ("pool", service.id)
    if cache is not None and (hit := cache.get(key, now)) is not None:
        return hit  # type: ignore[no-any-return]
    pairs = session.execute(
        select(WindowService.window_id, WindowService.service_id)
        .join(Window, Window.id == WindowService.window_id)
        .where(Window.hall_id == service.hall_id, Window.state == WindowState.OPEN)
    ).all()
    mine = frozenset(w for w, s in pairs if s == service.id)
    windows_of: dict[int, set[int]] = {}
    for w, s in pairs:
        windows_of.setdefault(s, set()).add(w)
    others = {s: (frozenset(ws & mine), len(ws)) for s, ws in windows_of.items() if s != service.id and ws & mine}
    value = Pool(mine, others)
    if cache is not None:
        cache.put(key, value, now)
    return value


def _backlogs(session: Session, hall: Hall, shared: Pool, now: datetime, priority_weight: int | None,
              queued_at: datetime | None) -> dict[int, float]:
    """Seconds of other services' work each window does before the ticket: their tickets called first (all of
    them for a newcomer, queued_at None), each service's work spread evenly over its open windows."""
    backlog = dict.fromkeys(shared.windows, 0.0)
    if not shared.others:
        return backlog
    for service_id, n in _waiting_by_service(session, hall, now, priority_weight, queued_at).items():
        if not n or service_id not in shared.others:  # the kept counts list every service, empty queues too
            continue
        mean = _cached_mean(session, service_id, now)
        if mean is None:  # loading the service costs more than the rest of the estimate: only on a cache miss
            other = session.get(Service, service_id)
            if other is None:
                continue
            mean = mean_service_s(session, hall, other, now)
        windows, total = shared.others[service_id]
        each = int(n) * mean / total
        for w in windows:
            backlog[w] += each
    return backlog


def _per_transaction(session: Session, key: tuple[object, ...], sql: str, params: dict[str, object],
                     build: Callable[[Sequence[Any]], T], columns: tuple[str, ...] = ("service_id", "n")) -> T:
    """`build` of the rows of `sql`, remembered for the transaction until its next write (the memo's key holds
    RawSQL's write generation): an op asks the same question for its estimate and for its queue.stats."""
    raw = RawSQL.of(session)
    raw.sync()  # the op's pending ORM changes first, as a query would (autoflush)
    memo: dict[tuple[object, ...], Any] = session.info.setdefault(_MEMO_KEY, {})
    key = (*key, raw.generation)
    if key not in memo:
        memo[key] = build(raw.rows(sql, params, columns))
    return memo[key]  # type: ignore[no-any-return]


def _counts(rows: Sequence[Any]) -> dict[int, int]:
    out: dict[int, int] = {}
    for sid, n in rows:
        out[int(sid)] = out.get(int(sid), 0) + int(n)
    return out


def _waiting_by_service(session: Session, hall: Hall, now: datetime, priority_weight: int | None,
                        queued_at: datetime | None) -> dict[int, int]:
    """Waiting tickets per service of the hall that are called before a ticket of this weight and queue time
    (all of them for a newcomer). Hand-written and remembered for the transaction: an issue asks twice (its own
    estimate and queue.stats), and this runs on every issue (rawsql.py says why)."""
    if priority_weight is not None and queued_at is not None and priority_weight <= 0 and queued_at >= now:
        priority_weight = queued_at = None  # a normal ticket queued now comes after everyone: a newcomer
    if priority_weight is None or queued_at is None:
        return _all_waiting(session, hall.id)
    params = {"hall_id": hall.id, "weight": priority_weight, "queued_at": RawSQL.of(session).stamp(queued_at)}
    return _per_transaction(session, ("waiting", hall.id, priority_weight, queued_at), _WAITING_BEFORE_BY_SERVICE,
                            params, _counts)


@dataclass(frozen=True)
class _HallNow:
    waiting: dict[int, int]  # callable waiting tickets per service
    busy: frozenset[int]  # windows with a ticket called or being served


def _hall_now(rows: Sequence[Any]) -> _HallNow:
    busy = frozenset(int(i) for k, i, _ in rows if k == 1 and i is not None)
    return _HallNow(_counts([(i, n) for k, i, n in rows if k == 0]), busy)


def _now(session: Session, hall_id: int) -> _HallNow:
    """Waiting tickets per service and busy windows of the hall, remembered for the transaction like
    _waiting_by_service."""
    return _per_transaction(session, ("now", hall_id), _HALL_NOW, {"hall_id": hall_id}, _hall_now, ("k", "id", "n"))


def _all_waiting(session: Session, hall_id: int) -> dict[int, int]:
    return _now(session, hall_id).waiting


def _water_fill(backlogs: list[float], work: float) -> float:
    """When windows that come free after `backlogs` seconds have done `work` seconds between them: the least
    loaded windows start on the service's own queue first, the others join as their backlog runs out."""
    levels = sorted(backlogs)
    total = 0.0
    for j, level in enumerate(levels, start=1):
        total += level
        t = (work + total) / j
        if j == len(levels) or t <= levels[j]:
            return t
    return work  # unreachable: the loop returns at its last window


def jump_share(session: Session, windows: frozenset[int], now: datetime) -> float:
    """Share of these windows' work (window time) in the last JUMP_LOOKBACK that went to tickets which joined the
    queue ahead of people already waiting: priority tickets, and legs that queued later than their ticket's queue
    time (a transfer, a return from park, a reactivated no-show, an appointment that came after its slot began, a
    remote ticket whose citizen confirmed arrival after it was taken).
    Cached like the mean, per set of windows, so the services of one pool share it. Reads only legs of these
    windows (ix_ticket_legs_window_end), so history does not slow it."""
    cache = session.info.get(CACHE_KEY)
    key = ("jump", windows)
    if cache is not None and (hit := cache.get(key, now)) is not None:
        return float(hit)
    value = 0.0
    if windows:
        rows = session.execute(
            select(TicketLeg.occupied_s, TicketLeg.queued_at, Ticket.queued_at, Ticket.priority_weight,
                   Ticket.arrived_at)
            .join(Ticket, Ticket.id == TicketLeg.ticket_id)
            .where(TicketLeg.window_id.in_(sorted(windows)), TicketLeg.ended_at >= now - JUMP_LOOKBACK,
                   TicketLeg.occupied_s.is_not(None))
        ).all()
        total = sum(occupied for occupied, *_ in rows)
        # A remote ticket that arrived after its queue time became callable then, ahead of those who came since.
        ahead = sum(occupied for occupied, leg_queued, queued, weight, arrived in rows
                    if weight > 0 or max(leg_queued, arrived or leg_queued) - queued > REQUEUE_SLACK)
        if len(rows) >= JUMP_MIN_LEGS and total > 0:
            value = min(JUMP_MAX_SHARE, ahead / total)
    if cache is not None:
        cache.put(key, value, now)
    return value


def _all_busy(session: Session, hall: Hall, windows: frozenset[int]) -> bool:
    """Every one of these windows has a ticket called or being served (hall + status: ix_tickets_queue)."""
    if not windows:
        return False
    return windows <= _now(session, hall.id).busy


def serving_windows(session: Session, service: Service, now: datetime | None = None) -> int:
    """Open windows whose profile includes the service; at least one, so a closed hall still gets an estimate.
    Cached like the mean when `now` is given (a pause shows in estimates within the cache time)."""
    cache = session.info.get(CACHE_KEY) if now is not None else None
    key = ("windows", service.id)
    if cache is not None and (hit := cache.get(key, now)) is not None:
        return int(hit)
    count = session.scalar(
        select(func.count())
        .select_from(WindowService)
        .join(Window, Window.id == WindowService.window_id)
        .where(WindowService.service_id == service.id, Window.state == WindowState.OPEN)
    )
    value = max(1, int(count or 0))
    if cache is not None:
        cache.put(key, value, now)
    return value


def callable_now() -> ColumnElement[bool]:
    """A waiting ticket a clerk can call (not a remote one still on its way), as a filter: for the reads off the
    call and issue path (the track page, the phones' positions, the alerts), where reading the rows is fine."""
    return or_(Ticket.remote.is_(False), Ticket.arrived_at.is_not(None))


def people_ahead(session: Session, ticket: Ticket) -> int:
    """Waiting tickets of the same service that a clerk can call before this one (priority first, then FIFO).
    Remote tickets not yet arrived are passed over by call-next, so they are not ahead of anyone; a remote
    ticket's own figure is the callable tickets before it too, which is what tells its citizen when to set off."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    before = or_(
        Ticket.priority_weight > ticket.priority_weight,
        and_(
            Ticket.priority_weight == ticket.priority_weight,
            or_(Ticket.queued_at < ticket.queued_at, and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id)),
        ),
    )
    return int(
        session.scalar(
            select(func.count()).select_from(Ticket).where(
                Ticket.hall_id == ticket.hall_id,
                Ticket.status == TicketStatus.WAITING,
                Ticket.service_id == ticket.service_id,
                callable_now(),
                before,
            )
        )
        or 0
    )


def position_for_new(
    session: Session, hall_id: int, service_id: int, priority_weight: int, queued_at: datetime
) -> tuple[int, int]:
    """(people ahead, people waiting) for a ticket about to be added: one query, before the insert. Both count
    callable tickets only."""
    raw = RawSQL.of(session)
    waiting, ahead = raw.one(_POSITION, {"weight": priority_weight, "queued_at": raw.stamp(queued_at),
                                         "hall_id": hall_id, "service_id": service_id})
    return int(ahead), int(waiting)


def estimated_wait_s(session: Session, hall: Hall, service: Service, ahead: int, now: datetime, *,
                     priority_weight: int | None = None, queued_at: datetime | None = None) -> int:
    """The wait of a ticket with `ahead` people ahead in its own queue (module docstring). `priority_weight` and
    `queued_at` place a ticket already waiting (or about to be) among the other services' tickets; without them
    it is a newcomer behind everyone."""
    mean = mean_service_s(session, hall, service, now)
    shared = pool(session, service, now)
    if not shared.windows:  # every window closed or paused: as if one window served the queue once it opens
        wait = round(ahead * mean)
    else:
        turns = ahead + (1 if _all_busy(session, hall, shared.windows) else 0)
        backlog = _backlogs(session, hall, shared, now, priority_weight, queued_at)
        work = _water_fill(list(backlog.values()), turns * mean)
        if not priority_weight and work:  # a priority ticket is passed only by a higher class: not modelled
            work /= 1.0 - jump_share(session, shared.windows, now)
        wait = round(work)
    if queued_at is not None and queued_at > now and wait:
        # An appointment checked in before its slot queues from the slot's start (issuing.py), so everyone who
        # comes until then is called first: in a busy hall it waits out the time to its slot and then about a
        # newcomer's wait. (bench/simday.py: without this, early check-ins were told 10-20 minutes too little.)
        # In a hall with nobody to serve first (wait 0) a free window calls it at once.
        wait += round((queued_at - now).total_seconds())
    return wait


def waiting_count(session: Session, service: Service) -> int:
    """The service's callable waiting tickets, from the hall's per-service counts: queue.stats, the estimate after
    it and a page of every service all read the same query once per transaction. Remote tickets not yet arrived
    are not in it: it is the queue a newcomer stands behind (the wall, the kiosk, the take page)."""
    return _all_waiting(session, service.hall_id).get(service.id, 0)
