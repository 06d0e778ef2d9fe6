"""`hallq backup` / `hallq restore` round trips on SQLite (online backup API) and PostgreSQL (pg_dump), and
`hallq retention` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from queue_server import engine
from queue_server.cli.main import main
from queue_server.clock import FrozenClock
from queue_server.storage.models import Ticket
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from tests.factories import basic_hall
from tests.realtime.server import make_server


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    instance = tmp_path / "cli-instance"
    monkeypatch.setenv("HALLQ_DATABASE_URL", database_url)
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(instance))
    return instance


def issue(database_url: str, clock: FrozenClock, n: int) -> list[str]:
    store = make_store(database_url)
    try:
        runtime = Runtime(store, clock)
        return [runtime.execute(engine.issue_ticket, hall="t1", service_code="a").value.ticket.ticket_no
                for _ in range(n)]
    finally:
        store.dispose()


def ticket_numbers(database_url: str) -> list[str]:
    store = make_store(database_url)
    try:
        with store.read_session() as s:
            return list(s.scalars(select(Ticket.ticket_no).order_by(Ticket.id)))
    finally:
        store.dispose()


def test_restore_brings_back_the_backed_up_day_and_numbering_goes_on_from_it(
    cli_env: Path, database_url: str, store: Store, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)
    store.dispose()
    issue(database_url, clock, 3)
    capsys.readouterr()
    assert main(["backup"]) == 0
    path = Path(capsys.readouterr().out.strip())
    issue(database_url, clock, 2)  # issued after the backup: lost by the restore, as the operator chose

    assert main(["restore", str(path), "--yes"]) == 0

    assert ticket_numbers(database_url) == ["A001", "A002", "A003"]
    assert issue(database_url, clock, 1) == ["A004"]
    assert path.parent == cli_env / "backups" and path.stat().st_size > 0


def test_restore_without_yes_changes_nothing_and_a_backup_never_overwrites(
    cli_env: Path, database_url: str, store: Store, clock: FrozenClock, tmp_path: Path,
    capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)
    store.dispose()
    issue(database_url, clock, 1)
    target = tmp_path / ("b.db" if database_url.startswith("sqlite") else "b.dump")
    assert main(["backup", "--output", str(target)]) == 0
    issue(database_url, clock, 1)
    size = target.stat().st_size

    refused_restore = main(["restore", str(target)])
    refused_backup = main(["backup", "--output", str(target)])

    assert (refused_restore, refused_backup) == (1, 1)
    assert ticket_numbers(database_url) == ["A001", "A002"]
    assert target.stat().st_size == size
    assert "--yes" in capsys.readouterr().err


def test_a_backup_of_the_other_database_kind_is_refused(
    cli_env: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = tmp_path / "foreign"
    foreign.write_bytes(b"PGDMP..." if database_url.startswith("sqlite") else b"SQLite format 3\x00...")

    assert main(["restore", str(foreign), "--yes"]) == 1
    assert "restore failed" in capsys.readouterr().err


def test_retention_command_refuses_an_audit_period_under_six_months(
    cli_env: Path, store: Store, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    basic_hall(store, clock)

    refused = main(["retention", "--audit-days", "100"])
    done = main(["retention", "--days", "30"])

    assert (refused, done) == (1, 0)
    err = capsys.readouterr().err
    assert "183" in err and "hall t1: anonymised before 30 d" in err


def test_restore_refuses_while_a_server_serves_the_database_and_goes_ahead_once_it_stopped(
    cli_env: Path, database_url: str, store: Store, clock: FrozenClock, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A restore under a running server would hand its displays a history that went backwards; the operator is
    told to stop the servers instead."""
    basic_hall(store, clock)
    store.dispose()
    assert main(["backup"]) == 0
    path = Path(capsys.readouterr().out.strip())
    server = make_server(database_url, tmp_path / "serving").start()
    try:
        refused = main(["restore", str(path), "--yes"])
        said = capsys.readouterr().err
    finally:
        server.stop()

    assert refused == 1
    assert "stop every server process" in said
    assert main(["restore", str(path), "--yes"]) == 0


def test_a_new_database_file_and_its_backups_are_readable_by_their_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "site" / "hallq.db"
    monkeypatch.setenv("HALLQ_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(tmp_path / "instance"))

    assert main(["init"]) == 0
    assert main(["backup"]) == 0
    backup = Path(capsys.readouterr().out.strip())

    files = [db, *(p for p in (Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()), backup,
             tmp_path / "instance" / "secret_key"]
    assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {f.name: "0o600" for f in files}
