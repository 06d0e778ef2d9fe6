"""/api/v1/halls over real HTTP (a `hallq serve` process on the test's database): an admin creates, renames and
retires halls; a hall's workbook is downloaded and uploaded (dry run, refused with its cells, written, written
again for nothing); a hall's manager may import its own hall but not create halls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.demo.halls import load_demo
from queue_server.queries import snapshots
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.store import Store
from tests.halls.workbooks import contents
from tests.halls.workbooks import edit
from tests.live import LiveServer
from tests.live import start_server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def live(database_url: str, store: Store, tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """The demo halls, an admin token and cxz's manager token, and a server."""
    with store.transaction() as s:
        creds = load_demo(s, SystemClock().now())
        assert creds is not None
        admin = mint_token(s, SystemClock().now(), role=Role.ADMIN, hall=None)
    server = start_server(database_url, tmp_path / "instance")
    yield server, {"admin": admin, "manager": creds.manager_token}
    server.stop()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_creates_renames_and_retires_a_hall_and_a_retired_hall_issues_nothing(
    live: tuple[LiveServer, dict[str, str]], store: Store
) -> None:
    server, tokens = live
    admin = _auth(tokens["admin"])

    made = requests.post(f"{server.url}/api/v1/halls", json={"code": "yml", "name": "元谋县政务服务中心",
                                                              "timezone": "Asia/Shanghai"}, headers=admin, timeout=10)
    renamed = requests.patch(f"{server.url}/api/v1/halls/yml", json={"name": "元谋县民服务中心"}, headers=admin,
                             timeout=10)
    retired = requests.post(f"{server.url}/api/v1/halls/lfs/retire", headers=admin, timeout=10)
    listed = requests.get(f"{server.url}/api/v1/halls", headers=admin, timeout=10).json()["halls"]
    with store.read_session() as s:
        lfs = snapshots.hall_by_code(s, "lfs")
        service = s.scalar(select(Service.code).where(Service.hall_id == lfs.id).limit(1))
    issued = requests.post(f"{server.url}/api/v1/halls/lfs/tickets", json={"service": service}, headers=admin,
                           timeout=10)

    assert made.status_code == 201 and made.json()["code"] == "yml" and made.json()["retired"] is False
    assert renamed.status_code == 200 and renamed.json()["name"] == "元谋县民服务中心"
    assert retired.status_code == 200 and retired.json()["retired"] is True
    assert {h["code"]: h["retired"] for h in listed} == {"cxz": False, "lfs": True, "yml": False}
    assert issued.status_code == 409 and issued.json()["code"] == "hall_retired"


def test_a_halls_manager_may_import_its_hall_but_not_create_or_retire_halls(
    live: tuple[LiveServer, dict[str, str]]
) -> None:
    server, tokens = live
    manager = _auth(tokens["manager"])

    made = requests.post(f"{server.url}/api/v1/halls", json={"code": "x", "name": "x", "timezone": "Asia/Shanghai"},
                         headers=manager, timeout=10)
    retired = requests.post(f"{server.url}/api/v1/halls/cxz/retire", headers=manager, timeout=10)
    other = requests.get(f"{server.url}/api/v1/halls/lfs/setup.xlsx", headers=manager, timeout=10)
    own = requests.get(f"{server.url}/api/v1/halls/cxz/setup.xlsx", headers=manager, timeout=10)
    listed = requests.get(f"{server.url}/api/v1/halls", headers=manager, timeout=10).json()["halls"]

    assert (made.status_code, retired.status_code, other.status_code) == (403, 403, 403)
    assert own.status_code == 200 and own.headers["Content-Type"] == XLSX
    assert [h["code"] for h in listed] == ["cxz"]


def test_workbook_upload_checks_every_cell_writes_all_or_nothing_and_twice_changes_nothing(
    live: tuple[LiveServer, dict[str, str]], store: Store, tmp_path: Path
) -> None:
    server, tokens = live
    admin = _auth(tokens["admin"])
    book = tmp_path / "cxz.xlsx"
    book.write_bytes(requests.get(f"{server.url}/api/v1/halls/cxz/setup.xlsx", headers=admin, timeout=10).content)
    requests.post(f"{server.url}/api/v1/halls", json={"code": "new", "name": "新大厅", "timezone": "Asia/Shanghai"},
                  headers=admin, timeout=10)
    for row in range(2, 28):
        edit(book, "工作人员", row, "工号", f"n{row}")
    bad = edit(book, "事项", 2, "号码前缀", "a1", out=tmp_path / "bad.xlsx")
    edit(bad, "窗口", 5, "窗口号", "五")
    upload = {**admin, "Content-Type": XLSX}
    url = f"{server.url}/api/v1/halls/new/setup.xlsx"

    refused = requests.put(url, data=bad.read_bytes(), headers=upload, timeout=60)
    dry = requests.put(f"{url}?dry_run=true", data=book.read_bytes(), headers=upload, timeout=60)
    with store.read_session() as s:
        after_dry = s.scalar(select(func.count()).select_from(Service).where(
            Service.hall_id == snapshots.hall_by_code(s, "new").id))
    done = requests.put(url, data=book.read_bytes(), headers=upload, timeout=60)
    with store.read_session() as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
    again = requests.put(url, data=book.read_bytes(), headers=upload, timeout=60)
    exported = requests.get(url, headers=admin, timeout=10).content

    assert refused.status_code == 422 and refused.json()["code"] == "setup_invalid"
    assert refused.json()["cells"] == [
        {"sheet": "事项", "row": 2, "column": "号码前缀",
         "reason": "号票前缀须为 1 到 4 个大写字母 A–Z（数字会与号码混淆）。"},
        {"sheet": "窗口", "row": 5, "column": "窗口号", "reason": "“五”不是整数"},
    ]
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["created"]["事项"] == 30
    assert after_dry == 0
    assert done.status_code == 200 and done.json()["created"]["窗口"] == 24 and done.json()["changed"] is True
    assert again.status_code == 200 and again.json()["changed"] is False
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
    got, sent = contents(exported), contents(book)
    # The export lists accounts by 工号 (as text: n10 before n2); the rows themselves are the ones sent.
    assert sorted(got.pop("工作人员")) == sorted(sent.pop("工作人员"))
    assert got == sent


def test_blank_template_downloads_with_chinese_headers(live: tuple[LiveServer, dict[str, str]]) -> None:
    server, tokens = live

    got = requests.get(f"{server.url}/api/v1/setup-template.xlsx", headers=_auth(tokens["manager"]), timeout=10)

    assert got.status_code == 200 and got.headers["Content-Type"] == XLSX
    assert contents(got.content)["窗口"] == [["窗口号", "窗口名称", "区域"]]
