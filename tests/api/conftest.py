"""API fixtures: hall t1 from tests/factories.basic_hall with a token per role."""

from __future__ import annotations

import pytest

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall


@pytest.fixture
def hall(store: Store, clock: FrozenClock) -> BasicHall:
    return basic_hall(store, clock)
