"""docs/deploy.md, "From an empty database to a live hall", run as written: every command block marked
`<!-- walkthrough -->` runs in bash (with the settings file the section sources) against a fresh PostgreSQL
database and a fresh SQLite file. Only three things are the test's own: the settings file's path, the port, and
the operator's Excel work between `hallq hall template` and the import — the test fills the template with a real
hall's set-up (the demo's, exported by `hallq hall export` from another database) and types the passwords the
commands ask for (HALLQ_PASSWORD answers their prompt).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from queue_server.access.credentials import check_password
from queue_server.app import create_app
from queue_server.clock import SystemClock
from queue_server.demo.halls import load_demo
from queue_server.provisioning import halls
from queue_server.provisioning.importing import NO_PASSWORD
from queue_server.settings import Settings
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.store import make_store
from tests.conftest import postgres_url
from tests.live import free_port
from tests.manager.console_client import ManagerConsole

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs/deploy.md"
SECTION = "## From an empty database to a live hall"
BLOCK = re.compile(r"<!-- walkthrough(?:: (\w+))? -->\s*```sh\n(.*?)```", re.S)
SETTINGS_FILE = "/etc/hallq/hallq.env"
PASSWORD = "walkthrough-password-1"
TIMEOUT_S = 300


def blocks() -> tuple[str, list[str]]:
    """The environment block and the command blocks of the section, in order, de-indented."""
    section = DOC.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    found = [(kind, "\n".join(line.strip() for line in body.splitlines())) for kind, body in BLOCK.findall(section)]
    environment = [body for kind, body in found if kind == "environment"]
    assert len(environment) == 1, "the section sources the settings once"
    return environment[0], [body for kind, body in found if not kind]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has touched: an SQLite path that does not exist yet, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'site' / 'hallq.db'}"
        return
    url = postgres_url()
    if url is None:
        pytest.skip(reason="PostgreSQL suite off: set HALLQ_TEST_POSTGRES_URL (the .ci/run script does)")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"h_provision_walkthrough_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def filled_workbook(sqlite_template: Path, folder: Path) -> bytes:
    """What the operator's Excel work yields: a real hall's set-up (the demo's 30 services, 24 windows and 26
    accounts), exported from a database of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(sqlite_template, folder / "source.db")
    store = make_store(f"sqlite:///{folder / 'source.db'}")
    try:
        with store.transaction() as s:
            load_demo(s, SystemClock().now())
        return halls.export(store, "cxz")
    finally:
        store.dispose()


def run(script: str, cwd: Path, env: dict[str, str]) -> str:
    """One block in bash, in a process group of its own (so a server it leaves behind can be stopped)."""
    proc = subprocess.Popen(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    text_out = out.decode("utf-8", "replace")
    assert proc.returncode == 0, f"block failed ({proc.returncode}):\n{script}\n---\n{text_out}"
    return text_out


def test_the_walkthrough_takes_an_empty_database_to_a_live_hall(
    empty_database: str, sqlite_template: Path, tmp_path: Path
) -> None:
    environment, commands = blocks()
    home = tmp_path / "setup"
    home.mkdir()
    settings_file = tmp_path / "hallq.env"
    instance = tmp_path / "instance"
    settings_file.write_text(f"HALLQ_DATABASE_URL={empty_database}\nHALLQ_INSTANCE_PATH={instance}\n"
                             f"HALLQ_SECRET_KEY={uuid.uuid4().hex}\n")
    if empty_database.startswith("sqlite"):
        Path(empty_database.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}", PYTHONPATH=str(ROOT),
               HALLQ_PASSWORD=PASSWORD)
    port = str(free_port())
    prelude = environment.replace(SETTINGS_FILE, str(settings_file)) + "\n"
    outputs: list[str] = []

    for block in commands:
        outputs.append(run(prelude + block.replace("5000", port), home, env))
        if "hallq hall template" in block:
            template = (home / "cxz.xlsx").read_bytes()
            assert template[:2] == b"PK"  # the blank workbook the operator opens in Excel
            (home / "cxz.xlsx").write_bytes(filled_workbook(sqlite_template, tmp_path / "excel"))

    assert len(commands) >= 5
    assert "would change" in outputs[1] and "changed: " in outputs[1]
    assert "30 services" in outputs[-1] and "24 windows" in outputs[-1]
    assert (home / "kiosk-1.token").read_text().startswith("hq_")
    assert (home / "kiosk-1.token").stat().st_mode & 0o077 == 0
    _check_site(empty_database, instance)


def _check_site(database_url: str, instance: Path) -> None:
    """The hall the walkthrough made: the workbook's services, windows and staff; the manager signs in with the
    password set in step 4, and a clerk step 4 gave none has no password that works."""
    store = make_store(database_url)
    try:
        with store.read_session() as s:
            assert s.scalar(select(func.count()).select_from(Service)) == 30
            assert s.scalar(select(func.count()).select_from(Window)) == 24
            assert s.scalar(select(func.count()).select_from(Staff)) == 27  # 26 imported and admin01
            clerk, other = (s.scalar(select(Staff).where(Staff.user_no == u)) for u in ("cx1001", "cx1002"))
            assert clerk is not None and other is not None
            assert check_password(clerk, PASSWORD)  # set in step 4
            assert other.password_hash == NO_PASSWORD and not check_password(other, PASSWORD)
    finally:
        store.dispose()
    app = create_app(Settings(instance_path=instance, database_url=database_url, redis_url=None,
                              secret_key="walkthrough-" + uuid.uuid4().hex))
    app.config["TESTING"] = True
    try:
        client: Any = app.test_client()
        assert ManagerConsole(client).login("cxmgr", PASSWORD).status_code == 302
    finally:
        app.extensions["hallq"].store.dispose()
