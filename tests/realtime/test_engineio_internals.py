"""The private parts of python-engineio and simple-websocket that queue_server/realtime/fanout.py relies on are
still there, unchanged, in the installed releases.

fanout.py writes each broadcast straight to every display's socket through those libraries' internals (its
docstring lists each one). An upgrade that changed one could leave displays silent or frames interleaved in ways
the behaviour tests (test_slow_client.py, test_live_feed.py) might only catch by chance, so this test fails by name
first: the installed releases must be the pinned ones, and the source of every function fanout.py mirrors or
overrides must be the source it was written against.
"""

from __future__ import annotations

from importlib.metadata import version

import engineio
import pytest

from queue_server.realtime import fanout
from tests.library_pins import exact_pins
from tests.library_pins import source_fingerprint

# sha256 (first 16 hex digits) of inspect.getsource() for the pinned releases. When one changes, read the new code
# against the list in fanout.py's docstring, adapt fanout.py, run tests/realtime, then record the new value here.
MIRRORED = {
    "engineio.async_drivers._websocket_wsgi:SimpleWebSocketWSGI": "ef4f852b672632e5",
    "engineio.base_server:BaseServer.__init__": "a06b17502fbd9646",
    "engineio.base_server:BaseServer.create_queue": "a384470753d50c77",
    "engineio.base_socket:BaseSocket.__init__": "8532b631a4dc815f",
    "engineio.socket:Socket._websocket_handler": "58afe122719282de",
    "engineio.socket:Socket.poll": "d7d705066fd3b948",
    "engineio.socket:Socket.send": "f8b2738ee5d48ab2",
    "engineio.server:Server.send_packet": "81aec513663f11e1",
    "simple_websocket.ws:Base.__init__": "25f57ef0b5f87780",
    "simple_websocket.ws:Base._handle_events": "fa982a271583fe76",
    "simple_websocket.ws:Server.__init__": "daea66f7fe24d320",
}


@pytest.mark.parametrize("dist", ["python-engineio", "simple-websocket", "python-socketio"])
def test_the_realtime_libraries_are_pinned_exactly_and_installed_at_the_pin(dist: str) -> None:
    pinned = exact_pins().get(dist)

    assert pinned, f"{dist} must be pinned with == in pyproject.toml (realtime/fanout.py uses its internals)"
    assert version(dist) == pinned, (
        f"{dist} {version(dist)} is installed but {pinned} is pinned: re-check queue_server/realtime/fanout.py")


@pytest.mark.parametrize("name", sorted(MIRRORED))
def test_every_private_function_fanout_relies_on_is_the_one_it_was_written_against(name: str) -> None:
    digest = source_fingerprint(name)

    assert digest is not None, f"{name} is gone: queue_server/realtime/fanout.py must be adapted"
    assert digest == MIRRORED[name], (
        f"{name} changed in this release: read it against queue_server/realtime/fanout.py's docstring")


def test_install_puts_the_direct_writer_into_a_threading_engineio_server() -> None:
    server = engineio.Server(async_mode="threading")

    fanout.install(server)

    assert server._async["websocket"] is fanout.LiveWebSocket
    assert isinstance(server.create_queue(), fanout.DirectQueue)
    # The other drivers (threads, sleep, events) stay the library's own.
    assert server._async["thread"] is not fanout.LiveWebSocket
