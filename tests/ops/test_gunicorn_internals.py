"""The gunicorn internals that queue_server/operations/shutdown.py drives to stop a process in seconds are still
there, unchanged, in the installed release.

A change there could make a stop cut requests in flight or hang for the whole graceful timeout again, in ways the
stop tests (test_stop.py) would catch only under the right timing; this test fails first, naming the function.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest

from tests.library_pins import exact_pins
from tests.library_pins import source_fingerprint

# sha256 (first 16 hex digits) of inspect.getsource() for the pinned release. When one changes, read the new code
# against shutdown.py's docstring, adapt it, run tests/ops/test_stop.py, then record the new value here.
DRIVEN = {
    "gunicorn.workers.gthread:ThreadWorker.run": "f92c7394d85715a4",
    "gunicorn.workers.gthread:ThreadWorker.accept": "f8dcead3dce5c851",
    "gunicorn.workers.gthread:ThreadWorker.set_accept_enabled": "140150ebfd3cae34",
    "gunicorn.workers.gthread:ThreadWorker.finish_request": "616e7bb15a009ff7",
    "gunicorn.workers.gthread:ThreadWorker.handle": "ca85c9be3df75da4",
    "gunicorn.workers.gthread:TConn.close": "6d1c334ed1979fcb",
    "gunicorn.workers.base:Worker.init_process": "114caccd7a0e3c21",
    "gunicorn.workers.base:Worker.init_signals": "65442e0602b05f37",
    "gunicorn.arbiter:Arbiter.stop": "7138b6afd9c46ae0",
    "gunicorn.arbiter:Arbiter.spawn_worker": "6abc0d90b0b9f80b",
}


def test_gunicorn_is_pinned_exactly_and_installed_at_the_pin() -> None:
    pinned = exact_pins().get("gunicorn")

    assert pinned, "gunicorn must be pinned with == in pyproject.toml (operations/shutdown.py uses its internals)"
    assert version("gunicorn") == pinned, (
        f"gunicorn {version('gunicorn')} is installed but {pinned} is pinned: re-check operations/shutdown.py")


@pytest.mark.parametrize("name", sorted(DRIVEN))
def test_every_gthread_function_the_stop_relies_on_is_the_one_it_was_written_against(name: str) -> None:
    digest = source_fingerprint(name)

    assert digest is not None, f"{name} is gone: queue_server/operations/shutdown.py must be adapted"
    assert digest == DRIVEN[name], (
        f"{name} changed in this release: read it against queue_server/operations/shutdown.py's docstring")
