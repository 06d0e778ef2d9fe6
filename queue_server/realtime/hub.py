"""The realtime hub: Flask-SocketIO namespace /live, connect auth, join rules, replay, snapshots, sync, publish.

An adapter: it reads through `snapshots` and never writes. It imports neither kiosk nor display; the composition
root hands it `voice` (display.voice.annotate) to add spoken text to call events. Protocol: docs/realtime.md.

Rooms: `hall:<code>` (every event), `window:<code>:<n>` (events of window n), `ticket:<code>:<id>` (one
citizen's ticket). A phone authenticates with its track token; the hub resolves it to the ticket id once at
connect, so routing needs no token and the token never travels in events, room names or Redis messages.

Phones also get private `position` messages (their live place in the queue) from `positions.py`, which this hub
feeds with every queue.stats it delivers.

Nothing missed, nothing twice: a subscriber is replayed from the outbox outside the rooms, then joins them under
the gate lock after a last catch-up read; the gate drops room deliveries the replay already sent (seq <= floor).
Live events reach the rooms through the relay (relay.py): this process's commits, the other processes' (over
Redis) and the outbox, once each and in seq order per hall.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import socketio
from engineio import packet as eio_packet
from flask import Flask
from flask import request
from flask_babel import gettext
from flask_socketio import SocketIO
from flask_socketio import join_room
from flask_socketio import leave_room
from socketio import packet as sio_packet
from socketio.exceptions import ConnectionRefusedError as ConnectRefused

from queue_server import __version__
from queue_server import errors
from queue_server.access.credentials import Principal
from queue_server.access.credentials import principal_for_token
from queue_server.clock import Clock
from queue_server.events import QUEUE_STATS
from queue_server.events import Envelope
from queue_server.queries import snapshots
from queue_server.realtime import fanout
from queue_server.realtime.positions import Positions
from queue_server.realtime.relay import Relay
from queue_server.realtime.stopping import RefuseNewSessionsWhileStopping
from queue_server.storage.store import Store
from queue_server.web import sessions
from queue_server.web.api.hall import track_out
from queue_server.web.api.problems import GENERIC
from queue_server.web.input_guard import bad_leaves

log = logging.getLogger(__name__)

NAMESPACE = "/live"
# Missed more than this many events: one snapshot is cheaper to send and to apply than the replay.
REPLAY_MAX = 500
RECENT_CALLS = 10
# The internal event name of one commit's events for one room (Hub.publish, also across Redis). GatedManager
# turns it back into one `event` message per item; no client ever sees this name.
BATCH = "event-batch"
Voice = Callable[[Mapping[str, Any]], dict[str, Any] | None]


class Gate:
    """Per-process delivery gate: sid -> highest seq the replay already sent it; one lock over room deliveries."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.floors: dict[str, int] = {}
        # Set when the process stops: nothing more is delivered. Every client is about to be closed and resumes
        # elsewhere from the last seq it applied, by replay; delivering meanwhile only held the lock that each
        # closing connection's disconnect needs (1,000 displays, 64 issuing clients: the stop took 8 s, now 3 s).
        self.closing = False


class GatedManager(socketio.Manager):
    """Local delivery that skips subscribers whose replay already covered the event's seq."""

    gate: Gate | None = None
    # Told of each queue.stats delivered in this process (hall code, service codes): phones' live positions.
    queue_moved: Callable[[str, list[str]], None] | None = None

    def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
             callback: Any = None, to: Any = None, **kwargs: Any) -> Any:
        gate = self.gate
        target = to or room
        if event == BATCH and isinstance(data, list) and namespace == NAMESPACE and callback is None:
            events: list[dict[str, Any]] = data
        elif event == "event" and isinstance(data, dict) and namespace == NAMESPACE and callback is None:
            events = [data]
        else:
            return super().emit(event, data, namespace, room=target, skip_sid=skip_sid, callback=callback, **kwargs)
        assert gate is not None, "Hub installs the gate before any emit"
        if gate.closing:
            return None
        if self.queue_moved is not None and isinstance(target, str) and target.startswith("hall:"):
            for item in events:
                if item.get("type") == QUEUE_STATS:
                    self.queue_moved(target.removeprefix("hall:"), [
                        s["code"] for s in item.get("services", ()) if isinstance(s, dict) and "code" in s])
        seqs = [int(item.get("seq", 0)) for item in events]  # ascending: one commit's events in seq order
        skip = set(skip_sid) if isinstance(skip_sid, list) else ({skip_sid} if skip_sid else set())
        # The packets python-socketio's Manager.emit would build, each encoded once for the whole room.
        packets = []
        for item in events:
            encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace, data=["event", item]).encode()
            packets.append([eio_packet.Packet(eio_packet.MESSAGE, part)
                            for part in (encoded if isinstance(encoded, list) else [encoded])])
        with gate.lock:
            floors = gate.floors
            # By the first event each recipient still needs (its replay may already have sent it the others).
            needs: dict[int, list[str]] = {}
            for sid, eio_sid in self.get_participants(namespace, target):
                if sid in skip:
                    continue
                floor, first = floors.get(sid, -1), 0
                while first < len(seqs) and seqs[first] <= floor:
                    first += 1
                if first < len(seqs):
                    needs.setdefault(first, []).append(eio_sid)
            for first, recipients in needs.items():
                fanout.deliver(self.server.eio, recipients, [p for parts in packets[first:] for p in parts])
        return None


@dataclass
class Subscriber:
    principal: Principal | None = None
    ticket_id: int | None = None
    token: str | None = None
    hall: str | None = None  # the hall subscribed to (a track client's is fixed by its ticket)
    window: int | None = None
    rooms: tuple[str, ...] = ()
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def scope(self) -> str:
        return "ticket" if self.token else ("window" if self.window is not None else "hall")

    def wants(self, event: Mapping[str, Any]) -> bool:
        """Whether a replayed outbox event belongs to this subscriber's scope."""
        if self.token:
            return bool(str(event.get("type", "")).startswith("ticket.")
                        and (event.get("ticket") or {}).get("id") == self.ticket_id)
        if self.window is not None:
            return _window_of(event) == self.window
        return True


def ticket_room(hall: str, ticket_id: int) -> str:
    """A citizen's room, named by the internal ticket id: the track token stays out of room names, Redis
    messages and hall-wide events alike, and routing needs no token lookup."""
    return f"ticket:{hall}:{ticket_id}"


def _window_of(event: Mapping[str, Any]) -> int | None:
    window = event.get("window")
    if isinstance(window, dict):
        return window.get("number")  # type: ignore[no-any-return]
    return None


def problem(exc: errors.HallqError) -> dict[str, Any]:
    """The same problem object the REST API renders (RFC 9457 members), for refused joins and connects."""
    return {"ok": False, "problem": {
        "type": f"/problems/{exc.code}", "title": gettext(exc.title), "status": exc.status, "code": exc.code,
        "detail": exc.render_detail(gettext)}}


LOGIN_REQUIRED = {"ok": False, "problem": {"type": "/problems/login_required", "status": 401,
                                           "code": "login_required", "title": "Login required"}}


def refused_at_connect() -> dict[str, Any]:
    """The `connect_error` data of a refused credential: LOGIN_REQUIRED with the REST API's localised words."""
    return {"ok": False, "problem": {**LOGIN_REQUIRED["problem"], "title": gettext("Login required"),
                                     "detail": gettext("Send a valid bearer token or log in.")}}


def invalid_request(found: list[dict[str, str]]) -> dict[str, Any]:
    """The REST API's 422 invalid_request problem, naming each bad field, for a credential or message refused at
    the door: a NUL reaching PostgreSQL is an error, not an empty result (web/input_guard.py)."""
    status, title, detail = GENERIC["invalid_request"]
    return {"ok": False, "problem": {"type": "/problems/invalid_request", "status": status, "code": "invalid_request",
                                     "title": gettext(title), "detail": gettext(detail), "errors": found}}


class Hub:
    def __init__(self, app: Flask, store: Store, clock: Clock, *, redis_url: str | None = None,
                 redis_channel_name: str | None = None, voice: Voice | None = None) -> None:
        self.store = store
        self.clock = clock
        self.voice = voice
        self.gate = Gate()
        # Rooms are this process's own; events cross processes through the relay (over Redis when configured).
        manager = GatedManager()
        manager.gate = self.gate
        self.positions = Positions(store, clock, followers=self._followers, send=self._send_position,
                                   any_followers=lambda: self._phones > 0)
        manager.queue_moved = self.positions.queue_moved
        self.relay = Relay(lock=self.gate.lock, deliver=self._deliver_local, current_seqs=self._current_seqs,
                           outbox=self._outbox, followed=self._followed_halls, redis_url=redis_url,
                           channel=redis_channel_name)
        self.socketio = SocketIO(app, async_mode="threading", client_manager=manager, logger=False,
                                 engineio_logger=False)
        # One send() per client per broadcast instead of a writer-thread wake-up each (queue_server/realtime/fanout.py).
        fanout.install(self.socketio.server.eio)
        app.wsgi_app = RefuseNewSessionsWhileStopping(  # type: ignore[method-assign]
            app, app.wsgi_app, "socket.io", stopping=lambda: self.gate.closing)  # Flask-SocketIO's default path
        self._subs: dict[str, Subscriber] = {}
        self._subs_lock = threading.Lock()
        self._phones = 0  # connected track (phone) subscribers among _subs
        self._register()

    # ---- publish: runtime -> rooms --------------------------------------------------------------------------

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Called by Runtime after commit, in commit order, under the hall's write lock: queues the events for
        this process's clients and the other processes and returns at once (relay.py), so a slow or frozen broker
        never holds a write."""
        self.relay.submit(envelopes)

    def _deliver_local(self, hall: str, events: list[dict[str, Any]]) -> None:
        """One hall's events, in seq order, to this process's rooms (the relay calls it under the gate lock). A
        room gets them as one batch, so each of its clients takes them in one write (a call's `ticket.called` and
        `queue.stats` reach a display in one send() instead of two: half the syscalls and wake-ups)."""
        rooms: dict[str, list[dict[str, Any]]] = {}
        for wire in events:
            announced = self._with_voice(wire)
            rooms.setdefault(f"hall:{hall}", []).append(announced)
            window = _window_of(wire)
            if window is not None:
                rooms.setdefault(f"window:{hall}:{window}", []).append(announced)
            ticket = wire.get("ticket")
            if wire["type"].startswith("ticket.") and isinstance(ticket, dict) and ticket.get("id") is not None:
                rooms.setdefault(ticket_room(hall, int(ticket["id"])), []).append(wire)
        for room, batch in rooms.items():
            self.socketio.emit(BATCH, batch, to=room, namespace=NAMESPACE, ignore_queue=True)

    def _current_seqs(self) -> dict[str, int]:
        with self.store.read_session() as session:
            return snapshots.hall_seqs(session)

    def _outbox(self, hall: str, after: int, limit: int) -> list[dict[str, Any]]:
        with self.store.read_session() as session:
            return snapshots.events_after(session, snapshots.hall_by_code(session, hall), after, limit=limit)

    def _followed_halls(self) -> set[str]:
        with self._subs_lock:
            return {sub.hall for sub in self._subs.values() if sub.hall is not None and sub.rooms}

    def _followers(self, hall: str) -> dict[str, int]:
        """{sid: ticket id} of the phones of the hall connected to this process and done subscribing."""
        with self._subs_lock:
            return {sid: sub.ticket_id for sid, sub in self._subs.items()
                    if sub.ticket_id is not None and sub.hall == hall and sub.rooms}

    def _send_position(self, sid: str, message: dict[str, Any]) -> None:
        self.socketio.emit("position", message, to=sid, namespace=NAMESPACE, ignore_queue=True)

    def _with_voice(self, wire: dict[str, Any]) -> dict[str, Any]:
        voice = self.voice(wire) if self.voice is not None else None
        return {**wire, "voice": voice} if voice is not None else wire

    def connected_clients(self) -> int:
        """Authenticated Socket.IO connections of this process (for /metrics)."""
        with self._subs_lock:
            return len(self._subs)

    def close_all(self) -> None:
        """Close every connection (server shutdown): a websocket thread blocked on receive would otherwise keep
        the worker alive until gunicorn's graceful timeout. Clients reconnect and resync from `since`."""
        self.gate.closing = True
        self.positions.close()
        for eio_socket in list(self.socketio.server.eio.sockets.values()):
            try:
                eio_socket.close(wait=False, abort=True)
            except Exception:  # shutting down: one broken socket must not keep the others open
                log.debug("closing a socket at shutdown failed", exc_info=True)
        fanout.terminate_all()

    # ---- Socket.IO handlers ---------------------------------------------------------------------------------

    def _register(self) -> None:
        sio = self.socketio
        sio.on_event("connect", self.on_connect, namespace=NAMESPACE)
        sio.on_event("disconnect", self.on_disconnect, namespace=NAMESPACE)
        sio.on_event("subscribe", self.on_subscribe, namespace=NAMESPACE)
        sio.on_event("sync", self.on_sync, namespace=NAMESPACE)

    def on_connect(self, auth: Any = None) -> None:
        auth = auth if isinstance(auth, dict) else {}
        found = bad_leaves(auth, "auth")
        if found:
            raise ConnectRefused("invalid_request", invalid_request(found))
        sub = self._authenticate(auth)
        if sub is None:
            # python-socketio's exception, not Python's built-in one: only its second argument travels to the client
            # as connect_error's `data` (the built-in arrives as a bare "Connection refused by server").
            raise ConnectRefused("login_required", refused_at_connect())
        with self._subs_lock:
            self._subs[request.sid] = sub  # type: ignore[attr-defined]
            self._phones += sub.ticket_id is not None

    def _authenticate(self, auth: dict[str, Any]) -> Subscriber | None:
        token, track = auth.get("token"), auth.get("track")
        with self.store.read_session() as session:
            if isinstance(token, str) and token:
                principal = principal_for_token(session, token)
                return Subscriber(principal=principal) if principal is not None else None
            if isinstance(track, str) and track:
                found = snapshots.ticket_for_token(session, track)
                if found is not None:
                    return Subscriber(ticket_id=found[0], token=track, hall=found[1])
            # Browser consoles (the manager monitor) connect with their signed session cookie instead of a token.
            if token is None and track is None:
                principal = sessions.principal_for_session(session)
                return Subscriber(principal=principal) if principal is not None else None
        return None

    def on_disconnect(self, *_: Any) -> None:
        sid = request.sid  # type: ignore[attr-defined]
        with self._subs_lock:
            gone = self._subs.pop(sid, None)
            self._phones -= gone is not None and gone.ticket_id is not None
        with self.gate.lock:
            self.gate.floors.pop(sid, None)
        self.positions.forget(sid)

    def on_subscribe(self, data: Any = None) -> dict[str, Any]:
        sid = request.sid  # type: ignore[attr-defined]
        sub = self._subs.get(sid)
        if sub is None:
            return LOGIN_REQUIRED
        data = data if isinstance(data, dict) else {}
        found = bad_leaves(data)
        if found:
            return invalid_request(found)
        with sub.lock:
            try:
                rooms = self._join_rules(sub, data)
            except errors.HallqError as exc:
                return problem(exc)
            since = data.get("since")
            since = since if isinstance(since, int) and not isinstance(since, bool) and since >= 0 else None
            self._leave(sid, sub)
            seq = self._catch_up(sid, sub, since, rooms)
        return {"ok": True, "seq": seq, "scope": sub.scope, "version": __version__, "now": self.clock.now().isoformat()}

    def _join_rules(self, sub: Subscriber, data: dict[str, Any]) -> tuple[str, ...]:
        hall = data.get("hall")
        if not isinstance(hall, str) or not hall:
            hall = sub.hall or ""
        window = data.get("window")
        window = window if isinstance(window, int) and not isinstance(window, bool) else None
        with self.store.read_session() as session:
            snapshots.hall_by_code(session, hall)  # raises hall_not_found
            if sub.token is not None:
                if hall != sub.hall:
                    raise errors.HallNotAllowed(hall=hall)
                sub.window = None
                assert sub.ticket_id is not None
                return (ticket_room(hall, sub.ticket_id),)
            assert sub.principal is not None
            if not sub.principal.may_access_hall(hall):
                raise errors.HallNotAllowed(hall=hall)
            if window is not None and not any(w["number"] == window for w in
                                              snapshots.windows(session, snapshots.hall_by_code(session, hall))):
                raise errors.WindowNotFound(hall=hall, window=window)
        sub.hall, sub.window = hall, window
        return (f"window:{hall}:{window}",) if window is not None else (f"hall:{hall}",)

    def _leave(self, sid: str, sub: Subscriber) -> None:
        with self.gate.lock:
            for room in sub.rooms:
                leave_room(room, sid=sid, namespace=NAMESPACE)
            sub.rooms = ()
            self.gate.floors.pop(sid, None)

    def _catch_up(self, sid: str, sub: Subscriber, since: int | None, rooms: tuple[str, ...]) -> int:
        """Replay (or snapshot), then join the rooms under the gate with one last catch-up read."""
        last = self._replay_or_snapshot(sid, sub, since)
        with self.gate.lock:
            last = self._replay(sid, sub, last)
            for room in rooms:
                join_room(room, sid=sid, namespace=NAMESPACE)
            sub.rooms = rooms
            self.gate.floors[sid] = last
            assert sub.hall is not None
            self.relay.follow(sub.hall, last)
        return last

    def _replay_or_snapshot(self, sid: str, sub: Subscriber, since: int | None) -> int:
        assert sub.hall is not None
        with self.store.read_session() as session:
            hall = snapshots.hall_by_code(session, sub.hall)
            current = hall.event_seq
            oldest = snapshots.oldest_seq(session, hall)
            pruned = oldest is not None and since is not None and oldest > since + 1
            if since is None or since > current or pruned or current - since > REPLAY_MAX:
                snap = self._snapshot(session, hall, sub)
                self.socketio.emit("snapshot", snap, to=sid, namespace=NAMESPACE, ignore_queue=True)
                return current
        return self._replay(sid, sub, since)

    def _replay(self, sid: str, sub: Subscriber, after: int) -> int:
        assert sub.hall is not None
        last = after
        while True:
            with self.store.read_session() as session:
                hall = snapshots.hall_by_code(session, sub.hall)
                batch = snapshots.events_after(session, hall, last, limit=REPLAY_MAX)
                current = hall.event_seq
            for event in batch:
                if sub.wants(event):
                    wire = event if sub.token else self._with_voice(event)
                    self.socketio.emit("event", wire, to=sid, namespace=NAMESPACE, ignore_queue=True)
                last = event["seq"]
            if len(batch) < REPLAY_MAX or last >= current:
                return last

    def _snapshot(self, session: Any, hall: Any, sub: Subscriber) -> dict[str, Any]:
        base = {"type": "snapshot", "seq": hall.event_seq, "hall": hall.code, "hall_name": hall.name,
                "scope": sub.scope}
        if sub.token is not None:
            tracked = snapshots.track(session, sub.token, self.clock.now())
            return {**base, "ticket": track_out(tracked)}
        windows = snapshots.windows(session, hall)
        if sub.window is not None:
            return {**base, "window": next(w for w in windows if w["number"] == sub.window)}
        recent = [self._with_voice(e) for e in snapshots.recent_calls(session, hall, RECENT_CALLS)]
        return {**base, "services": snapshots.services(session, hall, self.clock.now()), "windows": windows,
                "recent": recent, "notices": snapshots.notices(session, hall)}

    def on_sync(self, data: Any = None) -> dict[str, Any]:
        """Heartbeat: the current seq and version; a client behind re-subscribes with `since`."""
        sid = request.sid  # type: ignore[attr-defined]
        sub = self._subs.get(sid)
        if sub is None or sub.hall is None:
            return LOGIN_REQUIRED if sub is None else {"ok": True, "seq": None, "version": __version__}
        with self.store.read_session() as session:
            hall = snapshots.hall_by_code(session, sub.hall)
            ack: dict[str, Any] = {"ok": True, "seq": hall.event_seq, "version": __version__,
                                   "now": self.clock.now().isoformat()}
            if sub.token is not None:
                ack["ticket"] = track_out(snapshots.track(session, sub.token, self.clock.now()))
        return ack
