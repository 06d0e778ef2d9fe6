"""A python-socketio test client of /live: connect with a credential, subscribe, receive events in order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import socketio

NAMESPACE = "/live"


@contextmanager
def connected(url: str, auth: dict[str, str]) -> Iterator[socketio.SimpleClient]:
    client = socketio.SimpleClient()
    client.connect(url, auth=auth, namespace=NAMESPACE, transports=["websocket"], wait_timeout=10)
    try:
        yield client
    finally:
        client.disconnect()


def subscribe(client: socketio.SimpleClient, hall: str, since: int | None = None, **extra: Any) -> dict[str, Any]:
    ack = client.call("subscribe", {"hall": hall, "since": since, **extra}, timeout=10)
    assert isinstance(ack, dict)
    return ack


def receive(client: socketio.SimpleClient, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
    name, data = client.receive(timeout=timeout)
    return name, data


def events_until(client: socketio.SimpleClient, last_seq: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """`event` messages up to and including seq `last_seq` (snapshots are skipped)."""
    out: list[dict[str, Any]] = []
    while not out or out[-1]["seq"] < last_seq:
        name, data = receive(client, timeout)
        if name == "event":
            out.append(data)
    return out


def no_more_events(client: socketio.SimpleClient, timeout: float = 0.5) -> bool:
    """True when nothing arrives within `timeout` (a bounded wait on the real socket, not a sleep)."""
    try:
        client.receive(timeout=timeout)
    except socketio.exceptions.TimeoutError:
        return True
    return False


def next_position(client: socketio.SimpleClient, timeout: float = 5.0) -> dict[str, Any]:
    """The next `position` message (a phone's live place in the queue), skipping events."""
    while True:
        name, data = receive(client, timeout)
        if name == "position":
            return data
