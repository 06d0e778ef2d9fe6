"""Staff sign-in on the web console: password, lockout, CSRF, one clerk per window, sign out and 离岗."""

from __future__ import annotations

from typing import Any

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.factories import basic_hall
from tests.factories import bearer
from tests.staff.console_client import Console


def test_clerk_signs_in_at_a_window_and_the_window_shows_their_staff_number(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    basic_hall(store, clock)
    console = Console(client)

    resp = console.login("u1", 1)

    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff")
    state = console.state().get_json()
    assert state["window"]["staff"] == "u1" and state["window"]["state"] == "open"


def test_wrong_password_shows_a_chinese_message_and_the_attempts_left(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    basic_hall(store, clock)

    resp = Console(client).login("u1", 1, password="wrong-password")

    assert resp.status_code == 403
    page = resp.get_data(as_text=True)
    assert "工号或密码错误" in page and "再错 4 次" in page


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    store: Store, clock: FrozenClock, app: Any
) -> None:
    basic_hall(store, clock)
    for _ in range(5):
        Console(app.test_client()).login("u1", 1, password="wrong-password")

    locked = Console(app.test_client()).login("u1", 1)
    clock.advance(minutes=15, seconds=1)
    later = Console(app.test_client()).login("u1", 1)

    assert locked.status_code == 403 and "账号已锁定" in locked.get_data(as_text=True)
    assert later.status_code == 302


def test_unknown_staff_number_is_refused_like_a_wrong_password(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    basic_hall(store, clock)

    resp = Console(client).login("nobody", 1)

    assert resp.status_code == 403 and "工号或密码错误" in resp.get_data(as_text=True)


def test_login_form_without_its_csrf_token_is_refused(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)

    resp = client.post("/staff/login", data={"hall": "t1", "user_no": "u1", "password": "pw-12345678",
                                             "window": 1})

    assert resp.status_code == 403 and "页面已过期" in resp.get_data(as_text=True)
    assert client.get("/staff").status_code == 302


def test_second_clerk_cannot_sign_in_at_an_occupied_window(store: Store, clock: FrozenClock, app: Any) -> None:
    basic_hall(store, clock)
    Console(app.test_client()).login("u1", 1)

    resp = Console(app.test_client()).login("u2", 1)

    assert resp.status_code == 409 and "已由 u1 登录" in resp.get_data(as_text=True)


def test_signing_in_at_another_window_leaves_the_first_one(store: Store, clock: FrozenClock, app: Any) -> None:
    hall = basic_hall(store, clock)
    first = Console(app.test_client())
    first.login("u1", 1)

    Console(app.test_client()).login("u1", 2)

    assert first.window_op("call-next").status_code == 401
    windows = {w["number"]: w for w in app.test_client().get(
        "/api/v1/halls/t1/windows", headers=bearer(hall.manager)).get_json()}
    assert windows[1]["staff"] is None and windows[1]["state"] == "closed"
    assert windows[2]["staff"] == "u1"


def test_sign_out_ends_the_session_and_closes_the_window(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    console = Console(client)
    console.login("u1", 1)

    resp = client.post("/staff/logout", data={"csrf_token": console.csrf})

    assert resp.status_code == 302
    assert console.window_op("call-next").status_code == 401
    assert client.get("/staff").status_code == 302


def test_away_stops_calls_until_the_clerk_is_back(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))
    console = Console(client)
    console.login("u1", 1)

    away = console.window_op("away")
    refused = console.window_op("call-next")
    console.window_op("back")
    called = console.window_op("call-next")

    assert away.get_json()["state"] == "away"
    assert refused.status_code == 409 and refused.get_json()["code"] == "window_not_open"
    assert called.status_code == 200 and called.get_json()["ticket"]["number"] == "A001"


def test_sign_out_from_a_stale_page_does_not_sign_anyone_out(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    console = Console(client)
    console.login("u1", 1)

    resp = client.post("/staff/logout", data={"csrf_token": "stale"})

    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff")
    assert console.state().get_json()["window"]["staff"] == "u1"


def test_an_unknown_staff_number_is_checked_with_the_same_hash_method_as_a_real_password() -> None:
    """A wrong 工号 must cost what a wrong password costs, or the answer's time tells which 工号 exist: the constant
    compared against carries the method and work factors generate_password_hash uses for real passwords today."""
    from werkzeug.security import generate_password_hash

    from queue_server.access.credentials import ABSENT_HASH
    from queue_server.access.credentials import check_absent

    assert ABSENT_HASH.split("$")[0] == generate_password_hash("any password at all").split("$")[0]
    assert check_absent("hallq-no-such-user") is False
