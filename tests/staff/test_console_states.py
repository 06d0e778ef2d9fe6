"""The console's 过号 list and reactivation, refusals in words instead of state codes, transfer targets with their
state, and a manager freeing a window an absent clerk still holds (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.staff.console_client import Console


def issue(client: Any, hall: BasicHall, service: str) -> dict[str, Any]:
    resp = client.post("/api/v1/halls/t1/tickets", json={"service": service}, headers=bearer(hall.kiosk))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def test_a_no_show_is_listed_at_every_window_of_its_service_and_put_back_from_any_of_them(
    store: Store, clock: FrozenClock, app: Any
) -> None:
    hall = basic_hall(store, clock)
    kiosk = app.test_client()
    issue(kiosk, hall, "a")
    issue(kiosk, hall, "b")
    one, two = Console(app.test_client()), Console(app.test_client())
    one.login("u1", 1)
    two.login("u2", 2)  # window 2 serves b only

    a = one.window_op("call-next").get_json()["ticket"]
    one.ticket_op(a["id"], "no-show")
    clock.advance(minutes=1)
    b = one.window_op("call-next").get_json()["ticket"]
    one.ticket_op(b["id"], "no-show")
    clock.advance(minutes=4)

    at_one = one.state().get_json()["no_shows"]
    at_two = two.state().get_json()["no_shows"]
    assert [(t["number"], t["window_label"], t["missed_s"]) for t in at_one] == [
        ("B001", "1号窗口", 240), ("A001", "1号窗口", 300)]
    assert at_one[1]["reactivate_left_s"] == 25 * 60  # the hall's 30-minute tolerance
    assert [t["number"] for t in at_two] == ["B001"]  # A001's service is not handled at window 2

    refused = two.ticket_op(a["id"], "reactivate")
    back = two.ticket_op(b["id"], "reactivate")

    assert refused.status_code == 403 and refused.get_json()["code"] == "window_not_assigned"
    assert back.status_code == 200 and back.get_json()["ticket"]["status"] == "waiting"
    assert [t["number"] for t in one.state().get_json()["no_shows"]] == ["A001"]
    assert two.state().get_json()["no_shows"] == []


def test_a_no_show_past_the_tolerance_leaves_the_list(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)
    ticket = console.window_op("call-next").get_json()["ticket"]
    console.ticket_op(ticket["id"], "no-show")

    clock.advance(minutes=31)

    assert console.state().get_json()["no_shows"] == []
    late = console.ticket_op(ticket["id"], "reactivate").get_json()
    assert late["code"] == "reactivation_expired"


def test_refusals_name_states_and_actions_in_chinese_words(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)
    ticket = console.window_op("call-next").get_json()["ticket"]
    console.ticket_op(ticket["id"], "finish", {"outcome": "done"})
    console.window_op("pause", {"reason": "午休"})

    paused = console.window_op("call-next").get_json()
    finished = console.ticket_op(ticket["id"], "recall").get_json()
    console.window_op("resume")
    console.window_op("away")
    away = console.window_op("call-next").get_json()

    assert paused["code"] == "window_not_open"
    assert paused["detail"] == "1 号窗口当前暂停服务，请先恢复服务。"
    assert away["detail"] == "1 号窗口当前离岗，请先恢复服务。"
    assert finished["code"] == "invalid_transition"
    assert finished["detail"] == "号票 A001 已办结，不能重呼。"
    assert finished["current_status"] == "finished"  # the code stays for programs
    english = client.post(f"/api/v1/tickets/{ticket['id']}/recall", headers={
        "X-CSRF-Token": console.csrf, "Accept-Language": "en"}).get_json()
    assert english["detail"] == "Ticket A001 is finished: recall is not possible."


def test_transfer_targets_are_labelled_with_their_state(store: Store, clock: FrozenClock, app: Any) -> None:
    basic_hall(store, clock)
    one, two = Console(app.test_client()), Console(app.test_client())
    one.login("u1", 1)
    two.login("u2", 2)
    two.window_op("pause", {"reason": "培训"})

    targets = one.state().get_json()["transfer_windows"]

    assert targets == [{"number": 2, "name": "2号窗口", "label": "2号窗口", "state": "paused", "staff": True}]
    assert one.state().get_json()["window"]["label"] == "1号窗口"


def test_a_manager_frees_a_window_held_by_an_absent_clerk(store: Store, clock: FrozenClock, app: Any) -> None:
    hall = basic_hall(store, clock)
    absent, colleague = Console(app.test_client()), Console(app.test_client())
    absent.login("u1", 1)
    taken = colleague.login("u2", 1)
    assert taken.status_code == 409 and "已由 u1 登录" in taken.get_data(as_text=True)

    by_clerk = colleague.client.post("/api/v1/halls/t1/windows/1/release", headers=bearer(hall.staff2))
    freed = app.test_client().post("/api/v1/halls/t1/windows/1/release", headers=bearer(hall.manager))

    assert by_clerk.status_code == 403
    assert freed.status_code == 200
    assert freed.get_json() == {"number": 1, "name": "1号窗口", "label": "1号窗口", "state": "closed", "staff": None}
    assert absent.state().status_code == 401  # the absent clerk's browser session ended with the window
    assert colleague.login("u2", 1).status_code == 302
    assert colleague.state().get_json()["window"]["staff"] == "u2"
    with store.read_session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "window.released"))
        assert entry is not None and entry.target == "window:1" and entry.data["user_no"] == "u1"
    # Freeing a window nobody holds changes nothing and is not audited again.
    again = app.test_client().post("/api/v1/halls/t1/windows/2/release", headers=bearer(hall.manager))
    assert again.status_code == 200 and again.get_json()["staff"] is None
    with store.read_session() as s:
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "window.released")).all()) == 1
