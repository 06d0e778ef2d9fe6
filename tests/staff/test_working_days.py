"""The 差评 deadline calculator on its own: weekends, holiday blocks and 调休 working weekends."""

from __future__ import annotations

from datetime import date

import pytest

from queue_server.engine.oversight.cases import add_working_days
from queue_server.storage.models import CalendarDay
from queue_server.storage.store import Store
from tests import factories

# 2026 国庆: 1-7 October closed, Saturday 10 October an adjusted working day (illustrative calendar).
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]


@pytest.mark.parametrize(("start", "days", "due"), [
    (date(2026, 3, 2), 5, date(2026, 3, 9)),  # Monday + 5 -> next Monday
    (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday + 1 skips the weekend
    (date(2026, 9, 30), 1, date(2026, 10, 8)),  # the whole holiday block is skipped
    (date(2026, 9, 30), 3, date(2026, 10, 10)),  # Thu 8, Fri 9, Saturday 10 调休 counts
    (date(2026, 12, 31), 2, date(2027, 1, 4)),  # across the year end
])
def test_deadline_counts_working_days_only(store: Store, start: date, days: int, due: date) -> None:
    with store.transaction() as s:
        hall = factories.hall(s, "t1")
        s.add_all([CalendarDay(hall_id=hall.id, day=d, kind="holiday") for d in NATIONAL_DAY])
        s.add(CalendarDay(hall_id=hall.id, day=date(2026, 10, 10), kind="workday"))
        s.flush()

        assert add_working_days(s, hall, start, days) == due
