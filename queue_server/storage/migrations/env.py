"""Alembic environment: runs against the connection handed in by queue_server.storage.migrate (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from queue_server.catalogue import index  # noqa: F401 - registers the guide and disclosure tables
from queue_server.storage.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
