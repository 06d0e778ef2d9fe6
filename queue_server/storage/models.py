"""SQLAlchemy 2 typed models of a service hall and its queue, and the ticket state machine.

Imports SQLAlchemy and the stdlib only; no Flask. Every `*_at` column is an aware UTC datetime (UTCDateTime),
every `*_on` a date in the hall's timezone.
"""

from __future__ import annotations

import enum
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import Enum
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import Time
from sqlalchemy import TypeDecorator
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy import text
from sqlalchemy import true
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from queue_server import errors

# Stable constraint names so Alembic batch migrations on SQLite can address them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns an aware UTC datetime (SQLite would hand back a naive one)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE_STATUSES = (TicketStatus.CALLED, TicketStatus.SERVING)
OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PARKED)


class WindowState(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
    AWAY = "away"  # 离岗: the clerk stepped away; unlike paused, no reason is shown and it ends on return


class Role(enum.StrEnum):
    KIOSK = "kiosk"
    DISPLAY = "display"
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"
    RATER = "rater"  # 评价器: the citizen-facing rating tablet of one window
    VIEWER = "viewer"  # hall monitor and reports only, no configuration (e.g. the centre's director)


class Outcome(enum.StrEnum):
    DONE = "done"  # 办结
    RETURNED = "returned"  # 退办
    CONSULT = "consult"  # 咨询


class Channel(enum.StrEnum):
    KIOSK = "kiosk"
    MOBILE = "mobile"
    APPOINTMENT = "appointment"
    STAFF = "staff"
    API = "api"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Hall(Base):
    __tablename__ = "halls"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Local time at which the business day turns; tickets issued before it count for the previous day.
    day_rollover: Mapped[time] = mapped_column(Time, default=time(0, 0))
    # {"1": [["08:30", "12:00"], ["14:00", "17:30"]], ..., "7": []}: ISO weekday -> open intervals, local time.
    opening_hours: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    # N normal calls, then one priority call, when both wait (no starvation either way).
    priority_ratio: Mapped[int] = mapped_column(Integer, default=2)
    recall_limit: Mapped[int] = mapped_column(Integer, default=3)
    no_show_tolerance_min: Mapped[int] = mapped_column(Integer, default=30)
    # A queue head that waited this long is served before weighted ordering applies.
    escalation_min: Mapped[int] = mapped_column(Integer, default=60)
    # Legacy: the salt of SHA-256(salt:value) person hashes from before migration 0018, kept only while rows of the
    # upgrade day still carry such hashes (then ""). ID and phone hashes are keyed outside the database now
    # (queue_server/person_keys.py); new halls leave this empty.
    person_salt: Mapped[str] = mapped_column(String(64), default="")
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # 差评 follow-up deadline in working days (5, 7 and 15 are seen locally).
    case_deadline_days: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # 行政区划 code reported with every rating (GB/T 39046 表9); 532300 = 楚雄彝族自治州.
    region_code: Mapped[str] = mapped_column(String(12), default="532300", server_default="532300")
    # Announcement template ({ticket}, {window}) and repeats; None = the process settings (HALLQ_VOICE_*).
    voice_template: Mapped[str | None] = mapped_column(String(64))
    voice_repeats: Mapped[int | None] = mapped_column(Integer)
    # Retired (撤销): no ticket is issued any more; the hall and its history stay (reports, audit, 好差评).
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Open (not yet due) bookings one person may hold in this hall at once, across services.
    booking_open_limit: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # 爽约 rule: this many no-shows within 30 days suspend a person's online booking for no_show_suspend_days.
    no_show_limit: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    no_show_suspend_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # 线上取号: minutes an unconfirmed remote ticket keeps its place at the head of its queue before it expires,
    # and how many people ahead the phone page tells its citizen to start walking over.
    remote_grace_min: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    remote_walk_ahead: Mapped[int] = mapped_column(Integer, default=5, server_default="5")

    services: Mapped[list[Service]] = relationship(back_populates="hall", order_by="Service.id")
    windows: Mapped[list[Window]] = relationship(back_populates="hall", order_by="Window.number")


class CalendarDay(Base):
    """Holiday (法定节假日, closed) or adjusted working day (调休, open with Monday's hours)."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("hall_id", "day", name="uq_calendar_days_hall_day"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # "holiday" | "workday"
    name: Mapped[str] = mapped_column(String(64), default="")


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("hall_id", "code", name="uq_departments_hall_code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    # Out of use: no new services may join it; services and 差评 cases that name it keep the link.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("hall_id", "code", name="uq_services_hall_code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(4))
    number_start: Mapped[int] = mapped_column(Integer, default=1)
    number_end: Mapped[int] = mapped_column(Integer, default=999)
    # When the range is used up: wrap back to number_start (True) or refuse (False).
    number_wrap: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    # [{"start": "08:30", "end": "10:00", "limit": 40}, ...] local time; slots not listed are unlimited.
    slot_quotas: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Own hours inside the hall's (same shape as Hall.opening_hours); None = the hall's hours.
    opening_hours: Mapped[dict[str, list[list[str]]] | None] = mapped_column(JSON)
    stop_issue_before_close_min: Mapped[int] = mapped_column(Integer, default=0)
    warning_threshold: Mapped[int | None] = mapped_column(Integer)
    standard_duration_s: Mapped[int] = mapped_column(Integer, default=600)
    green_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    # Max tickets per person (by salted ID/phone hash) per day; None = no limit and no ID asked.
    person_limit: Mapped[int | None] = mapped_column(Integer)
    # 网上预约: {"days": {"1": [{"start": "09:00", "end": "12:00", "minutes": 30, "capacity": 2}], ...},
    # "horizon_days": 7, "cutoff_min": 60}; None = not bookable. engine/booking/plans.py checks it.
    booking: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    guide_code: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # 暂停今日取号: closed for this service day only (set from the manager monitor); it reopens by itself the next
    # day, unlike active=False.
    closed_on: Mapped[date | None] = mapped_column(Date)

    hall: Mapped[Hall] = relationship(back_populates="services")
    department: Mapped[Department | None] = relationship()

    @property
    def number_width(self) -> int:
        return len(str(self.number_end))


class PriorityCategory(Base):
    __tablename__ = "priority_categories"
    __table_args__ = (UniqueConstraint("hall_id", "code", name="uq_priority_categories_hall_code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    # Order among priority tickets: higher first (军人依法优先 above 老年人, say).
    weight: Mapped[int] = mapped_column(Integer, default=1)


def window_label(number: int, name: str | None) -> str:
    """A window as people find it: "3号 综合窗口". Real halls repeat names (综合窗口 four times), so the number above
    the counter always comes first; a name that already starts with its number ("3号窗口") is shown as it is, and
    a window without a name is "3号窗口". The wall display's screen.js applies the same rule in the browser."""
    prefix = f"{number}号"
    if not name:
        return f"{prefix}窗口"
    return name if name.startswith(prefix) else f"{prefix} {name}"


class Window(Base):
    __tablename__ = "windows"
    __table_args__ = (UniqueConstraint("hall_id", "number", name="uq_windows_hall_number"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    zone: Mapped[str] = mapped_column(String(32), default="")
    state: Mapped[WindowState] = mapped_column(_enum(WindowState, "window_state"), default=WindowState.OPEN)
    state_reason: Mapped[str] = mapped_column(String(128), default="")
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority_ratio: Mapped[int | None] = mapped_column(Integer)  # overrides the hall's ratio
    # Normal calls since this window last called a priority ticket (drives the ratio).
    normal_streak: Mapped[int] = mapped_column(Integer, default=0)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))

    hall: Mapped[Hall] = relationship(back_populates="windows")
    profile: Mapped[list[WindowService]] = relationship(
        order_by="WindowService.position", cascade="all, delete-orphan"
    )
    staff: Mapped[Staff | None] = relationship(foreign_keys=[staff_id])

    @property
    def label(self) -> str:
        """"3号 综合窗口" (window_label)."""
        return window_label(self.number, self.name)


class WindowService(Base):
    """One service in a window's profile. weight 0: only when nothing else waits; n >= 1: waited time x n."""

    __tablename__ = "window_services"

    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int] = mapped_column(Integer, default=1)

    service: Mapped[Service] = relationship()


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    user_no: Mapped[str] = mapped_column(String(32), unique=True)  # 工号
    name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by the demo for its printed password, cleared by any change: while one is left, consoles say so.
    password_is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Device(Base):
    """A kiosk, wall display, window screen or rating tablet; it authenticates with an ApiToken."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A kiosk's ticket printer: {"paper_mm": 80, "encoding": "gbk", "native_qr": true}; None = no printer, so
    # issuing queues no print job. The connection URL lives with the print agent on the kiosk PC.
    printer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    printer_state: Mapped[str | None] = mapped_column(String(16))  # last state the agent reported


class ApiToken(Base):
    """A bearer credential; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DailyCounter(Base):
    """Tickets issued per service and business day; upserted in the ticket's own transaction (gap-free)."""

    __tablename__ = "daily_counters"

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    service_on: Mapped[date] = mapped_column(Date, primary_key=True)
    issued: Mapped[int] = mapped_column(Integer, default=0)


class QueueCount(Base):
    """How many tickets of a service wait now, and how many of those are 线上取号 ones not yet arrived: kept by the
    database's own triggers on `tickets` (migration 0026), so a call reads one row per service instead of counting
    the queue (issue 22: a call's cost independent of the queue's length). Never written by the code."""

    __tablename__ = "queue_counts"
    __table_args__ = (Index("ix_queue_counts_hall", "hall_id"),)

    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unarrived: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("hall_id", "code", name="uq_appointments_hall_code"),
        # Seats taken per slot (booking, the walk-in cap) and the housekeeping round's 爽约 sweep.
        Index("ix_appointments_service_slot", "service_id", "slot_start"),
        Index("ix_appointments_due", "hall_id", "status", "slot_end"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="booked")  # booked|checked_in|no_show|cancelled
    person_hash: Mapped[str | None] = mapped_column(String(64))
    # The id of the person key that made person_hash (person_keys.key_id), as tickets.person_key; "unrecorded" for
    # bookings made before migration 0023 (engine/oversight/person_rekey.py).
    person_key: Mapped[str | None] = mapped_column(String(16))
    person_masked: Mapped[str | None] = mapped_column(String(32))
    # The citizen's own handle on the booking (its page, cancel, move): a secret, so not the short code people read
    # out at the kiosk. None for appointments created before online booking.
    manage_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Ticket(Base):
    """A numbered ticket; it keeps its number and original queue time across transfers (一票到底).

    The open leg lives on the ticket (service, window, called/started times); each closed leg is a TicketLeg row.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("hall_id", "service_on", "original_service_id", "seq", "cycle",
                         name="uq_tickets_number"),
        # Covers the queue's per-issue and per-call reads (migration 0010 says why).
        # A queue group's head is its first entry, on PostgreSQL too; the target window rides along (0021).
        Index("ix_tickets_queue", "hall_id", "status", "service_id", "priority_weight", "queued_at", "id",
              "target_window_id"),
        Index("ix_tickets_person", "original_service_id", "service_on", "person_hash"),
        # Open tickets of past service days, found without reading today's (engine/queue/days.py; migration 0021).
        Index("ix_tickets_open_day", "hall_id", "status", "service_on"),
        # Tickets sent to one window (transfers), found without reading the rest of the queue (migration 0021).
        Index("ix_tickets_targeted", "target_window_id", "hall_id", "status", "service_id", "priority_weight",
              "queued_at",
              sqlite_where=text("target_window_id IS NOT NULL"),
              postgresql_where=text("target_window_id IS NOT NULL")),
        # 线上取号 tickets not yet arrived, alone: the estimates subtract them from ix_tickets_queue's covering counts
        # (engine/queue/estimates.py; migration 0024).
        Index("ix_tickets_unarrived", "hall_id", "status", "service_id", "priority_weight", "queued_at", "id",
              sqlite_where=text("remote AND arrived_at IS NULL"),
              postgresql_where=text("remote AND arrived_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    service_on: Mapped[date] = mapped_column(Date)
    original_service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    seq: Mapped[int] = mapped_column(Integer)  # the printed daily number
    cycle: Mapped[int] = mapped_column(Integer, default=0)  # how often a wrapping number range went round
    ticket_no: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16), default=Channel.KIOSK.value)
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("priority_categories.id", ondelete="SET NULL"))
    priority_weight: Mapped[int] = mapped_column(Integer, default=0)  # 0 = normal class
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus, "ticket_status"), default=TicketStatus.WAITING)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)  # original queue time; kept on transfer/park
    leg_queued_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the current leg started waiting
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    target_window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    case_no: Mapped[str | None] = mapped_column(String(64))  # 办件编号
    track_token: Mapped[str] = mapped_column(String(43), unique=True)
    # HMAC-SHA256 under the person key outside the database (queue_server/person_keys.py), and that key's id
    # ("salted": a SHA-256(hall salt:value) row from before migration 0018).
    person_hash: Mapped[str | None] = mapped_column(String(64))
    person_key: Mapped[str | None] = mapped_column(String(16))
    person_masked: Mapped[str | None] = mapped_column(String(32))
    # "manager:m1" / "admin:…" when a manager's or admin's credential called this leg at a window: the leg is
    # credited to the clerk signed in there (staff_id), and the reports show the manager's part apart.
    acted_by: Mapped[str | None] = mapped_column(String(64))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    estimated_wait_s: Mapped[int | None] = mapped_column(Integer)  # as printed, for accuracy statistics
    # 线上取号 (docs/remote-queue.md): taken from a phone before the citizen is in the hall (channel "mobile").
    # Call-next skips it while arrived_at is NULL; arrival is confirmed by the hall's daily entrance code
    # ("hall_code") or at a kiosk ("kiosk"). held_at: when it first stood at the head of its queue unconfirmed;
    # the hall's grace time runs from there, then it expires (outcome "not_arrived").
    remote: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_via: Mapped[str | None] = mapped_column(String(16))
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    window: Mapped[Window | None] = relationship(foreign_keys=[window_id])
    priority: Mapped[PriorityCategory | None] = relationship()

    def require(self, action: str, *allowed: TicketStatus) -> None:
        if self.status not in allowed:
            raise errors.InvalidTransition(ticket_no=self.ticket_no, status=self.status.value, action=action)


class TicketLeg(Base):
    """A closed leg of a ticket: one stretch of waiting for one service and its handling, with exact times."""

    __tablename__ = "ticket_legs"
    __table_args__ = (
        Index("ix_ticket_legs_service_end", "service_id", "ended_at"),
        Index("ix_ticket_legs_service_hour_end", "service_id", "local_hour", "ended_at"),
        Index("ix_ticket_legs_hall_day", "hall_id", "service_on"),
        # The rating tablet's pending leg (window, last 10 minutes) without scanning years of legs.
        Index("ix_ticket_legs_window_end", "window_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    service_on: Mapped[date] = mapped_column(Date)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[str] = mapped_column(String(16))  # finished|transferred|parked|no_show|cancelled|expired
    outcome: Mapped[str | None] = mapped_column(String(16))
    wait_s: Mapped[int | None] = mapped_column(Integer)  # queued -> first call
    service_s: Mapped[int | None] = mapped_column(Integer)  # start (or call) -> end, for finished/transferred/parked
    # Window time: first call -> end of every leg that was called, the walk, recalls and a no-show's wait included.
    # What a window spends per ticket, so what the wait estimate learns (estimates.py); service_s is for reports.
    occupied_s: Mapped[int | None] = mapped_column(Integer)
    # Hall-local hour the leg ended in: estimates prefer samples from the same hour of day.
    local_hour: Mapped[int] = mapped_column(Integer, default=0)
    # The manager or admin whose credential called this leg (Ticket.acted_by), None for the window's clerk.
    acted_by: Mapped[str | None] = mapped_column(String(64))


class TicketEvent(Base):
    """Every state change of a ticket, with time, window and staff (the audit trail of a ticket)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")


class HallEvent(Base):
    """The transactional outbox: every published event with its hall-wide gap-free seq."""

    __tablename__ = "hall_events"
    __table_args__ = (UniqueConstraint("hall_id", "seq", name="uq_hall_events_hall_seq"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEntry(Base):
    """Sensitive actions (call a specific number, configuration, token minting); kept >= 6 months."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PrintJobStatus(enum.StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"  # claimed by the kiosk's print agent
    PRINTED = "printed"  # the printer took the whole job and said it was ready after the cut
    FAILED = "failed"  # the kiosk told the citizen 打印失败; never printed by itself (a reprint is a new job)
    EXPIRED = "expired"  # not printed by its deadline (the kiosk said 打印失败 then); never printed by itself
    CANCELLED = "cancelled"  # its ticket was cancelled before it printed


class PrintJob(Base):
    """A ticket to print at the kiosk that issued it: printed at most once, and only by its deadline (expires_at,
    when the kiosk page gives up and says 打印失败). A reprint (补打) is a new job of the same ticket."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_device_status", "device_id", "status"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    status: Mapped[PrintJobStatus] = mapped_column(_enum(PrintJobStatus, "print_job_status"),
                                                   default=PrintJobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(32))  # printer_offline | paper_out | printer_error
    agent: Mapped[str | None] = mapped_column(String(64))  # the agent instance that holds the claim
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the deadline: unprinted by then, never printed
    # What the ticket said when issued (number, service, people ahead, wait...): the paper shows issue-time facts.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A second paper for the ticket (补打), asked for by the citizen, the kiosk or a clerk.
    reprint: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
class HallNotice(Base):
    """A scrolling notice on the hall's wall display (通知公告), set by the manager; active ones are shown."""

    __tablename__ = "hall_notices"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

class ReportDay(Base):
    """One closed business day's report figures for one grouping, kept so a month's report merges about 30 small
    rows per grouping instead of re-reading 100,000 legs (stats.py). `stamp` says what the figures were computed
    from (the day's leg and ticket counts, the hall's limits, windows and staff); a row whose stamp no longer
    matches is recomputed, so kept figures are never stale."""

    __tablename__ = "report_days"
    __table_args__ = (UniqueConstraint("hall_id", "service_on", "grouping", name="uq_report_days_day"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    service_on: Mapped[date] = mapped_column(Date)
    grouping: Mapped[str] = mapped_column(String(8))  # service | window | staff | hour
    stamp: Mapped[str] = mapped_column(String(96))
    # Compact JSON, parsed by stats.py itself: the same text on SQLite and PostgreSQL.
    figures: Mapped[str] = mapped_column(Text)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
