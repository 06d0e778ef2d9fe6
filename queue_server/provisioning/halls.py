"""What the CLI, the API and the admin page call: create a hall, export its workbook, import one.

Create runs in a plain transaction (there is no hall to lock yet); the import runs as one op through
Runtime.execute, so it holds the hall's write lock, commits once, and publishes its events after the commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.clock import Clock
from queue_server.engine.setup.halls import hall_payload
from queue_server.provisioning import snapshot
from queue_server.provisioning import workbook
from queue_server.provisioning.importing import DryRunDone
from queue_server.provisioning.importing import Result
from queue_server.provisioning.importing import import_setup
from queue_server.provisioning.reading import CellError
from queue_server.storage.models import Hall
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store


def create(store: Store, clock: Clock, *, code: str, name: str, timezone: str, actor: str) -> dict[str, Any]:
    """Raises bad_hall_code, name_required, bad_timezone, code_taken."""
    with store.transaction() as session:
        return hall_payload(engine.create_hall(session, clock, code=code, name=name, timezone=timezone, actor=actor))


def export(store: Store, hall: str) -> bytes:
    """The hall's workbook. Raises hall_not_found."""
    with store.read_session() as session:
        row = session.scalar(select(Hall).where(Hall.code == hall))
        if row is None:
            raise errors.HallNotFound(hall=hall)
        return snapshot.export(session, row)


def import_workbook(runtime: Runtime, hall: str, data: bytes, *, actor: str, dry_run: bool) -> Result:
    """Check every cell and write the workbook into the hall, or nothing. Raises bad_workbook, hall_not_found and
    SetupRefused (setup_invalid, with its cells)."""
    sheets, header_problems = workbook.read(data)
    problems = [CellError(sheet, row, column, reason) for sheet, row, column, reason in header_problems]
    try:
        done = runtime.execute(import_setup, hall=hall, sheets=sheets, header_problems=problems, actor=actor,
                               dry_run=dry_run)
    except DryRunDone as dry:
        return dry.result
    result: Result = done.value
    return result
