"""Migration 0018 and the key rotation sweep, on SQLite and PostgreSQL: salted person hashes of past days, which
any copy of the database gives back by brute force, are erased at the upgrade; today's keep counting for today's
per-person limit and move to the keyed hash when the person comes again; the sweep then drops the hall's salt."""

from __future__ import annotations

import hashlib
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import select
from sqlalchemy import update

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.engine.oversight.person_rekey import sweep_retired_hashes
from queue_server.storage import migrate
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from tests import factories
from tests.engine.desk import TEST_PERSON_KEYS
from tests.test_migrations import empty_database  # noqa: F401 - the fixture

PHONE = "13812345678"
SALT = "legacy-salt-0123"


def _legacy(store: Store) -> tuple[int, int]:
    """Two tickets of one person as the release before 0018 stored them: three days ago and today."""
    now = datetime.now(UTC)
    with store.transaction() as s:
        h = factories.hall(s, person_salt=SALT)
        a = factories.service(s, h, "a", "A", person_limit=2)
        factories.window(s, h, 1, [a])
    ids = []
    for when in (now - timedelta(days=3), now):
        done = Runtime(store, FrozenClock(when)).execute(engine.issue_ticket, hall="t1", service_code="a",
                                                         phone=PHONE, person_keys=TEST_PERSON_KEYS)
        ids.append(done.value.ticket.id)
    salted = hashlib.sha256(f"{SALT}:{PHONE}".encode()).hexdigest()
    with store.transaction() as s:
        s.execute(update(Ticket).values(person_hash=salted, person_key=None))
    return ids[0], ids[1]


def test_the_upgrade_erases_old_salted_hashes_and_today_keeps_its_limit(empty_database: str,  # noqa: F811
                                                                         tmp_path: Path) -> None:
    store = make_store(empty_database)
    try:
        migrate.upgrade(store.writer)
        old, today = _legacy(store)
        with store.writer.begin() as conn:  # back to the schema before 0018 (and every revision after it)
            command.downgrade(migrate._config(conn), "0018_person_keys-1")
        migrate.upgrade(store.writer)

        with store.read_session() as s:
            rows = {t.id: t for t in s.scalars(select(Ticket))}
            assert (rows[old].person_hash, rows[old].person_masked) == (None, "138****5678")
            assert rows[today].person_key == "salted" and rows[today].person_hash is not None
            assert s.scalar(select(Hall.person_salt)) == SALT

        runtime = Runtime(store, FrozenClock(datetime.now(UTC)))
        runtime.execute(engine.issue_ticket, hall="t1", service_code="a", phone=PHONE,
                        person_keys=TEST_PERSON_KEYS)  # the second of two allowed today: the salted one counted
        refused = None
        try:
            runtime.execute(engine.issue_ticket, hall="t1", service_code="a", phone=PHONE,
                            person_keys=TEST_PERSON_KEYS)
        except Exception as exc:  # noqa: BLE001 - the refusal's code is what is checked
            refused = getattr(exc, "code", exc)
        assert refused == "person_limit_reached"

        with store.read_session() as s:  # the person came again: today's salted row now carries the keyed hash
            keys = {t.person_key for t in s.scalars(select(Ticket).where(Ticket.person_hash.is_not(None)))}
        assert keys == {TEST_PERSON_KEYS.current_id}

        swept = runtime.execute(sweep_retired_hashes, hall="t1", current=TEST_PERSON_KEYS.current_id).value
        assert swept.remaining == {}
        with store.read_session() as s:
            assert s.scalar(select(Hall.person_salt)) == ""  # no salted row left: the salt goes
    finally:
        store.dispose()
