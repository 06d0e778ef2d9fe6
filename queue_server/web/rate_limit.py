"""Per-address rate limits of the public citizen routes (网上预约, its cancel and move, 线上取号).

A route opts in with `@limited("<bucket>")` under its `@route(...)`; the bucket's (requests, seconds) come from
Settings.rate_limits (HALLQ_RATE_LIMIT_<BUCKET>). Every attempt counts, refused or not: a script guessing
codes or filling slots is what this stops, and its failed attempts are most of its traffic.

Fixed windows of the bucket's length, numbered from the epoch by the runtime's clock, so a frozen test clock or
the bench's scaled clock moves them like everything else. Counted in Redis when HALLQ_REDIS_URL is set (one
INCR per request, shared by every gunicorn process and machine), else in this process's memory. A window lets
at most twice its count through across its boundary: good enough against a script, and one round trip.

If Redis does not answer, the request goes through (logged): a citizen must not lose a booking because the
limiter's store restarted.

The address is sessions.client_address(): nginx's X-Real-IP from a loopback peer, the peer otherwise (a header from
anywhere else could be forged). IPv6 addresses count per /64, the block one household or phone gets.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from queue_server import errors
from queue_server.clock import local_time
from queue_server.storage.models import Hall
from queue_server.web.sessions import client_address

log = logging.getLogger(__name__)

KEY_PREFIX = "hallq:rl"
DEFAULT_ZONE = "Asia/Shanghai"  # only when the database has no hall yet to take the time zone from


class Counter(Protocol):
    def hit(self, key: str, ttl_s: int) -> int:
        """Add one to `key` and return the new count; the key may be forgotten after ttl_s."""


class MemoryCounter:
    """One process's counts: exact for `hallq serve` with one worker, per process under gunicorn without Redis."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._window: dict[str, str] = {}  # bucket:address -> its current window key, so old windows are dropped
        self._lock = threading.Lock()

    def hit(self, key: str, ttl_s: int) -> int:
        owner = key.rpartition(":")[0]
        with self._lock:
            previous = self._window.get(owner)
            if previous != key:
                if previous is not None:
                    self._counts.pop(previous, None)
                self._window[owner] = key
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]


class RedisCounter:
    """INCR and EXPIRE in one transaction: every process and machine behind nginx shares the counts."""

    def __init__(self, url: str) -> None:
        import redis  # the realtime hub's dependency already; imported here so SQLite-only sites never load it

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def hit(self, key: str, ttl_s: int) -> int:
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, ttl_s)
        count, _ = pipe.execute()
        return int(count)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_at: datetime  # when the address's current window ends


class Limiter:
    def __init__(self, limits: dict[str, tuple[int, int]], counter: Counter, now: Callable[[], datetime]) -> None:
        self.limits = dict(limits)
        self.counter = counter
        self.now = now

    def check(self, bucket: str, address: str) -> Verdict | None:
        """None when the bucket is not limited or the counter failed; else whether this request may go on."""
        limit = self.limits.get(bucket)
        if limit is None:
            return None
        count, seconds = limit
        now = self.now()
        window = math.floor(now.timestamp() / seconds)
        try:
            used = self.counter.hit(f"{KEY_PREFIX}:{bucket}:{address}:{window}", seconds * 2)
        except Exception as exc:  # noqa: BLE001 - any store failure means the same: let the citizen through
            log.warning("rate limit store failed, request let through: %s", exc)
            return None
        retry_at = datetime.fromtimestamp((window + 1) * seconds, tz=now.tzinfo)
        return Verdict(used <= count, retry_at)


def make_limiter(limits: dict[str, tuple[int, int]], redis_url: str | None,
                 now: Callable[[], datetime]) -> Limiter:
    return Limiter(limits, RedisCounter(redis_url) if redis_url else MemoryCounter(), now)


def address_key(address: str) -> str:
    """An IPv4 address as it is; an IPv6 one as its /64 (a phone or a home gets a whole /64 and may pick any)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d from a dual-stack socket is the IPv4 peer
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _zone(hall_code: str | None) -> str:
    """The time zone a refusal's "try again after HH:MM" is written in: the route's hall, else the first hall."""
    hq = current_app.extensions["hallq"]
    with hq.store.read_session() as session:
        query = select(Hall.timezone)
        query = query.where(Hall.code == hall_code) if hall_code else query.order_by(Hall.id)
        zone = session.scalar(query.limit(1))
        if zone is None and hall_code:
            zone = session.scalar(select(Hall.timezone).order_by(Hall.id).limit(1))
    return zone or DEFAULT_ZONE


def refuse(verdict: Verdict, hall_code: str | None) -> errors.HallqError:
    now = current_app.extensions["hallq.rate_limiter"].now()
    wait = max(1, math.ceil((verdict.retry_at - now) / timedelta(seconds=1)))
    until = local_time(verdict.retry_at, _zone(hall_code))
    return errors.RateLimited(until=f"{until:%H:%M}", minutes=max(1, math.ceil(wait / 60)), retry_after_s=wait)


def limited(bucket: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse the route with 429 rate_limited (Retry-After) once the caller's address used up `bucket`."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            limiter: Limiter | None = current_app.extensions.get("hallq.rate_limiter")
            if limiter is not None:
                verdict = limiter.check(bucket, address_key(client_address()))
                if verdict is not None and not verdict.allowed:
                    raise refuse(verdict, kwargs.get("hall"))
            return fn(*args, **kwargs)

        return guarded

    return wrap
