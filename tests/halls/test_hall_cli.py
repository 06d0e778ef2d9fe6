"""`hallq hall …` from an operator's shell: a hall from nothing, renamed and retired, and its whole set-up taken
out to one workbook and put into another hall (another database), checked cell by cell, all or nothing."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from queue_server import engine
from queue_server.cli.main import main
from queue_server.clock import SystemClock
from queue_server.provisioning.importing import NO_PASSWORD
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import Window
from queue_server.storage.runtime import Runtime
from queue_server.storage.schema import metadata
from queue_server.storage.store import Store
from tests.halls.workbooks import contents
from tests.halls.workbooks import edit

TIMEZONE = "Asia/Shanghai"


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HALLQ_DATABASE_URL", database_url)
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("HALLQ_SECRET_KEY", raising=False)
    return database_url


def wipe(database_url: str, sqlite_template: Path) -> None:
    """Make the test's database a fresh, migrated, empty one (the operator's second site)."""
    if database_url.startswith("sqlite"):
        shutil.copy(sqlite_template, database_url.removeprefix("sqlite:///"))
        return
    eng = create_engine(database_url)
    with eng.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(t.name for t in metadata.sorted_tables)} RESTART IDENTITY CASCADE"))
    eng.dispose()


def hallq(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def demo_with_every_sheet(store: Store) -> None:
    """The demo hall plus what the demo lacks: a slot quota, a service's own hours, a holiday and a 调休 day, an
    inactive department and a deactivated clerk, so every sheet of the workbook carries rows."""
    rt = Runtime(store, SystemClock())
    rt.execute(engine.update_service, hall="cxz", service_code=_first_service(store), changes={
        "slot_quotas": [{"start": "09:00", "end": "10:00", "limit": 20}],
        "opening_hours": {"1": [["09:00", "12:00"]], "3": [["09:00", "12:00"], ["14:00", "16:00"]]},
        "daily_cap": 120}, actor="test")
    rt.execute(engine.set_calendar_day, hall="cxz", day=date(2026, 10, 1), kind="holiday", name="国庆节",
               actor="test")
    rt.execute(engine.set_calendar_day, hall="cxz", day=date(2026, 10, 11), kind="workday", name="国庆调休",
               actor="test")
    rt.execute(engine.create_department, hall="cxz", code="old", name="已撤并部门", actor="test")
    rt.execute(engine.update_department, hall="cxz", code="old", changes={"active": False}, actor="test")
    rt.execute(engine.update_staff, hall="cxz", user_no="cx1024", changes={"active": False}, password_hash=None,
               actor="test")


def _first_service(store: Store) -> str:
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "cxz"))
        assert hall is not None
        return str(s.scalar(select(Service.code).where(Service.hall_id == hall.id).order_by(Service.id).limit(1)))


def test_hall_create_prints_nothing_and_makes_an_empty_hall_that_no_account_opens(
    cli_env: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = hallq(capsys, "hall", "create", "--code", "yml", "--name", "元谋县政务服务中心",
                           "--timezone", TIMEZONE)

    assert (code, out, err) == (0, "", "")
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "yml"))
        assert hall is not None and hall.name == "元谋县政务服务中心" and hall.timezone == TIMEZONE
        assert s.scalar(select(func.count()).select_from(Service).where(Service.hall_id == hall.id)) == 0
        assert s.scalar(select(func.count()).select_from(Staff)) == 0
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.hall_id == hall.id)) == "hall.create"


@pytest.mark.parametrize(("args", "says"), [
    (["--code", "Bad Code", "--name", "x", "--timezone", TIMEZONE], "Bad hall code"),
    (["--code", "halls", "--name", "x", "--timezone", TIMEZONE], "Bad hall code"),
    (["--code", "ok", "--name", "x", "--timezone", "Mars/Olympus"], "Unknown time zone"),
    (["--code", "ok", "--name", "  ", "--timezone", TIMEZONE], "Name required"),
])
def test_hall_create_refuses_with_one_line_and_creates_nothing(
    cli_env: str, store: Store, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, out, err = hallq(capsys, "hall", "create", *args)

    assert code == 2 and out == ""
    assert err.startswith(says) and err.count("\n") == 1
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Hall)) == 0


def test_a_second_hall_with_the_same_code_is_refused(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert hallq(capsys, "hall", "create", "--code", "yml", "--name", "元谋", "--timezone", TIMEZONE)[0] == 0

    code, _, err = hallq(capsys, "hall", "create", "--code", "yml", "--name", "又一个", "--timezone", TIMEZONE)

    assert code == 2 and "yml" in err


def test_rename_then_retire_stops_issuing_and_keeps_history(
    cli_env: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    with store.read_session() as s:
        tickets_before = s.scalar(select(func.count()).select_from(Ticket))

    assert hallq(capsys, "hall", "rename", "--hall", "lfs", "--name", "禄丰市民服务中心") == (0, "", "")
    assert hallq(capsys, "hall", "retire", "--hall", "lfs") == (0, "", "")
    assert hallq(capsys, "hall", "retire", "--hall", "lfs") == (0, "", "")  # twice changes nothing

    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "lfs"))
        assert hall is not None and hall.name == "禄丰市民服务中心" and hall.retired_at is not None
        assert s.scalar(select(func.count()).select_from(Window).where(Window.hall_id == hall.id)) > 0
        assert s.scalar(select(func.count()).select_from(Ticket)) == tickets_before
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.hall_id == hall.id)
                                 .order_by(AuditEntry.id)))
        assert actions[-2:] == ["hall.rename", "hall.retire"]
        service = s.scalar(select(Service.code).where(Service.hall_id == hall.id).limit(1))
    with pytest.raises(Exception) as refused:
        Runtime(store, SystemClock()).execute(engine.issue_ticket, hall="lfs", service_code=service)
    assert getattr(refused.value, "code", "") == "hall_retired"


def test_demo_hall_exported_imported_into_a_fresh_database_exports_the_same_workbook(
    cli_env: str, store: Store, sqlite_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    demo_with_every_sheet(store)
    first, second = tmp_path / "cxz.xlsx", tmp_path / "again.xlsx"
    assert hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(first)) == (0, "", "")
    store.dispose()
    wipe(cli_env, sqlite_template)

    assert hallq(capsys, "hall", "create", "--code", "cxz", "--name", "楚雄州政务服务中心",
                 "--timezone", TIMEZONE)[0] == 0
    code, _, err = hallq(capsys, "hall", "import", "--hall", "cxz", str(first))
    assert code == 0, err
    assert hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(second))[0] == 0

    exported = contents(first)
    assert contents(second) == exported
    rows = {title: len(lines) - 1 for title, lines in exported.items()}  # minus the header
    assert rows["事项"] == 30 and rows["窗口"] == 24 and rows["办事指南"] == 30
    assert rows["工作人员"] == 26 and rows["时段限额"] == 1 and rows["节假日"] == 2
    assert rows["开放时间"] == 14  # the hall's seven days and the one service's own seven
    assert rows["网上预约"] == 30  # three bookable services, two blocks on each of five weekdays


def test_importing_the_same_workbook_twice_changes_nothing_the_second_time(
    cli_env: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    book = tmp_path / "cxz.xlsx"
    hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(book))
    # The same hall from its own workbook, and then an edited copy twice: only the first import of it writes.
    edit(book, "事项", 2, "事项名称", "改过名的事项")
    code, _, err = hallq(capsys, "hall", "import", "--hall", "cxz", str(book))
    assert code == 0 and "事项 修改 1" in err
    with store.read_session() as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
        events = s.scalar(select(func.count()).select_from(HallEvent))

    code, _, err = hallq(capsys, "hall", "import", "--hall", "cxz", str(book))

    assert code == 0 and err == "cxz: changed: nothing\n"
    with store.read_session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        assert s.scalar(select(func.count()).select_from(HallEvent)) == events


def test_dry_run_reports_what_would_change_and_writes_nothing(
    cli_env: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    book = tmp_path / "cxz.xlsx"
    hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(book))
    hallq(capsys, "hall", "create", "--code", "new", "--name", "新大厅", "--timezone", TIMEZONE)
    # Staff 工号 are unique across halls: the copy gets its own.
    for row in range(2, 28):
        edit(book, "工作人员", row, "工号", f"n{row}")
    with store.read_session() as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))

    code, _, err = hallq(capsys, "hall", "import", "--hall", "new", str(book), "--dry-run")

    assert code == 0
    assert "would change" in err and "事项 新增 30" in err and "窗口 新增 24" in err and "工作人员 新增 26" in err
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "new"))
        assert hall is not None
        assert s.scalar(select(func.count()).select_from(Service).where(Service.hall_id == hall.id)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits


def test_bad_cells_are_each_reported_with_sheet_row_column_and_a_chinese_reason_and_nothing_is_written(
    cli_env: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    book = tmp_path / "cxz.xlsx"
    hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(book))
    hallq(capsys, "hall", "create", "--code", "new", "--name", "新大厅", "--timezone", TIMEZONE)
    for row in range(2, 28):
        edit(book, "工作人员", row, "工号", f"n{row}")
    edit(book, "事项", 2, "号码前缀", "a1")
    edit(book, "事项", 3, "结束号", "九百")
    edit(book, "事项", 4, "部门编码", "nodept")
    edit(book, "事项", 5, "在用", "也许")
    edit(book, "窗口", 3, "窗口名称", None)
    edit(book, "窗口事项", 2, "事项编码", "nosuch")
    edit(book, "工作人员", 2, "角色", "超级管理员")
    edit(book, "节假日", 1, "日期", "日期")  # the header stays; a bad date goes into a new row below
    sheet = load_workbook(book)
    sheet["节假日"].append(["2026-13-01", "节假日", "错的日期"])
    sheet.save(book)

    code, out, err = hallq(capsys, "hall", "import", "--hall", "new", str(book))

    assert code == 3 and out == ""
    assert err.splitlines() == [
        "事项 第2行 号码前缀：号票前缀须为 1 到 4 个大写字母 A–Z（数字会与号码混淆）。",
        "事项 第3行 结束号：“九百”不是整数",
        "事项 第4行 部门编码：大厅 new 没有部门 nodept。",
        "事项 第5行 在用：应填写“是”或“否”，不是“也许”",
        "节假日 第2行 日期：日期“2026-13-01”不正确，应为 2026-10-01 这样的格式",
        "窗口 第3行 窗口名称：必填，不能为空",
        "窗口事项 第2行 事项编码：事项编码“nosuch”不存在",
        "工作人员 第2行 角色：“超级管理员”不是可选的值（窗口人员、大厅管理员、查看人员）",
    ]
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "new"))
        assert hall is not None
        assert s.scalar(select(func.count()).select_from(Service).where(Service.hall_id == hall.id)) == 0
        assert s.scalar(select(func.count()).select_from(Staff).where(Staff.hall_id == hall.id)) == 0


def test_a_file_that_is_not_a_workbook_is_one_line_and_exit_2(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "hall", "create", "--code", "new", "--name", "新大厅", "--timezone", TIMEZONE)
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")

    code, _, err = hallq(capsys, "hall", "import", "--hall", "new", str(junk))

    assert code == 2 and err.startswith("Not a hall workbook") and err.count("\n") == 1


def test_template_has_chinese_sheets_and_headers_and_imports_as_nothing(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "hall", "create", "--code", "new", "--name", "新大厅", "--timezone", TIMEZONE)
    blank = tmp_path / "template.xlsx"

    assert hallq(capsys, "hall", "template", "--output", str(blank)) == (0, "", "")

    book = contents(blank)
    assert list(book) == ["说明", "部门", "优先类别", "事项", "时段限额", "开放时间", "网上预约", "节假日", "窗口",
                          "窗口事项", "工作人员", "办事指南"]
    assert book["事项"][0][:5] == ["事项编码", "事项名称", "号码前缀", "起始号", "结束号"]
    assert book["工作人员"] == [["工号", "姓名", "角色", "在用"]]  # no password column
    assert book["网上预约"][0][:6] == ["事项编码", "星期", "开始时间", "结束时间", "每段分钟", "每段人数"]
    assert hallq(capsys, "hall", "import", "--hall", "new", str(blank))[0] == 0


def test_imported_accounts_have_no_password_until_the_operator_sets_one(
    cli_env: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hallq(capsys, "demo")
    book = tmp_path / "cxz.xlsx"
    hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(book))
    hallq(capsys, "hall", "create", "--code", "new", "--name", "新大厅", "--timezone", TIMEZONE)
    for row in range(2, 28):
        edit(book, "工作人员", row, "工号", f"n{row}")
    assert hallq(capsys, "hall", "import", "--hall", "new", str(book))[0] == 0
    with store.read_session() as s:
        hashes = set(s.scalars(select(Staff.password_hash).where(Staff.user_no.like("n%"))))
    assert hashes == {NO_PASSWORD}

    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("a-long-enough-password\n"))
    assert hallq(capsys, "user", "password", "--user", "n2", "--password-stdin")[0] == 0

    with store.read_session() as s:
        staff = s.scalar(select(Staff).where(Staff.user_no == "n2"))
        assert staff is not None and staff.password_hash != NO_PASSWORD


def test_a_service_name_that_looks_like_a_formula_is_exported_as_text(
    cli_env: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    code = _first_service(store)
    Runtime(store, SystemClock()).execute(engine.update_service, hall="cxz", service_code=code,
                                          changes={"name": '=HYPERLINK("http://x","点我")'}, actor="test")
    book = tmp_path / "cxz.xlsx"

    hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(book))

    cell = load_workbook(book)["事项"]["B2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x","点我")'




def test_a_control_character_stored_in_a_name_does_not_stop_the_export(
    cli_env: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    code = _first_service(store)
    Runtime(store, SystemClock()).execute(engine.update_service, hall="cxz", service_code=code,
                                          changes={"name": "婚姻\x01登记"}, actor="test")
    book = tmp_path / "cxz.xlsx"

    assert hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(book)) == (0, "", "")

    assert load_workbook(book)["事项"]["B2"].value == "婚姻登记"


def test_a_booking_plan_edited_in_the_workbook_is_imported_and_a_bad_one_names_its_cell(
    cli_env: str, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hallq(capsys, "demo")
    book = tmp_path / "cxz.xlsx"
    hallq(capsys, "hall", "export", "--hall", "cxz", "--output", str(book))
    edit(book, "网上预约", 2, "每段人数", 6)  # qysl's Monday morning block

    code, _, err = hallq(capsys, "hall", "import", "--hall", "cxz", str(book))

    assert code == 0, err
    with store.read_session() as s:
        # Every county hall of the demo has a qysl too; only cxz's was edited.
        plan = s.scalar(select(Service.booking).join(Hall, Hall.id == Service.hall_id)
                        .where(Hall.code == "cxz", Service.code == "qysl"))
        assert plan["days"]["1"][0]["capacity"] == 6 and plan["days"]["2"][0]["capacity"] == 4

    edit(book, "网上预约", 2, "每段分钟", 1)  # a one-minute slot is a typo
    code, _, err = hallq(capsys, "hall", "import", "--hall", "cxz", str(book))
    assert code == 3 and err.startswith("网上预约 第2行") and "预约设置" in err
