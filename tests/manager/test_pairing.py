"""Pairing devices with a one-time code (issue 18 point 7): a manager (console API or `hallq device pair`) makes
an 8-digit code, the device exchanges it once at POST /api/v1/pair for a token of its own, and no token travels in
an address: `?token=` is refused on pages (a Chinese page says how to pair) and on the API."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.cli.main import main
from queue_server.clock import FrozenClock
from queue_server.engine.setup.pairing import MAX_MISSES
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer


def _actions(store: Store) -> list[str]:
    with store.read_session() as s:
        return [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _display(client: Any, hall: BasicHall, name: str = "二楼综合屏", window: int | None = None) -> int:
    made = client.post("/api/v1/halls/t1/devices", json={"kind": "display", "name": name, "window": window},
                       headers=bearer(hall.manager))
    assert made.status_code == 201
    return int(made.get_json()["device"]["id"])


def _code(client: Any, hall: BasicHall, device: int) -> str:
    made = client.post(f"/api/v1/halls/t1/devices/{device}/pairing-code", headers=bearer(hall.manager))
    assert made.status_code == 201, made.get_json()
    return str(made.get_json()["code"])


def test_a_display_paired_with_a_code_reads_the_hall_with_its_own_token_until_revoked(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    device = _display(client, hall, window=2)
    code = _code(client, hall, device)

    paired = client.post("/api/v1/pair", json={"code": code[:4] + " " + code[4:]})  # spaces as read out
    again = client.post("/api/v1/pair", json={"code": code})
    body = paired.get_json()
    works = client.get("/api/v1/halls/t1/windows", headers=bearer(body["token"]))
    client.post(f"/api/v1/halls/t1/devices/{device}/revoke", headers=bearer(hall.manager))
    revoked = client.get("/api/v1/halls/t1/windows", headers=bearer(body["token"]))

    assert len(code) == 8 and code.isdigit()
    assert paired.status_code == 200
    assert body["kind"] == "display" and body["hall"] == "t1" and body["window"] == 2
    assert body["page"] == "/display/t1/window/2"
    assert again.status_code == 422 and again.get_json()["code"] == "pairing_code_invalid"  # single use
    assert works.status_code == 200 and revoked.status_code == 401
    assert "device.pairing_code" in _actions(store) and "device.pair" in _actions(store)
    with store.read_session() as s:
        logged = str([a.data for a in s.scalars(select(AuditEntry))])
    assert code not in logged and body["token"] not in logged  # secrets never reach the audit log


def test_a_code_expires_after_ten_minutes_and_a_new_code_replaces_the_old(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    device = _display(client, hall)
    old = _code(client, hall, device)
    new = _code(client, hall, device)

    replaced = client.post("/api/v1/pair", json={"code": old})
    clock.advance(minutes=10, seconds=1)
    expired = client.post("/api/v1/pair", json={"code": new})

    assert replaced.status_code == 422 and expired.status_code == 422
    assert "二楼综合屏" not in str(expired.get_json())


def test_revoking_a_device_ends_its_unused_code(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    device = _display(client, hall)
    code = _code(client, hall, device)

    client.post(f"/api/v1/halls/t1/devices/{device}/revoke", headers=bearer(hall.manager))
    stolen = client.post("/api/v1/pair", json={"code": code})

    assert stolen.status_code == 422


def test_guessing_codes_locks_the_address_out_of_pairing_even_for_a_right_code(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    device = _display(client, hall)
    code = _code(client, hall, device)
    wrong = f"{(int(code) + 1) % 10 ** 8:08d}"

    misses = [client.post("/api/v1/pair", json={"code": wrong}).status_code for _ in range(MAX_MISSES)]
    locked = client.post("/api/v1/pair", json={"code": code})
    clock.advance(minutes=16)
    later = client.post("/api/v1/pair", json={"code": _code(client, hall, device)})

    assert misses[:-1] == [422] * (MAX_MISSES - 1) and misses[-1] == 429
    assert locked.status_code == 429 and locked.get_json()["code"] == "pairing_locked"
    assert later.status_code == 200  # the lock ends
    assert "device.pair_locked" in _actions(store)


def test_only_the_halls_manager_or_an_admin_makes_a_code(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    device = _display(client, hall)

    by_kiosk = client.post(f"/api/v1/halls/t1/devices/{device}/pairing-code", headers=bearer(hall.kiosk))
    by_other = client.post(f"/api/v1/halls/t1/devices/{device}/pairing-code", headers=bearer(hall.other_manager))
    by_admin = client.post(f"/api/v1/halls/t1/devices/{device}/pairing-code", headers=bearer(hall.admin))
    nobody = client.post(f"/api/v1/halls/t1/devices/{device}/pairing-code")

    assert by_kiosk.status_code == 403 and by_other.status_code == 403
    assert by_admin.status_code == 201 and nobody.status_code == 401


@pytest.mark.parametrize("path", ["/display/t1", "/display/t1/window/1", "/kiosk/pair", "/kiosk/t1/",
                                  "/manager/t1/reports", "/staff/rater", "/manager/login"])
def test_a_token_in_a_pages_address_is_refused_with_a_chinese_page_on_pairing(
    store: Store, clock: FrozenClock, client: Any, path: str
) -> None:
    hall = basic_hall(store, clock)

    page = client.get(f"{path}?token={hall.display}")

    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "链接中不能带令牌" in text and "一次性配对码" in text and 'href="/pair"' in text
    assert hall.display not in text
    assert page.headers["Cache-Control"] == "no-store"


def test_a_token_in_an_api_address_is_refused_even_with_a_valid_header(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    answer = client.get(f"/api/v1/halls/t1/windows?token={hall.display}", headers=bearer(hall.display))

    assert answer.status_code == 422 and answer.get_json()["code"] == "token_in_url"


def test_kiosk_pair_sends_to_the_pairing_page(client: Any) -> None:
    answer = client.get("/kiosk/pair")
    page = client.get("/pair")

    assert answer.status_code == 302 and answer.headers["Location"].endswith("/pair")
    assert page.status_code == 200 and "配对码" in page.get_data(as_text=True)


@pytest.fixture
def cli_env(database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLQ_DATABASE_URL", database_url)
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.delenv("HALLQ_SECRET_KEY", raising=False)


def test_hallq_device_pair_registers_a_kiosk_and_prints_a_code_alone_that_pairs_it(
    cli_env: None, store: Store, clock: FrozenClock, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)

    capsys.readouterr()
    status = main(["device", "pair", "--hall", "t1", "--name", "大厅2号机", "--kind", "kiosk"])
    out = capsys.readouterr().out
    paired = client.post("/api/v1/pair", json={"code": out.strip()}).get_json()
    issued = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(paired["token"]))
    unknown = main(["device", "pair", "--hall", "t1", "--name", "没有这台"])

    assert status == 0 and out.count("\n") == 1 and len(out.strip()) == 8
    assert paired["kind"] == "kiosk" and paired["page"] == "/kiosk/t1/" and paired["device"] == "大厅2号机"
    assert issued.status_code == 201
    assert unknown == 1
