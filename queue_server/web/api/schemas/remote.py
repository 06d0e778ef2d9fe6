"""Models of 线上取号: taking a remote ticket, confirming arrival, the hall's entrance code of the day."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import Field

from queue_server.web.api.schemas.queue import Body
from queue_server.web.api.schemas.queue import Code


class RemoteTicketRequest(Body):
    service: str = Code
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=20)


class ArriveRequest(Body):
    hall_code: str = Field(max_length=12, description="today's entrance code (under the QR at the door and on the "
                                                     "wall display)")


class KioskArriveRequest(Body):
    track_token: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                             description="the ticket's track token (the phone page's QR: /t/<track_token>)")


class EntranceCodeOut(BaseModel):
    hall: str
    code: str  # 6 digits, valid for the service day `date`
    date: str  # YYYY-MM-DD, the hall's service day
    url: str  # what the entrance QR holds: the arrival page with the code
    qr_svg: str  # that QR as an inline SVG document (the wall display and the door poster draw it)
