"""What the kiosk offers: whether each service takes tickets now and its real hours today (queries/opening.py),
agreeing with what issuing enforces."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from queue_server.queries import opening
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Hall
from queue_server.storage.store import Store
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_2PM = datetime(2026, 3, 2, 14, 0, tzinfo=SHANGHAI)


def hall_with_services(store: Store) -> None:
    mornings = {str(d): [["09:00", "11:30"]] for d in range(1, 8)}
    with store.transaction() as s:
        h = factories.hall(s, hours=factories.OFFICE_HOURS)
        factories.service(s, h, "open", "A")
        factories.service(s, h, "mornings", "B", opening_hours=mornings)
        factories.service(s, h, "paused", "C", closed_on=date(2026, 3, 2))
        factories.service(s, h, "off", "D", active=False)


def today(store: Store, at: datetime) -> dict[str, opening.Today]:
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "t1"))
        assert hall is not None
        return opening.services_today(s, hall, at)


def test_each_service_says_whether_it_takes_tickets_now_and_its_hours_today(store: Store) -> None:
    hall_with_services(store)

    now = today(store, MONDAY_2PM)

    assert now["open"].open_now and now["open"].hours
    assert not now["mornings"].open_now and now["mornings"].hours == "09:00-11:30"
    assert not now["paused"].open_now and now["paused"].paused and now["paused"].hours == ""
    assert not now["off"].open_now and now["off"].paused


def test_on_a_public_holiday_nothing_is_offered_and_there_are_no_hours(store: Store) -> None:
    hall_with_services(store)
    with store.transaction() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "t1"))
        assert hall is not None
        s.add(CalendarDay(hall_id=hall.id, day=date(2026, 3, 2), kind="holiday", name="假日"))

    now = today(store, MONDAY_2PM)

    assert not any(t.open_now for t in now.values())
    assert now["open"].hours == "" and now["mornings"].hours == ""
