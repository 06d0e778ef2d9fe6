"""Fixtures of the realtime suite: a migrated SQLite file with hall t1 and a live server on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_server.clock import SystemClock
from queue_server.storage.store import make_store
from tests import factories
from tests.realtime.server import Server
from tests.realtime.server import make_server


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
def tokens(hall_db: tuple[str, factories.BasicHall]) -> factories.BasicHall:
    return hall_db[1]


@pytest.fixture
def server(hall_db: tuple[str, factories.BasicHall], tmp_path: Path) -> Iterator[Server]:
    srv = make_server(hall_db[0], tmp_path / "instance").start()
    yield srv
    srv.stop()
