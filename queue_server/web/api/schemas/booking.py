"""Models of 网上预约: slots, a booking, its cancellation and move, and a service's booking plan."""

from __future__ import annotations

from datetime import date
from datetime import datetime

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import Field

from queue_server.web.api.schemas.queue import Body
from queue_server.web.api.schemas.queue import Code


class SlotsQuery(BaseModel):
    date: date


class SlotOut(BaseModel):
    start: datetime  # ISO 8601 with the hall's offset
    end: datetime
    capacity: int
    left: int  # seats still free (0 when full, or when the service's daily cap has no room)
    open: bool  # can be booked now (before its cut-off)


class SlotsOut(BaseModel):
    slots: list[SlotOut]


class BookingRequest(Body):
    service: str = Code
    slot_start: AwareDatetime
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)


class BookingOut(BaseModel):
    code: str  # typed at the kiosk's 预约签到 (or shown as a QR)
    service: str
    service_name: str
    hall: str
    hall_name: str
    slot_start: datetime
    slot_end: datetime
    status: str  # booked | checked_in | cancelled | no_show
    person_masked: str | None
    cutoff: datetime  # until when it can be cancelled or moved
    manage_token: str
    manage_url: str  # the citizen's page of this booking (keep it private: it can cancel)


class MoveRequest(Body):
    slot_start: AwareDatetime


class BlockIn(BaseModel):
    start: str = Field(pattern=r"^\d{2}:\d{2}$")
    end: str = Field(pattern=r"^\d{2}:\d{2}$")
    minutes: int
    capacity: int


class BookingPlan(Body):
    days: dict[str, list[BlockIn]]  # ISO weekday "1".."7" -> blocks of equal slots; a 调休 working day takes "1"
    horizon_days: int = 7  # working days ahead, today included
    cutoff_min: int = 60  # minutes before a slot when booking, moving and cancelling it stop


class BookingPlanOut(BaseModel):
    service: str
    plan: BookingPlan | None  # null: not bookable


class PersonRequest(Body):
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)


class TodaysBookingOut(BaseModel):
    code: str  # the booking code the kiosk then checks in with (POST /halls/{hall}/tickets, appointment_code)
    service: str
    service_name: str
    slot_start: str  # ISO 8601 with the hall's offset
    slot_end: str
    person_masked: str | None
