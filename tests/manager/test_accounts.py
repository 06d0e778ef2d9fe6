"""Accounts a 等保 review accepts (issue 18): sessions that end, a lockout that protects without locking people out,
passwords people set themselves and never see printed, and an audit log they can read.

Every flow goes through the real sign-in forms and /api/v1 with the session cookie, as the consoles do; client
addresses are set per test client (REMOTE_ADDR), as a browser's would be.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func
from sqlalchemy import select

from queue_server.app import create_app
from queue_server.clock import FrozenClock
from queue_server.queries import snapshots
from queue_server.storage.accounts import LoginFailure
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Role
from queue_server.storage.store import Store
from tests import factories
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.manager.console_client import ManagerConsole
from tests.staff.console_client import PASSWORD
from tests.staff.console_client import Console


@pytest.fixture
def hall(store: Store, clock: FrozenClock) -> BasicHall:
    return basic_hall(store, clock)


def _from(app: Any, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _monitor(console: ManagerConsole) -> int:
    return int(console.call("GET", "/halls/t1/monitor").status_code)


def _copy_cookie(source: Any, target: Any) -> None:
    cookie = source.get_cookie("hallq_session")
    assert cookie is not None
    target.set_cookie("hallq_session", cookie.value)


def _audit(store: Store, action: str) -> list[AuditEntry]:
    with store.read_session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# ---- sessions that end --------------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_is_worth_nothing_after_it(app: Any, hall: BasicHall) -> None:
    desk, thief = ManagerConsole(app.test_client()), ManagerConsole(app.test_client())
    assert desk.login("m1").status_code == 302
    _copy_cookie(desk.client, thief.client)
    thief.csrf = desk.csrf
    assert _monitor(thief) == 200

    desk.client.post("/manager/logout", data={"csrf_token": desk.csrf})

    assert _monitor(thief) == 401
    notice = thief.call("POST", "/halls/t1/notices", {"notices": ["伪造的通知"]})
    assert notice.status_code == 401


def test_a_password_reset_by_an_admin_ends_every_session_of_the_account(app: Any, hall: BasicHall) -> None:
    manager = ManagerConsole(app.test_client())
    manager.login("m1")

    reset = app.test_client().patch("/api/v1/halls/t1/staff/m1", json={"password": "new-pass-2026"},
                                    headers=bearer(hall.admin))

    assert reset.status_code == 200
    assert _monitor(manager) == 401
    assert ManagerConsole(app.test_client()).login("m1", "new-pass-2026").status_code == 302


def test_a_clerks_old_cookie_does_not_come_back_when_the_clerk_signs_in_again(app: Any, hall: BasicHall) -> None:
    first, copy = Console(app.test_client()), Console(app.test_client())
    first.login("u1", 1)
    _copy_cookie(first.client, copy.client)
    copy.csrf, copy.window = first.csrf, 1
    first.client.post("/staff/logout", data={"csrf_token": first.csrf})

    Console(app.test_client()).login("u1", 1)  # the same clerk, the same window, a new session

    assert copy.state().status_code == 401


def test_a_manager_console_ends_after_30_idle_minutes_and_a_clerks_window_after_12_hours(
        app: Any, hall: BasicHall, clock: FrozenClock) -> None:
    manager, clerk = ManagerConsole(app.test_client()), Console(app.test_client())
    manager.login("m1")
    clerk.login("u1", 1)

    clock.advance(minutes=29)
    assert _monitor(manager) == 200 and clerk.state().status_code == 200  # used: the idle time starts over
    clock.advance(minutes=31)
    manager_idle, clerk_still = _monitor(manager), clerk.state().status_code
    clock.advance(hours=11, minutes=1)  # 12 h after sign-in, though the clerk kept working

    assert manager_idle == 401
    assert clerk_still == 200
    assert clerk.state().status_code == 401


def test_the_session_cookie_is_secure_when_the_site_is_served_over_https(store: Store, clock: FrozenClock,
                                                                        settings: Any) -> None:  # noqa: D103
    basic_hall(store, clock)
    app = create_app(replace(settings, public_url="https://hall.example.cn"), clock=clock)
    try:
        console = Console(app.test_client())
        resp = console.login("u1", 1)
    finally:
        app.extensions["hallq"].store.dispose()

    assert resp.status_code == 302
    assert "Secure" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]


# ---- lockout ----------------------------------------------------------------------------------------------


def test_wrong_passwords_from_elsewhere_lock_the_clerk_only_there(app: Any, hall: BasicHall, store: Store) -> None:
    for _ in range(5):
        ManagerConsole(_from(app, "10.0.0.66")).login("u1", "guess-guess")  # the manager page, another PC

    locked_there = Console(_from(app, "10.0.0.66")).login("u1", 1)
    at_the_window = Console(_from(app, "10.0.0.11")).login("u1", 1)

    assert locked_there.status_code == 403 and "账号已锁定" in locked_there.get_data(as_text=True)
    assert at_the_window.status_code == 302
    failures = _audit(store, "login.failed")
    assert len(failures) == 5
    assert {(e.data["address"], e.data["page"], e.data["user_no"]) for e in failures} == {
        ("10.0.0.66", "manager", "u1")}
    [lock] = _audit(store, "login.locked")
    assert lock.data["address"] == "10.0.0.66"


def test_an_address_that_guesses_many_accounts_is_slowed_then_locked(app: Any, hall: BasicHall, store: Store,
                                                                   clock: FrozenClock) -> None:
    with store.transaction() as s:
        t1 = snapshots.hall_by_code(s, "t1")
        for n in range(8):
            factories.staff(s, t1, f"g{n}")
    guesser = Console(_from(app, "10.0.0.99"))
    # Four guesses per account stay under each account's lock: only the address's own count can stop them.
    guesses = [f"g{n // 4}" for n in range(32)]
    quick = [guesser.login(user, 1, password="guess-guess").get_data(as_text=True) for user in guesses[:7]]
    patient = []
    for user in guesses[7:]:
        clock.advance(seconds=61)  # waits out every slow-down
        patient.append(guesser.login(user, 1, password="guess-guess").get_data(as_text=True))

    assert "秒后再试" not in quick[5] and "秒后再试" in quick[6]  # slowed past one account's worth of failures
    assert "账号已锁定" in patient[-1]  # then the address is locked
    assert Console(_from(app, "10.0.0.11")).login("u1", 1).status_code == 302  # nobody else is


def test_unknown_staff_numbers_lock_together_for_the_address_that_tries_them(app: Any, hall: BasicHall) -> None:
    pages = [Console(_from(app, "10.0.0.7")).login(f"nobody{n}", 1).get_data(as_text=True) for n in range(6)]

    assert "账号已锁定" not in pages[3] and "账号已锁定" in pages[5]


def test_unknown_staff_numbers_share_one_row_per_address(app: Any, hall: BasicHall, store: Store) -> None:
    for n in range(4):
        Console(_from(app, "10.0.0.5")).login(f"nobody{n}", 1)

    with store.read_session() as s:
        rows = s.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.address == "10.0.0.5"))

    assert rows == 2  # the address's own row and the one every unknown 工号 shares


def test_a_manager_unlocks_a_clerk_and_it_is_audited(app: Any, hall: BasicHall, store: Store) -> None:
    for _ in range(5):
        Console(_from(app, "10.0.0.11")).login("u1", 1, password="typo-typo")
    assert Console(_from(app, "10.0.0.11")).login("u1", 1).status_code == 403

    unlocked = app.test_client().post("/api/v1/halls/t1/staff/u1/unlock", headers=bearer(hall.manager))

    assert unlocked.status_code == 200 and unlocked.get_json()["cleared"] >= 1
    assert Console(_from(app, "10.0.0.11")).login("u1", 1).status_code == 302
    [entry] = _audit(store, "login.unlocked")
    assert entry.target == "staff:u1"


# ---- passwords ----------------------------------------------------------------------------------------------


def test_a_clerk_changes_their_own_password_on_the_page_and_signs_in_with_it(app: Any, hall: BasicHall,
                                                                            store: Store) -> None:
    clerk = Console(app.test_client())
    clerk.login("u1", 1)
    form = {"csrf_token": clerk.csrf, "current": PASSWORD, "new": "brand-new-2026", "again": "brand-new-2026"}

    wrong = clerk.client.post("/account/password", data={**form, "current": "not-it"})
    changed = clerk.client.post("/account/password", data=form)

    assert wrong.status_code == 403 and "当前密码不正确" in wrong.get_data(as_text=True)
    assert changed.status_code == 302 and "/staff/login" in changed.headers["Location"]
    assert clerk.state().status_code == 401  # every session of the account ended, this one too
    assert Console(app.test_client()).login("u1", 1, password=PASSWORD).status_code == 403
    assert Console(app.test_client()).login("u1", 1, password="brand-new-2026").status_code == 302
    [entry] = _audit(store, "staff.password_changed")
    assert "hash" not in str(entry.data) and "brand-new" not in str(entry.data)


def test_an_admin_sets_another_admins_password_through_the_api(app: Any, hall: BasicHall, store: Store) -> None:
    with store.transaction() as s:
        factories.staff(s, None, "admin2", Role.ADMIN)

    by_manager = app.test_client().post("/api/v1/accounts/admin2/password", json={"password": "admin2-pass-x"},
                                        headers=bearer(hall.manager))
    by_admin = app.test_client().post("/api/v1/accounts/admin2/password", json={"password": "admin2-pass-x"},
                                      headers=bearer(hall.admin))

    assert by_manager.status_code == 403
    assert by_admin.status_code == 200
    assert ManagerConsole(app.test_client()).login("admin2", "admin2-pass-x").status_code == 302


def test_while_a_demo_password_is_in_use_every_console_says_so(app: Any, hall: BasicHall, store: Store,
                                                              clock: FrozenClock) -> None:
    manager = ManagerConsole(app.test_client())
    manager.login("m1")
    clean = manager.client.get("/manager/t1").get_data(as_text=True)
    with store.transaction() as s:
        factories.staff(s, None, "demo1", Role.VIEWER).password_is_demo = True
    clock.advance(seconds=11)  # past the banner's 10 s cache

    flagged = manager.client.get("/manager/t1").get_data(as_text=True)
    clerk = Console(app.test_client())
    clerk.login("u1", 1)

    assert 'id="demo-banner"' not in clean
    assert 'id="demo-banner"' in flagged
    assert 'id="demo-banner"' in clerk.client.get("/staff").get_data(as_text=True)


# ---- the audit log ------------------------------------------------------------------------------------------


def test_the_audit_log_lists_notices_and_password_resets_with_filters_and_exports_them(
        app: Any, hall: BasicHall) -> None:
    client = app.test_client()
    client.post("/api/v1/halls/t1/notices", json={"notices": ["今日下午停电检修"]}, headers=bearer(hall.manager))
    client.patch("/api/v1/halls/t1/staff/u2", json={"password": "reset-pass-x"}, headers=bearer(hall.manager))

    everything = client.get("/api/v1/halls/t1/audit", headers=bearer(hall.manager)).get_json()
    resets = client.get("/api/v1/halls/t1/audit?action=staff.password", headers=bearer(hall.manager)).get_json()
    exported = client.get("/api/v1/halls/t1/audit/export?action=notices", headers=bearer(hall.manager))
    by_viewer = client.get("/api/v1/halls/t1/audit", headers=bearer(hall.display))

    actions = [e["action"] for e in everything["entries"]]
    assert actions[:2] == ["staff.password_reset", "notices.set"]  # newest first
    notice = everything["entries"][1]
    assert notice["data"] == {"before": [], "after": ["今日下午停电检修"]}
    assert [e["target"] for e in resets["entries"]] == ["staff:u2"]
    sheet = openpyxl.load_workbook(io.BytesIO(exported.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "操作 action" and [r[2] for r in rows[1:]] == ["notices.set"]
    assert by_viewer.status_code == 403


def test_the_audit_page_shows_the_hall_log_to_its_manager(app: Any, hall: BasicHall) -> None:
    app.test_client().post("/api/v1/halls/t1/notices", json={"notices": ["请携带身份证"]},
                           headers=bearer(hall.manager))
    manager = ManagerConsole(app.test_client())
    manager.login("m1")

    page = manager.client.get("/manager/t1/audit?action=notices").get_data(as_text=True)

    assert "notices.set" in page and "请携带身份证" in page and "导出 XLSX" in page
