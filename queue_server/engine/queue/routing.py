"""Which waiting ticket a window calls next.

Rules, in order:
1. Class: priority tickets (a priority category, or a green-channel service) and normal tickets alternate by the
   window's ratio — after `ratio` normal calls a waiting priority ticket goes next — so neither class starves.
2. Inside the class, a queue head that has waited past the hall's escalation limit goes first (longest wait).
3. Otherwise the longest wait weighted by the window profile (waited time x weight); services of weight 0 are
   served only when nothing else waits, priority tickets included. Priority tickets order by category weight,
   then queue time.
Ties fall to the profile order, then the queue time, then the ticket id, so the order is total and FIFO holds
within a service and class.
"""

from __future__ import annotations

from collections.abc import Container
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from queue_server.storage.models import Hall
from queue_server.storage.models import Window
from queue_server.storage.rawsql import RawSQL


class Queued(Protocol):
    """What ranking reads of a waiting ticket: an ORM Ticket or a Head."""

    @property
    def id(self) -> int: ...
    @property
    def service_id(self) -> int: ...
    @property
    def priority_weight(self) -> int: ...
    @property
    def queued_at(self) -> datetime: ...


def is_priority(ticket: Queued, green: Container[int]) -> bool:
    """A priority category, or a service with a green channel (`green`: the ids of those services)."""
    return ticket.priority_weight > 0 or ticket.service_id in green


@dataclass(frozen=True, slots=True)
class Head:
    """The head of one queue a window may call: the fields ranking needs, read without building an ORM object.
    The one chosen is loaded and locked by its id (calling._claim)."""

    id: int
    service_id: int
    priority_weight: int
    target_window_id: int | None
    queued_at: datetime


@dataclass(frozen=True, slots=True)
class Placement:
    """A service's place in a window's profile (window_services): tie-break position and wait weight."""

    position: int
    weight: int


# Per service, priority weight and target window only the earliest ticket can be next (FIFO inside a group), so the
# heads are sought, never scanned: a call costs the same with 3,000 waiting as with 30 (bench/call_cost.py).
# - grp walks the distinct priority weights of each profile service's untargeted waiting tickets, one index seek
#   per weight (a loose index scan on ix_tickets_queue: hall, status, service, weight, queued_at, id, target);
# - each group's head is one more seek down the same index (ORDER BY queued_at, id LIMIT 1);
# - tickets sent to this window (transfers: a handful) come from the partial index ix_tickets_targeted.
# One statement per database, each with its own plan test (tests/engine/test_routing_plans.py): SQLite joins each
# group's head by a correlated LIMIT 1 subquery (it has no LATERAL); PostgreSQL planned that join as a hash join over
# a scan of every ticket, so it gets the same seek as a LATERAL subquery. Hand-written (rawsql.py says why):
# call-next runs it under the hall's lock on every call.
# A remote ticket (线上取号) whose citizen has not confirmed arrival is not a candidate: the next one of its group
# stands in for it, and it keeps its queue time, so it is next once it arrives. The condition is on the head's seek,
# not on the weight walk, so a group of only such tickets yields no head (NULL in SQLite's join, no row in LATERAL).
_ARRIVED = "(t.remote = :no OR t.arrived_at IS NOT NULL)"
_UNTARGETED = "t.hall_id = :hall_id AND t.status = 'waiting' AND t.target_window_id IS NULL"
_GROUPS = (
    "WITH RECURSIVE grp(service_id, priority_weight) AS ("
    "SELECT ws.service_id, (SELECT t.priority_weight FROM tickets t WHERE " + _UNTARGETED + " "
    "AND t.service_id = ws.service_id ORDER BY t.priority_weight LIMIT 1) "
    "FROM window_services ws WHERE ws.window_id = :window_id "
    "UNION ALL "
    "SELECT g.service_id, (SELECT t.priority_weight FROM tickets t WHERE " + _UNTARGETED + " "
    "AND t.service_id = g.service_id AND t.priority_weight > g.priority_weight ORDER BY t.priority_weight LIMIT 1) "
    "FROM grp g WHERE g.priority_weight IS NOT NULL) "
)
_GROUP_HEAD = (" FROM tickets t WHERE " + _UNTARGETED + " AND " + _ARRIVED + " "
               "AND t.service_id = g.service_id AND t.priority_weight = g.priority_weight ORDER BY t.queued_at, t.id "
               "LIMIT 1")
_SENT = (
    " UNION ALL "
    "SELECT 0, id, service_id, priority_weight, target_window_id, queued_at FROM ("
    "SELECT id, service_id, priority_weight, target_window_id, queued_at, row_number() OVER ("
    "PARTITION BY service_id, priority_weight ORDER BY queued_at, id) AS place "
    "FROM tickets t WHERE hall_id = :hall_id AND status = 'waiting' AND target_window_id = :window_id AND "
    + _ARRIVED + ") AS sent WHERE place = 1"
)
# With the heads, in the same statement (each statement under the hall's lock lets the other request threads run
# first: docs/benchmarks.md, goal 1), rows tagged by their first column: 0 a head (id, service, weight, target,
# queue time), 1 the window's profile (service, position, weight), 2 a green-channel service of the hall, 3 a
# parked ticket whose return time has come (ix_tickets_queue: hall, status; a handful of rows).
DUE_PARKED = "hall_id = :hall_id AND status = 'parked' AND parked_until <= :now"  # housekeeping's too (calling.py)
_REST = (
    " UNION ALL SELECT 1, service_id, position, weight, NULL, NULL FROM window_services WHERE window_id = :window_id"
    " UNION ALL SELECT 2, id, NULL, NULL, NULL, NULL FROM services WHERE hall_id = :hall_id AND green_channel = :yes"
    " UNION ALL SELECT 3, id, NULL, NULL, NULL, NULL FROM tickets WHERE " + DUE_PARKED
)
WINDOW_VIEW = {
    "sqlite": _GROUPS + "SELECT 0 AS k, h.id, h.service_id, h.priority_weight, h.target_window_id, h.queued_at "
              "FROM grp g JOIN tickets h ON h.id = (SELECT t.id" + _GROUP_HEAD + ")" + _SENT + _REST,
    "postgresql": _GROUPS + "SELECT 0 AS k, h.id, h.service_id, h.priority_weight, h.target_window_id, h.queued_at "
                  "FROM grp g CROSS JOIN LATERAL (SELECT t.id, t.service_id, t.priority_weight, t.target_window_id, "
                  "t.queued_at" + _GROUP_HEAD + ") h WHERE g.priority_weight IS NOT NULL" + _SENT + _REST,
}
VIEW_COLUMNS = ("k", "id", "service_id", "priority_weight", "target_window_id", "queued_at")


@dataclass(frozen=True)
class WindowView:
    """What call-next reads of the hall for one window, in one statement."""

    heads: list[Head]  # the head of every queue the window may call (its profile's, and tickets sent to it)
    profile: dict[int, Placement]  # by service
    green: frozenset[int]  # the hall's green-channel services
    due_parked: list[int]  # parked tickets whose return time has come, by id


def window_view(session: Session, hall: Hall, window: Window, now: datetime) -> WindowView:
    raw = RawSQL.of(session)
    rows = raw.rows(WINDOW_VIEW["sqlite" if raw.sqlite else "postgresql"],
                    {"hall_id": hall.id, "window_id": window.id, "no": False, "yes": True, "now": raw.stamp(now)},
                    VIEW_COLUMNS)
    heads = [Head(r[1], r[2], r[3], r[4], raw.instant(r[5])) for r in rows if r[0] == 0]  # rank() orders them
    return WindowView(heads, {r[1]: Placement(r[2], r[3]) for r in rows if r[0] == 1},
                      frozenset(r[1] for r in rows if r[0] == 2), sorted(r[1] for r in rows if r[0] == 3))


def rank(
    hall: Hall, window: Window, tickets: list[Head], green: Container[int], profile: Mapping[int, Placement],
    now: datetime,
) -> list[Head]:
    """All candidates, best first, by the rules in the module docstring (`profile`: the window's, by service)."""
    if not tickets:
        return []
    escalation = timedelta(minutes=hall.escalation_min)
    ratio = window.priority_ratio if window.priority_ratio is not None else hall.priority_ratio

    def position(t: Head) -> int:
        ws = profile.get(t.service_id)
        return ws.position if ws is not None else -1  # transferred to this window: ahead on ties

    def weight(t: Head) -> int:
        ws = profile.get(t.service_id)
        return ws.weight if ws is not None else 1

    def key(t: Head) -> tuple[int, float, int, datetime, int]:
        waited = (now - t.queued_at).total_seconds()
        if waited >= escalation.total_seconds():
            return (0, -waited, position(t), t.queued_at, t.id)
        if is_priority(t, green):
            return (1, -float(t.priority_weight), 0, t.queued_at, t.id)
        w = weight(t)
        if w == 0:
            return (3, -waited, position(t), t.queued_at, t.id)
        return (2, -waited * w, position(t), t.queued_at, t.id)

    # Weight 0 means "only when nothing else waits", so those tickets stand behind both classes (a priority
    # ticket included), unless they escalated.
    last = sorted((t for t in tickets if key(t)[0] == 3), key=key)
    rest = [t for t in tickets if key(t)[0] != 3]
    priority = sorted((t for t in rest if is_priority(t, green)), key=key)
    normal = sorted((t for t in rest if not is_priority(t, green)), key=key)
    # Priority first only when its turn has come by the ratio, or nothing normal waits.
    first, second = (priority, normal) if priority and (not normal or window.normal_streak >= ratio) else (
        normal, priority)
    return first + second + last
