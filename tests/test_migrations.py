"""Migrations: an empty database upgraded to head matches the models exactly (autogenerate finds nothing), on
SQLite and PostgreSQL; `hallq init` is safe to run again on a database that already holds data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from queue_server import migrate
from queue_server.cli import main
from queue_server.models import Hall
from queue_server.store import make_store
from tests.conftest import ON_CI
from tests.conftest import postgres_url
from tests.factories import hall


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all (the shared test databases are migrated already)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL suite off: set HALLQ_TEST_POSTGRES_URL (the .ci/run script does)")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"hallq_migrate_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means the same thing here
        admin.dispose()
        pytest.fail(f"PostgreSQL not reachable: {exc}") if ON_CI else pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrading_an_empty_database_to_head_matches_the_models(empty_database: str) -> None:
    store = make_store(empty_database)
    try:
        migrate.upgrade(store.writer)

        assert migrate.pending_differences(store.writer) == []
    finally:
        store.dispose()


def test_hallq_init_twice_is_safe_and_keeps_the_data(
    empty_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLQ_DATABASE_URL", empty_database)
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(tmp_path / "instance"))

    assert main(["init"]) == 0
    store = make_store(empty_database)
    try:
        with store.transaction() as s:
            hall(s, "kept")
        assert main(["init"]) == 0

        with store.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Hall).where(Hall.code == "kept")) == 1
        assert migrate.pending_differences(store.writer) == []
    finally:
        store.dispose()
