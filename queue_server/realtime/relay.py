"""Each committed event to this process's screens once and in seq order, and to the other processes, without a
write ever waiting on the broker.

Runtime.execute hands the hub a commit's events while it still holds the hall's lock, so one process hands them
over in seq order; `submit` only queues them and returns. The relay's thread then
1. delivers them to this process's displays, phones and consoles, through the hall's sequence (below), and
2. publishes them to the other processes over Redis with a short timeout. While Redis does not answer (down,
   restarting, frozen), the thread stops trying except for one probe a second: the other processes read those
   events from the outbox instead.

Every process keeps, per hall its clients follow, the next seq it must deliver. Events reach it from its own
commits, from Redis and from the outbox, in any order and possibly twice: the sequence delivers each seq once, in
order, and holds a later one until the gap is filled. The tailer reads the followed halls' seqs from the database
twice a second and fills any gap older than a second from hall_events, so a frozen or absent broker delays other
processes' events by about a second instead of stopping them, and the events of the CLI (which has no hub) reach
the screens as well.

Delivery and the sequences share the hub's gate lock: a subscriber's catch-up (replay, then joining its rooms)
and the live deliveries are ordered by that one lock (hub.py).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlparse

from queue_server.events import Envelope
from queue_server.storage.store import log_failed_round

log = logging.getLogger(__name__)

Wire = dict[str, Any]
# A gap this old is filled from the outbox: Redis delivers in about a millisecond, so a second means it will not.
GAP_GRACE_S = 1.0
TAIL_INTERVAL_S = 0.5
# A publish to Redis never holds the relay longer than this; past it Redis counts as down for PROBE_S.
PUBLISH_TIMEOUT_S = 0.5
PROBE_S = 1.0
OUTBOX_READ_MAX = 500


def redis_channel(url: str) -> str:
    """Pub/sub ignores Redis database numbers, so the channel carries the db: /13 -> hallq-13."""
    db = urlparse(url).path.strip("/") or "0"
    return f"hallq-{db}"


@dataclass
class _HallSequence:
    next: int
    held: dict[int, Wire] = field(default_factory=dict)
    gap_since: float | None = None


class Sequences:
    """Per hall followed in this process: the next seq to deliver and the events held behind a gap. The caller
    holds the relay's lock."""

    def __init__(self) -> None:
        self._halls: dict[str, _HallSequence] = {}

    def begin(self, hall: str, delivered: int) -> None:
        """Start following a hall whose events up to `delivered` its first subscriber has already replayed."""
        if hall not in self._halls:
            self._halls[hall] = _HallSequence(next=delivered + 1)

    def forget(self, hall: str) -> None:
        self._halls.pop(hall, None)

    def halls(self) -> list[str]:
        return list(self._halls)

    def take(self, hall: str, events: Sequence[Wire], now: float) -> list[Wire]:
        """The events that can be delivered now, in seq order; duplicates and events of unfollowed halls vanish."""
        state = self._halls.get(hall)
        if state is None:
            return []
        for event in events:
            seq = int(event["seq"])
            if seq >= state.next:
                state.held.setdefault(seq, event)
        ready = []
        while state.next in state.held:
            ready.append(state.held.pop(state.next))
            state.next += 1
        if not state.held:
            state.gap_since = None
        elif state.gap_since is None:
            state.gap_since = now
        return ready

    def gap_to_fill(self, hall: str, current: int, now: float) -> int | None:
        """The seq after which to read the outbox when the hall has been behind `current` (the database's seq)
        for longer than the grace, else None."""
        state = self._halls.get(hall)
        if state is None or current < state.next:
            return None
        if state.gap_since is None:
            state.gap_since = now
            return None
        return state.next - 1 if now - state.gap_since >= GAP_GRACE_S else None


class Broker:
    """Redis pub/sub between the processes: a bounded publish, and a subscriber thread."""

    def __init__(self, url: str, channel: str, receive: Callable[[str, list[Wire]], None]) -> None:
        import redis

        self._redis = redis
        self.url = url
        self.channel = channel
        self.host = uuid.uuid4().hex  # this process: its own messages come back on the channel and are skipped
        self._receive = receive
        self._publisher = redis.Redis.from_url(url, socket_timeout=PUBLISH_TIMEOUT_S,
                                               socket_connect_timeout=PUBLISH_TIMEOUT_S)
        self.down_since: float | None = None
        self._last_try = 0.0
        self._listener: threading.Thread | None = None

    def publish(self, hall: str, events: list[Wire]) -> None:
        now = time.monotonic()
        if self.down_since is not None and now - self._last_try < PROBE_S:
            return  # the other processes read these from the outbox
        self._last_try = now
        try:
            self._publisher.publish(self.channel, json.dumps(
                {"host": self.host, "hall": hall, "events": events}, ensure_ascii=False, separators=(",", ":")))
        except self._redis.RedisError as exc:
            if self.down_since is None:
                log.warning("Redis does not answer (%s): events reach the other processes from the outbox", exc)
                self.down_since = now
            return
        if self.down_since is not None:
            log.warning("Redis answers again after %.1f s", now - self.down_since)
            self.down_since = None

    def start(self) -> None:
        if self._listener is None:
            self._listener = threading.Thread(target=self._listen, name="hallq-redis-listener", daemon=True)
            self._listener.start()

    def _listen(self) -> None:
        backoff = 0.5
        while True:
            try:
                client = self._redis.Redis.from_url(self.url, socket_connect_timeout=2)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                backoff = 0.5
                for message in pubsub.listen():
                    self._message(message.get("data"))
            except Exception as exc:  # the broker went away: reconnect; the tailer covers the meantime
                log.warning("Redis subscription lost (%s); retrying in %.1f s", exc, backoff)
                time.sleep(backoff)  # between reconnection attempts to a broker that is down
                backoff = min(backoff * 2, 5.0)

    def _message(self, raw: Any) -> None:
        try:
            data = json.loads(raw)
        except (TypeError, ValueError):
            return
        # Anything else on the channel (another release's format) is not ours to deliver.
        if isinstance(data, dict) and data.get("host") != self.host and isinstance(data.get("hall"), str) \
                and isinstance(data.get("events"), list):
            self._receive(data["hall"], data["events"])


class Relay:
    def __init__(self, *, lock: threading.RLock, deliver: Callable[[str, list[Wire]], None],
                 current_seqs: Callable[[], Mapping[str, int]],
                 outbox: Callable[[str, int, int], list[Wire]],
                 followed: Callable[[], set[str]], redis_url: str | None = None,
                 channel: str | None = None) -> None:
        self.lock = lock
        self.sequences = Sequences()
        self._deliver = deliver
        self._current_seqs = current_seqs
        self._outbox = outbox
        self._followed = followed
        self.broker = Broker(redis_url, channel or redis_channel(redis_url), self.offer) if redis_url else None
        self._queue: queue.SimpleQueue[tuple[str, list[Wire]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._tailer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    # ---- this process's commits ----------------------------------------------------------------------------

    def submit(self, envelopes: Sequence[Envelope]) -> None:
        """Queue a commit's events (called under the hall's write lock: never blocks, never fails)."""
        halls: dict[str, list[Wire]] = {}
        for env in envelopes:
            wire = env.to_wire()
            halls.setdefault(wire["hall"], []).append(wire)
        for hall, events in halls.items():
            self._queue.put((hall, events))
        if self._thread is None:
            self._start_relay()

    def _start_relay(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._relay, name="hallq-relay", daemon=True)
                self._thread.start()
                if self.broker is not None:
                    self.broker.start()

    def _relay(self) -> None:
        while True:
            hall, events = self._queue.get()
            try:
                self.offer(hall, events)
            except Exception:  # one bad delivery must not stop the relay; clients resync from the outbox
                log.exception("delivering events of hall %s failed", hall)
            if self.broker is not None:
                self.broker.publish(hall, events)

    # ---- any source ----------------------------------------------------------------------------------------

    def offer(self, hall: str, events: Sequence[Wire]) -> None:
        """Events of a hall from any source: delivered here once each, in seq order."""
        with self.lock:
            ready = self.sequences.take(hall, events, time.monotonic())
            if ready:
                self._deliver(hall, ready)

    def follow(self, hall: str, delivered: int) -> None:
        """The first subscriber of a hall in this process has replayed up to `delivered` (caller holds lock)."""
        self.sequences.begin(hall, delivered)
        if self._thread is None:
            self._start_relay()

    # ---- the outbox tailer ---------------------------------------------------------------------------------

    def start_tailer(self) -> None:
        """In the serving process (a thread per process; tests that only build an app do without it)."""
        with self._start_lock:
            if self._tailer is None:
                self._tailer = threading.Thread(target=self._tail, name="hallq-outbox-tailer", daemon=True)
                self._tailer.start()

    def _tail(self) -> None:
        while True:
            time.sleep(TAIL_INTERVAL_S)  # the tailer's period
            try:
                self.tail_once()
            except Exception as exc:  # the database restarting: try again next round
                log_failed_round(log, exc, "outbox tailer: round failed")

    def tail_once(self) -> None:
        """Fill every followed hall's gap older than the grace from the outbox; forget halls nobody follows."""
        current = self._current_seqs()
        now = time.monotonic()
        wanted: list[tuple[str, int]] = []
        with self.lock:
            # Under the lock: a subscriber starts following a hall under it too, so none is forgotten meanwhile.
            followed = self._followed()
            for hall in self.sequences.halls():
                if hall not in followed:
                    self.sequences.forget(hall)
                    continue
                after = self.sequences.gap_to_fill(hall, current.get(hall, -1), now)
                if after is not None:
                    wanted.append((hall, after))
        for hall, after in wanted:
            self.offer(hall, self._outbox(hall, after, OUTBOX_READ_MAX))
