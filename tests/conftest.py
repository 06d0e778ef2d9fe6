"""Shared fixtures: a real database per test (SQLite always; PostgreSQL when configured), a frozen clock,
a runtime with a recording publisher, and the Flask app and client on top.

PostgreSQL runs when HALLQ_TEST_POSTGRES_URL is set (`.ci/run` sets it). With CI=true a configured-but-missing
server fails the run instead of skipping, so CI can never go green without the PostgreSQL suite.
"""

from __future__ import annotations

import compileall
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import Protocol

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from queue_server.clock import FrozenClock
from queue_server.events import Envelope
from queue_server.settings import Settings
from queue_server.settings import normalise_database_url
from queue_server.storage import migrate
from queue_server.storage.runtime import Runtime
from queue_server.storage.schema import metadata
from queue_server.storage.store import Store
from queue_server.storage.store import make_store

# Monday 2 March 2026, 09:00 in Asia/Shanghai: a normal working morning.
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ON_CI = os.environ.get("CI", "").lower() == "true"


# Offline voice needs Debian's espeak-ng (`make test` installs it). Off CI a missing one skips; on CI it must
# fail, or a machine without it would go green without ever rendering an announcement.
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None and not ON_CI,
                                  reason="espeak-ng is not installed (apt install espeak-ng)")


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile the project once per run, before any test starts a process of it. Where the environment forbids
    writing bytecode (PYTHONDONTWRITEBYTECODE is set on the CI machine) every server, CLI command and print agent the
    tests start otherwise compiled the project's ~150 modules from source again: ~0.8 s of CPU per process, of
    ~3.5 s. Python still reads bytecode it did not write, and recompiles a module whose source changed."""
    root = Path(__file__).resolve().parent.parent
    for package in ("queue_server", "kiosk", "display", "bench"):
        compileall.compile_dir(root / package, quiet=1)


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """A CLI or the print agent run in-process points the root logger at the stderr of that moment, which pytest
    closes after the test; a later test would then log into a closed stream and see logging's traceback."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def postgres_url() -> str | None:
    url = os.environ.get("HALLQ_TEST_POSTGRES_URL")
    if url:
        return normalise_database_url(url)
    if ON_CI:
        pytest.fail("CI=true but HALLQ_TEST_POSTGRES_URL is not set: the PostgreSQL suite must run on CI")
    return None


def redis_url() -> str | None:
    url = os.environ.get("HALLQ_TEST_REDIS_URL")
    if not url and ON_CI:
        pytest.fail("CI=true but HALLQ_TEST_REDIS_URL is not set: the Redis suite must run on CI")
    return url or None


def required_redis_url() -> str:
    """The Redis suite's server for a test that cannot run without it: skipped when the suite is off (and, through
    redis_url, a failure on CI)."""
    url = redis_url()
    if url is None:
        pytest.skip(reason="Redis suite off: set HALLQ_TEST_REDIS_URL (the .ci/run script does)")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (migrating per test would dominate the run time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    store = make_store(f"sqlite:///{path}")
    migrate.upgrade(store.writer)
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own for this pytest session (several runs may share the server), migrated once."""
    url = postgres_url()
    if url is None:
        pytest.skip(reason="PostgreSQL suite off: set HALLQ_TEST_POSTGRES_URL (the .ci/run script does)")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"hallq_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means the same thing here
        pytest.fail(f"PostgreSQL at {url} is not reachable: {exc}") if ON_CI else pytest.skip(reason=
            f"PostgreSQL not reachable: {exc}")
    db_url = make_url(url).set(database=name).render_as_string(hide_password=False)
    store = make_store(db_url)
    migrate.upgrade(store.writer)
    store.dispose()
    yield db_url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for one test, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "hallq.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = make_store(database_url)
    yield s
    s.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


class Recorder:
    """The publisher tests use: it keeps what the runtime published, in order."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    def __call__(self, envelopes: Sequence[Envelope]) -> None:
        self.envelopes.extend(envelopes)

    def types(self) -> list[str]:
        return [e.type for e in self.envelopes]


@pytest.fixture
def published() -> Recorder:
    return Recorder()


@pytest.fixture
def runtime(store: Store, clock: FrozenClock, published: Recorder) -> Runtime:
    return Runtime(store, clock, published)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return Settings(instance_path=instance, database_url=database_url, redis_url=None,
                    secret_key="test-secret-" + uuid.uuid4().hex)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, published: Recorder) -> Any:
    from queue_server.app import create_app

    application = create_app(settings, clock=clock, publish=published)
    application.config["TESTING"] = True
    yield application
    application.extensions["hallq"].store.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


CHROMIUM = os.environ.get("HALLQ_TEST_CHROMIUM", "/usr/bin/chromium")


class _Stoppable(Protocol):
    def stop(self) -> None: ...


def stop_after_pages(browser: Any, server: _Stoppable) -> None:
    """A browser test's teardown: close its pages, then stop its server. Pages are fixtures too and would close
    after the server; one still open keeps kept-alive connections, which a stopping server serves for gunicorn's
    2 s linger: 2 s of each browser test. A test about stopping under open pages stops the server itself."""
    for context in browser.contexts:
        context.close()
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run: Playwright's sync API allows one driver per thread at a time."""
    if not Path(CHROMIUM).exists():
        if ON_CI:
            pytest.fail(f"CI=true but {CHROMIUM} is missing: the browser suite must run on CI")
        pytest.skip(reason=f"no Chromium at {CHROMIUM} (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--autoplay-policy=no-user-gesture-required",
        ])
        yield b
        b.close()
