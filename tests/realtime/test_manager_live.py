"""Configuration changes and alerts reach live clients: a wall display (device token) and a manager console
signed in with its session cookie, both real python-socketio clients of a live server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import socketio

from tests.factories import BasicHall
from tests.factories import bearer
from tests.realtime.feed import NAMESPACE
from tests.realtime.feed import connected
from tests.realtime.feed import receive
from tests.realtime.feed import subscribe
from tests.realtime.server import Server
from tests.staff.console_client import PASSWORD
from tests.staff.console_client import csrf_from


def manager_cookie(server: Server, user_no: str = "m1") -> str:
    """Sign in through /manager/login like a browser; the session cookie header value."""
    http = requests.Session()
    token = csrf_from(http.get(f"{server.url}/manager/login", timeout=5).text)
    resp = http.post(f"{server.url}/manager/login", data={"csrf_token": token, "user_no": user_no,
                                                           "password": PASSWORD}, allow_redirects=False, timeout=5)
    assert resp.status_code == 302, resp.text
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


@contextmanager
def console_socket(server: Server, cookie: str) -> Iterator[socketio.SimpleClient]:
    client = socketio.SimpleClient()
    client.connect(server.url, headers={"Cookie": cookie}, namespace=NAMESPACE, transports=["websocket"],
                   wait_timeout=10)
    try:
        yield client
    finally:
        client.disconnect()


def next_event(client: socketio.SimpleClient, kind: str) -> dict[str, Any]:
    """The next `event` of type `kind`, skipping others (each receive waits at most 5 s)."""
    while True:
        name, data = receive(client)
        if name == "event" and data["type"] == kind:
            return data


def test_a_service_change_reaches_the_wall_display_and_the_manager_console(
    server: Server, tokens: BasicHall
) -> None:
    cookie = manager_cookie(server)
    with connected(server.url, {"token": tokens.display}) as display, console_socket(server, cookie) as console:
        assert subscribe(display, "t1")["ok"] and subscribe(console, "t1")["ok"]

        resp = requests.patch(f"{server.url}/api/v1/halls/t1/services/a", json={"active": False, "name": "不动产登记"},
                              headers=bearer(tokens.manager), timeout=5)

        assert resp.status_code == 200
        for client in (display, console):
            event = next_event(client, "service.updated")
            assert event["service"]["code"] == "a"
            assert (event["service"]["active"], event["service"]["name"]) == (False, "不动产登记")


def test_a_window_profile_change_reaches_the_console(server: Server, tokens: BasicHall) -> None:
    with console_socket(server, manager_cookie(server)) as console:
        subscribe(console, "t1")

        requests.put(f"{server.url}/api/v1/halls/t1/windows/2/services", json={"services": [{"service": "a"}]},
                     headers=bearer(tokens.manager), timeout=5).raise_for_status()

        assert next_event(console, "window.updated")["window"]["services"] == ["a"]


def test_the_server_raises_an_alert_by_itself_after_a_write_and_pushes_it(server: Server, tokens: BasicHall) -> None:
    requests.patch(f"{server.url}/api/v1/halls/t1/services/a", json={"warning_threshold": 1},
                   headers=bearer(tokens.manager), timeout=5).raise_for_status()
    with console_socket(server, manager_cookie(server)) as console:
        subscribe(console, "t1")

        requests.post(f"{server.url}/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(tokens.kiosk),
                      timeout=5).raise_for_status()

        alert = next_event(console, "alert.raised")["alert"]
        assert (alert["kind"], alert["subject"], alert["state"]) == ("queue_long", "service:a", "new")


def test_a_console_without_a_session_is_refused_at_connect(server: Server) -> None:
    client = socketio.SimpleClient()

    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, namespace=NAMESPACE, transports=["websocket"], wait_timeout=10)
    client.disconnect()



def test_the_wall_display_announces_the_next_call_with_the_halls_new_template(
    server: Server, tokens: BasicHall
) -> None:
    with connected(server.url, {"token": tokens.display}) as display:
        subscribe(display, "t1")
        requests.post(f"{server.url}/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(tokens.kiosk),
                      timeout=5).raise_for_status()
        ticket = requests.post(f"{server.url}/api/v1/halls/t1/windows/1/call-next", headers=bearer(tokens.staff1),
                               timeout=5).json()["ticket"]
        before = next_event(display, "ticket.called")["voice"]

        requests.put(f"{server.url}/api/v1/halls/t1/voice", json={"template": "{ticket}号，请到{window}号窗口",
                                                                  "repeats": 3},
                     headers=bearer(tokens.manager), timeout=5).raise_for_status()
        changed = next_event(display, "hall.updated")
        requests.post(f"{server.url}/api/v1/tickets/{ticket['id']}/recall", headers=bearer(tokens.staff1),
                      timeout=5).raise_for_status()
        after = next_event(display, "ticket.recalled")["voice"]

        assert (before["text"], before["repeats"]) == ("请 A001 号到 1 号窗口办理", 2)
        assert changed["announcement"]["template"] == "{ticket}号，请到{window}号窗口"
        assert (after["text"], after["repeats"]) == ("A001 号，请到 1 号窗口", 3)
        assert after["speech"] == "A 零零一 号，请到 一 号窗口"
