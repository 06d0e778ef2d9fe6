"""ID and phone numbers that a stolen backup does not reveal (issue 18 point 5), over real HTTP against
`hallq serve` and the real `hallq key rotate`, on SQLite and PostgreSQL: the stored hash is an HMAC under a key in
the instance folder (0600), not in the database; a rotation keeps the per-person limit counting the same person,
re-keys today's rows when the person comes again, erases past days' hashes and finally drops the old key."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import subprocess
import sys
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from queue_server import engine
from queue_server.access.credentials import mint_token
from queue_server.clock import FrozenClock
from queue_server.engine.booking.plans import check_plan
from queue_server.engine.oversight.person_rekey import UNRECORDED
from queue_server.person_keys import KeyRing
from queue_server.person_keys import KeySource
from queue_server.person_keys import PersonKeyError
from queue_server.person_keys import key_id
from queue_server.storage.models import Appointment
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


EVERY_DAY = {"days": {str(d): [{"start": "00:00", "end": "23:30", "minutes": 30, "capacity": 5}] for d in range(1, 8)},
             "horizon_days": 7, "cutoff_min": 0}


def _missed(store: Store, ring: KeyRing, hall_id: int, service_id: int, phone: str, days_ago: float,
            status: str = "no_show", key: str | None = None) -> int:
    """A past booking of `phone` as the server stores it (a 爽约 is marked by housekeeping after its slot ended)."""
    end = datetime.now(UTC) - timedelta(days=days_ago)
    with store.transaction() as s:
        row = Appointment(hall_id=hall_id, service_id=service_id, code=f"{secrets.randbelow(10 ** 8):08d}",
                          slot_start=end - timedelta(minutes=30), slot_end=end, status=status,
                          person_hash=ring.digest(hall_id, phone), person_key=key or ring.current_id,
                          person_masked=f"{phone[:3]}****{phone[-4:]}", manage_token=secrets.token_urlsafe(32))
        s.add(row)
        s.flush()
        return row.id


def _booking(store: Store, appointment_id: int) -> Appointment:
    with store.read_session() as s:
        row = s.get(Appointment, appointment_id)
        assert row is not None
        return row


def test_bookings_and_no_shows_keep_counting_across_a_rotation_and_finish_waits_for_them(
        database_url: str, store: Store, tmp_path: Path) -> None:
    """After `hallq key rotate`, a person's open booking still stops a second one for that service and day, and
    their 爽约 still suspend them; `hallq key status` counts those rows per key; `--finish` keeps the retired key
    (exit 1) while they count, and `--finish --force` erases them and drops it."""
    instance = tmp_path / "instance"
    instance.mkdir()
    with store.transaction() as s:
        h = factories.hall(s, no_show_limit=2, no_show_suspend_days=30)
        a = factories.service(s, h, "a", "A", booking=check_plan(EVERY_DAY))
        factories.service(s, h, "b", "B", booking=check_plan(EVERY_DAY))
        hall_id, service_id = h.id, a.id
    first = KeySource(instance, env={}).ring()
    booker, missed_twice, before_0023, away = "13900000001", "13900000002", "13900000003", "13900000004"
    for days_ago in (2, 5):
        _missed(store, first, hall_id, service_id, missed_twice, days_ago)
    old_miss = _missed(store, first, hall_id, service_id, missed_twice, 45)  # out of the 30-day window
    cancelled = _missed(store, first, hall_id, service_id, booker, 3, status="cancelled")
    unrecorded = _missed(store, first, hall_id, service_id, before_0023, 4, key=UNRECORDED)  # made before 0023
    _missed(store, first, hall_id, service_id, before_0023, 6)
    server = start_server(database_url, instance, extra_env={"HALLQ_PERSON_KEY": ""})
    try:
        local = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=2)
        day_after = local.replace(hour=10, minute=0, second=0, microsecond=0)

        def book(phone: str, service: str = "a", at: datetime = day_after) -> requests.Response:
            return requests.post(f"{server.url}/api/v1/halls/t1/appointments", timeout=10,
                                 json={"service": service, "slot_start": at.isoformat(), "phone": phone})

        made = book(booker)
        assert made.status_code == 201, made.text
        with store.read_session() as s:
            open_id = s.scalar(select(Appointment.id).where(Appointment.code == made.json()["code"]))
            assert open_id is not None
        assert _booking(store, open_id).person_key == first.current_id
        not_back = book(away)  # booked before the rotation, and does not book again
        assert not_back.status_code == 201, not_back.text
        status = _hallq(database_url, instance, "key", "status")
        assert status.returncode == 0, status.stderr
        assert f"current {first.current_id}: 0 ticket(s) of today, 2 open booking(s), 3 爽约 counted" in status.stderr
        assert f"key {UNRECORDED}: 0 ticket(s) of today, 0 open booking(s), 1 爽约 counted" in status.stderr

        rotated = _hallq(database_url, instance, "key", "rotate")
        assert rotated.returncode == 0, rotated.stderr
        ring = json.loads((instance / "person_keys.json").read_text())
        assert ring["retired"] == [first.current.hex()]
        # Before the new key: the booking of unrecorded key could only be the first key's, and is recorded so.
        assert _booking(store, unrecorded).person_key == first.current_id
        # What counts for nothing any more lost its hash; the masked form stays.
        assert _booking(store, cancelled).person_hash is None and _booking(store, old_miss).person_hash is None
        assert _booking(store, cancelled).person_masked == "139****0001"

        again = book(booker, at=day_after + timedelta(hours=2))  # same service, same day, under the new key
        assert again.status_code == 409 and again.json()["code"] == "person_limit_reached", again.text
        suspended = book(missed_twice)
        assert suspended.status_code == 409 and "爽约 2 次" in suspended.json()["detail"], suspended.text
        status = _hallq(database_url, instance, "key", "status").stderr
        second = key_id(bytes.fromhex(ring["current"]))
        assert f"retired {first.current_id}: 0 ticket(s) of today, 2 open booking(s), 4 爽约 counted" in status
        assert f"current {second}: 0 ticket(s) of today, 0 open booking(s), 0 爽约 counted" in status

        refused = _hallq(database_url, instance, "key", "rotate", "--finish")
        assert refused.returncode == 1 and f"retired key {first.current_id} is still needed" in refused.stderr
        assert json.loads((instance / "person_keys.json").read_text())["retired"] == [first.current.hex()]

        other = book(booker, service="b")  # the person comes again: their rows move to the new key
        assert other.status_code == 201, other.text
        assert _booking(store, open_id).person_key == second
        assert book(booker, at=day_after + timedelta(hours=2)).status_code == 409  # still one per service and day
        status = _hallq(database_url, instance, "key", "status").stderr
        assert f"current {second}: 0 ticket(s) of today, 2 open booking(s), 0 爽约 counted" in status
        assert f"retired {first.current_id}: 0 ticket(s) of today, 1 open booking(s), 4 爽约 counted" in status

        forced = _hallq(database_url, instance, "key", "rotate", "--finish", "--force")
        assert forced.returncode == 0, forced.stderr
        assert json.loads((instance / "person_keys.json").read_text()) == {"current": ring["current"], "retired": []}
        # The cost, said in the docs: the erased 爽约 no longer suspend; the re-keyed booking still counts.
        assert book(missed_twice).status_code == 201
        assert book(booker, at=day_after + timedelta(hours=2)).status_code == 409
        # A booking whose hash was erased stays the citizen's: its page still moves it.
        moved = requests.post(f"{server.url}/api/v1/appointments/{not_back.json()['manage_token']}/move", timeout=10,
                              json={"slot_start": (day_after + timedelta(hours=1)).isoformat()})
        assert moved.status_code == 200, moved.text
    finally:
        server.stop()
