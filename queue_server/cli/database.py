"""The database for one command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from queue_server.settings import Settings
from queue_server.storage.store import Store
from queue_server.storage.store import make_store


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    """The database for one command; its connections are closed when the command ends (a leaked PostgreSQL
    connection outlives the command in a long-lived caller such as a test run or `make run`)."""
    store = make_store(settings.database_url)
    try:
        yield store
    finally:
        store.dispose()

