"""Manager console sign-in: managers, admins and viewers sign in with the clerks' lockout; clerks cannot; the
session reaches only the halls the role allows, and viewers only read."""

from __future__ import annotations

from typing import Any

from queue_server.clock import FrozenClock
from queue_server.queries import snapshots
from queue_server.storage.models import Role
from queue_server.storage.store import Store
from tests import factories
from tests.factories import basic_hall
from tests.manager.console_client import ManagerConsole


def _viewer(store: Store) -> None:
    with store.transaction() as s:
        factories.staff(s, snapshots.hall_by_code(s, "t1"), "v1", Role.VIEWER)


def test_a_manager_signs_in_and_lands_on_their_halls_monitor(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    console = ManagerConsole(client)

    resp = console.login("m1")

    assert resp.status_code == 302 and resp.headers["Location"].endswith("/manager")
    assert client.get("/manager").headers["Location"].endswith("/manager/t1")
    page = client.get("/manager/t1").get_data(as_text=True)
    assert "实时监控" in page and "/manager/t1/reports" in page
    assert console.call("GET", "/halls/t1/monitor").status_code == 200


def test_a_clerk_cannot_sign_in_to_the_manager_console(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)

    resp = ManagerConsole(client).login("u1")

    assert resp.status_code == 403 and "工号或密码错误" in resp.get_data(as_text=True)
    assert client.get("/manager/t1").headers["Location"].endswith("/manager/login")


def test_five_wrong_manager_passwords_lock_the_account(store: Store, clock: FrozenClock, app: Any) -> None:
    basic_hall(store, clock)
    for _ in range(5):
        ManagerConsole(app.test_client()).login("m1", password="wrong-password")

    locked = ManagerConsole(app.test_client()).login("m1")
    clock.advance(minutes=15, seconds=1)
    later = ManagerConsole(app.test_client()).login("m1")

    assert locked.status_code == 403 and "账号已锁定" in locked.get_data(as_text=True)
    assert later.status_code == 302


def test_a_manager_session_is_refused_for_another_hall(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    console = ManagerConsole(client)
    console.login("m1")

    assert console.call("GET", "/halls/t2/monitor").status_code == 403
    assert client.get("/manager/t2").headers["Location"].endswith("/manager")


def test_the_console_session_needs_the_csrf_token_to_change_anything(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    basic_hall(store, clock)
    console = ManagerConsole(client)
    console.login("m1")

    resp = client.patch("/api/v1/halls/t1/services/a", json={"active": False})

    assert resp.status_code == 403 and resp.get_json()["code"] == "csrf_failed"


def test_a_viewer_watches_but_cannot_configure(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    _viewer(store)
    console = ManagerConsole(client)
    console.login("v1")

    page = client.get("/manager/t1").get_data(as_text=True)
    resp = console.call("PATCH", "/halls/t1/services/a", {"active": False})

    assert 'data-configure="false"' in page and "notice-form" not in page
    assert console.call("GET", "/halls/t1/alerts").status_code == 200
    assert resp.status_code == 403 and resp.get_json()["code"] == "role_required"


def test_an_admin_gets_the_prefecture_overview_of_every_hall(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    with store.transaction() as s:
        factories.staff(s, None, "root", Role.ADMIN)
    console = ManagerConsole(client)
    console.login("root")

    page = client.get("/manager").get_data(as_text=True)
    halls = console.call("GET", "/monitor").get_json()["halls"]

    assert "全州" in page and "测试大厅t1" in page and "测试大厅t2" in page
    assert [h["hall"] for h in halls] == ["t1", "t2"]
