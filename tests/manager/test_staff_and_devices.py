"""Staff accounts and devices from the manager console: what a manager creates works at once, what they switch
off stops at once, every change is audited without secrets, and mistakes get a Chinese message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.conftest import Recorder
from tests.factories import basic_hall
from tests.factories import bearer
from tests.staff.console_client import Console


def _actions(store: Store) -> list[tuple[str, str, dict[str, Any]]]:
    with store.read_session() as s:
        return [(a.action, a.target, a.data) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_clerk_created_by_the_manager_signs_in_at_a_window(store: Store, clock: FrozenClock, app: Any) -> None:
    hall = basic_hall(store, clock)
    client = app.test_client()

    resp = client.post("/api/v1/halls/t1/staff", json={"user_no": "cx2001", "name": "李四", "role": "staff",
                                                       "password": "new-password-1"}, headers=bearer(hall.manager))
    login = Console(app.test_client()).login("cx2001", 2, password="new-password-1")

    assert resp.status_code == 201 and resp.get_json() == {"user_no": "cx2001", "name": "李四", "role": "staff",
                                                           "active": True}
    assert login.status_code == 302
    ((action, target, data),) = _actions(store)
    assert (action, target) == ("staff.create", "staff:cx2001")
    assert "password" not in str(data) and "pbkdf2" not in str(data) and "scrypt" not in str(data)


def test_a_short_password_or_a_taken_staff_number_is_refused_in_chinese(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    short = client.post("/api/v1/halls/t1/staff", json={"user_no": "cx2001", "name": "李四", "password": "123"},
                        headers=bearer(hall.manager))
    taken = client.post("/api/v1/halls/t1/staff", json={"user_no": "u1", "name": "重名", "password": "pw-12345678"},
                        headers=bearer(hall.manager))

    assert short.status_code == 422 and short.get_json()["detail"] == "密码至少需要 8 位。"
    assert taken.status_code == 409 and taken.get_json()["title"] == "工号已被使用"
    assert _actions(store) == []


def test_deactivating_a_signed_in_clerk_closes_their_window_and_stops_their_token(
    store: Store, clock: FrozenClock, app: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)
    Console(app.test_client()).login("u1", 1)
    client = app.test_client()

    resp = client.patch("/api/v1/halls/t1/staff/u1", json={"active": False}, headers=bearer(hall.manager))
    windows = client.get("/api/v1/halls/t1/windows", headers=bearer(hall.manager)).get_json()
    call = client.post("/api/v1/halls/t1/windows/1/call-next", headers=bearer(hall.staff1))

    assert resp.status_code == 200 and resp.get_json()["active"] is False
    assert (windows[0]["state"], windows[0]["staff"]) == ("closed", None)
    assert call.status_code == 401
    assert published.types()[-2:] == ["staff.updated", "window.signed_out"]


def test_a_manager_of_another_hall_cannot_touch_this_halls_staff(store: Store, clock: FrozenClock,
                                                                 client: Any) -> None:
    hall = basic_hall(store, clock)

    resp = client.patch("/api/v1/halls/t2/staff/u1", json={"name": "x"}, headers=bearer(hall.other_manager))

    assert resp.status_code == 404 and resp.get_json()["code"] == "staff_not_found"


def test_a_registered_display_works_with_its_token_until_revoked(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    created = client.post("/api/v1/halls/t1/devices", json={"kind": "display", "name": "二楼综合屏"},
                          headers=bearer(hall.manager)).get_json()
    works = client.get("/api/v1/halls/t1/windows", headers=bearer(created["token"]))
    revoked = client.post(f"/api/v1/halls/t1/devices/{created['device']['id']}/revoke", headers=bearer(hall.manager))
    after = client.get("/api/v1/halls/t1/windows", headers=bearer(created["token"]))

    assert works.status_code == 200 and after.status_code == 401
    assert revoked.get_json()["active"] is False
    listed = client.get("/api/v1/halls/t1/devices", headers=bearer(hall.manager)).get_json()["devices"]
    assert {d["name"]: d["active"] for d in listed}["二楼综合屏"] is False
    assert [a for a, _, _ in _actions(store)] == ["device.register", "device.revoke"]
    assert created["token"] not in str(_actions(store))
    assert published.types()[-1] == "device.updated"


def test_a_kiosks_last_contact_and_printer_state_are_listed(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    client.post("/api/v1/kiosks/me/printer-status", json={"state": "paper_out"}, headers=bearer(hall.kiosk))

    listed = client.get("/api/v1/halls/t1/devices", headers=bearer(hall.manager)).get_json()["devices"]

    kiosk = next(d for d in listed if d["kind"] == "kiosk")
    assert kiosk["printer_state"] == "paper_out" and kiosk["last_seen_at"] == clock.now().isoformat()
