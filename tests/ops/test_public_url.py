"""Where the QR codes point: HALLQ_PUBLIC_URL, else the address the server was reached at, else the address it
listens on; and `hallq serve` warns when phones could not open that address. Real `hallq serve` processes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from queue_server.clock import SystemClock
from queue_server.settings import is_loopback_host
from queue_server.settings import lan_address
from queue_server.storage.store import make_store
from tests import factories
from tests.factories import bearer
from tests.realtime.server import Server
from tests.realtime.server import make_server

pytestmark = pytest.mark.slow


@pytest.fixture
def hall_db(sqlite_template: Path, tmp_path: Path) -> tuple[str, factories.BasicHall]:
    path = tmp_path / "hallq.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    store = make_store(url)
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    return url, tokens


@pytest.fixture
def lan() -> str:
    address = lan_address()
    if is_loopback_host(address):
        pytest.skip(reason="this machine has no network address besides loopback: nothing for a phone to reach")
    return address


@contextmanager
def serving(hall_db: tuple[str, factories.BasicHall], folder: Path, **kwargs: Any) -> Iterator[Server]:
    server = make_server(hall_db[0], folder / "instance", **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def _track_url(base: str, kiosk: str) -> str:
    resp = requests.post(f"{base}/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(kiosk), timeout=10)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["track_url"])


def test_without_a_public_url_qr_codes_use_the_address_the_server_was_reached_at(
    hall_db: tuple[str, factories.BasicHall], tmp_path: Path, lan: str
) -> None:
    with serving(hall_db, tmp_path, host="0.0.0.0") as server:
        kiosk = hall_db[1].kiosk
        reached = f"http://{lan}:{server.port}"

        # A kiosk on the hall's network: its tickets carry the address it used, which phones there reach too.
        assert _track_url(reached, kiosk).startswith(f"{reached}/t/")
        # A kiosk (or print agent) on the server's own machine says 127.0.0.1: the LAN address stands in for it.
        assert _track_url(server.url, kiosk).startswith(f"{reached}/t/")
        assert "WARNING" not in server.log()
        assert f"QR codes on tickets: the address each kiosk reaches the server at, else {reached}" in server.log()


def test_serve_warns_when_the_qr_codes_would_point_at_a_loopback_address(
    hall_db: tuple[str, factories.BasicHall], tmp_path: Path
) -> None:
    with serving(hall_db, tmp_path) as server:  # listening on 127.0.0.1 only, no HALLQ_PUBLIC_URL
        assert _track_url(server.url, hall_db[1].kiosk).startswith(f"{server.url}/t/")
        log = server.log()
    assert f"WARNING: QR codes on tickets point at {server.url}, a loopback address" in log
    assert "HALLQ_PUBLIC_URL" in log


def test_a_configured_public_url_wins_and_a_loopback_one_is_warned_about(
    hall_db: tuple[str, factories.BasicHall], tmp_path: Path
) -> None:
    with serving(hall_db, tmp_path, env={"HALLQ_PUBLIC_URL": "https://hall.example.gov.cn/"}) as server:
        assert _track_url(server.url, hall_db[1].kiosk).startswith("https://hall.example.gov.cn/t/")
        assert "QR codes on tickets: HALLQ_PUBLIC_URL https://hall.example.gov.cn" in server.log()
        assert "WARNING" not in server.log()
    with serving(hall_db, tmp_path / "again", env={"HALLQ_PUBLIC_URL": "http://localhost:8080"}) as server:
        assert _track_url(server.url, hall_db[1].kiosk).startswith("http://localhost:8080/t/")
        assert "WARNING: QR codes on tickets point at http://localhost:8080" in server.log()
