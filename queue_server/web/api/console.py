"""Staff console routes of /api/v1: the console snapshot of one window, and 离岗 (step away) / return.

The console's actions themselves are the queue routes in api/queue.py (one write path for every caller).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import Principal
from queue_server.engine.queue.payloads import window_payload
from queue_server.queries import console
from queue_server.queries import snapshots
from queue_server.storage.models import Role
from queue_server.storage.models import Window
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.queue import ConsoleOut
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.queue import WindowStateOut

CONSOLE_ROLES = (Role.STAFF, Role.MANAGER, Role.ADMIN)


def _own_window(who: Principal, number: int) -> None:
    """A clerk sees and acts for the window they are bound to only."""
    if who.role == Role.STAFF and who.window_number != number:
        raise errors.WindowNotAssigned()


@route("GET", "/halls/{hall}/windows/{number:int}/console",
       "Staff console snapshot: current ticket, waiting per service, parked tickets, today's own figures",
       responses={200: ConsoleOut})
def window_console(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CONSOLE_ROLES)
    _own_window(who, number)
    hq = services()
    with hq.store.read_session() as session:
        hall_row = snapshots.hall_by_code(session, hall)
        return jsonify(console.console(session, hall_row, number, hq.runtime.clock.now()))


def _window_out(_: Any, window: Window) -> dict[str, Any]:
    return window_payload(window)


@route("POST", "/halls/{hall}/windows/{number:int}/away", "离岗: the clerk steps away; no calls until return",
       request_model=EmptyBody, body_required=False, responses={200: WindowStateOut})
def window_away(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CONSOLE_ROLES)
    body(EmptyBody, optional=True)
    acting = who.window_id if who.role == Role.STAFF else None
    done = services().runtime.execute(engine.step_away, hall=hall, after=_window_out, window_number=number,
                                      acting_window_id=acting)
    return jsonify(done.value)


@route("POST", "/halls/{hall}/windows/{number:int}/back", "Back from 离岗",
       request_model=EmptyBody, body_required=False, responses={200: WindowStateOut})
def window_back(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CONSOLE_ROLES)
    body(EmptyBody, optional=True)
    acting = who.window_id if who.role == Role.STAFF else None
    done = services().runtime.execute(engine.come_back, hall=hall, after=_window_out, window_number=number,
                                      acting_window_id=acting)
    return jsonify(done.value)
