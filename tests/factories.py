"""Plain builders of halls, services, windows, staff and tokens for tests (no fixtures, no magic)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from queue_server.access.credentials import hash_password
from queue_server.access.credentials import mint_token
from queue_server.clock import Clock
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.store import Store

ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
OFFICE_HOURS = {**{str(d): [["09:00", "12:00"], ["13:00", "17:00"]] for d in range(1, 6)}, "6": [], "7": []}


def hall(session: Session, code: str = "t1", *, hours: dict[str, Any] | None = None, **fields: Any) -> Hall:
    row = Hall(code=code, name=f"测试大厅{code}", timezone="Asia/Shanghai", opening_hours=hours or ALL_DAY,
               **{"person_salt": "", "event_seq": 0, **fields})
    session.add(row)
    session.flush()
    return row


def service(session: Session, h: Hall, code: str, prefix: str, **fields: Any) -> Service:
    row = Service(hall_id=h.id, code=code, name=f"事项{code}", prefix=prefix, **fields)
    session.add(row)
    session.flush()
    return row


def window(session: Session, h: Hall, number: int, profile: Sequence[Service | tuple[Service, int]],
           **fields: Any) -> Window:
    row = Window(hall_id=h.id, number=number, name=f"{number}号窗口", **fields)
    row.profile = [
        WindowService(service_id=(p[0] if isinstance(p, tuple) else p).id, position=i,
                      weight=p[1] if isinstance(p, tuple) else 1)
        for i, p in enumerate(profile)
    ]
    session.add(row)
    session.flush()
    return row


def priority(session: Session, h: Hall, code: str = "laonian", weight: int = 3) -> PriorityCategory:
    row = PriorityCategory(hall_id=h.id, code=code, name=code, weight=weight)
    session.add(row)
    session.flush()
    return row


@functools.cache
def password_hash(password: str = "pw-12345678") -> str:
    """A real scrypt hash, made once per process: each costs ~0.16 s of CPU, and nearly every test's hall has three
    or more staff, all with this password (before, the suite spent ~10 minutes hashing it)."""
    return hash_password(password)


def staff(session: Session, h: Hall | None, user_no: str, role: Role = Role.STAFF) -> Staff:
    row = Staff(hall_id=h.id if h else None, user_no=user_no, name=user_no, password_hash=password_hash(),
                role=role)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class BasicHall:
    """Hall t1: services A (a) and B (b), window 1 serves both, window 2 serves B; tokens for each role."""

    code: str
    kiosk: str
    staff1: str
    staff2: str
    manager: str
    admin: str
    display: str
    other_manager: str
    rater2: str = ""  # the rating tablet of window 2


def basic_hall(store: Store, clock: Clock, **hall_fields: Any) -> BasicHall:
    with store.transaction() as s:
        h = hall(s, "t1", **hall_fields)
        a = service(s, h, "a", "A", standard_duration_s=300)
        b = service(s, h, "b", "B", standard_duration_s=600)
        w1 = window(s, h, 1, [a, b])
        w2 = window(s, h, 2, [b])
        priority(s, h, "laonian", 3)
        other = hall(s, "t2")
        service(s, other, "a", "A")
        s1, s2 = staff(s, h, "u1"), staff(s, h, "u2")
        mgr = staff(s, h, "m1", Role.MANAGER)
        now = clock.now()
        return BasicHall(
            code="t1",
            kiosk=mint_token(s, now, role=Role.KIOSK, hall=h, device_name="kiosk-1"),
            staff1=mint_token(s, now, role=Role.STAFF, hall=h, window=w1, staff=s1),
            staff2=mint_token(s, now, role=Role.STAFF, hall=h, window=w2, staff=s2),
            manager=mint_token(s, now, role=Role.MANAGER, hall=h, staff=mgr),
            admin=mint_token(s, now, role=Role.ADMIN, hall=None),
            display=mint_token(s, now, role=Role.DISPLAY, hall=h, device_name="display-1"),
            other_manager=mint_token(s, now, role=Role.MANAGER, hall=other),
            rater2=mint_token(s, now, role=Role.RATER, hall=h, window=w2, device_name="rater-2"),
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
