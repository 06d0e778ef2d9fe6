"""The `hallq` command line: tokens that work against the API, an idempotent demo, errors as `title: detail`."""

from __future__ import annotations

import io
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
from tests.manager.console_client import ManagerConsole
from tests.staff.console_client import csrf_from


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


def test_init_alone_gives_an_instance_where_no_account_exists(
    cli_env: Path, store: Store, app: Any
) -> None:
    assert main(["init"]) == 0

    with store.read_session() as s:
        accounts = s.scalar(select(func.count()).select_from(Staff))
    admin = app.test_client()
    token = csrf_from(admin.get("/manager/login").get_data(as_text=True))
    tried = admin.post("/manager/login", data={"csrf_token": token, "user_no": "admin", "password": "admin"})

    assert accounts == 0
    assert tried.status_code != 302  # nothing to sign in as: no default password works


def test_passwords_come_from_stdin_are_never_printed_and_a_new_one_ends_the_old(
    cli_env: Path, store: Store, clock: FrozenClock, app: Any, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    basic_hall(store, clock)
    monkeypatch.setattr("sys.stdin", io.StringIO("first-password-1\n"))
    assert main(["user", "create", "--user", "mgr9", "--role", "manager", "--hall", "t1", "--password-stdin"]) == 0
    console = ManagerConsole(app.test_client())
    assert console.login("mgr9", "first-password-1").status_code == 302

    monkeypatch.setattr("sys.stdin", io.StringIO("second-password-2\n"))
    assert main(["user", "password", "--user", "mgr9", "--password-stdin"]) == 0
    printed = capsys.readouterr()

    assert "password" not in printed.out and "first-password" not in printed.err + printed.out
    assert "second-password" not in printed.err + printed.out
    assert console.call("GET", "/halls/t1/monitor").status_code == 401  # the old session ended
    assert ManagerConsole(app.test_client()).login("mgr9", "first-password-1").status_code != 302
    assert ManagerConsole(app.test_client()).login("mgr9", "second-password-2").status_code == 302


def test_user_deactivate_stops_an_account_at_once(
    cli_env: Path, store: Store, clock: FrozenClock, app: Any
) -> None:
    basic_hall(store, clock)
    console = ManagerConsole(app.test_client())
    console.login("m1")

    assert main(["user", "deactivate", "--user", "m1"]) == 0

    assert console.call("GET", "/halls/t1/monitor").status_code == 401
    assert ManagerConsole(app.test_client()).login("m1").status_code != 302


def test_a_command_run_without_the_sites_settings_creates_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HALLQ_DATABASE_URL", raising=False)
    monkeypatch.delenv("HALLQ_INSTANCE_PATH", raising=False)
    monkeypatch.chdir(tmp_path)

    code = main(["token", "create", "--role", "kiosk", "--hall", "cxz"])

    assert code == 2
    assert "hallq init" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # no ./instance, no database file, no secret key
