"""A simulated busy day, replayed against running servers faster than real time (issue 7, "A simulated day").

One central hall: 30 windows in six zones, 30 services with their own service-time distributions, 4,000 tickets
over an 8-hour day with a morning peak; a share of priority tickets, booked citizens (网上预约: they book a slot
through the public booking API before the hall opens and check in at the kiosk with the code; some never come, and
the server's housekeeping marks them 爽约), remote citizens (线上取号, below), no-shows (some come back and are
reactivated), transfers and parks; 20 wall displays following the hall and phones following their own tickets (500
of the day's other tickets are followed), all over Socket.IO /live.

Remote citizens do what a citizen with a phone does (docs/remote-queue.md): at the plan's time they take a number
from home (`POST /halls/{hall}/remote-tickets`, a mobile number of their own), follow it on the phone page, and
come in; in the hall they type the entrance code of the day that the wall display shows (`POST
/track/{token}/arrive`). The driver's wall display reads that code the way wall.js does, with the display's
credential (`GET /halls/{hall}/entrance-code`), never from the server's secret. Most come after their travel time,
before their turn; some come only when the phone alerts them that their ticket is held at the head of its queue
(within the hall's grace time, so it is called), some come after the grace time (refused: expired, unless the
housekeeping round had not yet expired it), and some never come (expired).

Every citizen's public requests (booking, remote ticket, arrival) come from an address of their own (a loopback
address 127.x.y.z bound as the source), so the per-address rate limits stay on at the shipped values
(settings.RATE_LIMITS, passed to the servers explicitly) and judge the day as they would judge a real hall; a
`429 rate_limited` is an error of the day.

The servers run on a scaled clock (HALLQ_CLOCK_SPEED, bench only: queue_server.clock.clock_from_env), so every
time the server stores — issue, call, the estimate printed on the ticket — is simulated time, and the driver
paces itself on the same clock. It reports errors, tickets lost or doubled, events a display missed or got twice,
call-to-screen latency, the servers' CPU and memory (from /proc), and how often the printed estimate was right
(the real wait within ±5 minutes or ±25 % of it; target: ≥ 80 % of tickets), walk-in, priority, booked and
remote tickets each on their own row (remote tickets that were held before their citizen came on a row of their
own: their wait includes the citizen's lateness).

    python -m bench.simday [--topology embedded,scaled] [--speed 40] [--tickets 4000] [--hours 8]
                           [--windows 30] [--services 30] [--displays 20] [--phones 500] [--seed 7]
                           [--database sqlite|postgres] [--quick]

embedded: one `hallq serve` on SQLite (the default set-up). scaled: nginx (the shipped site) in front of two
`hallq serve` processes on PostgreSQL + Redis. The driver runs on the same machine: its own CPU (20 displays
parse every event) competes with the servers', so latency is an upper bound.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import json
import math
import os
import random
import statistics
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
import socketio
from requests.adapters import HTTPAdapter
from sqlalchemy import func
from sqlalchemy import select

from bench import nginx
from bench.common import ALL_DAY
from bench.common import WORK
from bench.common import Server
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from bench.feed_client import FeedClient
from bench.latency import stop
from queue_server.access.credentials import mint_token
from queue_server.clock import ScaledClock
from queue_server.engine.booking.plans import check_plan
from queue_server.settings import RATE_LIMITS
from queue_server.storage.models import Appointment
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketEvent
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.store import make_store

HALL = "sim"
TZ = "Asia/Shanghai"
OPENING = (9, 0)  # local time the kiosks start issuing
PORTS = {"embedded": 5951, "scaled": 5961}  # other benches use 5871, 5911, 5931
REDIS_URL = os.environ.get("HALLQ_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
# Arrivals per hour of the day, relative: the morning rush, a lunch dip, a smaller afternoon peak (8 hours; a
# longer day repeats the afternoon's tail).
HOURLY_SHAPE = [1.5, 1.6, 1.25, 0.7, 0.8, 1.0, 0.8, 0.45]
ZONES = 6
UTILISATION = 0.85  # of the windows' day, on average; the morning peak runs above 1, so queues build, then drain
SERVICE_CV = 0.6  # spread of one service's handling times (lognormal)
WALK_S = (20.0, 45.0)  # from the call to the citizen at the window
NO_SHOW_WAIT_S = (60.0, 150.0)  # a clerk waits (and would recall) before marking 过号
SHARES = {"priority": 0.05, "appointment": 0.10, "no_show": 0.04, "reactivate": 0.3, "transfer": 0.05,
          "park": 0.03, "remote": 0.08,
          "absent": 0.10}  # of the booked citizens: never come (爽约; a common rate in halls that publish it)
# Of the remote citizens (线上取号): how they come. The rest come in time, after their travel.
REMOTE_FATES = {"late": 0.08,  # come once the phone says the ticket is held, within the grace time: called
                "too_late": 0.04,  # come after the grace time: refused, the ticket expired
                "gone": 0.04}  # never come (another errand, a change of mind): the ticket expires
TRAVEL_S = (300.0, 1500.0)  # from home to the hall; a citizen with a shorter printed wait sets off at once
REMOTE_GRACE_MIN = 10  # the hall's hold of an unconfirmed ticket at the head of its queue (the shipped default)
TRAVEL_SHARE = 0.6  # ...and comes by this share of the printed wait at the latest, as the phone page urges
# The server's clock starts this many real seconds (scaled to simulated time) before opening: the servers start
# and the bookings are made in that time, before the slots' cut-off; the day waits for the rest.
BOOK_AHEAD_REAL_S = 30.0
SLOT_CAPACITY = 60  # per 30-minute slot and service: the plan's own demand, never the limit
BOOKERS = 8  # booking requests in flight before the day

# An idle window calls again when the feed says a ticket it serves joined the queue (as the staff console
# does); this poll is only the fallback. Polling alone would scale with the speed: at 40x, 30 idle windows
# polling every 30 simulated seconds are 40 write requests a second that no real hall makes.
IDLE_POLL_S = 120.0
QUEUE_JOINS = ("ticket.issued", "ticket.returned", "ticket.reactivated", "ticket.transferred", "ticket.arrived")
DRAIN_S = 3 * 3600  # after closing, windows serve who is left for at most this long (simulated)
HTTP_TIMEOUT_S = 30
# Below the 5 s after which hallq serve closes an idle keep-alive (queue_server/operations/server.py): see Driver.http.
IDLE_REUSE_S = 4.0
PHONE_WORKERS = 8
KIOSK_WORKERS = 8
CATCH_UP_S = 60
ENTRANCE_EVERY_S = 300.0  # the wall display asks for the entrance code this often (static/display/wall.js)
# After the clerks stop, how long (real seconds) the day waits for the server to expire remote tickets whose
# citizens never came: its housekeeping round runs at least every 30 real seconds (operations/alert_ticker.py).
EXPIRY_WAIT_S = 40.0


# ---------------------------------------------------------------- the day's plan (pure, seeded)


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    prefix: str
    zone: int
    mean_s: float  # the true mean handling time
    weight: float  # share of the day's tickets
    standard_s: int  # what the hall configured as standard duration: the true mean give or take 20 %


@dataclass(frozen=True)
class Citizen:
    at_s: float  # simulated seconds after opening
    service: str
    priority: bool = False
    appointment: str | None = None
    slot_start_s: float | None = None
    no_show: bool = False
    reactivate_after_s: float | None = None
    transfer_to: str | None = None
    park_min: int | None = None
    phone: bool = False
    remote: bool = False  # 线上取号: the number is taken from the phone (channel mobile), not at the kiosk
    arrival: str = ""  # a remote citizen's coming: "in_time", or one of REMOTE_FATES
    travel_s: float = 0.0  # a remote citizen's way to the hall
    absent: bool = False  # a booked citizen who never comes (爽约)


@dataclass(frozen=True)
class DayPlan:
    services: list[ServiceSpec]
    windows: list[list[str]]  # service codes of window 1, 2, ...
    citizens: list[Citizen]
    hours: float

    def service(self, code: str) -> ServiceSpec:
        return next(s for s in self.services if s.code == code)


def _prefix(i: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I and O: they read as 1 and 0 on a ticket
    return letters[i] if i < len(letters) else letters[i // len(letters) - 1] + letters[i % len(letters)]


def _hour_weights(hours: float) -> list[float]:
    n = max(1, math.ceil(hours))
    shape = [HOURLY_SHAPE[min(h, len(HOURLY_SHAPE) - 1)] for h in range(n)]
    if hours < n:
        shape[-1] *= hours - (n - 1)
    return shape


def make_plan(*, tickets: int, hours: float, windows: int, services: int, phones: int, seed: int) -> DayPlan:
    rng = random.Random(seed)
    zones = max(1, min(ZONES, windows, services))
    raw = [(rng.uniform(1.0, 5.0), rng.lognormvariate(0, 0.7)) for _ in range(services)]  # (relative mean, demand)
    demand = sum(w for _, w in raw)
    # Scale the means so that the day's work fills UTILISATION of the windows' time (walks and transfers count).
    work_per_ticket = sum(m * w for m, w in raw) / demand
    overhead = (1 + SHARES["transfer"]) * (1 + SHARES["park"])
    budget = UTILISATION * windows * hours * 3600 / (tickets * overhead) - sum(WALK_S) / 2
    scale = max(30.0, budget) / work_per_ticket
    specs = []
    for i, (m, w) in enumerate(raw):
        mean = m * scale
        specs.append(ServiceSpec(code=f"s{i + 1:02d}", prefix=_prefix(i), zone=i % zones, mean_s=round(mean, 1),
                                 weight=w / demand, standard_s=round(mean * rng.uniform(0.8, 1.2))))
    # Windows per zone in proportion to the zone's work (largest remainder, at least one each).
    work = [sum(s.mean_s * s.weight for s in specs if s.zone == z) for z in range(zones)]
    quota = [windows * x / sum(work) for x in work]
    counts = [max(1, int(q)) for q in quota]
    while sum(counts) < windows:
        counts[max(range(zones), key=lambda z: quota[z] - counts[z])] += 1
    while sum(counts) > windows:
        counts[max((z for z in range(zones) if counts[z] > 1), key=lambda z: counts[z] - quota[z])] -= 1
    profile = [[s.code for s in specs if s.zone == z] for z in range(zones) for _ in range(counts[z])]

    weights = _hour_weights(hours)
    cumulative = [sum(weights[: i + 1]) for i in range(len(weights))]
    codes, demand_w = [s.code for s in specs], [s.weight for s in specs]
    phone_share = min(1.0, phones / tickets) if tickets else 0.0
    citizens = []
    for _ in range(tickets):
        hour = bisect.bisect_left(cumulative, rng.random() * cumulative[-1])
        span = min(3600.0, hours * 3600 - hour * 3600)
        at = hour * 3600 + rng.random() * span
        service = rng.choices(codes, demand_w)[0]
        kind = rng.random()
        appointment = slot = None
        absent = False
        if kind < SHARES["appointment"]:
            # Booked 30-minute slots; people come between 20 minutes early and 10 minutes late.
            slot = max(0.0, math.floor((at + rng.uniform(-600, 1200)) / 1800) * 1800)
            at = min(hours * 3600 - 1, max(0.0, slot + rng.uniform(-1200, 600)))
            appointment = f"Y{len(citizens) + 1:05d}"  # stands for the code the booking API will answer
            absent = rng.random() < SHARES["absent"]
        no_show = rng.random() < SHARES["no_show"]
        others = [c for c in codes if c != service]
        first_other = SHARES["appointment"] + SHARES["priority"]
        remote = appointment is None and first_other <= kind < first_other + SHARES["remote"]
        citizens.append(Citizen(
            at_s=at, service=service,
            priority=appointment is None and SHARES["appointment"] <= kind < SHARES["appointment"] + SHARES["priority"],
            appointment=appointment, slot_start_s=slot, no_show=no_show,
            reactivate_after_s=rng.uniform(180, 1200) if no_show and rng.random() < SHARES["reactivate"] else None,
            transfer_to=rng.choice(others) if others and not no_show and rng.random() < SHARES["transfer"] else None,
            park_min=rng.randint(5, 15) if not no_show and rng.random() < SHARES["park"] else None,
            phone=remote or rng.random() < phone_share, remote=remote, absent=absent,
        ))
    # How remote citizens come, from a generator of its own: the rest of the day stays the day earlier runs had.
    fates = random.Random(seed * 7919 + 21)
    shares = list(REMOTE_FATES.items())
    for i, c in enumerate(citizens):
        if c.remote:
            draw, arrival = fates.random(), "in_time"
            for fate, share in shares:
                if draw < share:
                    arrival = fate
                    break
                draw -= share
            citizens[i] = replace(c, arrival=arrival, travel_s=fates.uniform(*TRAVEL_S))
    citizens.sort(key=lambda c: c.at_s)
    return DayPlan(specs, profile, citizens, hours)


# ---------------------------------------------------------------- the hall in the database


@dataclass(frozen=True)
class SimHall:
    kiosk: str
    display: str
    staff: dict[int, str]  # window number -> staff token


def booking_plan(hours: float) -> dict[str, Any]:
    """Every day 09:00 onwards in 30-minute slots, covering the day and the late slots its bookings can fall in;
    no cut-off (the bench books them all before opening), a horizon of a day."""
    end = min(23 * 60 + 30, OPENING[0] * 60 + OPENING[1] + 30 * math.ceil(hours * 2 + 1))
    block = {"start": f"{OPENING[0]:02d}:{OPENING[1]:02d}", "end": f"{end // 60:02d}:{end % 60:02d}", "minutes": 30,
             "capacity": SLOT_CAPACITY}
    return check_plan({"days": {str(d): [block] for d in range(1, 8)}, "horizon_days": 1, "cutoff_min": 0})


def build_sim_hall(url: str, plan: DayPlan, now: datetime) -> SimHall:
    store = make_store(url)
    with store.transaction() as s:
        hall = Hall(code=HALL, name="模拟政务服务中心", timezone=TZ, opening_hours=ALL_DAY, person_salt="sim",
                    event_seq=0, remote_grace_min=REMOTE_GRACE_MIN)
        s.add(hall)
        s.flush()
        s.add(PriorityCategory(hall_id=hall.id, code="elder", name="老年人", weight=1))
        services = {spec.code: Service(hall_id=hall.id, code=spec.code, name=f"事项{spec.code[1:]}",
                                       prefix=spec.prefix, standard_duration_s=spec.standard_s,
                                       booking=booking_plan(plan.hours))
                    for spec in plan.services}
        s.add_all(services.values())
        s.flush()
        staff: dict[int, str] = {}
        for n, codes in enumerate(plan.windows, start=1):
            zone = plan.service(codes[0]).zone
            window = Window(hall_id=hall.id, number=n, name=f"{n}号窗口", zone=f"{chr(65 + zone)}区")
            window.profile = [WindowService(service_id=services[c].id, position=i) for i, c in enumerate(codes)]
            member = Staff(hall_id=hall.id, user_no=f"sim{n:02d}", name=f"窗口{n}", password_hash="x",
                           role=Role.STAFF)
            s.add_all([window, member])
            s.flush()
            window.staff_id = member.id
            staff[n] = mint_token(s, now, role=Role.STAFF, hall=hall, window=window, staff=member)
        kiosk = mint_token(s, now, role=Role.KIOSK, hall=hall, device_name="sim-kiosk")
        display = mint_token(s, now, role=Role.DISPLAY, hall=hall, device_name="sim-display")
    store.dispose()
    return SimHall(kiosk, display, staff)


class _FromAddress(HTTPAdapter):
    """Connections from one source address: the citizen's own phone or home, as the server's rate limits see it."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def citizen_address(n: int) -> str:
    """The address of the plan's n-th citizen: one of 127.0.0.0/8 (all loopback on Linux), never 127.0.0.1, the
    address of the kiosk, the displays and the clerks."""
    return f"127.{1 + n // 65025}.{n // 255 % 255}.{n % 255 + 1}"


def citizen_http(n: int) -> requests.Session:
    """A session of the n-th citizen's own (the public routes it calls are limited per address)."""
    session = requests.Session()
    session.mount("http://", _FromAddress(citizen_address(n)))
    return session


def public_limits_env() -> dict[str, str]:
    """The per-address limits of the public routes, set explicitly at the shipped values: the day runs with the
    limits a hall runs with, and a change of the defaults shows in the day's command line, not by surprise."""
    return {f"HALLQ_RATE_LIMIT_{bucket.upper()}": f"{count}/{seconds}"
            for bucket, (count, seconds) in RATE_LIMITS.items()}


def book_ahead(base: str, plan: DayPlan, morning: datetime, tally: Tally) -> dict[str, str]:
    """The booked citizens book their slots through the public booking API (POST /halls/{hall}/appointments, each
    with a mobile number and an address of their own), before the hall opens. Returns the plan's placeholder ->
    the code the API answered, which the citizen types at the kiosk."""

    def book(n: int, citizen: Citizen) -> tuple[str, str] | None:
        assert citizen.appointment is not None and citizen.slot_start_s is not None
        slot = (morning + timedelta(seconds=citizen.slot_start_s)).isoformat()
        try:
            with citizen_http(n) as http:
                r = http.post(f"{base}/api/v1/halls/{HALL}/appointments", timeout=HTTP_TIMEOUT_S,
                              json={"service": citizen.service, "slot_start": slot, "phone": f"139{n:08d}"})
        except requests.RequestException as exc:
            tally.error(f"POST /halls/{{hall}}/appointments {type(exc).__name__}", str(exc))
            return None
        if r.status_code != 201:
            tally.error(f"POST /halls/{{hall}}/appointments {r.status_code}", r.text)
            return None
        return citizen.appointment, str(r.json()["code"])

    booked = [(n, c) for n, c in enumerate(plan.citizens) if c.appointment is not None]
    with ThreadPoolExecutor(BOOKERS, thread_name_prefix="book") as pool:
        answers = list(pool.map(book, [n for n, _ in booked], [c for _, c in booked]))
    return dict(a for a in answers if a is not None)


# ---------------------------------------------------------------- what the driver saw


@dataclass
class Tally:
    """Everything the simulated people saw, shared by their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    fate_ready: threading.Condition = field(init=False)
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    acked: list[dict[str, Any]] = field(default_factory=list)  # the 201 answers the kiosk got
    fates: dict[int, Citizen] = field(default_factory=dict)  # ticket id -> the citizen's plan
    calls: dict[int, list[float]] = field(default_factory=dict)  # ticket id -> perf_counter of each call-next
    outstanding: set[int] = field(default_factory=set)  # parked or no-show-to-come-back: not done yet
    handled: set[int] = field(default_factory=set)  # tickets whose one transfer/park/no-show already happened
    issuing_done: threading.Event = field(default_factory=threading.Event)
    phones_peak: int = 0
    phones_now: int = 0
    # Simulated seconds between a citizen's planned arrival and the server's issue time: a driver (or server)
    # that cannot keep up with the speed shows here, and then the day is not the day that was planned.
    kiosk_lag_s: list[float] = field(default_factory=list)
    # 线上取号: remote tickets not yet called nor expired, and what their citizens met (taken, arrived, refused...).
    awaiting: set[int] = field(default_factory=set)
    remote: Counter[str] = field(default_factory=Counter)
    alerted: set[int] = field(default_factory=set)  # remote tickets whose held alert reached their citizen

    def __post_init__(self) -> None:
        self.fate_ready = threading.Condition(self.lock)

    def error(self, what: str, detail: str = "") -> None:
        with self.lock:
            self.errors[what] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{what}: {detail[:300]}")


class Phone:
    """A citizen's phone on /t/<token>: the ticket's own events only (docs/realtime.md, track scope)."""

    def __init__(self, url: str, track: str, ticket_id: int, tally: Tally, pool: ThreadPoolExecutor,
                 on_held: Callable[[], None] | None = None) -> None:
        self.ticket_id = ticket_id
        self.on_held = on_held  # a remote ticket's citizen acting on the phone's alert (held at the head)
        self.seqs: list[int] = []
        self.snapshot_seq: int | None = None
        self.stop_seq: int | None = None  # the last seq the phone was still expected to receive
        self.tally = tally
        self.pool = pool
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.client.on("event", self._event, namespace="/live")
        self.client.on("snapshot", self._snapshot, namespace="/live")
        self.client.connect(url, auth={"track": track}, namespaces=["/live"], transports=["websocket"],
                            wait_timeout=20)
        ack = self.client.call("subscribe", {"hall": HALL, "since": None}, namespace="/live", timeout=20)
        if not (isinstance(ack, dict) and ack.get("ok")):
            tally.error("phone subscribe refused", str(ack))

    def _snapshot(self, data: dict[str, Any]) -> None:
        if self.snapshot_seq is None:
            self.snapshot_seq = int(data["seq"])

    def _event(self, event: dict[str, Any]) -> None:
        self.seqs.append(int(event["seq"]))
        if event["type"] == "ticket.held" and self.on_held is not None:
            self.on_held()
        done = event["type"] in ("ticket.finished", "ticket.cancelled", "ticket.expired") or (
            event["type"] == "ticket.no_show" and self.ticket_id not in self.tally.outstanding)
        if done and self.stop_seq is None:
            self.stop_seq = int(event["seq"])
            self.pool.submit(self.close)  # not from the client's own thread: disconnect joins it

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()
        with self.tally.lock:
            self.tally.phones_now -= 1


class ResourceSampler:
    """CPU seconds and peak resident memory of the server processes (each gunicorn arbiter and its worker)."""

    def __init__(self, pids: list[int], period_s: float = 1.0) -> None:
        self.pids = pids
        self.period_s = period_s
        self.peak_rss_kib = 0
        self.cpu_start = self.cpu_s()
        self.t_start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        out = []
        for pid in self.pids:
            out.append(pid)
            children = Path(f"/proc/{pid}/task/{pid}/children")
            if children.exists():
                out += [int(c) for c in children.read_text().split()]
        return out

    def cpu_s(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self._tree():
            try:
                # Fields 14 and 15 (utime, stime) after the parenthesised command name.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / ticks

    def rss_kib(self) -> int:
        total = 0
        for pid in self._tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.peak_rss_kib = max(self.peak_rss_kib, self.rss_kib())

    def finish(self) -> tuple[float, float, int]:
        """(CPU seconds, mean cores busy, peak RSS KiB) since the sampler started."""
        self._stop.set()
        self._thread.join()
        self.peak_rss_kib = max(self.peak_rss_kib, self.rss_kib())
        cpu = self.cpu_s() - self.cpu_start
        return cpu, cpu / max(1e-9, time.monotonic() - self.t_start), self.peak_rss_kib


# ---------------------------------------------------------------- the people


class Day:
    def __init__(self, plan: DayPlan, hall: SimHall, base: str, clock: ScaledClock, opening: datetime,
                 displays: int, seed: int) -> None:
        self.plan = plan
        self.hall = hall
        self.base = base
        self.clock = clock
        self.open_at(opening)
        self.seed = seed
        self.tally = Tally()
        self.display_count = displays
        self.displays: list[FeedClient] = []
        self.arrivals: list[dict[int, float]] = [{} for _ in range(displays)]  # per display: seq -> first arrival
        self.called: dict[int, int] = {}  # seq of a ticket.called -> ticket id
        self.phones: list[Phone] = []
        self.phone_pool = ThreadPoolExecutor(PHONE_WORKERS, thread_name_prefix="phone")
        self.kiosk_pool = ThreadPoolExecutor(KIOSK_WORKERS, thread_name_prefix="kiosk")
        self.codes: dict[str, str] = {}  # a booked citizen's placeholder -> the code the booking API answered
        self.wall_code: str | None = None  # the entrance code the wall display shows (线上取号 arrivals type it)
        self.timers: list[tuple[datetime, int, Callable[[], None]]] = []  # reactivations, simulated time
        self.timers_lock = threading.Condition()
        self._local = threading.local()
        self.wakes = {n: threading.Event() for n in range(1, len(plan.windows) + 1)}
        self.windows_of: dict[str, list[int]] = {}
        for n, codes in enumerate(plan.windows, start=1):
            for code in codes:
                self.windows_of.setdefault(code, []).append(n)

    def open_at(self, opening: datetime) -> None:
        self.opening = opening
        self.closing = opening + timedelta(hours=self.plan.hours)

    # -- plumbing

    def http(self) -> requests.Session:
        """This thread's keep-alive session, renewed when idle for IDLE_REUSE_S: `hallq serve` (gunicorn) closes an
        idle keep-alive after 5 s, and a request written as it closes fails with "connection reset by peer" (the
        two errors of an earlier embedded day). A browser resends such a request by itself; requests does not, so
        the driver, like any client that talks to a keep-alive server, stops reusing a connection before then."""
        local = self._local
        session: requests.Session | None = getattr(local, "session", None)
        now = time.monotonic()
        if session is not None and now - local.used > IDLE_REUSE_S:
            session.close()
            session = None
        if session is None:
            session = local.session = requests.Session()
        local.used = now
        return session

    def post(self, path: str, token: str, body: dict[str, Any] | None = None, *, ok: tuple[int, ...] = (200, 201),
             ) -> requests.Response | None:
        try:
            r = self.http().post(f"{self.base}/api/v1{path}", json=body, timeout=HTTP_TIMEOUT_S,
                                 headers={"Authorization": f"Bearer {token}"})
        except requests.RequestException as exc:
            self.tally.error(f"POST {_route(path)} {type(exc).__name__}", str(exc))
            return None
        if r.status_code not in ok:
            code = r.json().get("code", "") if r.headers.get("Content-Type", "").endswith("json") else ""
            self.tally.error(f"POST {_route(path)} {r.status_code} {code}", r.text)
            return None
        return r

    def sleep_until(self, at: datetime) -> None:
        time.sleep(max(0.0, self.clock.real_until(at)))

    def later(self, at: datetime, action: Callable[[], None]) -> None:
        with self.timers_lock:
            heapq.heappush(self.timers, (at, id(action), action))
            self.timers_lock.notify()

    # -- displays and phones

    def connect_displays(self) -> None:
        for i in range(self.display_count):
            arrivals = self.arrivals[i]

            def seen(event: dict[str, Any], at: float, arrivals: dict[int, float] = arrivals,
                     first: bool = i == 0) -> None:
                arrivals.setdefault(int(event["seq"]), at)
                if event["type"] == "ticket.called":
                    self.called[int(event["seq"])] = int(event["ticket"]["id"])
                elif first and event["type"] == "ticket.expired":  # a remote ticket whose citizen did not come
                    with self.tally.lock:
                        self.tally.outstanding.discard(int(event["ticket"]["id"]))
                        self.tally.awaiting.discard(int(event["ticket"]["id"]))
                elif first and event["type"] in QUEUE_JOINS:
                    for n in self.windows_of.get(str(event["service"]["code"]), []):
                        self.wakes[n].set()

            display = FeedClient(self.base, self.hall.display, hall=HALL, on_event=seen)
            self.displays.append(display)
        for d in self.displays:
            if not d.wait_subscribed(1, timeout=30):
                self.tally.error("display did not subscribe")

    def follow(self, track: str, ticket_id: int, on_held: Callable[[], None] | None = None) -> None:
        with self.tally.lock:
            self.tally.phones_now += 1
            self.tally.phones_peak = max(self.tally.phones_peak, self.tally.phones_now)
        try:
            self.phones.append(Phone(self.base, track, ticket_id, self.tally, self.phone_pool, on_held))
        except Exception as exc:  # a phone that cannot connect is an error of the day, not of the driver
            self.tally.error(f"phone connect {type(exc).__name__}", str(exc))
            with self.tally.lock:
                self.tally.phones_now -= 1
            return
        if on_held is None:
            return
        # As the phone page does on opening: read the ticket, then follow its events. A hold that came before the
        # subscription shows here; one after it comes as ticket.held.
        try:
            r = self.http().get(f"{self.base}/api/v1/track/{track}", timeout=HTTP_TIMEOUT_S)
            if r.status_code == 200 and r.json().get("held"):
                on_held()
        except (requests.RequestException, ValueError) as exc:
            self.tally.error(f"GET /track/{{token}} {type(exc).__name__}", str(exc))

    # -- the wall display's entrance code (线上取号)

    def read_entrance_code(self) -> None:
        """What wall.js does: ask for today's code with the display's credential, again every few minutes."""
        try:
            r = self.http().get(f"{self.base}/api/v1/halls/{HALL}/entrance-code", timeout=HTTP_TIMEOUT_S,
                                headers={"Authorization": f"Bearer {self.hall.display}"})
            if r.status_code != 200:
                self.tally.error(f"GET /halls/{{hall}}/entrance-code {r.status_code}", r.text)
            else:
                self.wall_code = str(r.json()["code"])
        except (requests.RequestException, ValueError, KeyError) as exc:
            self.tally.error(f"GET /halls/{{hall}}/entrance-code {type(exc).__name__}", str(exc))
        if self.clock.now() < self.closing + timedelta(seconds=DRAIN_S):
            self.later(self.clock.now() + timedelta(seconds=ENTRANCE_EVERY_S), self.read_entrance_code)

    # -- 线上取号: from home, then in the hall

    def take_remote(self, n: int, citizen: Citizen) -> dict[str, Any] | None:
        """The citizen takes a number from the phone with a mobile number and an address of their own."""
        path = f"/halls/{HALL}/remote-tickets"
        try:
            with citizen_http(n) as http:
                r = http.post(f"{self.base}/api/v1{path}", timeout=HTTP_TIMEOUT_S,
                              json={"service": citizen.service, "phone": f"138{n:08d}"})
        except requests.RequestException as exc:
            self.tally.error(f"POST {_route(path)} {type(exc).__name__}", str(exc))
            return None
        if r.status_code != 201:
            self.tally.error(f"POST {_route(path)} {r.status_code} {_code(r)}", r.text)
            return None
        ticket: dict[str, Any] = r.json()
        if ticket.get("arrived") is not False or ticket.get("channel") != "mobile":
            self.tally.error("remote ticket answered as arrived or not mobile", str(ticket))
        tid = int(ticket["id"])
        with self.tally.lock:
            self.tally.remote["taken"] += 1
            self.tally.awaiting.add(tid)
            self.tally.outstanding.add(tid)  # the windows wait for it until it is called or expires
        if citizen.arrival == "in_time":
            travel = min(citizen.travel_s, TRAVEL_SHARE * float(ticket["estimated_wait_s"] or 0))
            at = datetime.fromisoformat(ticket["issued_at"]) + timedelta(seconds=travel)
            self.later(at, lambda: self.arrive(n, ticket, citizen))
        return ticket

    def held_alert(self, n: int, ticket: dict[str, Any], citizen: Citizen) -> Callable[[], None] | None:
        """What a late citizen does when the phone says the ticket is held: come, within the grace time or not."""
        if citizen.arrival not in ("late", "too_late"):
            return None
        tid = int(ticket["id"])
        rng = random.Random(self.seed * 1_000_003 + n)
        grace_s = REMOTE_GRACE_MIN * 60.0

        def alerted() -> None:
            with self.tally.lock:
                if tid in self.tally.alerted:
                    return
                self.tally.alerted.add(tid)
            way = rng.uniform(0.2, 0.8) * grace_s if citizen.arrival == "late" else grace_s + rng.uniform(120, 600)
            self.later(self.clock.now() + timedelta(seconds=way), lambda: self.arrive(n, ticket, citizen))

        return alerted

    def arrive(self, n: int, ticket: dict[str, Any], citizen: Citizen) -> None:
        """In the hall: the citizen types the code the wall display shows into the phone page."""
        path = f"/track/{ticket['track_token']}/arrive"
        try:
            with citizen_http(n) as http:
                r = http.post(f"{self.base}/api/v1{path}", json={"hall_code": self.wall_code or ""},
                              timeout=HTTP_TIMEOUT_S)
        except requests.RequestException as exc:
            self.tally.error(f"POST /track/{{token}}/arrive {type(exc).__name__}", str(exc))
            return
        tid = int(ticket["id"])
        if r.status_code == 200 and r.json().get("arrived") is True:
            with self.tally.lock:
                self.tally.awaiting.discard(tid)
                self.tally.remote["arrived"] += 1
                if citizen.arrival == "too_late":  # past the grace time, but before a round expired the ticket
                    self.tally.remote["arrived_after_grace"] += 1
            return
        if r.status_code == 409 and _code(r) == "invalid_transition" and r.json().get("current_status") == "expired":
            # 已过期: the citizen needs a new number. Planned for a too-late citizen; one who set off in time can
            # meet it too, when the queue ran faster than the printed wait and the way was longer than the grace.
            what = "refused_expired" if citizen.arrival == "too_late" else "refused_expired_in_time"
            with self.tally.lock:
                self.tally.remote[what] += 1
            return
        self.tally.error(f"POST /track/{{token}}/arrive {r.status_code} {_code(r)}", r.text)

    # -- the kiosk

    def issue(self, n: int, citizen: Citizen) -> None:
        if self.clock.now() >= self.closing + timedelta(seconds=DRAIN_S):
            return  # queued in the pool while the kiosk was far behind, and the day is over: not issued
        planned = self.opening + timedelta(seconds=citizen.at_s)
        if citizen.remote:
            remote = self.take_remote(n, citizen)
            if remote is not None:
                self.record(remote, citizen, planned, self.held_alert(n, remote, citizen))
            return
        body: dict[str, Any] = {"service": citizen.service}
        if citizen.priority:
            body["priority"] = "elder"
        if citizen.appointment:
            if citizen.appointment not in self.codes:
                return  # the booking failed (counted as an error then): nothing to check in
            body["appointment_code"] = self.codes[citizen.appointment]
        r = self.post(f"/halls/{HALL}/tickets", self.hall.kiosk, body, ok=(201,))
        if r is not None:
            self.record(r.json(), citizen, planned)

    def record(self, ticket: dict[str, Any], citizen: Citizen, planned: datetime,
               on_held: Callable[[], None] | None = None) -> None:
        """A 201 the citizen got (kiosk or phone): counted, and followed on the phone if the citizen does."""
        with self.tally.lock:
            self.tally.kiosk_lag_s.append((datetime.fromisoformat(ticket["issued_at"]) - planned).total_seconds())
            self.tally.acked.append({"id": ticket["id"], "number": ticket["number"],
                                     "estimated_wait_s": ticket["estimated_wait_s"], "ahead": ticket["ahead"]})
            self.tally.fates[ticket["id"]] = citizen
            self.tally.fate_ready.notify_all()
        if citizen.phone:
            self.phone_pool.submit(self.follow, ticket["track_token"], ticket["id"], on_held)

    def kiosk(self) -> None:
        futures = []
        for n, citizen in enumerate(self.plan.citizens):
            if self.clock.now() >= self.closing + timedelta(seconds=DRAIN_S):
                break  # so far behind that the day is over: the rest count as not issued
            if citizen.absent:
                continue  # booked and never came: the housekeeping round marks the booking 爽约
            self.sleep_until(self.opening + timedelta(seconds=citizen.at_s))
            futures.append(self.kiosk_pool.submit(self.issue, n, citizen))
        for f in futures:
            try:
                f.result()
            except Exception as exc:  # the day goes on; the ticket counts as an error
                self.tally.error(f"kiosk: {type(exc).__name__}", traceback.format_exc())
        self.tally.issuing_done.set()

    # -- reactivations (a no-show citizen comes back)

    def timer_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with self.timers_lock:
                if not self.timers:
                    self.timers_lock.wait(0.2)
                    continue
                at, _, action = self.timers[0]
                wait = self.clock.real_until(at)
                if wait > 0:
                    self.timers_lock.wait(min(wait, 0.2))
                    continue
                heapq.heappop(self.timers)
            action()

    # -- a clerk at a window

    def fate(self, ticket_id: int) -> Citizen | None:
        """The plan of a called ticket: the kiosk thread may still be reading the 201 of an instant issue."""
        with self.tally.fate_ready:
            self.tally.fate_ready.wait_for(lambda: ticket_id in self.tally.fates, timeout=10)
            return self.tally.fates.get(ticket_id)

    def clerk(self, number: int) -> None:
        try:
            self._clerk(number)
        except Exception as exc:  # a clerk thread that dies would strand its queue: count it, loudly
            self.tally.error(f"clerk {number} died: {type(exc).__name__}", traceback.format_exc())

    def _clerk(self, number: int) -> None:
        rng = random.Random(self.seed * 1000 + number)
        token = self.hall.staff[number]
        hard_end = self.closing + timedelta(seconds=DRAIN_S)
        while self.clock.now() < hard_end:
            self.wakes[number].clear()  # before the call: a ticket issued meanwhile wakes the next wait
            t0 = time.perf_counter()
            called_at = self.clock.now()
            r = self.post(f"/halls/{HALL}/windows/{number}/call-next", token, ok=(200, 204))
            if r is None:
                # A call whose answer was lost (a timeout) may still have called a ticket: the window is then busy
                # with it and every further call-next is refused. Do what a clerk does: look, and finish it.
                self.finish_current(number, token)
                continue
            if r.status_code == 204:
                with self.tally.lock:
                    idle_for_good = self.tally.issuing_done.is_set() and not self.tally.outstanding
                if idle_for_good and self.clock.now() >= self.closing:
                    return
                self.wakes[number].wait(self.clock.real_seconds(IDLE_POLL_S))
                continue
            ticket = r.json()["ticket"]
            tid = int(ticket["id"])
            with self.tally.lock:
                self.tally.calls.setdefault(tid, []).append(t0)
                self.tally.outstanding.discard(tid)
                self.tally.awaiting.discard(tid)
                first = tid not in self.tally.handled
                self.tally.handled.add(tid)
            citizen = self.fate(tid)
            if citizen is None:
                self.tally.error("called a ticket the kiosk never got a 201 for", str(ticket))
                citizen = Citizen(at_s=0, service=ticket["service"])
            self.serve(token, ticket, citizen if first else Citizen(at_s=0, service=ticket["service"]), rng,
                       called_at)

    def serve(self, token: str, ticket: dict[str, Any], citizen: Citizen, rng: random.Random,
              called_at: datetime) -> None:
        """Durations run from the instants the requests were sent, on the simulated clock: a slow answer eats into
        the walk or the handling instead of lengthening them (at 40x, 100 ms of latency is 4 simulated seconds)."""
        tid = int(ticket["id"])
        if citizen.no_show:
            self.sleep_until(called_at + timedelta(seconds=rng.uniform(*NO_SHOW_WAIT_S)))
            if citizen.reactivate_after_s is not None:
                with self.tally.lock:
                    self.tally.outstanding.add(tid)
            if self.post(f"/tickets/{tid}/no-show", token) is not None and citizen.reactivate_after_s is not None:
                self.later(self.clock.now() + timedelta(seconds=citizen.reactivate_after_s),
                           lambda: self.reactivate(tid, token))
            return
        self.sleep_until(called_at + timedelta(seconds=rng.uniform(*WALK_S)))
        started_at = self.clock.now()
        if self.post(f"/tickets/{tid}/start", token) is None:
            return
        spec = self.plan.service(ticket["service"])
        sigma = math.sqrt(math.log(1 + SERVICE_CV**2))
        handling = rng.lognormvariate(math.log(spec.mean_s) - sigma**2 / 2, sigma)
        if citizen.transfer_to is not None:
            self.sleep_until(started_at + timedelta(seconds=handling * 0.5))  # another counter is responsible
            with self.tally.lock:  # the other zone's windows must not call it a day before it is served
                self.tally.outstanding.add(tid)
            self.post(f"/tickets/{tid}/transfer", token, {"service": citizen.transfer_to})
            return
        if citizen.park_min is not None:
            self.sleep_until(started_at + timedelta(seconds=handling * 0.3))  # a material is missing: fetch it
            with self.tally.lock:
                self.tally.outstanding.add(tid)
            self.post(f"/tickets/{tid}/park", token, {"minutes": citizen.park_min})
            return
        self.sleep_until(started_at + timedelta(seconds=handling))
        self.post(f"/tickets/{tid}/finish", token, {"outcome": "done"})

    def finish_current(self, number: int, token: str) -> None:
        try:
            r = self.http().get(f"{self.base}/api/v1/halls/{HALL}/windows", timeout=HTTP_TIMEOUT_S,
                                headers={"Authorization": f"Bearer {token}"})
            current = next((w.get("current") for w in r.json() if w["number"] == number), None)
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            self.tally.error(f"GET windows {type(exc).__name__}", str(exc))
            return
        if current:
            with self.tally.lock:
                self.tally.handled.add(int(current["id"]))
            self.post(f"/tickets/{current['id']}/finish", token, {"outcome": "done"})

    def reactivate(self, tid: int, token: str) -> None:
        if self.post(f"/tickets/{tid}/reactivate", token) is None:
            with self.tally.lock:
                self.tally.outstanding.discard(tid)

    # -- the whole day

    def run(self) -> None:
        stop_timers = threading.Event()
        threads = [threading.Thread(target=self.kiosk, name="kiosk", daemon=True),
                   threading.Thread(target=self.timer_loop, args=(stop_timers,), name="timers", daemon=True)]
        threads += [threading.Thread(target=self.clerk, args=(n,), name=f"clerk-{n}", daemon=True)
                    for n in range(1, len(self.plan.windows) + 1)]
        for t in threads:
            t.start()
        for t in threads[2:] + threads[:1]:
            t.join()
        stop_timers.set()
        threads[1].join()
        # Remote tickets whose citizens never came expire at the server's next housekeeping round: wait for it,
        # so the day's expired count is the server's, not a race with its round.
        deadline = time.monotonic() + EXPIRY_WAIT_S
        while time.monotonic() < deadline:
            with self.tally.lock:
                if not self.tally.awaiting:
                    break
            time.sleep(0.2)


def _code(r: requests.Response) -> str:
    """The problem code of an error answer ("" when it has none)."""
    try:
        return str(r.json().get("code", "")) if r.headers.get("Content-Type", "").endswith("json") else ""
    except ValueError:
        return ""


def _route(path: str) -> str:
    """/tickets/123/start -> /tickets/{id}/start, so errors group by route."""
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


# ---------------------------------------------------------------- checking the day


@dataclass
class Outcome:
    topology: str
    database: str
    speed: float
    tickets_planned: int
    issued: int
    called: int
    unserved: int
    errors: int
    error_kinds: dict[str, int]
    tickets_lost: int
    tickets_doubled: int
    tickets_unacked: int
    display_missing: int
    display_doubled: int
    display_raw_duplicates: int
    display_resubscribes: int
    phones: int
    phones_peak: int
    phone_missing: int
    phone_doubled: int
    latency_n: int
    latency_p50_ms: float
    latency_p99_ms: float
    cpu_s: float
    cpu_cores: float
    peak_rss_mib: float
    accuracy_n: int
    accuracy_pct: float
    accuracy_by_kind: dict[str, str]
    accuracy_rows: list[dict[str, Any]]  # per kind: n, within, median estimate and actual
    bookings: dict[str, int]  # 网上预约 at the end of the day by status, and how many were planned
    remote: dict[str, int]  # 线上取号: the plan's fates, what the citizens met, and what the server recorded
    median_estimate_s: float
    median_actual_s: float
    wall_s: float
    kiosk_lag_p50_s: float
    kiosk_lag_p99_s: float
    examples: list[str]


def check(day: Day, url: str) -> dict[str, Any]:
    store = make_store(url)
    try:
        with store.read_session() as s:
            hall = s.scalar(select(Hall).where(Hall.code == HALL))
            assert hall is not None
            final_seq = int(hall.event_seq)
            rows = s.execute(select(Ticket.id, Ticket.ticket_no, Ticket.service_id, Ticket.issued_at,
                                    Ticket.estimated_wait_s, Ticket.channel, Ticket.priority_weight, Ticket.status,
                                    Ticket.remote, Ticket.held_at, Ticket.arrived_at, Ticket.arrived_via)
                             .where(Ticket.hall_id == hall.id)).all()
            bookings = {str(status): int(n) for status, n in s.execute(
                select(Appointment.status, func.count()).where(Appointment.hall_id == hall.id)
                .group_by(Appointment.status))}
            first_call = dict(s.execute(select(TicketEvent.ticket_id, func.min(TicketEvent.at))
                                        .where(TicketEvent.kind == "called").group_by(TicketEvent.ticket_id)).all())
            ticket_events: dict[int, list[int]] = {}
            for seq, etype, payload in s.execute(select(HallEvent.seq, HallEvent.type, HallEvent.payload)
                                                 .where(HallEvent.hall_id == hall.id)):
                ticket = payload.get("ticket") if isinstance(payload, dict) else None
                if etype.startswith("ticket.") and isinstance(ticket, dict) and ticket.get("id") is not None:
                    ticket_events.setdefault(int(ticket["id"]), []).append(int(seq))
    finally:
        store.dispose()

    # Displays: caught up to the hall's last seq, then each seq after their first snapshot exactly once.
    for d in day.displays:
        try:
            d.sync()
        except Exception as exc:
            day.tally.error(f"display sync {type(exc).__name__}", str(exc))
        if not d.wait_for(final_seq, timeout=CATCH_UP_S):
            day.tally.error("display did not catch up", f"last {d.last} of {final_seq}")
    display_missing = display_doubled = 0
    for d in day.displays:
        seqs = [e["seq"] for e in d.applied]
        start = d.start_seq or 0
        display_missing += len(set(range(start + 1, final_seq + 1)) - set(seqs))
        display_doubled += len(seqs) - len(set(seqs))

    # Tickets: every 201 in the database once; nothing in the database the kiosk was not told about.
    acked_ids = [a["id"] for a in day.tally.acked]
    stored = {r.id: r for r in rows}
    lost = len(set(acked_ids) - set(stored))
    numbers = Counter((r.service_id, r.ticket_no) for r in rows)
    doubled = len(acked_ids) - len(set(acked_ids)) + sum(n - 1 for n in numbers.values())
    unacked = len(set(stored) - set(acked_ids))  # stored, but the kiosk's request failed (a timeout): not doubled

    # Phones: every event of their ticket between their snapshot and their ticket's end, once.
    phone_missing = phone_doubled = 0
    for p in day.phones:
        got = p.seqs
        phone_doubled += len(got) - len(set(got))
        upper = p.stop_seq if p.stop_seq is not None else final_seq
        lower = p.snapshot_seq if p.snapshot_seq is not None else upper
        expected = {q for q in ticket_events.get(p.ticket_id, []) if lower < q <= upper}
        phone_missing += len(expected - set(got))

    # Call-to-screen: the n-th ticket.called of a ticket answers the n-th call-next that returned it.
    latencies = []
    nth: Counter[int] = Counter()
    for seq in sorted(day.called):
        tid = day.called[seq]
        calls = day.tally.calls.get(tid, [])
        n = nth[tid]
        nth[tid] += 1
        times = [a[seq] for a in day.arrivals if seq in a]
        if n < len(calls) and len(times) == len(day.arrivals):
            latencies.append((max(times) - calls[n]) * 1000)

    # Estimates: the wait printed on the ticket against the wait it really had (issue to first call).
    kinds: dict[str, list[bool]] = {"walk-in": [], "priority": [], "appointment": [], "remote": [], "remote_held": []}
    by_kind: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in kinds}
    estimates, actuals = [], []
    for tid in set(acked_ids):
        row = stored.get(tid)
        if row is None or tid not in first_call or row.estimated_wait_s is None:
            continue
        actual = (_utc(first_call[tid]) - _utc(row.issued_at)).total_seconds()
        estimate = float(row.estimated_wait_s)
        right = abs(actual - estimate) <= max(300.0, 0.25 * estimate)
        kind = ("appointment" if row.channel == "appointment"
                else ("remote_held" if row.held_at is not None else "remote") if row.remote
                else "priority" if row.priority_weight else "walk-in")
        kinds[kind].append(right)
        by_kind[kind][0].append(estimate)
        by_kind[kind][1].append(actual)
        estimates.append(estimate)
        actuals.append(actual)
    judged = [x for v in kinds.values() for x in v]
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {
        "final_seq": final_seq,
        "called": len(first_call),
        "unserved": sum(1 for r in rows if r.status.value in ("waiting", "parked")),
        "lost": lost, "doubled": doubled, "unacked": unacked,
        "display_missing": display_missing, "display_doubled": display_doubled,
        "phone_missing": phone_missing, "phone_doubled": phone_doubled,
        "latency_n": len(latencies), "p50": q[49] if q else float("nan"), "p99": q[98] if q else float("nan"),
        "accuracy_n": len(judged), "accuracy_pct": 100.0 * sum(judged) / len(judged) if judged else float("nan"),
        "accuracy_by_kind": {k: f"{100.0 * sum(v) / len(v):.0f}% of {len(v)}" for k, v in kinds.items() if v},
        "accuracy_rows": [{"kind": k, "n": len(v), "within": sum(v),
                           "median_estimate_s": round(statistics.median(by_kind[k][0])) if v else None,
                           "median_actual_s": round(statistics.median(by_kind[k][1])) if v else None}
                          for k, v in kinds.items()],
        "bookings": bookings,
        # 线上取号 as the server recorded it: taken, confirmed (how), held at the head unconfirmed, expired.
        "remote": {"taken": sum(1 for r in rows if r.remote),
                   "arrived_by_code": sum(1 for r in rows if r.remote and r.arrived_via == "hall_code"),
                   "arrived_at_kiosk": sum(1 for r in rows if r.remote and r.arrived_via == "kiosk"),
                   "held": sum(1 for r in rows if r.remote and r.held_at is not None),
                   "held_then_arrived": sum(1 for r in rows if r.remote and r.held_at is not None
                                            and r.arrived_at is not None),
                   "expired": sum(1 for r in rows if r.remote and r.status.value == "expired"),
                   "served": sum(1 for r in rows if r.remote and r.id in first_call),
                   "awaiting_at_end": sum(1 for r in rows if r.remote and r.status.value == "waiting"
                                          and r.arrived_at is None)},
        "median_estimate_s": statistics.median(estimates) if estimates else float("nan"),
        "median_actual_s": statistics.median(actuals) if actuals else float("nan"),
    }


def _quantile(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


# ---------------------------------------------------------------- topologies


def sim_morning(day_offset: int = 1) -> datetime:
    """Tomorrow (hall time) at the opening hour: after every real timestamp written while setting up."""
    local = datetime.now(ZoneInfo(TZ)) + timedelta(days=day_offset)
    return local.replace(hour=OPENING[0], minute=OPENING[1], second=0, microsecond=0).astimezone(UTC)


def opening_after_set_up(clock: ScaledClock) -> datetime:
    """The kiosks open a simulated minute after the set-up finished (servers up, displays connected), on the
    minute: how long the set-up takes on a busy machine must not eat into the day."""
    at = clock.now() + timedelta(minutes=1)
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


def clock_env(clock: ScaledClock) -> dict[str, str]:
    return {"HALLQ_CLOCK_SPEED": str(clock.speed), "HALLQ_CLOCK_START": clock.start.isoformat(),
            "HALLQ_CLOCK_ANCHOR": clock.anchor.isoformat()}


def run_day(topology: str, plan: DayPlan, *, speed: float, displays: int, seed: int,
            database: str | None = None, port: int | None = None,
            work: Path = WORK) -> Outcome:
    """One day on one topology. `port` (and the next two for the scaled set-up) and `work` (databases, server
    instance folders) let a smoke test run beside a real bench run."""
    database = database or ("sqlite" if topology == "embedded" else "postgres")
    url = fresh_database(database, f"simday_{topology}", work)
    morning = sim_morning()
    ahead = timedelta(seconds=BOOK_AHEAD_REAL_S * speed)
    hall = build_sim_hall(url, plan, morning - ahead)
    clock = ScaledClock(morning - ahead, speed, datetime.now(UTC))
    # The public routes' per-address limits (web/rate_limit.py) stay on: every citizen calls them from an address
    # of their own (citizen_address), as phones in a real hall do.
    env = clock_env(clock) | public_limits_env()
    phones = sum(1 for c in plan.citizens if c.phone)
    threads = displays + phones + 64  # one gthread thread per websocket, the margin for API requests
    port = port or PORTS[topology]
    servers: list[Server] = []
    proxy = None
    try:
        if topology == "embedded":
            servers.append(start_server(url, port, threads=threads, extra_env=env, work=work))
            base = servers[0].url
        else:
            binary = nginx.nginx_binary()
            if binary is None:
                raise SystemExit("nginx is missing: deploy/install-system-deps.sh installs it")
            env |= {"HALLQ_REDIS_URL": REDIS_URL, "HALLQ_REDIS_CHANNEL": f"simday-{uuid.uuid4().hex[:8]}"}
            servers += [start_server(url, port + i + 1, threads=threads, extra_env=env, work=work) for i in range(2)]
            # The shipped main file's limits (deploy/nginx/nginx.conf) carry the day's displays and phones.
            proxy = nginx.start_nginx(binary, work / "simday-nginx", port, (port + 1, port + 2))
            base = proxy.url
        day = Day(plan, hall, base, clock, morning, displays, seed)
        day.codes = book_ahead(base, plan, morning, day.tally)
        day.connect_displays()
        day.read_entrance_code()  # the wall display shows the day's entrance code before the doors open
        # The hall opens at its morning hour, the slots' time, unless the set-up ran past it.
        day.open_at(max(morning, opening_after_set_up(clock)))
        sampler = ResourceSampler([s.process.pid for s in servers])
        t0 = time.monotonic()
        day.run()
        wall = time.monotonic() - t0
        cpu_s, cores, rss = sampler.finish()
        result = check(day, url)
        for p in day.phones:
            if p.client.connected:
                p.client.disconnect()
        for d in day.displays:
            d.close()
        day.phone_pool.shutdown(wait=True)
        day.kiosk_pool.shutdown(wait=True)
    finally:
        if proxy is not None:
            proxy.stop()
        for s in servers:
            stop(s)
    t = day.tally
    raw_dups = sum(d.duplicates for d in day.displays)
    return Outcome(
        topology=topology if topology == "embedded" else "scaled (nginx + 2 processes + Redis)",
        database=database, speed=speed, tickets_planned=len(plan.citizens), issued=len(t.acked),
        called=result["called"], unserved=result["unserved"], errors=sum(t.errors.values()),
        error_kinds=dict(t.errors), tickets_lost=result["lost"], tickets_doubled=result["doubled"],
        tickets_unacked=result["unacked"],
        display_missing=result["display_missing"], display_doubled=result["display_doubled"],
        display_raw_duplicates=raw_dups, display_resubscribes=sum(d.resubscribes for d in day.displays),
        phones=len(day.phones), phones_peak=t.phones_peak, phone_missing=result["phone_missing"],
        phone_doubled=result["phone_doubled"], latency_n=result["latency_n"],
        latency_p50_ms=round(result["p50"], 1), latency_p99_ms=round(result["p99"], 1), cpu_s=round(cpu_s, 1),
        cpu_cores=round(cores, 2), peak_rss_mib=round(rss / 1024, 1), accuracy_n=result["accuracy_n"],
        accuracy_pct=round(result["accuracy_pct"], 1), accuracy_by_kind=result["accuracy_by_kind"],
        accuracy_rows=result["accuracy_rows"],
        bookings={"planned": sum(1 for c in plan.citizens if c.appointment), "came": sum(
            1 for c in plan.citizens if c.appointment and not c.absent), **result["bookings"]},
        remote={**{f"planned_{k}": v for k, v in Counter(c.arrival for c in plan.citizens if c.remote).items()},
                **{f"driver_{k}": v for k, v in t.remote.items()}, **result["remote"]},
        median_estimate_s=round(result["median_estimate_s"]), median_actual_s=round(result["median_actual_s"]),
        wall_s=round(wall, 1), kiosk_lag_p50_s=round(_quantile(t.kiosk_lag_s, 50), 1),
        kiosk_lag_p99_s=round(_quantile(t.kiosk_lag_s, 99), 1), examples=t.examples,
    )


# A smoke day: a few dozen tickets in half an hour at 600x, done in well under a minute.
QUICK: dict[str, Any] = {"tickets": 30, "hours": 0.5, "windows": 6, "services": 6, "displays": 2, "phones": 5,
                         "speed": 600.0}


def run(topologies: list[str], *, tickets: int = 4000, hours: float = 8.0, windows: int = 30, services: int = 30,
        displays: int = 20, phones: int = 500, speed: float = 40.0, seed: int = 7, database: str | None = None,
) -> tuple[str, list[Outcome]]:
    plan = make_plan(tickets=tickets, hours=hours, windows=windows, services=services, phones=phones, seed=seed)
    outcomes = []
    for topology in topologies:
        outcome = run_day(topology, plan, speed=speed, displays=displays, seed=seed, database=database)
        outcomes.append(outcome)
        WORK.mkdir(parents=True, exist_ok=True)
        name = f"simday-{topology}" + (f"-{database}" if database else "")
        (WORK / f"{name}.json").write_text(json.dumps(asdict(outcome), ensure_ascii=False, indent=1))
    headers = ["topology", "db", "speed", "tickets", "called", "errors", "lost", "doubled", "display missed/twice",
               "phones (peak)", "phone missed/twice", "call-to-screen p50/p99 ms", "server CPU s (cores)",
               "peak RSS MiB", "estimate within ±5 min/±25 %"]
    rows = [[o.topology, o.database, f"{o.speed:g}×", f"{o.issued:,}/{o.tickets_planned:,}", f"{o.called:,}",
             o.errors, o.tickets_lost, o.tickets_doubled, f"{o.display_missing}/{o.display_doubled}",
             f"{o.phones} ({o.phones_peak})", f"{o.phone_missing}/{o.phone_doubled}",
             f"{o.latency_p50_ms}/{o.latency_p99_ms}", f"{o.cpu_s} ({o.cpu_cores})", o.peak_rss_mib,
             f"{o.accuracy_pct}% of {o.accuracy_n:,}"] for o in outcomes]
    details = [f"- {o.topology}: {o.wall_s} s real; kiosk behind plan p50 {o.kiosk_lag_p50_s} s, p99 "
               f"{o.kiosk_lag_p99_s} s (simulated); estimate accuracy by kind {o.accuracy_by_kind}; median estimate "
               f"{o.median_estimate_s} s, median actual wait {o.median_actual_s} s; unserved at the end {o.unserved}; "
               f"stored without a 201 {o.tickets_unacked}; "
               f"raw duplicate deliveries {o.display_raw_duplicates}, gap re-subscribes {o.display_resubscribes}; "
               f"errors {o.error_kinds or 'none'}" for o in outcomes]
    kind_names = {"walk-in": "walk-in", "priority": "priority", "appointment": "booked (网上预约, checked in)",
                  "remote": "remote (线上取号, came before their turn)",
                  "remote_held": "remote, held at the head until they came"}
    accuracy = table(["topology", "citizens", "tickets judged", "estimate within ±5 min/±25 %", "median estimate s",
                      "median actual wait s"],
                     [[o.topology, kind_names[r["kind"]], r["n"],
                       f"{100.0 * r['within'] / r['n']:.1f}%" if r["n"] else "–",
                       r["median_estimate_s"] if r["n"] else "–", r["median_actual_s"] if r["n"] else "–"]
                      for o in outcomes for r in o.accuracy_rows])
    booking_lines = [f"- {o.topology}: bookings planned {o.bookings.get('planned', 0)}, of whom came "
                     f"{o.bookings.get('came', 0)}; at the end checked in {o.bookings.get('checked_in', 0)}, "
                     f"爽约 (no_show) {o.bookings.get('no_show', 0)}, still booked {o.bookings.get('booked', 0)}"
                     for o in outcomes]
    remote_lines = [f"- {o.topology}: {o.remote}" for o in outcomes]
    text = (f"Machine: {machine()}\n\n{table(headers, rows)}\n\nEstimate accuracy by kind of citizen:\n\n"
            f"{accuracy}\n\nBookings:\n" + "\n".join(booking_lines) + "\n\nRemote tickets (线上取号):\n"
            + "\n".join(remote_lines) + "\n\n" + "\n".join(details))
    return text, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topology", default="embedded,scaled", help="embedded, scaled or both (comma-separated)")
    parser.add_argument("--speed", type=float, default=40.0, help="simulated seconds per real second")
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--windows", type=int, default=30)
    parser.add_argument("--services", type=int, default=30)
    parser.add_argument("--displays", type=int, default=20)
    parser.add_argument("--phones", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default=None,
                        help="the database of every topology (default: sqlite embedded, postgres scaled)")
    parser.add_argument("--quick", action="store_true", help=f"a tiny smoke day: {QUICK}")
    args = parser.parse_args()
    sizes = {k: getattr(args, k) for k in ("tickets", "hours", "windows", "services", "displays", "phones",
                                            "speed")}
    if args.quick:
        sizes |= QUICK
    text, outcomes = run([t for t in args.topology.split(",") if t], seed=args.seed, database=args.database,
                         **sizes)
    print(text)
    for o in outcomes:
        for example in o.examples:
            print(f"  {o.topology}: {example}")


if __name__ == "__main__":
    main()
