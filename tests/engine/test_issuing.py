"""issue_ticket: gap-free daily numbers, opening hours and holidays, caps, slot quotas, per-person limits."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.models import CalendarDay
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import TEST_PERSON_KEYS
from tests.engine.desk import Desk
from tests.engine.desk import refused

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at_local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def two_services(store: Store, **service_fields: object) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A", **service_fields)
        b = factories.service(s, h, "b", "B")
        factories.window(s, h, 1, [a, b])


def office_hall(store: Store, *days: CalendarDay, **service_fields: object) -> None:
    with store.transaction() as s:
        h = factories.hall(s, hours=factories.OFFICE_HOURS)
        factories.service(s, h, "a", "A", **service_fields)
        for day in days:
            day.hall_id = h.id
            s.add(day)


def test_numbers_count_up_per_service_without_gaps(store: Store, desk: Desk) -> None:
    two_services(store)

    numbers = [desk.issue(svc).ticket_no for svc in ["a", "a", "b", "a", "b"]]

    assert numbers == ["A001", "A002", "B001", "A003", "B002"]


def test_number_width_follows_the_end_of_the_range(store: Store, desk: Desk) -> None:
    two_services(store, number_start=1, number_end=99)

    assert desk.issue("a").ticket_no == "A01"


def test_issue_records_channel_priority_and_issue_time(store: Store, desk: Desk, clock: FrozenClock) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        factories.service(s, h, "a", "A")
        factories.priority(s, h, "junren", 5)

    ticket = desk.issue("a", priority_code="junren", channel="mobile")

    stored = desk.ticket(ticket.id)
    assert (stored.channel, stored.priority_weight, stored.status) == ("mobile", 5, "waiting")
    assert stored.issued_at == stored.queued_at == clock.now()
    assert len(stored.track_token) >= 32
    assert desk.log(ticket) == ["issued"]


def test_unknown_service_and_priority_are_refused(store: Store, desk: Desk) -> None:
    two_services(store)

    refused(desk, "service_not_found", engine.issue_ticket, service_code="zz")
    refused(desk, "priority_not_found", engine.issue_ticket, service_code="a", priority_code="vip")


def test_hall_closed_before_opening_and_at_lunch(store: Store, desk: Desk, clock: FrozenClock) -> None:
    office_hall(store)

    clock.set(at_local(2026, 3, 2, 8, 59))
    error = refused(desk, "hall_closed", engine.issue_ticket, service_code="a")
    clock.set(at_local(2026, 3, 2, 12, 30))
    refused(desk, "hall_closed", engine.issue_ticket, service_code="a")
    clock.set(at_local(2026, 3, 2, 13, 0))

    assert error.data["hours"] == "09:00-12:00, 13:00-17:00"
    assert desk.issue("a").ticket_no == "A001"


def test_hall_closed_on_sunday_and_on_a_public_holiday(store: Store, desk: Desk, clock: FrozenClock) -> None:
    office_hall(store, CalendarDay(day=date(2026, 4, 6), kind="holiday", name="清明节"))

    clock.set(at_local(2026, 3, 8, 10, 0))  # Sunday
    refused(desk, "hall_closed", engine.issue_ticket, service_code="a")
    clock.set(at_local(2026, 4, 6, 10, 0))  # Monday, 清明节 holiday
    error = refused(desk, "hall_closed", engine.issue_ticket, service_code="a")

    assert "closed" in error.data["hours"]


def test_adjusted_working_saturday_opens_with_monday_hours(store: Store, desk: Desk, clock: FrozenClock) -> None:
    office_hall(store, CalendarDay(day=date(2026, 3, 7), kind="workday", name="调休"))

    clock.set(at_local(2026, 3, 7, 12, 30))
    refused(desk, "hall_closed", engine.issue_ticket, service_code="a")
    clock.set(at_local(2026, 3, 7, 9, 30))

    assert desk.issue("a").ticket_no == "A001"


def test_service_closed_outside_its_own_hours(store: Store, desk: Desk, clock: FrozenClock) -> None:
    mornings = {str(d): [["09:00", "11:30"]] for d in range(1, 8)}
    with store.transaction() as s:
        h = factories.hall(s)
        factories.service(s, h, "a", "A", opening_hours=mornings)
        factories.service(s, h, "b", "B")

    clock.set(at_local(2026, 3, 2, 14, 0))
    error = refused(desk, "service_closed", engine.issue_ticket, service_code="a")

    assert error.data["hours"] == "09:00-11:30"
    assert desk.issue("b").ticket_no == "B001"


def test_service_stops_issuing_minutes_before_closing(store: Store, desk: Desk, clock: FrozenClock) -> None:
    office_hall(store, stop_issue_before_close_min=30)

    clock.set(at_local(2026, 3, 2, 16, 29))
    assert desk.issue("a").ticket_no == "A001"
    clock.set(at_local(2026, 3, 2, 16, 30))

    refused(desk, "service_closed", engine.issue_ticket, service_code="a")


def test_inactive_service_is_closed(store: Store, desk: Desk) -> None:
    two_services(store, active=False)

    refused(desk, "service_closed", engine.issue_ticket, service_code="a")


def test_a_service_closed_for_the_day_does_not_quote_the_halls_hours(store: Store, desk: Desk) -> None:
    # The hall is open all day: its hours (00:00-24:00) would read as if the service were taking tickets.
    two_services(store, active=False)

    error = refused(desk, "service_closed", engine.issue_ticket, service_code="a")

    assert "00:00-24:00" not in error.data["hours"] and "closed" in error.data["hours"]


def test_daily_cap_refuses_and_the_next_day_starts_again(store: Store, desk: Desk, clock: FrozenClock) -> None:
    two_services(store, daily_cap=2)
    desk.issue("a")
    desk.issue("a")

    error = refused(desk, "daily_quota_reached", engine.issue_ticket, service_code="a")
    other = desk.issue("b")
    clock.advance(days=1)

    assert error.data["quota"] == 2
    assert other.ticket_no == "B001"
    assert desk.issue("a").ticket_no == "A001"


def test_slot_quota_refuses_inside_the_slot_only(store: Store, desk: Desk, clock: FrozenClock) -> None:
    two_services(store, slot_quotas=[{"start": "09:00", "end": "10:00", "limit": 2}])
    desk.issue("a")
    desk.issue("a")

    error = refused(desk, "slot_quota_reached", engine.issue_ticket, service_code="a")
    clock.set(at_local(2026, 3, 2, 10, 0))

    assert error.data["next"] == "10:00"
    assert desk.issue("a").ticket_no == "A003"


def test_person_limit_by_id_number_counts_per_service_and_day(store: Store, desk: Desk, clock: FrozenClock) -> None:
    two_services(store, person_limit=1)
    id_number = "53230119900101106x"

    first = desk.issue("a", id_number=id_number)
    refused(desk, "person_limit_reached", engine.issue_ticket, service_code="a", id_number=id_number.upper(),
            person_keys=TEST_PERSON_KEYS)
    other_person = desk.issue("a", id_number="532301199001011238")
    clock.advance(days=1)

    assert (first.ticket_no, other_person.ticket_no) == ("A001", "A002")
    assert desk.issue("a", id_number=id_number).ticket_no == "A001"


def test_person_limit_by_phone_ignores_spaces_and_dashes(store: Store, desk: Desk) -> None:
    two_services(store, person_limit=1)

    desk.issue("a", phone="138 1234 5678")

    refused(desk, "person_limit_reached", engine.issue_ticket, service_code="a", phone="138-1234-5678",
            person_keys=TEST_PERSON_KEYS)


def test_cancelled_ticket_does_not_count_against_the_person_limit(store: Store, desk: Desk) -> None:
    two_services(store, person_limit=1)
    first = desk.issue("a", phone="13812345678")

    desk.do(engine.cancel, ticket_id=first.id, by="citizen")

    assert desk.issue("a", phone="13812345678").ticket_no == "A002"


def test_only_a_keyed_hash_and_a_masked_form_of_the_person_are_stored(store: Store, desk: Desk) -> None:
    two_services(store, person_limit=2)

    by_id = desk.issue("a", id_number="532301199001011238")
    by_phone = desk.issue("a", phone="13812345678")

    stored_id, stored_phone = desk.ticket(by_id.id), desk.ticket(by_phone.id)
    assert stored_id.person_masked == "5323**********1238"
    assert stored_phone.person_masked == "138****5678"
    # HMAC under the key kept outside the database, named by its id on the row; nothing in the row rebuilds it
    keyed = hmac.new(TEST_PERSON_KEYS.current, f"{stored_id.hall_id}:532301199001011238".encode(),
                     hashlib.sha256).hexdigest()
    assert (stored_id.person_hash, stored_id.person_key) == (keyed, TEST_PERSON_KEYS.current_id)
    assert stored_id.person_hash != hashlib.sha256(b"532301199001011238").hexdigest()
    assert "532301199001011238" not in repr(vars(stored_id))
    assert "13812345678" not in repr(vars(stored_phone))


def test_the_same_person_hashes_differently_in_another_hall(store: Store, desk: Desk) -> None:
    with store.transaction() as s:
        for code in ("t1", "t2"):
            h = factories.hall(s, code)
            factories.service(s, h, "a", "A", person_limit=1)
    other = Desk(desk.runtime, "t2")

    here = desk.issue("a", phone="13812345678")
    there = other.issue("a", phone="13812345678")

    assert desk.ticket(here.id).person_hash != other.ticket(there.id).person_hash


def test_limited_service_requires_an_id_number_or_phone(store: Store, desk: Desk) -> None:
    two_services(store, person_limit=1)

    error = refused(desk, "person_required", engine.issue_ticket, service_code="a")

    assert error.data["service"] == "a"


def test_malformed_id_number_or_phone_is_refused(store: Store, desk: Desk) -> None:
    two_services(store, person_limit=1)

    refused(desk, "bad_person_id", engine.issue_ticket, service_code="a", id_number="12345")
    # right length and digits but a wrong GB 11643 check character: a typo, not a person
    refused(desk, "bad_person_id", engine.issue_ticket, service_code="a", id_number="532301199001011234")
    refused(desk, "bad_person_id", engine.issue_ticket, service_code="a", phone="2381234567")
    refused(desk, "bad_person_id", engine.issue_ticket, service_code="b", phone="138123")


def test_number_range_exhausted_without_wrap(store: Store, desk: Desk) -> None:
    two_services(store, number_start=1, number_end=3)
    numbers = [desk.issue("a").ticket_no for _ in range(3)]

    refused(desk, "number_range_exhausted", engine.issue_ticket, service_code="a")

    assert numbers == ["A1", "A2", "A3"]


def test_number_range_wraps_to_its_start_when_configured(store: Store, desk: Desk) -> None:
    two_services(store, number_start=7, number_end=9, number_wrap=True)

    tickets = [desk.issue("a") for _ in range(5)]

    assert [t.ticket_no for t in tickets] == ["A7", "A8", "A9", "A7", "A8"]
    assert [t.cycle for t in tickets] == [0, 0, 0, 1, 1]


def test_refused_issue_leaves_no_gap_in_the_numbers(store: Store, desk: Desk) -> None:
    two_services(store, person_limit=1)
    desk.issue("a", phone="13812345678")

    for _ in range(3):
        refused(desk, "person_limit_reached", engine.issue_ticket, service_code="a", phone="13812345678",
                person_keys=TEST_PERSON_KEYS)
    refused(desk, "person_required", engine.issue_ticket, service_code="a")

    assert desk.issue("a", phone="13900000000").ticket_no == "A002"


def test_numbering_restarts_at_local_midnight_not_utc_midnight(store: Store, desk: Desk, clock: FrozenClock) -> None:
    two_services(store)
    clock.set(at_local(2026, 3, 2, 23, 59))
    desk.issue("a")
    desk.issue("a")

    clock.set(at_local(2026, 3, 3, 0, 0))  # 16:00 UTC
    after_midnight = desk.issue("a")

    assert (after_midnight.ticket_no, after_midnight.service_on) == ("A001", date(2026, 3, 3))
    assert len(desk.tickets()) == 3


def test_a_three_oclock_rollover_keeps_the_small_hours_in_the_previous_day(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    with store.transaction() as s:
        h = factories.hall(s, day_rollover=time(3, 0))
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])
    clock.set(at_local(2026, 3, 2, 22, 0))
    desk.issue("a")
    clock.set(at_local(2026, 3, 3, 2, 59))

    small_hours = desk.issue("a")
    called = desk.do(engine.call_specific, window_number=1, ticket_no="A001", reason="夜间", actor="u1")
    clock.set(at_local(2026, 3, 3, 3, 0))
    next_day = desk.issue("a")

    assert (small_hours.ticket_no, small_hours.service_on) == ("A002", date(2026, 3, 2))
    assert called.service_on == date(2026, 3, 2)
    assert (next_day.ticket_no, next_day.service_on) == ("A001", date(2026, 3, 3))


def test_events_carry_no_personal_data(store: Store, desk: Desk, published: Recorder) -> None:
    two_services(store, person_limit=1)

    ticket = desk.issue("a", id_number="532301199001011238")

    text = repr([e.data for e in published.envelopes])
    stored = desk.ticket(ticket.id)
    assert stored.person_hash and stored.person_masked
    for secret in ("532301199001011238", stored.person_hash, stored.person_masked, stored.track_token):
        assert secret not in text


def test_tickets_left_waiting_yesterday_expire_and_are_neither_ahead_nor_called_today(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    two_services(store)
    yesterday = desk.issue("a")
    clock.advance(days=1)

    today = desk.issue("a")

    assert today.ticket_no == "A001"
    assert desk.ticket(yesterday.id).status == "expired"
    assert desk.call_no(1) == "A001"
    assert desk.ticket(today.id).status == "called"


def test_a_ticket_sent_back_to_a_queue_after_its_day_ended_expires_however_the_day_began(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    """Called yesterday, still at the window after the rollover, then transferred: it waits again with yesterday's
    number, and the next call expires it, as it would have had nobody called in between. (Found by
    test_properties: the day's remembered empty round had made it callable only when a call came first.)"""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        b = factories.service(s, h, "b", "B")
        factories.window(s, h, 1, [a, b])
        factories.window(s, h, 2, [b])
    at_window = desk.issue("a")
    assert desk.call_no(1) == "A001"
    clock.advance(hours=15)
    assert desk.call(2) is None  # today's first round: nothing of yesterday waits

    desk.do(engine.transfer, ticket_id=at_window.id, service_code="b")

    assert desk.call(2) is None
    assert desk.ticket(at_window.id).status == "expired"
