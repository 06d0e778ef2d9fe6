"""The `hallq` command line: tokens that work against the API, an idempotent demo, errors as `title: detail`."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from queue_server.cli.main import main
from queue_server.cli.site import DEMO_CREDENTIALS
from queue_server.clock import FrozenClock
from queue_server.storage.models import ApiToken
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.store import Store
from tests.factories import basic_hall
from tests.factories import bearer


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    instance = tmp_path / "cli-instance"
    monkeypatch.setenv("HALLQ_DATABASE_URL", database_url)
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("HALLQ_SECRET_KEY", raising=False)
    return instance


def _token(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["token", "create", *args]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n"), f"stdout must be the token alone: {out!r}"
    return out.strip()


def test_token_create_prints_a_kiosk_token_alone_that_issues_tickets(
    cli_env: Path, store: Store, clock: FrozenClock, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)

    token = _token(capsys, "--role", "kiosk", "--hall", "t1", "--name", "大厅1号机")
    response = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(token))

    assert token.startswith("hq_")
    assert response.status_code == 201


def test_token_create_for_staff_binds_the_window(
    cli_env: Path, store: Store, clock: FrozenClock, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)

    token = _token(capsys, "--role", "staff", "--hall", "t1", "--window", "2", "--user", "u2")
    own = client.post("/api/v1/halls/t1/windows/2/call-next", headers=bearer(token))
    other = client.post("/api/v1/halls/t1/windows/1/call-next", headers=bearer(token))

    assert own.status_code == 204
    assert (other.status_code, other.get_json()["code"]) == (403, "window_not_assigned")


def test_token_create_for_an_unknown_hall_exits_2_with_title_and_detail(
    cli_env: Path, store: Store, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)
    with store.read_session() as s:
        tokens_before = s.scalar(select(func.count()).select_from(ApiToken))

    code = main(["token", "create", "--role", "kiosk", "--hall", "nope"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.strip().endswith("Hall not found: There is no hall nope.")
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == tokens_before


def test_token_create_for_another_halls_staff_member_exits_2(
    cli_env: Path, store: Store, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)

    code = main(["token", "create", "--role", "manager", "--hall", "t2", "--user", "m1"])  # m1 manages t1

    assert code == 2
    assert "Staff member not found" in capsys.readouterr().err


def test_demo_twice_loads_once_and_keeps_the_credentials_private(
    cli_env: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    def counts() -> tuple[int, ...]:
        with store.read_session() as s:
            return tuple(int(s.scalar(select(func.count()).select_from(m)) or 0)
                         for m in (Hall, Service, Window, Staff, ApiToken))

    assert main(["demo"]) == 0
    first = counts()
    credentials = (cli_env / DEMO_CREDENTIALS).read_text()
    assert main(["demo"]) == 0

    assert counts() == first
    assert (cli_env / DEMO_CREDENTIALS).read_text() == credentials
    assert "already loaded" in capsys.readouterr().err
    halls, services, windows, _, _ = first
    assert halls == 2 and services >= 30 and windows >= 20
    assert stat.S_IMODE((cli_env / DEMO_CREDENTIALS).stat().st_mode) == 0o600


def test_demo_kiosk_token_issues_in_the_demo_hall(
    cli_env: Path, client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    kiosk = next(line.split()[-1] for line in (cli_env / DEMO_CREDENTIALS).read_text().splitlines()
                 if line.startswith("kiosk token:"))
    service = client.get("/api/v1/halls/cxz/services").get_json()[0]["code"]

    response = client.post("/api/v1/halls/cxz/tickets", json={"service": service}, headers=bearer(kiosk))

    assert response.status_code == 201, response.get_data(as_text=True)


def test_user_create_then_a_token_acting_as_that_user_issues_tickets(
    cli_env: Path, store: Store, clock: FrozenClock, client: Any, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    basic_hall(store, clock)
    monkeypatch.setenv("HALLQ_PASSWORD", "long-enough-pw")

    assert main(["user", "create", "--user", "u9", "--name", "张三", "--role", "staff", "--hall", "t1"]) == 0
    token = _token(capsys, "--role", "staff", "--hall", "t1", "--window", "1", "--user", "u9")
    response = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(token))

    assert response.status_code == 201
    assert response.get_json()["channel"] == "staff"


def test_user_create_twice_exits_1_with_a_message_not_a_traceback(
    cli_env: Path, store: Store, clock: FrozenClock, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    basic_hall(store, clock)
    monkeypatch.setenv("HALLQ_PASSWORD", "long-enough-pw")
    assert main(["user", "create", "--user", "u9", "--role", "staff", "--hall", "t1"]) == 0
    capsys.readouterr()

    code = main(["user", "create", "--user", "u9", "--role", "staff", "--hall", "t1"])

    assert code == 1
    assert capsys.readouterr().err.strip() == "user u9 already exists"
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Staff).where(Staff.user_no == "u9")) == 1
