"""The /live protocol against a real server: calls reach displays, replay after a disconnect, credentials,
citizens' privacy, snapshots and sync."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import requests
import socketio

from queue_server import __version__
from tests.factories import BasicHall
from tests.factories import bearer
from tests.realtime.feed import connected
from tests.realtime.feed import events_until
from tests.realtime.feed import next_position
from tests.realtime.feed import no_more_events
from tests.realtime.feed import receive
from tests.realtime.feed import subscribe
from tests.realtime.server import ROOT
from tests.realtime.server import Server


def _current_seq(server: Server, tokens: BasicHall) -> int:
    events = requests.get(f"{server.url}/api/v1/halls/t1/events?after=0",
                          headers={"Authorization": f"Bearer {tokens.display}"}, timeout=5).json()
    return events[-1]["seq"] if events else 0


def test_a_call_reaches_a_subscribed_display_with_number_service_and_window(server: Server, tokens: BasicHall) -> None:
    server.issue("t1", tokens.kiosk)
    with connected(server.url, {"token": tokens.display}) as display:
        ack = subscribe(display, "t1", since=_current_seq(server, tokens))
        assert ack["ok"] is True

        server.call_next("t1", tokens.staff1, window=1)

        called = next(e for e in events_until(display, ack["seq"] + 1) if e["type"] == "ticket.called")
    assert called["hall"] == "t1"
    assert called["seq"] == ack["seq"] + 1
    assert called["ticket"]["number"] == "A001"
    assert called["service"]["code"] == "a"
    assert called["window"]["number"] == 1
    assert called["window"]["name"] == "1号窗口"
    assert called["voice"]["text"] == "请 A001 号到 1 号窗口办理"
    assert called["voice"]["speech"] == "请 A 零零一 号到 一 号窗口办理"
    assert "track_token" not in str(called)


def test_reconnecting_with_since_replays_exactly_the_missed_events_in_order_then_live(
    server: Server, tokens: BasicHall
) -> None:
    for _ in range(6):
        server.issue("t1", tokens.kiosk)
    with connected(server.url, {"token": tokens.display}) as display:
        last_seen = subscribe(display, "t1", since=_current_seq(server, tokens))["seq"]

    called = []
    for _ in range(5):  # five calls while the display is away
        ticket = server.call_next("t1", tokens.staff1, window=1)
        called.append(ticket["number"])
        server.finish(tokens.staff1, ticket["id"])
    missed_up_to = _current_seq(server, tokens)

    with connected(server.url, {"token": tokens.display}) as display:
        ack = subscribe(display, "t1", since=last_seen)
        replayed = events_until(display, missed_up_to)
        assert ack["seq"] == missed_up_to
        assert no_more_events(display)

        live = server.call_next("t1", tokens.staff1, window=1)
        after = events_until(display, missed_up_to + 1)

    assert [e["seq"] for e in replayed] == list(range(last_seen + 1, missed_up_to + 1))
    assert [e["ticket"]["number"] for e in replayed if e["type"] == "ticket.called"] == called
    assert [e["type"] for e in after] == ["ticket.called"]
    assert after[0]["ticket"]["number"] == live["number"] == "A006"


def test_a_bad_or_missing_credential_is_refused_at_connect(server: Server, tokens: BasicHall) -> None:
    for auth in ({"token": "hq_not-a-token"}, {"track": "no-such-ticket"}, {}):
        client = socketio.SimpleClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, auth=auth, namespace="/live", transports=["websocket"], wait_timeout=5)
        assert not client.connected


def _refusal(url: str, auth: dict[str, str]) -> dict[str, Any]:
    """The `connect_error` a raw Socket.IO client receives for `auth` (it must be refused)."""
    client = socketio.Client(reconnection=False)
    refusals: list[dict[str, Any]] = []
    client.on("connect_error", refusals.append, namespace="/live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(url, auth=auth, namespaces=["/live"], transports=["websocket"], wait_timeout=5)
    client.disconnect()
    assert len(refusals) == 1
    return refusals[0]


def test_a_wrong_or_revoked_token_is_refused_with_the_documented_login_required_problem(
    server: Server, tokens: BasicHall
) -> None:
    devices = requests.get(f"{server.url}/api/v1/halls/t1/devices", headers=bearer(tokens.manager), timeout=5)
    display = next(d for d in devices.json()["devices"] if d["name"] == "display-1")
    revoked = requests.post(f"{server.url}/api/v1/halls/t1/devices/{display['id']}/revoke",
                            headers=bearer(tokens.manager), timeout=5)
    assert revoked.status_code == 200

    for auth in ({"token": "hq_not-a-token"}, {"token": tokens.display}):
        refusal = _refusal(server.url, auth)

        # docs/realtime.md: connect_error whose data is {"ok": false, "problem": {"code": "login_required", ...}}
        assert refusal["message"] == "login_required"
        assert refusal["data"]["ok"] is False
        problem = refusal["data"]["problem"]
        assert problem["code"] == "login_required"
        assert problem["status"] == 401
        assert problem["type"] == "/problems/login_required"
        assert problem["title"] == "需要登录"  # localised like the REST API's problems (zh_Hans by default)
        assert problem["detail"]


def test_a_display_of_another_hall_is_refused_with_a_problem(server: Server, tokens: BasicHall) -> None:
    with connected(server.url, {"token": tokens.other_manager}) as other:
        ack = subscribe(other, "t1")

    assert ack["ok"] is False
    assert ack["problem"]["code"] == "hall_not_allowed"
    assert ack["problem"]["status"] == 403


def test_a_citizen_sees_only_events_of_their_own_ticket(server: Server, tokens: BasicHall) -> None:
    mine = server.issue("t1", tokens.kiosk)
    server.issue("t1", tokens.kiosk, service="b")
    with connected(server.url, {"track": mine["track_token"]}) as phone:
        ack = subscribe(phone, "t1", since=_current_seq(server, tokens))
        assert ack["scope"] == "ticket"

        other = server.call_next("t1", tokens.staff2, window=2)  # B001 at window 2: not mine
        mine_called = server.call_next("t1", tokens.staff1, window=1)
        received = events_until(phone, _current_seq(server, tokens) - 1)  # the call is followed by queue.stats
        assert no_more_events(phone)

    assert other["number"] == "B001"
    assert mine_called["number"] == "A001"
    assert [(e["type"], e["ticket"]["number"]) for e in received] == [("ticket.called", "A001")]
    assert received[0]["window"]["number"] == 1
    assert "voice" not in received[0]


def test_subscribing_without_since_sends_a_snapshot_carrying_its_seq(server: Server, tokens: BasicHall) -> None:
    server.issue("t1", tokens.kiosk)
    server.call_next("t1", tokens.staff1, window=1)
    with connected(server.url, {"token": tokens.display}) as display:
        ack = subscribe(display, "t1", since=None)
        name, snap = receive(display)

    assert name == "snapshot"
    assert snap["seq"] == ack["seq"] == _current_seq(server, tokens)
    assert [c["ticket"]["number"] for c in snap["recent"]] == ["A001"]
    assert next(w for w in snap["windows"] if w["number"] == 1)["current"]["number"] == "A001"
    assert {s["code"] for s in snap["services"]} == {"a", "b"}


def test_sync_is_acknowledged_with_the_current_seq_and_server_version(server: Server, tokens: BasicHall) -> None:
    server.issue("t1", tokens.kiosk)
    with connected(server.url, {"token": tokens.display}) as display:
        subscribe(display, "t1", since=_current_seq(server, tokens))

        ack = display.call("sync", {"last_seq": 0}, timeout=5)

    assert ack["ok"] is True
    assert ack["seq"] == _current_seq(server, tokens)
    assert ack["version"] == __version__


def test_a_window_screen_receives_only_its_windows_events(server: Server, tokens: BasicHall) -> None:
    server.issue("t1", tokens.kiosk, service="b")
    server.issue("t1", tokens.kiosk, service="b")
    with connected(server.url, {"token": tokens.display}) as screen:
        ack = subscribe(screen, "t1", since=_current_seq(server, tokens), window=2)
        assert ack["scope"] == "window"

        server.call_next("t1", tokens.staff1, window=1)
        theirs = server.call_next("t1", tokens.staff2, window=2)
        received = events_until(screen, _current_seq(server, tokens) - 1)

    assert [(e["type"], e["window"]["number"]) for e in received] == [("ticket.called", 2)]
    assert received[0]["ticket"]["number"] == theirs["number"] == "B002"


def test_a_citizens_sync_ack_carries_their_fresh_place_in_the_queue(server: Server, tokens: BasicHall) -> None:
    first = server.issue("t1", tokens.kiosk)
    mine = server.issue("t1", tokens.kiosk)
    with connected(server.url, {"track": mine["track_token"]}) as phone:
        subscribe(phone, "t1", since=_current_seq(server, tokens))
        before = phone.call("sync", {"last_seq": 0}, timeout=5)["ticket"]

        server.finish(tokens.staff1, server.call_next("t1", tokens.staff1, window=1)["id"])
        after = phone.call("sync", {"last_seq": 0}, timeout=5)["ticket"]

    assert first["number"] == "A001"
    assert (before["number"], before["status"], before["ahead"]) == ("A002", "waiting", 1)
    assert after["ahead"] == 0
    assert "track_token" not in after


def test_a_waiting_citizen_sees_people_ahead_fall_live_as_others_are_called_or_leave(
    server: Server, tokens: BasicHall
) -> None:
    server.issue("t1", tokens.kiosk)
    second = server.issue("t1", tokens.kiosk)
    mine = server.issue("t1", tokens.kiosk)
    with connected(server.url, {"track": mine["track_token"]}) as phone:
        subscribe(phone, "t1", since=_current_seq(server, tokens))

        server.call_next("t1", tokens.staff1, window=1)  # A001 leaves the queue
        after_call = next_position(phone)
        server.post(f"/api/v1/tickets/{second['id']}/cancel", tokens.staff1).raise_for_status()
        after_cancel = next_position(phone)

    assert mine["ahead"] == 2
    assert after_call["ahead"] == 1
    assert after_cancel["ahead"] == 0
    assert after_cancel["seq"] == _current_seq(server, tokens)
    assert 0 < after_cancel["estimated_wait_s"] <= after_call["estimated_wait_s"]
    assert set(after_call) == {"seq", "ahead", "estimated_wait_s"}  # nothing about anyone else


def test_notices_set_from_the_cli_reach_a_display_at_its_next_sync(server: Server, tokens: BasicHall) -> None:
    with connected(server.url, {"token": tokens.display}) as display:
        seq = subscribe(display, "t1", since=_current_seq(server, tokens))["seq"]

        cli = subprocess.run(
            [sys.executable, "-m", "queue_server.cli", "notice", "set", "--hall", "t1", "请携带身份证原件"],
            env={**os.environ, "HALLQ_DATABASE_URL": server.database_url, "HALLQ_INSTANCE_PATH": str(server.instance),
                 "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60, check=False,
        )
        ack = display.call("sync", {"last_seq": seq}, timeout=5)
        assert ack["seq"] == seq + 1  # behind: the client re-subscribes from its last seq
        subscribe(display, "t1", since=seq)
        (event,) = events_until(display, seq + 1)

    assert cli.returncode == 0, cli.stderr
    assert (event["type"], event["notices"]) == ("notices.updated", ["请携带身份证原件"])


def test_a_manager_sets_notices_and_a_subscribed_display_receives_them(server: Server, tokens: BasicHall) -> None:
    with connected(server.url, {"token": tokens.display}) as display:
        seq = subscribe(display, "t1", since=_current_seq(server, tokens))["seq"]

        server.post("/api/v1/halls/t1/notices", tokens.manager, {"notices": ["今日 16:30 停止取号"]})
        (event,) = events_until(display, seq + 1)
    public = requests.get(f"{server.url}/api/v1/halls/t1/notices", timeout=5).json()

    assert (event["type"], event["notices"]) == ("notices.updated", ["今日 16:30 停止取号"])
    assert public == {"notices": ["今日 16:30 停止取号"]}
    refused = requests.post(f"{server.url}/api/v1/halls/t1/notices", json={"notices": []}, timeout=5,
                            headers={"Authorization": f"Bearer {tokens.display}"})
    assert refused.status_code == 403
