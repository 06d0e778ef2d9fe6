"""Engine-suite fixtures: a Desk over the runtime for hall t1."""

from __future__ import annotations

import pytest

from queue_server.storage.runtime import Runtime
from tests.engine.desk import Desk


@pytest.fixture
def desk(runtime: Runtime) -> Desk:
    return Desk(runtime)
