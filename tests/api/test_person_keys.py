"""ID and phone numbers that a stolen backup does not reveal (issue 18 point 5), over real HTTP against
`hallq serve` and the real `hallq key rotate`, on SQLite and PostgreSQL: the stored hash is an HMAC under a key in
the instance folder (0600), not in the database; a rotation keeps the per-person limit counting the same person,
re-keys today's rows when the person comes again, erases past days' hashes and finally drops the old key."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from queue_server import engine
from queue_server.access.credentials import mint_token
from queue_server.clock import FrozenClock
from queue_server.person_keys import KeySource
from queue_server.person_keys import PersonKeyError
from queue_server.person_keys import key_id
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Ticket
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.factories import bearer
from tests.live import ROOT
from tests.live import start_server

PHONE = "13812345678"


def _hallq(database_url: str, instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HALLQ_DATABASE_URL": database_url, "HALLQ_INSTANCE_PATH": str(instance),
           "PYTHONPATH": str(ROOT)}
    env.pop("HALLQ_PERSON_KEY", None)
    return subprocess.run([sys.executable, "-m", "queue_server.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def _rows(store: Store) -> dict[int, Ticket]:
    with store.read_session() as s:
        return {t.id: t for t in s.scalars(select(Ticket))}


def test_a_keyed_hash_survives_a_rotation_and_the_old_key_goes(database_url: str, store: Store,
                                                               tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A", person_limit=1)
        b = factories.service(s, h, "b", "B")
        factories.window(s, h, 1, [a, b])
        kiosk = mint_token(s, datetime.now(UTC), role=Role.KIOSK, hall=h, device_name="k1")
        hall_id = h.id
    # A ticket of three days ago, hashed with the same key the server will find in the instance folder.
    first_key = KeySource(instance, env={}).ring()
    past = Runtime(store, FrozenClock(datetime.now(UTC) - timedelta(days=3))).execute(
        engine.issue_ticket, hall="t1", service_code="a", phone=PHONE, person_keys=first_key).value.ticket.id
    server = start_server(database_url, instance, extra_env={"HALLQ_PERSON_KEY": ""})
    try:
        def issue(service: str) -> requests.Response:
            return requests.post(f"{server.url}/api/v1/halls/t1/tickets", json={"service": service, "phone": PHONE},
                                 headers=bearer(kiosk), timeout=10)

        today = issue("a")
        assert today.status_code == 201, today.text
        key_file = instance / "person_keys.json"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        stored = _rows(store)[today.json()["id"]]
        assert stored.person_hash == hmac.new(first_key.current, f"{hall_id}:{PHONE}".encode(),
                                              hashlib.sha256).hexdigest()
        with store.read_session() as s:  # nothing in the database rebuilds it: no salt, no key
            assert s.scalar(select(Hall.person_salt)) == ""
        assert first_key.current.hex() not in _dump(store)

        rotated = _hallq(database_url, instance, "key", "rotate")
        assert rotated.returncode == 0, rotated.stderr
        ring = json.loads(key_file.read_text())
        assert ring["retired"] == [first_key.current.hex()] and ring["current"] != first_key.current.hex()
        assert _rows(store)[past].person_hash is None and _rows(store)[past].person_masked == "138****5678"

        again = issue("a")  # the same person under the new key: still counted, the running server re-read the key
        assert again.status_code == 409 and again.json()["code"] == "person_limit_reached", again.text
        other = issue("b")  # served elsewhere: today's rows move to the new key
        assert other.status_code == 201
        new_id = key_id(bytes.fromhex(ring["current"]))
        assert {t.person_key for t in _rows(store).values() if t.person_hash} == {new_id}

        finished = _hallq(database_url, instance, "key", "rotate", "--finish")
        assert finished.returncode == 0, finished.stderr
        assert json.loads(key_file.read_text()) == {"current": ring["current"], "retired": []}
        assert issue("a").json()["code"] == "person_limit_reached"  # the limit holds with the old key gone
    finally:
        server.stop()


def _dump(store: Store) -> str:
    """Every text value of every ticket and hall row: what a stolen backup holds."""
    with store.read_session() as s:
        return repr([vars(t) for t in s.scalars(select(Ticket))] + [vars(h) for h in s.scalars(select(Hall))])


def test_a_key_file_others_can_read_or_a_short_key_is_refused(tmp_path: Path) -> None:
    source = KeySource(tmp_path, env={})
    source.ring()
    (tmp_path / "person_keys.json").chmod(0o644)

    with pytest.raises(PersonKeyError, match="chmod 600"):
        KeySource(tmp_path, env={}).ring()
    with pytest.raises(PersonKeyError, match="shorter"):
        KeySource(tmp_path, env={"HALLQ_PERSON_KEY": "ab" * 16})
    from_env = KeySource(tmp_path, env={"HALLQ_PERSON_KEY": "ab" * 32, "HALLQ_PERSON_KEY_RETIRED": "cd" * 32})
    assert from_env.ring().retired == (bytes.fromhex("cd" * 32),)
    with pytest.raises(PersonKeyError, match="HALLQ_PERSON_KEY_RETIRED"):
        from_env.replace(from_env.ring())  # an environment key is rotated where it is set, not in a file
